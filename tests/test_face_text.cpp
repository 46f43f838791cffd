// The shared space of faces and words end to end, on synthetic pictures with three
// CelebA-named attributes (Male: a red tint, Eyeglasses: a bright top half, Smiling: a
// blue bottom half): descriptions generated from the labels, `latent train vse`,
// `latent vse-map` to a PCA model, `latent text2img --check` (the faces made from a
// description carry what it names) and `latent caption`; and the messages for an empty
// description, one with no known word, and a model the space has no map to.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "latent/errors.h"
#include "latent/face_text.h"
#include "latent/image_io.h"
#include "latent/registry.h"
#include "test_util.h"

using namespace latent;
using test_util::run;
using test_util::TempDir;

namespace {

std::string cli(const std::string& args) { return std::string(LATENT_CLI) + " " + args; }

Image picture(bool male, bool glasses, bool smiling, std::mt19937& rng) {
  const Image gray = test_util::blob_image(32, 32, rng);
  Image img(32, 32, 3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      const float v = 0.2f + 0.8f * gray.at(x, y, 0) + (glasses && y < 16 ? 0.35f : 0.f);
      img.at(x, y, 0) = std::min(1.f, v + (male ? 0.3f : 0.f));
      img.at(x, y, 1) = std::min(1.f, v);
      img.at(x, y, 2) = std::min(1.f, v + (smiling && y >= 16 ? 0.35f : 0.f));
    }
  return img;
}

void make_data(const TempDir& tmp, int n = 600) {
  std::mt19937 rng(11);
  std::bernoulli_distribution coin(0.45);
  test_util::fs::create_directories(tmp / "data/images");
  std::ofstream f(tmp / "data/labels.csv");
  f << "index,file,Eyeglasses,Male,Smiling,Young\n";
  for (int i = 0; i < n; ++i) {
    const bool m = coin(rng), g = coin(rng), s = coin(rng);
    char name[32];
    std::snprintf(name, sizeof name, "%06d.png", i + 1);
    save_png(picture(m, g, s, rng), tmp / ("data/images/" + std::string(name)));
    f << i << "," << name << "," << g << "," << m << "," << s << "," << (i % 2) << "\n";
  }
}

const std::vector<std::string> kNames = {"Eyeglasses", "Male", "Smiling", "Young", "Wearing_Hat"};

}  // namespace

TEST(FaceText, DescriptionsVaryAndOnlySayWhatTheLabelsHold) {
  std::mt19937 rng(3);
  const std::vector<int> face = {1, 1, 1, 0, 0};  // a smiling older man with glasses, no hat
  std::set<std::string> texts;
  int glasses = 0, man = 0;
  for (int i = 0; i < 300; ++i) {
    const FaceCaption c = compose_face_caption(kNames, face, rng);
    texts.insert(c.text);
    ASSERT_EQ(c.asserts.size(), kNames.size());
    for (size_t a = 0; a < kNames.size(); ++a)
      if (c.asserts[a] != -1) {
        EXPECT_EQ(c.asserts[a], face[a]) << c.text << " says " << kNames[a];
      }
    EXPECT_EQ(c.text.find("woman"), std::string::npos) << c.text;
    EXPECT_EQ(c.text.find("hat"), std::string::npos) << c.text;
    EXPECT_EQ(c.text.find("young"), std::string::npos) << c.text;
    glasses += c.text.find("glasses") != std::string::npos || c.text.find("spectacles") != std::string::npos;
    man += c.asserts[1] == 1;
  }
  EXPECT_GT(texts.size(), 40u) << "templates and synonyms vary the descriptions";
  EXPECT_GT(glasses, 60);
  EXPECT_GT(man, 250) << "the subject mostly names the sex";
}

