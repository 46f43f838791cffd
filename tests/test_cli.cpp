// The `latent` command line end to end on a small set of generated images.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "latent/algebra.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/pca_space.h"
#include "latent/registry.h"
#include "latent/session.h"
#include "test_util.h"

using namespace latent;
using test_util::run;

namespace {

const std::string kCli = LATENT_CLI;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { test_util::write_blob_folder(tmp / "data", 24, 16, 12, 7); }
  std::string cli(const std::string& args) { return kCli + " " + args; }
  test_util::TempDir tmp;
};

}  // namespace

TEST_F(Cli, FitEncodeDecodeSampleComponents) {
  auto fit = run(cli("fit-pca " + (tmp / "data") + " --components 6 --out " + (tmp / "model")));
  ASSERT_EQ(fit.code, 0) << fit.output;
  EXPECT_NE(fit.output.find("kept 6 components"), std::string::npos) << fit.output;
  EXPECT_NE(fit.output.find("fitting: 100% done"), std::string::npos) << fit.output;  // progress on stderr

  auto info = run(cli("info " + (tmp / "model")));
  ASSERT_EQ(info.code, 0) << info.output;
  EXPECT_NE(info.output.find("latent dim:  6"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("16x12x1"), std::string::npos) << info.output;

  // model.json records how it was made.
  std::ifstream mj(tmp / "model/model.json");
  const auto header = nlohmann::json::parse(mj);
  EXPECT_NE(header["training"]["command"].get<std::string>().find("fit-pca"), std::string::npos);
  EXPECT_EQ(header["training"]["n_samples"], 24);

  auto enc = run(cli("encode " + (tmp / "model") + " " + (tmp / "data/img_003.png") + " --out " + (tmp / "z.json")));
  ASSERT_EQ(enc.code, 0) << enc.output;
  const Latent z = read_latent_json(tmp / "z.json");
  ASSERT_EQ(z.size(), 6u);
  // The CLI's encoding equals the library's.
  auto space = open_space(tmp / "model");
  const Latent z_lib = space->encode(load_image(tmp / "data/img_003.png"));
  for (size_t k = 0; k < z.size(); ++k) EXPECT_NEAR(z[k], z_lib[k], 1e-5);

  // Encoding a dataset item by index gives the same point.
  auto enc_idx = run(cli("encode " + (tmp / "model") + " " + (tmp / "data") + " --index 3"));
  ASSERT_EQ(enc_idx.code, 0) << enc_idx.output;
  const auto z_idx = nlohmann::json::parse(enc_idx.output).get<std::vector<float>>();
  for (size_t k = 0; k < z.size(); ++k) EXPECT_NEAR(z_idx[k], z[k], 1e-5);

  auto dec = run(cli("decode " + (tmp / "model") + " --z-file " + (tmp / "z.json") + " --out " + (tmp / "d.png")));
  ASSERT_EQ(dec.code, 0) << dec.output;
  const Image decoded = load_image(tmp / "d.png");
  const Image expected = space->decode(z);
  ASSERT_EQ(decoded.width, 16);
  for (size_t i = 0; i < decoded.pixels.size(); ++i) EXPECT_NEAR(decoded.pixels[i], expected.pixels[i], 0.6f / 255.f);
  // And it resembles the original face (6 of 23 possible components).
  const Image original = load_image(tmp / "data/img_003.png");
  double err = 0;
  for (size_t i = 0; i < original.pixels.size(); ++i) err += std::fabs(original.pixels[i] - decoded.pixels[i]);
  EXPECT_LT(err / original.pixels.size(), 0.03);

  auto sample = run(cli("sample " + (tmp / "model") + " --n 6 --seed 3 --cols 3 --out " + (tmp / "s.png")));
  ASSERT_EQ(sample.code, 0) << sample.output;
  const Image grid = load_image(tmp / "s.png");
  EXPECT_EQ(grid.width, 3 * 16 + 4 * 2);
  EXPECT_EQ(grid.height, 2 * 12 + 3 * 2);
  auto sample2 = run(cli("sample " + (tmp / "model") + " --n 6 --seed 3 --cols 3 --out " + (tmp / "s2.png")));
  EXPECT_EQ(load_image(tmp / "s2.png").pixels, grid.pixels);  // seeded

  auto comps = run(cli("components " + (tmp / "model") + " --with-mean --out " + (tmp / "c.png")));
  ASSERT_EQ(comps.code, 0) << comps.output;
  const Image sheet = load_image(tmp / "c.png");
  EXPECT_EQ(sheet.width, 3 * 16 + 4 * 2);  // 7 tiles -> 3 columns
  EXPECT_EQ(sheet.height, 3 * 12 + 4 * 2);
}

TEST_F(Cli, VarianceFractionAndResize) {
  auto fit = run(cli("fit-pca " + (tmp / "data") + " -k 0.9 --width 8 --height 6 --channels 3 --out " + (tmp / "m")));
  ASSERT_EQ(fit.code, 0) << fit.output;
  auto space = open_space(tmp / "m");
  EXPECT_EQ(space->info().observation.width, 8);
  EXPECT_EQ(space->info().observation.channels, 3);
  auto* pca = dynamic_cast<PcaSpace*>(space.get());
  ASSERT_NE(pca, nullptr);
  EXPECT_GE(pca->explained_fraction(), 0.9);
}

TEST_F(Cli, ErrorsAreOneLineAndNonZero) {
  auto missing = run(cli("info " + (tmp / "no-such-model")));
  EXPECT_NE(missing.code, 0);
  EXPECT_EQ(missing.output.rfind("latent: error: ", 0), 0u) << missing.output;
  EXPECT_EQ(std::count(missing.output.begin(), missing.output.end(), '\n'), 1) << missing.output;
  EXPECT_NE(missing.output.find("no-such-model"), std::string::npos);

  auto bad_k = run(cli("fit-pca " + (tmp / "data") + " -k lots --out " + (tmp / "x")));
  EXPECT_NE(bad_k.code, 0);
  EXPECT_NE(bad_k.output.find("--components"), std::string::npos) << bad_k.output;

  auto fit = run(cli("fit-pca " + (tmp / "data") + " -k 4 --out " + (tmp / "m")));
  ASSERT_EQ(fit.code, 0);
  std::ofstream(tmp / "short.json") << "[1, 2]";
  auto dec = run(cli("decode " + (tmp / "m") + " -z " + (tmp / "short.json") + " --out " + (tmp / "o.png")));
  EXPECT_NE(dec.code, 0);
  EXPECT_NE(dec.output.find("2 values but model"), std::string::npos) << dec.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "o.png"));

  auto no_sub = run(kCli);
  EXPECT_NE(no_sub.code, 0);
  auto unknown = run(cli("frobnicate"));
  EXPECT_NE(unknown.code, 0);
}

