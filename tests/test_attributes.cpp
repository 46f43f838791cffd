// The attribute classifier and named directions end to end, on synthetic pictures with
// two known attributes: `latent train attributes` learns them, `latent attributes` reads
// them off files, `latent directions` finds them in a PCA model's space and moving along
// them adds them, and dir("...") reaches them from `latent arith`. Mismatched models and
// broken packages are refused with messages that name both sides.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "latent/attribute_classifier.h"
#include "latent/errors.h"
#include "latent/image_io.h"
#include "test_util.h"

using namespace latent;
using test_util::run;
using test_util::TempDir;

namespace {

std::string cli(const std::string& args) { return std::string(LATENT_CLI) + " " + args; }

// A blob background; "Bright_Top" lightens the top half, "Red" tints the image red.
Image picture(bool bright_top, bool red, std::mt19937& rng) {
  const Image gray = test_util::blob_image(32, 32, rng);
  Image img(32, 32, 3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      const float v = 0.25f + gray.at(x, y, 0) + (bright_top && y < 16 ? 0.35f : 0.f);
      img.at(x, y, 0) = std::min(1.f, v + (red ? 0.3f : 0.f));
      img.at(x, y, 1) = std::min(1.f, v);
      img.at(x, y, 2) = std::min(1.f, v);
    }
  return img;
}

// 400 pictures in DIR/images, labels.csv beside them with its rows in another order
// (matched by the "file" column) and a column that is not 0/1 (left out).
void make_data(const TempDir& tmp) {
  std::mt19937 rng(7);
  std::bernoulli_distribution coin(0.4);
  test_util::fs::create_directories(tmp / "data/images");
  std::vector<std::string> rows;
  for (int i = 0; i < 400; ++i) {
    const bool a = coin(rng), b = coin(rng);
    char name[32];
    std::snprintf(name, sizeof name, "%06d.png", i + 1);
    save_png(picture(a, b, rng), tmp / ("data/images/" + std::string(name)));
    rows.push_back(std::to_string(i) + "," + name + "," + (a ? "1" : "0") + "," + (b ? "1" : "-1") + "," +
                   std::to_string(i % 3));
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  std::ofstream f(tmp / "data/labels.csv");
  f << "index,file,Bright_Top,Red,Group\n";
  for (const auto& r : rows) f << r << "\n";
}

}  // namespace

TEST(Attributes, TrainLabelFindDirectionsAndMoveAlongThem) {
  TempDir tmp;
  make_data(tmp);
  const auto train = run(cli("--threads 2 train attributes " + (tmp / "data/images") + " --out " + (tmp / "clf") +
                             " --size 32 --width 8 --epochs 6 --batch 32 --holdout 80 --lr 3e-3"));
  ASSERT_EQ(train.code, 0) << train.output;
  const auto header = nlohmann::json::parse(std::ifstream(tmp / "clf/model.json"));
  EXPECT_EQ(header["attributes"], nlohmann::json({"Bright_Top", "Red"})) << "Group is not 0/1 and is left out";
  EXPECT_EQ(header["metrics"]["heldout_images"], 80);
  for (const char* a : {"Bright_Top", "Red"}) {
    const auto& m = header["metrics"]["per_attribute"][a];
    EXPECT_GT(m["accuracy"].get<double>(), 0.9) << a << " " << m.dump();
    EXPECT_GT(m["balanced_accuracy"].get<double>(), 0.9) << a;
    EXPECT_LT(m["majority_accuracy"].get<double>(), 0.75) << a;
  }
  EXPECT_NE(train.output.find("held-out"), std::string::npos) << train.output;

  // The classifier reads files: one with both attributes, one with neither.
  std::mt19937 rng(99);
  save_png(picture(true, true, rng), tmp / "both.png");
  save_png(picture(false, false, rng), tmp / "none.png");
  const auto label = run(cli("attributes " + (tmp / "both.png") + " " + (tmp / "none.png") + " --classifier " +
                             (tmp / "clf") + " --json"));
  ASSERT_EQ(label.code, 0) << label.output;
  const size_t nl = label.output.find('\n');
  const auto both = nlohmann::json::parse(label.output.substr(0, nl));
  const auto none = nlohmann::json::parse(label.output.substr(nl + 1));
  EXPECT_GT(both["probabilities"]["Bright_Top"].get<double>(), 0.5) << label.output;
  EXPECT_GT(both["probabilities"]["Red"].get<double>(), 0.5) << label.output;
  EXPECT_LT(none["probabilities"]["Bright_Top"].get<double>(), 0.5) << label.output;
  EXPECT_LT(none["probabilities"]["Red"].get<double>(), 0.5) << label.output;

  // Directions in a PCA model of the same pictures: moving +3 sigma adds the attribute.
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data/images") + " -k 12 --out " + (tmp / "pca"))).code, 0);
  const auto dirs = run(cli("directions " + (tmp / "pca") + " --classifier " + (tmp / "clf") +
                            " --samples 600 --check 60 --sigma 2 --keep Red --json"));
  ASSERT_EQ(dirs.code, 0) << dirs.output;
  const auto doc = nlohmann::json::parse(std::ifstream(tmp / "pca/directions.json"));
  ASSERT_EQ(doc["directions"].size(), 2u);
  EXPECT_EQ(doc["latent_dim"], 12);
  for (const auto& d : doc["directions"]) {
    EXPECT_GT(d["balanced_accuracy"].get<double>(), 0.8) << d.dump();
    const auto& c = d["check"];
    EXPECT_GT(c["positive_after"].get<double>(), 0.9) << d.dump();
    EXPECT_LT(c["positive_before"].get<double>(), 0.8) << d.dump();
  }
  const auto& top = doc["directions"][0];
  EXPECT_EQ(top["name"], "Bright_Top");
  EXPECT_EQ(top["orthogonal_to"], nlohmann::json({"Red"}));
  EXPECT_LE(top["check"]["flips"]["Red"].get<double>(), 0.25) << top.dump();

  // The same from the faces themselves: encoded, with their labels (matched by file name,
  // the CSV's rows being in another order), and checked by the classifier.
  const auto from_data = run(cli("directions " + (tmp / "pca") + " --classifier " + (tmp / "clf") + " --data " +
                                 (tmp / "data/images") + " --check 60 --sigma 2 --out " + (tmp / "from-data.json")));
  ASSERT_EQ(from_data.code, 0) << from_data.output;
  const auto fd = nlohmann::json::parse(std::ifstream(tmp / "from-data.json"));
  ASSERT_EQ(fd["directions"].size(), 2u);
  EXPECT_NE(fd["classifier"].get<std::string>().find("400 encoded faces"), std::string::npos) << fd.dump();
  for (const auto& d : fd["directions"]) {
    EXPECT_GT(d["balanced_accuracy"].get<double>(), 0.8) << d.dump();
    EXPECT_NEAR(d["positive_rate"].get<double>(), 0.4, 0.1) << "the labels' own share";
    // Real faces this clean are separable many ways, so the boundary's normal moves the
    // attribute less surely than one fitted to the classifier's soft calls; it still does.
    EXPECT_GT(d["check"]["positive_after"].get<double>(), d["check"]["positive_before"].get<double>() + 0.25) << d.dump();
  }
  {
    std::ofstream wrong(tmp / "wrong.csv");
    wrong << "index,file,Other\n";
    for (int i = 0; i < 400; ++i) wrong << i << "," << i << ".png,1\n";
  }
  const auto no_column = run(cli("directions " + (tmp / "pca") + " --classifier " + (tmp / "clf") + " --data " +
                                 (tmp / "data/images") + " --labels " + (tmp / "wrong.csv") + " --out " + (tmp / "x.json")));
  EXPECT_NE(no_column.code, 0);
  EXPECT_NE(no_column.output.find("has no row for 000001.png"), std::string::npos) << no_column.output;

  // dir() in an expression: the mean point moved along Bright_Top decodes brighter on top.
  const auto plain = run(cli("arith " + (tmp / "pca") + " '0*dir(\"Red\")' -o " + (tmp / "plain.png")));
  ASSERT_EQ(plain.code, 0) << plain.output;
  const auto moved = run(cli("arith " + (tmp / "pca") + " '12*dir(\"Bright_Top\")' -o " + (tmp / "moved.png")));
  ASSERT_EQ(moved.code, 0) << moved.output;
  auto top_minus_bottom = [](const Image& img) {
    double t = 0, b = 0;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) (y < img.height / 2 ? t : b) += img.at(x, y, 1);
    return (t - b) / (img.width * img.height / 2);
  };
  EXPECT_GT(top_minus_bottom(load_image(tmp / "moved.png")) - top_minus_bottom(load_image(tmp / "plain.png")), 0.1);
  const auto nope = run(cli("arith " + (tmp / "pca") + " 'dir(\"Nope\")' -o " + (tmp / "x.png")));
  EXPECT_NE(nope.code, 0);
  EXPECT_NE(nope.output.find("this model's directions: Bright_Top, Red"), std::string::npos) << nope.output;