TEST(FaceText, TheCheckReadsWhatADescriptionNames) {
  using P = std::vector<std::pair<std::string, int>>;
  auto sorted = [](P p) {
    std::sort(p.begin(), p.end());
    return p;
  };
  EXPECT_EQ(sorted(attributes_named("A smiling man with a beard")), sorted({{"Male", 1}, {"No_Beard", 0}, {"Smiling", 1}}));
  EXPECT_EQ(sorted(attributes_named("a woman with no glasses")), sorted({{"Eyeglasses", 0}, {"Male", 0}}))
      << "\"no glasses\" is read before \"glasses\"";
  EXPECT_EQ(sorted(attributes_named("portrait of an older lady with wavy blond hair")),
            sorted({{"Blond_Hair", 1}, {"Male", 0}, {"Wavy_Hair", 1}, {"Young", 0}}));
  EXPECT_TRUE(attributes_named("a boldly stated topic").empty()) << "\"old\" inside a word is not the age";
}

// What the composer says, the reader reads: every attribute a generated description
// asserts is found in its text with the same value (the one exception: "girl" asserts
// Young, and is read as the sex only).
TEST(FaceText, TheCheckReadsEveryPhraseTheComposerWrites) {
  const std::vector<std::string> names = {
      "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
      "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
      "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
      "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
      "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
      "Wearing_Necklace", "Wearing_Necktie", "Young"};
  std::mt19937 rng(5);
  std::bernoulli_distribution coin(0.3);
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<int> face(names.size());
    for (int& v : face) v = coin(rng);
    const FaceCaption c = compose_face_caption(names, face, rng, 4);
    const auto named = attributes_named(c.text);
    for (size_t a = 0; a < names.size(); ++a) {
      if (c.asserts[a] == -1) continue;
      if (names[a] == "Young" && c.text.find("girl") != std::string::npos) continue;
      const auto it = std::find_if(named.begin(), named.end(), [&](const auto& p) { return p.first == names[a]; });
      ASSERT_NE(it, named.end()) << c.text << ": " << names[a] << " is not read";
      EXPECT_EQ(it->second, c.asserts[a]) << c.text << ": " << names[a];
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000);
}