TEST_F(Cli, ArithWithGroupsFromLabels) {
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data") + " -k 8 --out " + (tmp / "m"))).code, 0);
  {
    std::ofstream labels(tmp / "labels.csv");
    labels << "index,bright\n";
    for (int i = 0; i < 24; ++i) labels << i << "," << (i % 3 == 0) << "\n";
  }
  auto r = run(cli("arith " + (tmp / "m") + " 'item(1) + 2*(mean(@bright) - mean(@dull))' --data " + (tmp / "data") +
                   " --labels " + (tmp / "labels.csv") + " --group 'bright=bright=1' --group 'dull=bright=0' --out " +
                   (tmp / "a.png") + " --z-out " + (tmp / "a.json")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("group @bright: 8 items"), std::string::npos) << r.output;
  // The same arithmetic done by hand with the library.
  auto space = open_space(tmp / "m");
  std::vector<Latent> bright, dull;
  for (int i = 0; i < 24; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "data/img_%03d.png", i);
    (i % 3 == 0 ? bright : dull).push_back(space->encode(load_image(tmp / name)));
  }
  const Latent item1 = space->encode(load_image(tmp / "data/img_001.png"));
  const Latent mb = mean(bright), md = mean(dull);
  const Latent z = read_latent_json(tmp / "a.json");
  ASSERT_EQ(z.size(), 8u);
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(z[k], item1[k] + 2 * (mb[k] - md[k]), 1e-4);
  const Image out = load_image(tmp / "a.png");
  const Image expected = space->decode(z);
  for (size_t i = 0; i < out.pixels.size(); ++i) EXPECT_NEAR(out.pixels[i], expected.pixels[i], 0.6f / 255.f);

  auto bad = run(cli("arith " + (tmp / "m") + " '@nobody' --out " + (tmp / "b.png")));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("no point or group named 'nobody'"), std::string::npos) << bad.output;
}