  // Refusals: SeFa on a PCA model, an unknown attribute, a model of another shape, a broken package.
  const auto sefa = run(cli("directions " + (tmp / "pca") + " --unsupervised 2"));
  EXPECT_NE(sefa.code, 0);
  EXPECT_NE(sefa.output.find("already its principal directions"), std::string::npos) << sefa.output;
  const auto unknown = run(cli("directions " + (tmp / "pca") + " --classifier " + (tmp / "clf") + " --attributes Hat"));
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.output.find("knows no attribute \"Hat\"; it knows Bright_Top, Red"), std::string::npos)
      << unknown.output;
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data/images") + " -k 4 --width 32 --height 16 --out " + (tmp / "wide"))).code, 0);
  const auto wide = run(cli("directions " + (tmp / "wide") + " --classifier " + (tmp / "clf")));
  EXPECT_NE(wide.code, 0);
  EXPECT_NE(wide.output.find("labels 32x32x3 images; wide makes 32x16x3 images"), std::string::npos) << wide.output;
  // directions.json of the 12-d model copied into the 4-d one is refused, naming both.
  test_util::fs::copy_file(tmp / "pca/directions.json", tmp / "wide/directions.json");
  const auto mismatch = run(cli("arith " + (tmp / "wide") + " 'dir(\"Red\")' -o " + (tmp / "x.png")));
  EXPECT_NE(mismatch.code, 0);
  EXPECT_NE(mismatch.output.find("latent size of 12 (model pca), but wide has a latent size of 4"), std::string::npos)
      << mismatch.output;

  std::ofstream(tmp / "clf/model.json") << R"({"format": "latent-studio-attribute-classifier", "attributes": ["A"]})";
  EXPECT_THROW(AttributeClassifier::open(tmp / "clf"), FormatError);
  std::ofstream(tmp / "clf/model.json") << "{";
  EXPECT_THROW(AttributeClassifier::open(tmp / "clf"), FormatError);
  EXPECT_THROW(AttributeClassifier::open(tmp / "nowhere"), IoError);
  const auto missing = run(cli("attributes " + (tmp / "both.png") + " --classifier " + (tmp / "nowhere")));
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.output.find("no attribute classifier here"), std::string::npos) << missing.output;
}

TEST(Attributes, LabelsThatDoNotFitTheDataAreRefused) {
  TempDir tmp;
  make_data(tmp);
  // A labels file without a row for every image.
  {
    std::ofstream f(tmp / "short.csv");
    f << "file,A\n000001.png,1\n";
  }
  const auto r = run(cli("train attributes " + (tmp / "data/images") + " --out " + (tmp / "c") + " --labels " +
                         (tmp / "short.csv") + " --size 32 --epochs 1"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("has no row for 000002.png"), std::string::npos) << r.output;
  const auto col = run(cli("train attributes " + (tmp / "data/images") + " --out " + (tmp / "c") +
                           " --attributes Red,Group --size 32 --epochs 1"));
  EXPECT_NE(col.code, 0);
  EXPECT_NE(col.output.find("column \"Group\" is not all 0/1"), std::string::npos) << col.output;
}