TEST(FaceText, TrainMapTextToFacesAndFacesToText) {
  TempDir tmp;
  make_data(tmp);
  const std::string data = tmp / "data/images";
  auto clf = run(cli("--threads 2 train attributes " + data + " --out " + (tmp / "clf") +
                     " --size 32 --width 8 --epochs 6 --batch 32 --holdout 100 --lr 3e-3"));
  ASSERT_EQ(clf.code, 0) << clf.output;
  auto vse = run(cli("--threads 2 train vse " + data + " --classifier " + (tmp / "clf") + " --out " + (tmp / "vse") +
                     " --epochs 25 --batch 32 --holdout 100 --embed 32 --word-embed 16 --lr 2e-3"));
  ASSERT_EQ(vse.code, 0) << vse.output;
  EXPECT_NE(vse.output.find("image features"), std::string::npos) << "the feature pass is reported through the progress";
  const auto header = nlohmann::json::parse(std::ifstream(tmp / "vse/model.json"));
  EXPECT_EQ(header["kind"], "faces-vse");
  EXPECT_NE(header["captions"].get<std::string>().find("generated from"), std::string::npos);
  EXPECT_TRUE(test_util::fs::exists(tmp / "vse/image-features/model.json")) << "the image side travels with the package";
  const auto& recall = header["metrics"]["recall"];
  EXPECT_EQ(recall["queries"], 100);
  // The best face for a held-out description fits it far more often than a random face.
  EXPECT_GT(recall["top1_fits"]["text_to_image"].get<double>(), recall["top1_fits"]["chance"].get<double>() + 0.3)
      << recall.dump();
  EXPECT_GT(recall["top1_fits"]["image_to_text"].get<double>(), recall["top1_fits"]["chance"].get<double>() + 0.3)
      << recall.dump();

  ASSERT_EQ(run(cli("fit-pca " + data + " -k 16 --out " + (tmp / "pca"))).code, 0);
  auto map = run(cli("vse-map " + (tmp / "pca") + " --vse " + (tmp / "vse") + " --data " + data + " --holdout 100 --json"));
  ASSERT_EQ(map.code, 0) << map.output;
  EXPECT_TRUE(test_util::fs::exists(tmp / "vse/maps/pca.json"));
  EXPECT_TRUE(test_util::fs::exists(tmp / "vse/maps/pca.f32"));

  // Text -> faces that carry what the text names, by the classifier.
  for (const std::string text : {"a smiling man with glasses", "a serious woman with no glasses", "a man"}) {
    auto t = run(cli("text2img " + (tmp / "pca") + " \"" + text + "\" --vse " + (tmp / "vse") + " --n 4 --check --classifier " +
                     (tmp / "clf") + " --json --out " + (tmp / "grid.png")));
    ASSERT_EQ(t.code, 0) << t.output;
    const auto j = nlohmann::json::parse(t.output.substr(t.output.find('{')));
    EXPECT_EQ(j["latents"].size(), 4u);
    EXPECT_GE(j["check"]["carried"].get<double>(), 0.75) << text << ": " << j["check"].dump();
  }
  const Image grid = load_image(tmp / "grid.png");
  EXPECT_GT(grid.width, 4 * 32);

  // Chosen faces: of 4 x 6 draws, the 4 the space puts nearest the description, best
  // first; best-of 1 is the map's own first draws.
  {
    const auto ft = FaceText::open(tmp / "vse");
    const auto pca = open_space(tmp / "pca");
    const std::string text = "a smiling man with glasses";
    EXPECT_EQ(ft->text_to_faces(text, *pca, 4, 3, 1), ft->text_to_latents(text, pca->info(), 4, 3));
    const auto drawn = ft->text_to_latents(text, pca->info(), 24, 3);
    const auto kept = ft->text_to_faces(text, *pca, 4, 3, 6);
    ASSERT_EQ(kept.size(), 4u);
    const Eigen::VectorXf t = ft->embed_texts({text}).row(0).transpose();
    auto near = [&](const std::vector<Latent>& zs) -> Eigen::VectorXf { return ft->embed_images(pca->decode_batch(zs)) * t; };
    const Eigen::VectorXf all = near(drawn), mine = near(kept);
    std::vector<float> sorted(all.data(), all.data() + all.size());
    std::sort(sorted.rbegin(), sorted.rend());
    for (int i = 0; i < 4; ++i) {
      EXPECT_NE(std::find(drawn.begin(), drawn.end(), kept[static_cast<size_t>(i)]), drawn.end()) << "not one of the draws";
      EXPECT_NEAR(mine(i), sorted[static_cast<size_t>(i)], 1e-5) << "face " << i << " is not the " << i + 1 << "th nearest";
    }
    EXPECT_THROW(ft->text_to_faces(text, *pca, 4, 3, 0), UnsupportedError);
    auto bad = run(cli("text2img " + (tmp / "pca") + " \"a man\" --vse " + (tmp / "vse") + " --best-of 0 --out " +
                       (tmp / "x.png")));
    EXPECT_NE(bad.code, 0);
    EXPECT_NE(bad.output.find("best-of must be 1..64"), std::string::npos) << bad.output;
  }

  // Face -> text: a smiling man with glasses is described as a man.
  std::mt19937 rng(99);
  save_png(picture(true, true, true, rng), tmp / "him.png");
  save_png(picture(false, false, false, rng), tmp / "her.png");
  auto c = run(cli("caption --vse " + (tmp / "vse") + " --k 3 --json " + (tmp / "him.png") + " " + (tmp / "her.png")));
  ASSERT_EQ(c.code, 0) << c.output;
  std::istringstream lines(c.output.substr(c.output.find('{')));
  std::string him, her;
  std::getline(lines, him);
  std::getline(lines, her);
  const auto jh = nlohmann::json::parse(him), jw = nlohmann::json::parse(her);
  ASSERT_EQ(jh["descriptions"].size(), 3u);
  const auto named_him = attributes_named(jh["descriptions"][0]["text"].get<std::string>());
  const auto named_her = attributes_named(jw["descriptions"][0]["text"].get<std::string>());
  for (const auto& [a, v] : named_him)
    if (a == "Male" || a == "Eyeglasses" || a == "Smiling") {
      EXPECT_EQ(v, 1) << jh.dump();
    }
  for (const auto& [a, v] : named_her)
    if (a == "Male" || a == "Eyeglasses" || a == "Smiling") {
      EXPECT_EQ(v, 0) << jw.dump();
    }

  // Bad input gets a message, not an empty result.
  auto empty = run(cli("text2img " + (tmp / "pca") + " \"  \" --vse " + (tmp / "vse") + " --out " + (tmp / "x.png")));
  EXPECT_NE(empty.code, 0);
  EXPECT_NE(empty.output.find("empty"), std::string::npos) << empty.output;
  auto unknown = run(cli("text2img " + (tmp / "pca") + " \"zorble quux\" --vse " + (tmp / "vse") + " --out " + (tmp / "x.png")));
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.output.find("knows no word"), std::string::npos) << unknown.output;
  ASSERT_EQ(run(cli("fit-pca " + data + " -k 8 --out " + (tmp / "other"))).code, 0);
  auto nomap = run(cli("text2img " + (tmp / "other") + " \"a man\" --vse " + (tmp / "vse") + " --out " + (tmp / "x.png")));
  EXPECT_NE(nomap.code, 0);
  EXPECT_NE(nomap.output.find("has no map to other"), std::string::npos) << nomap.output;
  EXPECT_NE(nomap.output.find("latent vse-map"), std::string::npos) << nomap.output;
  // Broken package files are refused with a message naming the file, never a crash.
  {
    const std::string copy = tmp / "broken";
    test_util::fs::copy(tmp / "vse", copy, test_util::fs::copy_options::recursive);
    auto t2i = [&] {
      return run(cli("text2img " + (tmp / "pca") + " \"a man\" --vse " + copy + " --out " + (tmp / "x.png")));
    };
    const auto size = test_util::fs::file_size(copy + "/maps/pca.f32");
    test_util::fs::resize_file(copy + "/maps/pca.f32", size - 4);
    auto cut = t2i();
    EXPECT_NE(cut.code, 0);
    EXPECT_NE(cut.output.find("pca.f32: expected"), std::string::npos) << cut.output;
    {
      test_util::fs::resize_file(copy + "/maps/pca.f32", size);
      std::fstream f(copy + "/maps/pca.f32", std::ios::in | std::ios::out | std::ios::binary);
      const float nan = std::numeric_limits<float>::quiet_NaN();
      f.seekp(8);
      f.write(reinterpret_cast<const char*>(&nan), sizeof nan);
    }
    auto notfinite = t2i();
    EXPECT_NE(notfinite.code, 0);
    EXPECT_NE(notfinite.output.find("pca.f32: value 2 (byte offset 8) is not a finite number"), std::string::npos)
        << notfinite.output;
    std::ofstream(copy + "/bank.tsv") << "description\tmean_similarity\tsd_similarity\na man\tabc\n";
    auto bank = run(cli("caption --vse " + copy + " " + (tmp / "him.png")));
    EXPECT_NE(bank.code, 0);
    EXPECT_NE(bank.output.find("has no number after its tab"), std::string::npos) << bank.output;
    auto header = nlohmann::json::parse(std::ifstream(copy + "/model.json"));
    header["vocabulary"] = "../../etc/passwd";
    std::ofstream(copy + "/model.json") << header.dump();
    auto escape = run(cli("caption --vse " + copy + " " + (tmp / "him.png")));
    EXPECT_NE(escape.code, 0);
    EXPECT_NE(escape.output.find("must name a file in the package"), std::string::npos) << escape.output;
  }

  // A map whose model has the same name but another latent size is refused by name.
  test_util::fs::remove_all(tmp / "pca");
  ASSERT_EQ(run(cli("fit-pca " + data + " -k 6 --out " + (tmp / "pca"))).code, 0);
  auto wrong = run(cli("text2img " + (tmp / "pca") + " \"a man\" --vse " + (tmp / "vse") + " --out " + (tmp / "x.png")));
  EXPECT_NE(wrong.code, 0);
  EXPECT_NE(wrong.output.find("16 values"), std::string::npos) << wrong.output;
}