// A scene written by hand names its groups by a label query only; the CLI makes them from
// the session's labels (or --labels), as the studio does, instead of finding them empty.
TEST_F(Cli, ArithWithASessionsQueryGroups) {
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data") + " -k 8 --out " + (tmp / "m"))).code, 0);
  {
    std::ofstream labels(tmp / "labels.csv");
    labels << "index,bright\n";
    for (int i = 0; i < 24; ++i) labels << i << "," << (i % 3 == 0) << "\n";
  }
  const nlohmann::json scene = {{"format", "latent-studio-session"}, {"version", 1}, {"model", tmp / "m"},
                                {"dataset", tmp / "data"}, {"labels", tmp / "labels.csv"},
                                {"groups", {{{"name", "bright"}, {"query", "bright=1"}}}}};
  std::ofstream(tmp / "scene.json") << scene.dump();
  auto r = run(cli("arith " + (tmp / "m") + " 'mean(@bright)' --session " + (tmp / "scene.json") + " --z-out " +
                   (tmp / "q.json")));
  ASSERT_EQ(r.code, 0) << r.output;
  auto by_hand = run(cli("arith " + (tmp / "m") + " 'mean(@b)' --data " + (tmp / "data") + " --labels " +
                         (tmp / "labels.csv") + " --group 'b=bright=1' --z-out " + (tmp / "h.json")));
  ASSERT_EQ(by_hand.code, 0) << by_hand.output;
  EXPECT_EQ(read_latent_json(tmp / "q.json"), read_latent_json(tmp / "h.json"));

  std::ofstream(tmp / "labels.csv") << "index,bright\n0,1\n";
  auto short_labels = run(cli("arith " + (tmp / "m") + " 'mean(@bright)' --session " + (tmp / "scene.json") +
                              " --z-out " + (tmp / "x.json")));
  EXPECT_NE(short_labels.code, 0);
  EXPECT_NE(short_labels.output.find("has 1 rows but the dataset has 24 items"), std::string::npos) << short_labels.output;
}

// The studio's map filter from the shell: a label query or a regular expression over the
// names; a kept column, or only the kept rows with --isolate; the plot draws the rest faint.
TEST_F(Cli, ProjectWithTheMapFilter) {
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data") + " -k 8 --out " + (tmp / "m"))).code, 0);
  {
    std::ofstream labels(tmp / "labels.csv");
    labels << "index,bright\n";
    for (int i = 0; i < 24; ++i) labels << i << "," << (i % 3 == 0) << "\n";
  }
  const auto read_lines = [](const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  };
  const std::string base = "project " + (tmp / "m") + " " + (tmp / "data") + " --labels " + (tmp / "labels.csv");
  auto r = run(cli(base + " --filter 'bright=1' -o " + (tmp / "all.csv") + " --plot " + (tmp / "all.png")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("keeps 8 of 24 points"), std::string::npos) << r.output;
  const auto all = read_lines(tmp / "all.csv");
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(all[0], "index,name,x,y,kept");
  for (int i = 0; i < 24; ++i) EXPECT_EQ(all[i + 1].back(), i % 3 == 0 ? '1' : '0') << all[i + 1];
  // Faint grey points under the coloured ones.
  const Image plot = load_image(tmp / "all.png");
  long faint = 0, coloured = 0;
  for (int y = 0; y < plot.height; ++y)
    for (int x = 0; x < plot.width; ++x) {
      const float r0 = plot.at(x, y, 0), g0 = plot.at(x, y, 1), b0 = plot.at(x, y, 2);
      if (std::abs(r0 - 0.86f) < 0.01f && std::abs(g0 - 0.86f) < 0.01f && std::abs(b0 - 0.86f) < 0.01f) ++faint;
      else if (std::abs(r0 - g0) > 0.1f || std::abs(g0 - b0) > 0.1f) ++coloured;
    }
  EXPECT_GT(faint, 0) << "the dropped points are drawn faint";
  EXPECT_GT(coloured, 0) << "the kept points keep their colour";

  r = run(cli(base + " --filter 'img_00[0-4]' --isolate -o " + (tmp / "some.csv")));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto some = read_lines(tmp / "some.csv");
  ASSERT_EQ(some.size(), 6u) << "a regular expression over the names: img_000 to img_004";
  EXPECT_EQ(some[0], "index,name,x,y");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(some[i + 1].substr(0, 2), std::to_string(i) + ",");
  // The rows keep the full map's coordinates.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(some[i + 1], all[i + 1].substr(0, all[i + 1].rfind(',')));

  r = run(cli(base + " --filter '(' -o " + (tmp / "bad.csv")));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("regular expression"), std::string::npos) << r.output;
  r = run(cli(base + " --isolate -o " + (tmp / "bad.csv")));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--isolate needs --filter"), std::string::npos) << r.output;
}

TEST_F(Cli, ArithWithASession) {
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data") + " -k 6 --out " + (tmp / "m"))).code, 0);
  auto space = open_space(tmp / "m");
  Session s;
  s.model = tmp / "m";
  s.dataset = tmp / "data";
  s.bookmarks = {{"my point", Latent(6, 0.5f)}};
  s.groups = {{"firsts", "", {0, 1, 2}}, {"lasts", "", {21, 22, 23}}};
  save_session(s, tmp / "s.json");
  auto r = run(cli("arith " + (tmp / "m") + " '@my_point + mean(@firsts) - mean(@lasts)' --session " + (tmp / "s.json") +
                   " --z-out " + (tmp / "z.json")));
  ASSERT_EQ(r.code, 0) << r.output;
  std::vector<Latent> firsts, lasts;
  for (int i : {0, 1, 2, 21, 22, 23}) {
    char name[32];
    std::snprintf(name, sizeof name, "data/img_%03d.png", i);
    (i < 3 ? firsts : lasts).push_back(space->encode(load_image(tmp / name)));
  }
  const Latent z = read_latent_json(tmp / "z.json"), f = mean(firsts), l = mean(lasts);
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(z[k], 0.5f + f[k] - l[k], 1e-4);
}

TEST_F(Cli, EvalImagesComparesSamplesAndTheDataFloor) {
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data") + " --components 6 --out " + (tmp / "model"))).code, 0);
  auto r = run(cli("eval-images " + (tmp / "model") + " " + (tmp / "data") + " --n 12 --seed 4 --json"));
  ASSERT_EQ(r.code, 0) << r.output;
  // Progress lines come first (stderr joins the output here), then the JSON object.
  auto json_of = [](const std::string& out) { return nlohmann::json::parse(out.substr(out.find("\n{") + 1)); };
  const auto j = json_of(r.output);
  EXPECT_EQ(j["n"], 12);
  ASSERT_EQ(j["levels"].size(), 1u);  // 16x12 images: one level, the image itself
  EXPECT_EQ(j["levels"][0]["resolution"], 16);
  EXPECT_GT(j["swd_x1e3_mean"].get<double>(), 0.0);
  EXPECT_GT(j["floor_x1e3_mean"].get<double>(), 0.0);
  EXPECT_EQ(j["descriptors_per_level"], 12 * 128);
  // The same seed gives the same numbers; the text form ends on the summary line.
  auto again = run(cli("eval-images " + (tmp / "model") + " " + (tmp / "data") + " --n 12 --seed 4 --json"));
  EXPECT_EQ(json_of(again.output)["swd_x1e3_mean"], j["swd_x1e3_mean"]);
  auto text = run(cli("eval-images " + (tmp / "model") + " " + (tmp / "data") + " --n 12 --seed 4"));
  ASSERT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find("SWD x1e3 mean "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("(floor "), std::string::npos) << text.output;
  // Too few images for two halves: says how many it needs and what to use.
  auto few = run(cli("eval-images " + (tmp / "model") + " " + (tmp / "data") + " --n 13"));
  EXPECT_EQ(few.code, 1);
  EXPECT_NE(few.output.find("holds 24 images; --n 13 needs 26"), std::string::npos) << few.output;
  EXPECT_NE(few.output.find("use --n 12 or less"), std::string::npos) << few.output;
}

// The analyses the studio shows, from the shell: which dimensions matter at a point, and an
// image's reconstruction with its error and heat map (analysis.h).
TEST_F(Cli, RankAndReconstruct) {
  ASSERT_EQ(run(cli("fit-pca " + (tmp / "data") + " --components 5 --out " + (tmp / "model"))).code, 0);
  auto space = open_space(tmp / "model");
  Latent z(5, 0.f);
  z[2] = 1.5f * space->scale()[2];
  write_latent_json(z, tmp / "z.json");
  auto rank = run(cli("rank " + (tmp / "model") + " --z-file " + (tmp / "z.json") + " --json"));
  ASSERT_EQ(rank.code, 0) << rank.output;
  const size_t brace = rank.output.find('{');  // after the progress lines (stderr)
  ASSERT_NE(brace, std::string::npos) << rank.output;
  const auto j = nlohmann::json::parse(rank.output.substr(brace));
  const auto dims = j["dims"].get<std::vector<int>>();
  const auto influence = j["influence"].get<std::vector<float>>();
  ASSERT_EQ(dims.size(), 5u);
  std::vector<int> sorted = dims;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2, 3, 4}));  // every dimension once
  for (size_t r = 1; r < influence.size(); ++r) EXPECT_GE(influence[r - 1], influence[r]);
  // The first one, measured here: the RMS change of decoding z + sd along it.
  Latent moved = z;
  moved[static_cast<size_t>(dims[0])] += space->scale()[static_cast<size_t>(dims[0])];
  const Image a = space->decode(z), b = space->decode(moved);
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) se += double(a.pixels[i] - b.pixels[i]) * (a.pixels[i] - b.pixels[i]);
  EXPECT_NEAR(influence[0], std::sqrt(se / a.pixels.size()), 1e-5);
  auto top = run(cli("rank " + (tmp / "model") + " --top 2"));
  ASSERT_EQ(top.code, 0) << top.output;
  EXPECT_NE(top.output.find("\n   2 "), std::string::npos) << top.output;
  EXPECT_EQ(top.output.find("\n   3 "), std::string::npos) << top.output;

  auto rec = run(cli("reconstruct " + (tmp / "model") + " " + (tmp / "data") + " --index 4 --heatmap " +
                     (tmp / "heat.png") + " --z-out " + (tmp / "z4.json")));
  ASSERT_EQ(rec.code, 0) << rec.output;
  EXPECT_NE(rec.output.find("(encoder)"), std::string::npos) << rec.output;
  const Latent z4 = read_latent_json(tmp / "z4.json");
  const Image item = load_image(tmp / "data/img_004.png");
  const Latent expect = space->encode(item);
  for (size_t k = 0; k < 5; ++k) EXPECT_NEAR(z4[k], expect[k], 1e-5);
  const Image sheet = load_image(tmp / "heat.png");
  EXPECT_EQ(sheet.width, 3 * 16 + 4 * 2);  // original | reconstruction | heat map, 2-pixel gaps and margins
  EXPECT_EQ(sheet.channels, 3);
  auto bad = run(cli("rank " + (tmp / "model") + " --z-file " + (tmp / "missing.json")));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("missing.json"), std::string::npos) << bad.output;
}

TEST_F(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"info", "fit-pca", "encode", "decode", "sample", "components", "arith", "neighbors",
                          "analogy", "eval-analogies", "convert", "similarity", "doesnt-match", "build-index", "project",
                          "eval-images", "rank", "reconstruct"}) {
    auto r = run(cli(std::string(cmd) + " --help"));
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd << ": " << r.output;
  }
}

// LibTorch comes in its own library, opened only for what needs it (torch_module.h):
// LD_DEBUG=libs makes the dynamic loader say each library it loads, on stderr.
TEST(CliLibTorch, LoadedOnlyWhenACommandOrModelNeedsIt) {
  const std::string src = LATENT_SOURCE_DIR;
  auto loads = [](const std::string& out, const std::string& lib) { return out.find(lib) != std::string::npos; };
  // A PCA model, a dataset, word vectors: no LibTorch.
  auto pca = run("LD_DEBUG=libs " + kCli + " info " + src + "/models/olivetti-pca");
  ASSERT_EQ(pca.code, 0) << pca.output;
  EXPECT_NE(pca.output.find("kind:        pca"), std::string::npos) << pca.output;
  EXPECT_FALSE(loads(pca.output, "libtorch_cpu")) << "LibTorch was loaded for a PCA model";
  EXPECT_FALSE(loads(pca.output, "liblatent_torch")) << "latent_torch was loaded for a PCA model";
  // A LibTorch model opens through the same command: the library is opened for it.
  auto gan = run("LD_DEBUG=libs " + kCli + " info " + src + "/models/celeba-dcgan");
  ASSERT_EQ(gan.code, 0) << gan.output;
  EXPECT_NE(gan.output.find("kind:        torch-image"), std::string::npos) << gan.output;
  EXPECT_TRUE(loads(gan.output, "liblatent_torch.so"));
  // A command of the LibTorch module, and its help.
  auto bench_help = run(kCli + " bench --help");
  ASSERT_EQ(bench_help.code, 0) << bench_help.output;
  EXPECT_NE(bench_help.output.find("Usage"), std::string::npos) << bench_help.output;
  // Every command of the module is listed where a person looks for it.
  auto top = run(kCli + " --help");
  auto train = run(kCli + " train --help");
  ASSERT_EQ(top.code, 0) << top.output;
  for (const char* name : {"import-torchscript", "bench", "invert", "story", "style", "bench-text", "sentences",
                           "eval-text", "attributes", "directions"})
    EXPECT_NE(top.output.find(std::string("  ") + name + " "), std::string::npos) << name << "\n" << top.output;
  for (const char* name : {"vae", "dcgan", "skipthought", "word2vec", "attributes"})
    EXPECT_NE(train.output.find(std::string("  ") + name + " "), std::string::npos) << name << "\n" << train.output;
}

TEST(CliShippedModel, DefaultModelOpensAndDecodes) {
  const std::string model = std::string(LATENT_SOURCE_DIR) + "/models/olivetti-pca";
  auto info = run(kCli + " info " + model);
  ASSERT_EQ(info.code, 0) << info.output;
  EXPECT_NE(info.output.find("kind:        pca"), std::string::npos);
  EXPECT_NE(info.output.find("64x64x1"), std::string::npos);
}
