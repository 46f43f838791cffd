// The real studio under Xvfb (ctest runs this binary through xvfb-run): start it on the
// shipped model, take a screenshot, and check the pixels.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "latent/directions.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/session.h"
#include "test_util.h"

using namespace latent;
using test_util::run;

namespace {

const std::string kCli = LATENT_CLI;
const std::string kStudio = LATENT_STUDIO;
const std::string kModel = std::string(LATENT_SOURCE_DIR) + "/models/olivetti-pca";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Real input for the studio: a shell script starts it with `args` in the background,
// waits for its window, sleeps `settle_s` seconds, sends the xdotool `input` lines and
// waits for the studio to exit (the args end it: --screenshot-after or --frames).
test_util::RunResult run_with_input(const test_util::TempDir& tmp, const std::string& args, int settle_s,
                                    const std::string& input) {
  const std::string script = tmp / "input.sh";
  {
    std::ofstream sh(script);
    sh << "#!/bin/sh\n"
       << kStudio << " " << args << " &\n"
       << "PID=$!\n"
       << "xdotool search --sync --name 'Latent Studio' > /dev/null\n"
       << "sleep " << settle_s << "\n"
       << input << "wait $PID\n";
  }
  return run("sh " + script);
}

// Share of pixels in a rectangle that look like ImGui's (blue) slider frames and grabs.
double blue_share(const Image& shot, const nlohmann::json& r) {
  const int x0 = r["x"].get<int>(), y0 = r["y"].get<int>(), w = r["w"].get<int>(), h = r["h"].get<int>();
  long blue = 0, total = 0;
  for (int y = y0; y < std::min(shot.height, y0 + h); ++y)
    for (int x = x0; x < std::min(shot.width, x0 + w); ++x) {
      const float rr = shot.at(x, y, 0), g = shot.at(x, y, 1), b = shot.at(x, y, 2);
      blue += (b > rr + 0.12f && b > g + 0.04f) ? 1 : 0;
      ++total;
    }
  return total ? double(blue) / total : 0;
}

}  // namespace

TEST(Studio, ViewportShowsTheDecodedLatentAndSlidersAreDrawn) {
  test_util::TempDir tmp;
  // A real face's latent: encode a training image if the data is here, else a fixed point.
  if (test_util::has_data_dir()) {
    auto enc = run(kCli + " encode " + kModel + " " + LATENT_DATA_DIR + "/faces/olivetti --index 43 --out " + (tmp / "z.json"));
    ASSERT_EQ(enc.code, 0) << enc.output;
  } else {
    Latent z(123, 0.f);
    z[0] = 4.f, z[1] = -3.f, z[2] = 2.f;
    write_latent_json(z, tmp / "z.json");
  }
  auto dec = run(kCli + " decode " + kModel + " --z-file " + (tmp / "z.json") + " --out " + (tmp / "expected.png"));
  ASSERT_EQ(dec.code, 0) << dec.output;

  auto studio = run(kStudio + " --model " + kModel + " --z-file " + (tmp / "z.json") + " --screenshot " +
                    (tmp / "shot.png") + " --frames 3 --width 1280 --height 800");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const Image shot = load_image(tmp / "shot.png");
  const auto meta = read_json(tmp / "shot.png.json");
  ASSERT_EQ(shot.width, 1280);
  ASSERT_EQ(shot.height, 800);
  EXPECT_EQ(meta["model"], "olivetti-pca");
  EXPECT_EQ(meta["model_error"], "");
  EXPECT_EQ(meta["z"].get<Latent>(), read_latent_json(tmp / "z.json"));

  // The viewport holds the decoded image: each source pixel is a square block (nearest
  // filter) whose centre equals `latent decode`'s pixel.
  const Image expected = load_image(tmp / "expected.png");
  const auto& vp = meta["viewport"];
  const double x0 = vp["x"], y0 = vp["y"], w = vp["w"], h = vp["h"];
  ASSERT_EQ(meta["viewport_image"]["width"], expected.width);
  ASSERT_GE(w, 4.0 * expected.width) << "the face should be scaled up to fill its pane";
  const double sx = w / expected.width, sy = h / expected.height;
  double max_diff = 0;
  for (int y = 0; y < expected.height; ++y)
    for (int x = 0; x < expected.width; ++x) {
      const int px = static_cast<int>(x0 + (x + 0.5) * sx), py = static_cast<int>(y0 + (y + 0.5) * sy);
      for (int c = 0; c < 3; ++c) max_diff = std::max(max_diff, double(std::fabs(shot.at(px, py, c) - expected.at(x, y, 0))));
    }
  EXPECT_LE(max_diff, 2.5 / 255.0) << "viewport pixels differ from latent decode";

  // The slider panel is drawn: a good share of it is slider frames.
  EXPECT_GT(blue_share(shot, meta["sliders"]), 0.05);
  // And the viewport is not: it is the face (gray).
  EXPECT_LT(blue_share(shot, meta["viewport"]), 0.001);
}

TEST(Studio, ABadModelIsReportedAndTheAppKeepsRunning) {
  test_util::TempDir tmp;
  std::filesystem::create_directories(tmp / "broken");
  std::ofstream(tmp / "broken/model.json") << "{ \"kind\": \"pca\", ";
  auto studio = run(kStudio + " --model " + (tmp / "broken") + " --screenshot " + (tmp / "shot.png") +
                    " --frames 2 --width 900 --height 600");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_NE(meta["model_error"].get<std::string>().find("malformed JSON"), std::string::npos) << meta.dump();
  EXPECT_EQ(meta["model"], "");
}

TEST(Studio, AModelThatFailsToOpenLeavesTheCurrentOneInPlace) {
  test_util::TempDir tmp;
  std::filesystem::create_directories(tmp / "broken");
  std::filesystem::copy_file(kModel + "/model.json", tmp / "broken/model.json");
  std::filesystem::copy_file(kModel + "/mean.f32", tmp / "broken/mean.f32");
  std::ofstream(tmp / "broken/components.f32") << "cut short";
  auto studio = run(kStudio + " --model " + kModel + " --then-open " + (tmp / "broken") + " --screenshot " +
                    (tmp / "shot.png") + " --frames 2 --width 1000 --height 700");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  const std::string error = meta["model_error"];
  EXPECT_NE(error.find("components.f32: expected"), std::string::npos) << error;
  EXPECT_NE(error.find("Still showing 'olivetti-pca'"), std::string::npos) << error;
  EXPECT_EQ(meta["model"], "olivetti-pca");
  EXPECT_EQ(meta["viewport_image"]["width"], 64);  // the face is still there
}

TEST(Studio, WordVectorsAnswerAnAnalogyAndDrawTheMap) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string glove = std::string(LATENT_DATA_DIR) + "/vectors/glove.6B.50d.subset5k.txt";
  auto studio = run(kStudio + " --model " + glove + " --words 'paris - france + italy' --screenshot " +
                    (tmp / "shot.png") + " --frames 2 --width 1280 --height 800");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_EQ(meta["word_error"], "");
  ASSERT_TRUE(meta.contains("word_answers"));
  EXPECT_EQ(meta["word_answers"][0]["word"], "rome");
  EXPECT_NE(meta["word_status"].get<std::string>().find("input words excluded"), std::string::npos);
  // The sliders moved to the expression's point, whose nearest words the viewport lists.
  ASSERT_TRUE(meta.contains("view_words"));
  EXPECT_EQ(meta["z"].size(), 50u);
  // The neighbourhood map is drawn: orange input points and blue answer points.
  const Image shot = load_image(tmp / "shot.png");
  long orange = 0, blue = 0;
  for (int y = shot.height / 2; y < shot.height; ++y)
    for (int x = 0; x < shot.width; ++x) {
      const float r = shot.at(x, y, 0), g = shot.at(x, y, 1), b = shot.at(x, y, 2);
      orange += r > 0.9f && g > 0.55f && g < 0.75f && b < 0.25f;
      blue += b > 0.9f && r < 0.45f && g > 0.5f && g < 0.7f;
    }
  EXPECT_GT(orange, 30);
  EXPECT_GT(blue, 100);
}

TEST(Studio, LargeVocabulariesGetAnApproximateIndexInTheBackground) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  // A copy, so that the index is cached beside it in the temporary folder.
  std::filesystem::copy_file(std::string(LATENT_DATA_DIR) + "/vectors/glove.6B.50d.subset5k.w2v.bin", tmp / "g.bin");
  auto studio = run(kStudio + " --model " + (tmp / "g.bin") + " --approx-min-words 1000 --screenshot " +
                    (tmp / "shot.png") + " --frames 2 --width 1280 --height 800");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_NE(meta["word_status"].get<std::string>().find("approximate (HNSW"), std::string::npos) << meta["word_status"];
  EXPECT_EQ(meta["word_answers"][0]["word"], "queen");
  EXPECT_TRUE(std::filesystem::exists(tmp / "g.bin.ann"));
}

TEST(Studio, MapColouredByLabelsAndAGlassesVectorFromTwoGroups) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string data = std::string(LATENT_DATA_DIR) + "/faces/olivetti";
  auto studio = run(kStudio + " --model " + kModel + " --dataset " + data + " --pick 0 --map pca --color-by glasses" +
                    " --filter 'glasses=1 & female=0'" +
                    " --group glasses=glasses=1 --group plain=glasses=0 --attribute glasses,plain,1.5 --screenshot " +
                    (tmp / "shot.png") + " --frames 2 --width 1600 --height 1000");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_EQ(meta["map_points"], 400);
  EXPECT_EQ(meta["map_method"], "pca");
  EXPECT_EQ(meta["labels_error"], "");
  EXPECT_EQ(meta["color_categories"], (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(meta["groups"].size(), 2u);
  EXPECT_EQ(meta["groups"][0]["size"], 119);
  EXPECT_TRUE(meta["map_current_valid"].get<bool>());
  EXPECT_EQ(meta["map_matches"], 119);  // glasses=1 & female=0 in labels.csv (every wearer is male)
  EXPECT_EQ(meta["map_filter_error"], "");
  // The studio's point equals latent arith's.
  auto arith = run(kCli + " arith " + kModel + " 'item(0) + 1.5*(mean(@glasses) - mean(@plain))' --data " + data +
                   " --labels " + data + "/labels.csv --group glasses=glasses=1 --group plain=glasses=0 --z-out " +
                   (tmp / "z.json"));
  ASSERT_EQ(arith.code, 0) << arith.output;
  const Latent expected = read_latent_json(tmp / "z.json");
  const Latent z = meta["z"].get<Latent>();
  ASSERT_EQ(z.size(), expected.size());
  for (size_t k = 0; k < z.size(); ++k) EXPECT_NEAR(z[k], expected[k], 1e-3) << k;
  // The map is drawn: the filter keeps the glasses wearers in their colour (orange) and
  // dims the others (grey).
  const Image shot = load_image(tmp / "shot.png");
  long orange = 0, dimmed = 0;
  for (int y = 0; y < shot.height; ++y)
    for (int x = 0; x < shot.width; ++x) {
      const int r = static_cast<int>(std::lround(shot.at(x, y, 0) * 255)), g = static_cast<int>(std::lround(shot.at(x, y, 1) * 255)),
                b = static_cast<int>(std::lround(shot.at(x, y, 2) * 255));
      orange += r == 255 && g == 150 && b == 40;
      dimmed += r == 70 && g == 70 && b == 80;
    }
  EXPECT_GT(orange, 200);
  EXPECT_GT(dimmed, 500);
}

TEST(Studio, SessionsRestoreThePointBookmarksGroupsAndMapEvenWhenTheModelMoved) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string env = "XDG_CONFIG_HOME=" + (tmp / "config") + " ";
  std::filesystem::copy(kModel, tmp / "model");
  auto first = run(env + kStudio + " --model " + (tmp / "model") + " --dataset " + LATENT_DATA_DIR +
                   "/faces/olivetti --pick 7 --map umap --color-by glasses" +
                   " --group glasses=glasses=1 --group plain=glasses=0 --bookmark seven --save-session " +
                   (tmp / "s.json") + " --screenshot " + (tmp / "a.png") + " --frames 2 --width 1200 --height 800");
  ASSERT_EQ(first.code, 0) << first.output;
  const auto a = read_json(tmp / "a.png.json");
  ASSERT_EQ(a["groups"].size(), 2u);
  ASSERT_EQ(a["picked"], 7);
  // The model moves; the session is opened with the model from its new place.
  std::filesystem::rename(tmp / "model", tmp / "moved");
  auto second = run(env + kStudio + " --session " + (tmp / "s.json") + " --model " + (tmp / "moved") +
                    " --screenshot " + (tmp / "b.png") + " --frames 2 --width 1200 --height 800");
  ASSERT_EQ(second.code, 0) << second.output;
  const auto b = read_json(tmp / "b.png.json");
  EXPECT_EQ(b["model_error"], "");
  EXPECT_EQ(b["z"], a["z"]);
  EXPECT_EQ(b["bookmarks"], (std::vector<std::string>{"seven"}));
  ASSERT_EQ(b["groups"].size(), 2u);
  EXPECT_EQ(b["groups"][1]["size"], 281);
  EXPECT_EQ(b["map_method"], "umap");
  EXPECT_EQ(b["color_categories"], (std::vector<std::string>{"0", "1"}));
  // The session is among the recent ones.
  std::ifstream recent(tmp / "config/latent-studio/recent-sessions.json");
  EXPECT_NE(std::string(std::istreambuf_iterator<char>(recent), {}).find("s.json"), std::string::npos);
}

// A real pointer: xdotool holds shift and drags a lasso over the map.
TEST(Studio, ShiftDragLassoesPointsOnTheMap) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  auto r = run_with_input(tmp,
                           "--model " + kModel + " --dataset " + LATENT_DATA_DIR + "/faces/olivetti --map pca" +
                               " --width 1600 --height 1000 --screenshot " + (tmp / "shot.png") + " --frames 400",
                           2,
                           "xdotool mousemove 900 300 keydown shift mousedown 1\n"
                           "for p in '1000 300' '1000 600' '800 600' '800 300' '850 310'; do xdotool mousemove $p; sleep 0.2; done\n"
                           "xdotool mouseup 1 keyup shift\n");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_GT(meta["map_selection"].get<int>(), 50);   // a good part of the 400 faces...
  EXPECT_LT(meta["map_selection"].get<int>(), 400);  // ...but not all of them
}

// 60,000 points: the GL layer draws them once, not every frame.
TEST(Studio, LargeMapsAreDrawnOnceNotEveryFrame) {
  const std::string fm = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(fm)) GTEST_SKIP() << "no Fashion-MNIST";
  test_util::TempDir tmp;
  ASSERT_EQ(run(kCli + " fit-pca " + fm + " -k 16 --out " + (tmp / "fm")).code, 0);
  auto studio = run(kStudio + " --model " + (tmp / "fm") + " --dataset " + fm + " --map pca --screenshot " +
                    (tmp / "shot.png") + " --frames 20 --width 1280 --height 800");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_EQ(meta["map_points"], 60000);
  EXPECT_TRUE(meta["map_gl_layer"].get<bool>());
  EXPECT_EQ(meta["map_redraws"], 1);  // 20 settled frames, one drawing of the points
  EXPECT_EQ(meta["map_uploads"], 1);  // and one upload of them
  // The layer drew the first layout too: the panel never drew the points one by one (a
  // first layout of a million points once froze a frame that way).
  EXPECT_EQ(meta["map_panel_points"], 0);
  // And the points are there: many pixels of the default point colour.
  const Image shot = load_image(tmp / "shot.png");
  long points = 0;
  for (float* p = const_cast<float*>(shot.pixels.data()); p < shot.pixels.data() + shot.pixels.size(); p += 3)
    points += std::lround(p[0] * 255) == 150 && std::lround(p[1] * 255) == 170 && std::lround(p[2] * 255) == 200;
  EXPECT_GT(points, 10000);
}

// A real right-button drag pans the 60,000-point map: the points are drawn again from the
// buffer already on the GPU (no new upload), and hover still finds the point under the
// pointer through the map's grid.
TEST(Studio, LargeMapsPanFromTheGpuBufferAndHoverFindsPoints) {
  const std::string fm = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(fm)) GTEST_SKIP() << "no Fashion-MNIST";
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  ASSERT_EQ(run(kCli + " fit-pca " + fm + " -k 16 --out " + (tmp / "fm")).code, 0);
  const std::string args = "--model " + (tmp / "fm") + " --dataset " + fm + " --map pca --width 1280 --height 800";
  auto a = run(kStudio + " " + args + " --screenshot " + (tmp / "a.png") + " --frames 20");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  // 60,000 pictures of 16 px are 4 atlas pages, uploaded two a frame: all there once settled.
  EXPECT_EQ(am["map_pictures"]["atlas_cell"], 16);
  EXPECT_EQ(am["map_pictures"]["atlas_pages"], 4);
  const auto& canvas = am["map_pictures"]["canvas"];
  const int cx = static_cast<int>(canvas["x"].get<double>() + canvas["w"].get<double>() / 2);
  const int cy = static_cast<int>(canvas["y"].get<double>() + canvas["h"].get<double>() / 2);
  const auto& near = am["map_pictures"]["centre_point"];
  ASSERT_GE(near["index"].get<long>(), 0);
  // Pan a quarter of the canvas to the right in 5 steps, then rest the pointer on the
  // point that was nearest the canvas centre, where the drag moved it.
  const int pan = static_cast<int>(canvas["w"].get<double>() / 4) / 5 * 5;
  const int hx = near["x"].get<int>() + pan, hy = near["y"].get<int>();
  auto b = run_with_input(tmp, args + " --screenshot " + (tmp / "b.png") + " --screenshot-after 8", 3,
                          "xdotool mousemove " + std::to_string(cx) + " " + std::to_string(cy) + " mousedown 3\n"
                          "for i in 1 2 3 4 5; do xdotool mousemove $((" + std::to_string(cx) + " + i * " +
                              std::to_string(pan / 5) + ")) " + std::to_string(cy) + "; sleep 0.2; done\n"
                          "xdotool mouseup 3\nsleep 0.3\nxdotool mousemove " + std::to_string(hx) + " " +
                              std::to_string(hy) + "\nsleep 0.2\nxdotool mousemove_relative 1 0\n");
  ASSERT_EQ(b.code, 0) << b.output;
  const auto bm = read_json(tmp / "b.png.json");
  EXPECT_EQ(bm["map_uploads"], 1) << "a pan uploaded the points again";
  EXPECT_GE(bm["map_redraws"].get<long>(), 2) << "the pan did not draw the points again";
  EXPECT_NE(bm["map_pictures"]["centre_point"]["index"], near["index"]) << "the view did not move";
  EXPECT_GE(bm["map_pictures"]["hover"].get<long>(), 0)
      << "hover found no point under the pointer at " << hx << "," << hy << ": " << bm["map_pictures"].dump() << " before "
      << am["map_pictures"].dump();
  EXPECT_GT(bm["ui_ms"].get<double>(), 0.0);
}

TEST(Studio, ExpressionBoxEvaluatesOverGroupsItemsAndBookmarks) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string data = std::string(LATENT_DATA_DIR) + "/faces/olivetti";
  const std::string expr = "item(0) + 1.5*(mean(@glasses) - mean(@plain))";
  auto studio = run(kStudio + " --model " + kModel + " --dataset " + data +
                    " --group glasses=glasses=1 --group plain=glasses=0 --expr '" + expr + "' --screenshot " +
                    (tmp / "shot.png") + " --frames 2 --width 1200 --height 800");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_EQ(meta["expression_error"], "");
  auto arith = run(kCli + " arith " + kModel + " '" + expr + "' --data " + data + " --labels " + data +
                   "/labels.csv --group glasses=glasses=1 --group plain=glasses=0 --z-out " + (tmp / "z.json"));
  ASSERT_EQ(arith.code, 0) << arith.output;
  const Latent expected = read_latent_json(tmp / "z.json"), z = meta["z"].get<Latent>();
  ASSERT_EQ(z.size(), expected.size());
  for (size_t k = 0; k < z.size(); ++k) EXPECT_NEAR(z[k], expected[k], 1e-3);

  auto bad = run(kStudio + " --model " + kModel + " --expr '@nobody + 1' --screenshot " + (tmp / "bad.png") +
                 " --frames 2 --width 900 --height 600");
  ASSERT_EQ(bad.code, 0) << bad.output;
  EXPECT_NE(read_json(tmp / "bad.png.json")["expression_error"].get<std::string>().find("column 1 ('@nobody')"),
            std::string::npos);
}

TEST(Studio, SeveralLiveAttributeVectorsAtOnce) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string data = std::string(LATENT_DATA_DIR) + "/faces/olivetti";
  const std::string groups = " --group g=glasses=1 --group p=glasses=0 --group f=female=1 --group m=female=0";
  auto studio = run(kStudio + " --model " + kModel + " --dataset " + data + groups +
                    " --pick 0 --live-attribute g,p,1 --live-attribute f,m,0.5 --screenshot " + (tmp / "shot.png") +
                    " --frames 2 --width 1200 --height 800");
  ASSERT_EQ(studio.code, 0) << studio.output;
  const auto meta = read_json(tmp / "shot.png.json");
  EXPECT_EQ(meta["labels_error"], "");
  auto arith = run(kCli + " arith " + kModel + " 'item(0) + (mean(@g) - mean(@p)) + 0.5*(mean(@f) - mean(@m))' --data " +
                   data + " --labels " + data + "/labels.csv" + groups + " --z-out " + (tmp / "z.json"));
  ASSERT_EQ(arith.code, 0) << arith.output;
  const Latent expected = read_latent_json(tmp / "z.json"), z = meta["z"].get<Latent>();
  ASSERT_EQ(z.size(), expected.size());
  for (size_t k = 0; k < z.size(); ++k) EXPECT_NEAR(z[k], expected[k], 1e-3);
}

// ------------------------------------------------------------------ neural image models

namespace {

const std::string kDcgan = std::string(LATENT_SOURCE_DIR) + "/models/celeba-dcgan";
const std::string kVae = std::string(LATENT_SOURCE_DIR) + "/models/celeba-vae";

// Largest difference between the viewport (nearest-filtered blocks) and an RGB image.
double viewport_diff(const Image& shot, const nlohmann::json& meta, const Image& expected) {
  const auto& vp = meta["viewport"];
  const double x0 = vp["x"], y0 = vp["y"], sx = vp["w"].get<double>() / expected.width,
               sy = vp["h"].get<double>() / expected.height;
  double max_diff = 0;
  for (int y = 0; y < expected.height; ++y)
    for (int x = 0; x < expected.width; ++x) {
      const int px = static_cast<int>(x0 + (x + 0.5) * sx), py = static_cast<int>(y0 + (y + 0.5) * sy);
      for (int c = 0; c < 3; ++c)
        max_diff = std::max(max_diff, double(std::fabs(shot.at(px, py, c) - expected.at(x, y, c % expected.channels))));
    }
  return max_diff;
}

}  // namespace

// A GAN's 100 sliders: a filter, the N most influential, and the viewport shows exactly
// what `latent decode` gives for the point.
TEST(Studio, AGeneratorsHundredSlidersFilterRankAndDecode) {
  test_util::TempDir tmp;
  Latent z(100, 0.f);
  for (int k = 0; k < 100; ++k) z[k] = std::sin(0.7f * k) * 1.2f;
  write_latent_json(z, tmp / "z.json");
  ASSERT_EQ(run(kCli + " decode " + kDcgan + " -z " + (tmp / "z.json") + " -o " + (tmp / "expected.png")).code, 0);

  auto filtered = run(kStudio + " --model " + kDcgan + " --z-file " + (tmp / "z.json") + " --sliders 1-10,42" +
                      " --screenshot " + (tmp / "a.png") + " --frames 3");
  ASSERT_EQ(filtered.code, 0) << filtered.output;
  const auto a = read_json(tmp / "a.png.json");
  EXPECT_EQ(a["model"], "celeba-dcgan");
  EXPECT_EQ(a["device"], "cpu");
  EXPECT_EQ(a["visible_sliders"], 11);
  // With its encoder the generator opens its training faces, as a VAE does (where they are).
  const bool faces = std::filesystem::exists(std::string(LATENT_SOURCE_DIR) + "/../shared/data/faces/celeba/images64");
  EXPECT_EQ(a["dataset_count"], faces ? 10000 : 0);
  EXPECT_LE(viewport_diff(load_image(tmp / "a.png"), a, load_image(tmp / "expected.png")), 2.5 / 255.0);

  auto top = run(kStudio + " --model " + kDcgan + " --z-file " + (tmp / "z.json") + " --top 5 --screenshot " +
                 (tmp / "b.png") + " --frames 3");
  ASSERT_EQ(top.code, 0) << top.output;
  const auto b = read_json(tmp / "b.png.json");
  EXPECT_TRUE(b["influence_ranked"].get<bool>());
  EXPECT_EQ(b["visible_sliders"], 5);
}

// A photo dropped on a VAE goes in through its encoder, refined by gradient descent; on
// PCA through the exact encoder. The point becomes the sliders.
TEST(Studio, ADroppedPhotoGoesIntoTheSpace) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string photo = std::string(LATENT_DATA_DIR) + "/faces/celeba/images64/009990.jpg";
  auto vae = run(kStudio + " --model " + kVae + " --drop " + photo + " --screenshot " + (tmp / "v.png") + " --frames 3");
  ASSERT_EQ(vae.code, 0) << vae.output;
  const auto v = read_json(tmp / "v.png.json");
  EXPECT_EQ(v["inverted"], "009990.jpg");
  EXPECT_EQ(v["invert_error"], "");
  EXPECT_NE(v["invert_how"].get<std::string>().find("encoder mean, then gradient descent"), std::string::npos);
  EXPECT_LT(v["invert_mse"].get<double>(), 0.02);
  // The sliders hold the inverted point and the viewport shows its decoding.
  write_latent_json(v["z"].get<Latent>(), tmp / "z.json");
  ASSERT_EQ(run(kCli + " decode " + kVae + " -z " + (tmp / "z.json") + " -o " + (tmp / "expected.png")).code, 0);
  EXPECT_LE(viewport_diff(load_image(tmp / "v.png"), v, load_image(tmp / "expected.png")), 2.5 / 255.0);

  auto pca = run(kStudio + " --model " + kModel + " --dataset " + std::string(LATENT_DATA_DIR) + "/faces/olivetti" +
                 " --drop " + photo + " --screenshot " + (tmp / "p.png") + " --frames 3");
  ASSERT_EQ(pca.code, 0) << pca.output;
  const auto p = read_json(tmp / "p.png.json");
  EXPECT_EQ(p["invert_how"], "encoder");
  ASSERT_EQ(run(kCli + " encode " + kModel + " " + photo + " --out " + (tmp / "pz.json")).code, 0);
  const Latent expected = read_latent_json(tmp / "pz.json"), got = p["z"].get<Latent>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4);
}

// Faces and words: models/faces-vse beside the GAN gives the Model panel a description
// box; a description moves the point where `latent text2img` puts it, and a dropped
// photo lists the descriptions `latent caption` gives it.
TEST(Studio, ADescriptionMovesThePointAndADroppedPhotoIsDescribed) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string vse = std::string(LATENT_SOURCE_DIR) + "/models/faces-vse";
  const std::string photo = std::string(LATENT_DATA_DIR) + "/faces/celeba/images64/009990.jpg";
  const std::string text = "a smiling woman with blond hair";
  auto r = run(kStudio + " --model " + kDcgan + " --describe '" + text + "' --screenshot " + (tmp / "d.png") +
               " --frames 3");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto m = read_json(tmp / "d.png.json");
  const auto& ft = m["faces_text"];
  EXPECT_TRUE(ft["ready"].get<bool>()) << ft.dump();
  EXPECT_EQ(ft["error"], "") << ft.dump();
  EXPECT_EQ(ft["described"], text);
  auto t2i = run(kCli + " text2img " + kDcgan + " '" + text + "' --vse " + vse + " --n 1 --json --out-dir " +
                 (tmp / "expected"));
  ASSERT_EQ(t2i.code, 0) << t2i.output;
  const auto tj = nlohmann::json::parse(t2i.output.substr(t2i.output.find('{')));
  const Latent want = tj["latents"][0].get<Latent>(), got = m["z"].get<Latent>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << i;
  EXPECT_LE(viewport_diff(load_image(tmp / "d.png"), m, load_image(tmp / "expected/face-0.png")), 2.5 / 255.0);

  // A dropped photo lists the descriptions `latent caption` gives it; a description with
  // no known word says so (and the point is the photo's, not moved by it).
  auto b = run(kStudio + " --model " + kDcgan + " --describe 'zorble quux' --drop " + photo + " --screenshot " +
               (tmp / "b.png") + " --frames 3");
  ASSERT_EQ(b.code, 0) << b.output;
  const auto bj = read_json(tmp / "b.png.json");
  const auto& bt = bj["faces_text"];
  EXPECT_NE(bt["error"].get<std::string>().find("knows no word"), std::string::npos) << bt.dump();
  EXPECT_EQ(bt["described"], "");
  ASSERT_EQ(bt["nearest_for"], "009990.jpg") << bt.dump();
  ASSERT_EQ(bt["nearest"].size(), 5u);
  auto cap = run(kCli + " caption --vse " + vse + " --k 5 --json " + photo);
  ASSERT_EQ(cap.code, 0) << cap.output;
  const auto cj = nlohmann::json::parse(cap.output.substr(cap.output.find('{')));
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(bt["nearest"][i]["text"], cj["descriptions"][i]["text"]);
  EXPECT_EQ(bj["inverted"], "009990.jpg");
}

// ------------------------------------------------------------------ walks, export, presentation

namespace {

// A session with a three-keyframe spline loop through Olivetti faces 0, 10 and 20 (2 s
// each) and two bookmarks, made by the CLI.
std::string walk_session(const test_util::TempDir& tmp) {
  const std::string ses = tmp / "walk-session.json";
  const std::string data = std::string(LATENT_DATA_DIR) + "/faces/olivetti";
  auto w = run(kCli + " walk " + kModel + " --keys 'item(0),item(10),item(20)' --data " + data +
               " --loop --interp spline --seconds 6 --session " + ses + " --save-walk tour --fps 10 --size 0 --out " +
               (tmp / "unused.gif"));
  EXPECT_EQ(w.code, 0) << w.output;
  auto j = read_json(ses);
  for (int i : {30, 40}) {
    auto e = run(kCli + " encode " + kModel + " " + data + " --index " + std::to_string(i));
    j["bookmarks"].push_back({{"name", "face " + std::to_string(i)}, {"z", nlohmann::json::parse(e.output)}});
  }
  std::ofstream(ses) << j.dump();
  return ses;
}

}  // namespace

// The studio exports the walk through the same code as `latent walk`: the same GIF, byte
// for byte; and an MP4 with one frame per 1/fps.
TEST(Studio, AWalkExportsLikeTheCommandLine) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string ses = walk_session(tmp);
  ASSERT_EQ(run(kCli + " walk " + kModel + " --session " + ses + " --walk tour --fps 10 --size 64 --out " +
                (tmp / "cli.gif")).code, 0);
  auto st = run(kStudio + " --session " + ses + " --export " + (tmp / "studio.gif") +
                " --export-size 64 --export-fps 10 --screenshot " + (tmp / "s.png") + " --frames 2");
  ASSERT_EQ(st.code, 0) << st.output;
  const auto meta = read_json(tmp / "s.png.json");
  EXPECT_EQ(meta["walk_keys"], 3);
  EXPECT_DOUBLE_EQ(meta["walk_duration"].get<double>(), 6.0);
  EXPECT_NE(meta["export_status"].get<std::string>().find("wrote 60 frames"), std::string::npos) << meta["export_status"];
  EXPECT_EQ(run("cmp " + (tmp / "cli.gif") + " " + (tmp / "studio.gif")).code, 0) << "the two GIFs differ";

  if (run("command -v ffprobe").code != 0) GTEST_SKIP() << "ffmpeg is not installed";
  auto mp4 = run(kStudio + " --session " + ses + " --export " + (tmp / "walk.mp4") +
                 " --export-size 256 --export-fps 10 --screenshot " + (tmp / "m.png") + " --frames 2");
  ASSERT_EQ(mp4.code, 0) << mp4.output;
  auto probe = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width "
                   "-of csv=p=0 " + (tmp / "walk.mp4"));
  EXPECT_NE(probe.output.find("256,60"), std::string::npos) << probe.output;
}

// Scrubbed to 2 s, the walk stands exactly on its second keyframe (face 10), and the
// viewport shows that point's decoding; played, the time moves.
TEST(Studio, TheWalkScrubsAndPlays) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string ses = walk_session(tmp);
  auto st = run(kStudio + " --session " + ses + " --walk-time 2 --screenshot " + (tmp / "s.png") + " --frames 3");
  ASSERT_EQ(st.code, 0) << st.output;
  const auto meta = read_json(tmp / "s.png.json");
  auto e = run(kCli + " encode " + kModel + " " + LATENT_DATA_DIR + "/faces/olivetti --index 10");
  const Latent key = nlohmann::json::parse(e.output).get<Latent>(), z = meta["z"].get<Latent>();
  ASSERT_EQ(z.size(), key.size());
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], key[i], 1e-4) << i;
  write_latent_json(z, tmp / "z.json");
  ASSERT_EQ(run(kCli + " decode " + kModel + " -z " + (tmp / "z.json") + " -o " + (tmp / "expected.png")).code, 0);
  EXPECT_LE(viewport_diff(load_image(tmp / "s.png"), meta, load_image(tmp / "expected.png")), 2.5 / 255.0);

  auto play = run(kStudio + " --session " + ses + " --play-walk --screenshot " + (tmp / "p.png") +
                  " --screenshot-after 4");
  ASSERT_EQ(play.code, 0) << play.output;
  const auto p = read_json(tmp / "p.png.json");
  EXPECT_TRUE(p["walk_playing"].get<bool>());
  EXPECT_GT(p["walk_time"].get<double>(), 0.2);
  EXPECT_GT(p["decodes_submitted"].get<int>(), 5) << "playing decodes a new point per frame";
}

// Presentation: the output alone, filling the screen; arrows step through the bookmarks,
// B blacks the screen out. Real key presses from xdotool.
TEST(Studio, PresentationModeIsDrivenFromTheKeyboard) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  const std::string ses = walk_session(tmp);
  auto still = run(kStudio + " --session " + ses + " --present --output-window --screenshot " + (tmp / "a.png") +
                   " --frames 3");
  ASSERT_EQ(still.code, 0) << still.output;
  const auto a = read_json(tmp / "a.png.json");
  EXPECT_TRUE(a["presentation"].get<bool>());
  EXPECT_GE(a["viewport"]["h"].get<double>(), 0.9 * a["height"].get<double>()) << "the output fills the screen";
  write_latent_json(a["z"].get<Latent>(), tmp / "z.json");
  ASSERT_EQ(run(kCli + " decode " + kModel + " -z " + (tmp / "z.json") + " -o " + (tmp / "expected.png")).code, 0);
  const Image expected = load_image(tmp / "expected.png");
  EXPECT_LE(viewport_diff(load_image(tmp / "a.png"), a, expected), 2.5 / 255.0);
  // The output window shows the same image, letterboxed and centred.
  ASSERT_TRUE(a["output_window"].get<bool>());
  const Image out = load_image(tmp / "a.png.output.png");
  const int side = std::min(out.width, out.height) / expected.width * expected.width;
  const int x0 = (out.width - side) / 2, y0 = (out.height - side) / 2, k = side / expected.width;
  double max_diff = 0;
  for (int y = 0; y < expected.height; ++y)
    for (int x = 0; x < expected.width; ++x)
      max_diff = std::max(max_diff, double(std::fabs(out.at(x0 + x * k + k / 2, y0 + y * k + k / 2, 0) - expected.at(x, y, 0))));
  EXPECT_LE(max_diff, 2.5 / 255.0);

  auto r = run_with_input(tmp, "--session " + ses + " --present --screenshot " + (tmp / "b.png") + " --screenshot-after 7",
                           3, "for k in Right Right b; do xdotool key $k; sleep 0.4; done\n");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto b = read_json(tmp / "b.png.json");
  EXPECT_EQ(b["current_bookmark"], 1);
  EXPECT_TRUE(b["blackout"].get<bool>());
  const auto bookmark = read_json(ses)["bookmarks"][1]["z"].get<Latent>();
  const Latent z = b["z"].get<Latent>();
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], bookmark[i], 1e-5);
  const Image black = load_image(tmp / "b.png");
  double sum = 0;
  for (float v : black.pixels) sum += v;
  EXPECT_LT(sum / black.pixels.size(), 0.01) << "blackout shows nothing";
}

// A face model's named directions (its directions.json) are sliders in sigma: set at
// start, dragged with a real pointer, and moved by OSC by name; each moves the point by
// sigma x its unit vector, and the face changes.
TEST(Studio, NamedDirectionsAreSlidersInSigma) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  if (run("command -v bash").code != 0) GTEST_SKIP() << "needs bash for /dev/udp";
  test_util::TempDir tmp;
  const std::string gan = std::string(LATENT_SOURCE_DIR) + "/models/celeba-dcgan";
  const DirectionSet set = read_directions(gan + "/directions.json");
  auto step = [&](const std::string& name) {
    const AttributeDirection& d = set.at(name);
    Latent v(d.unit.size());
    for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(d.sigma) * d.unit[k];
    return v;
  };
  auto expect_z = [&](const nlohmann::json& m, const std::vector<std::pair<std::string, float>>& moves) {
    const Latent z = m["z"].get<Latent>();
    ASSERT_EQ(z.size(), static_cast<size_t>(set.latent));
    Latent want(z.size(), 0.f);
    for (const auto& [name, sigma] : moves) {
      const Latent v = step(name);
      for (size_t k = 0; k < z.size(); ++k) want[k] += sigma * v[k];
    }
    double worst = 0;
    for (size_t k = 0; k < z.size(); ++k) worst = std::max(worst, static_cast<double>(std::abs(z[k] - want[k])));
    EXPECT_LT(worst, 1e-3) << "z is not the sum of the moves; directions " << m["directions"].dump().substr(0, 300)
                           << ", live " << m.value("live_last", std::string());
  };
  auto sigma_of = [](const nlohmann::json& m, const std::string& name) {
    for (const auto& d : m["directions"])
      if (d["name"] == name) return d["sigma"].get<double>();
    return -99.0;
  };

  auto plain = run(kStudio + " --model " + gan + " --screenshot " + (tmp / "p.png") + " --frames 4");
  ASSERT_EQ(plain.code, 0) << plain.output;
  const auto pm = read_json(tmp / "p.png.json");
  ASSERT_EQ(pm["directions"].size(), set.directions.size()) << pm["directions_note"];
  EXPECT_EQ(pm["directions"][0]["name"], set.directions[0].name);
  expect_z(pm, {});

  // From the command line: +3 sigma of Smiling and +2 of Eyeglasses.
  auto started = run(kStudio + " --model " + gan + " --direction Smiling=3 --direction Eyeglasses=2 --screenshot " +
                     (tmp / "s.png") + " --frames 4");
  ASSERT_EQ(started.code, 0) << started.output;
  const auto sm = read_json(tmp / "s.png.json");
  EXPECT_NEAR(sigma_of(sm, "Smiling"), 3.0, 1e-6);
  EXPECT_NEAR(sigma_of(sm, "Eyeglasses"), 2.0, 1e-6);
  expect_z(sm, {{"Smiling", 3.f}, {"Eyeglasses", 2.f}});
  // The face changed: the viewport's pixels differ from the plain start's.
  const Image a = load_image(tmp / "p.png"), b = load_image(tmp / "s.png");
  const auto& vp = pm["viewport"];
  double diff = 0;
  long n = 0;
  for (int y = vp["y"].get<int>(); y < vp["y"].get<int>() + vp["h"].get<int>(); ++y)
    for (int x = vp["x"].get<int>(); x < vp["x"].get<int>() + vp["w"].get<int>(); ++x, ++n)
      for (int c = 0; c < 3; ++c) diff += std::abs(a.at(x, y, c) - b.at(x, y, c));
  EXPECT_GT(diff / (3.0 * std::max(1L, n)), 0.01) << "moving along Smiling and Eyeglasses left the face as it was";

  // A real drag: the first direction's slider from its middle to its right end.
  const auto& r = pm["first_direction"];
  ASSERT_GT(r["w"].get<double>(), 20);
  const int y = static_cast<int>(r["y"].get<double>() + r["h"].get<double>() / 2);
  const int x0 = static_cast<int>(r["x"].get<double>() + r["w"].get<double>() / 2);
  const int x1 = static_cast<int>(r["x"].get<double>() + r["w"].get<double>() - 2);
  auto dragged = run_with_input(tmp, "--model " + gan + " --screenshot " + (tmp / "d.png") + " --screenshot-after 8", 4,
                                "xdotool mousemove " + std::to_string(x0) + " " + std::to_string(y) + " mousedown 1\n"
                                "for p in 20 40 60 80 100; do xdotool mousemove $((" + std::to_string(x0) + " + (" +
                                std::to_string(x1 - x0) + ") * p / 100)) " + std::to_string(y) + "; sleep 0.1; done\n"
                                "xdotool mouseup 1\n");
  ASSERT_EQ(dragged.code, 0) << dragged.output;
  const auto dm = read_json(tmp / "d.png.json");
  const std::string first = set.directions[0].name;
  EXPECT_GT(sigma_of(dm, first), 2.5) << dm["directions"][0];
  expect_z(dm, {{first, static_cast<float>(sigma_of(dm, first))}});

  // OSC by name: /latent/direction/Smiling 2.0 (address padded to 28 bytes, ",f", a
  // big-endian float), then a name the model lacks.
  const int port = 20000 + static_cast<int>((getpid() + 7) % 20000);
  const std::string script = tmp / "osc.sh";
  {
    std::ofstream sh(script);
    sh << "#!/bin/bash\n"
       << kStudio << " --model " << gan << " --osc-port " << port << " --screenshot " << (tmp / "o.png")
       << " --screenshot-after 8 &\n"
       << "PID=$!\n"
       << "xdotool search --sync --name 'Latent Studio' > /dev/null\n"  // the window, then the model in it
       << "sleep 4\n"
       << "printf '/latent/direction/Smiling\\x00\\x00\\x00,f\\x00\\x00\\x40\\x00\\x00\\x00' > /dev/udp/127.0.0.1/" << port << "\n"
       << "sleep 0.5\n"
       << "wait $PID\n";
  }
  auto o = run("bash " + script);
  ASSERT_EQ(o.code, 0) << o.output;
  const auto om = read_json(tmp / "o.png.json");
  EXPECT_NEAR(sigma_of(om, "Smiling"), 2.0, 1e-6) << om["osc_status"];
  expect_z(om, {{"Smiling", 2.f}});
}

// A bare TorchScript generator, as PyTorch saves one (made here by python3-torch), dropped
// on the studio: a separate process runs it to find what it takes and gives, the studio
// makes a package of it in the person's models folder and opens it, and the import sheet
// shows the guess. Real clicks correct the range and re-import. A .pt that gives no
// images says what was tried, and the studio keeps its model.
TEST(Studio, ADroppedBareGeneratorIsProbedImportedAndOpened) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  const auto made = run("/usr/bin/python3 " + std::string(LATENT_SOURCE_DIR) + "/tests/interop/make_bare_generator.py " +
                        (tmp / "gens"));
  if (made.code != 0) GTEST_SKIP() << "python3-torch is not usable: " << made.output;
  std::ofstream(tmp / "trusted.json")
      << nlohmann::json{{"places", {std::filesystem::canonical(tmp / "gens").string()}}}.dump();
  // The person's models folder, for the studios started here.
  struct DataHome {
    explicit DataHome(const std::string& d) { ::setenv("XDG_DATA_HOME", d.c_str(), 1); }
    ~DataHome() { ::unsetenv("XDG_DATA_HOME"); }
  } data_home(tmp / "xdg");
  const std::string env;
  const std::string args = " --model " + kModel + " --trusted-places " + (tmp / "trusted.json") + " --drop " +
                           (tmp / "gens/gen.pt") + " " + (tmp / "gens/enc.pt") + " " + (tmp / "gens/identity.pt");
  auto a = run(env + kStudio + args + " --screenshot " + (tmp / "a.png") + " --screenshot-after 20");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  EXPECT_EQ(am["model"], "gen") << am["messages"].dump();
  EXPECT_EQ(am["z"].size(), 24u);
  EXPECT_EQ(am["observation"]["channels"], 3);
  EXPECT_EQ(am["observation"]["height"], 16);
  const auto& sheet = am["import_sheet"];
  ASSERT_TRUE(sheet["shown"].get<bool>());
  EXPECT_EQ(sheet["preview"], 8) << "eight prior samples preview the guess";
  EXPECT_NE(sheet["found"].get<std::string>().find("latent 24 as [B,D], images 3x16x16"), std::string::npos) << sheet;
  EXPECT_NE(sheet["found"].get<std::string>().find("output range 0..1"), std::string::npos) << sheet;
  const std::string pkg = tmp / "xdg/latent-studio/models/gen";
  EXPECT_EQ(sheet["out_dir"], pkg);
  ASSERT_TRUE(std::filesystem::exists(pkg + "/model.json"));
  EXPECT_EQ(read_json(pkg + "/model.json")["latent_dim"], 24);
  // The encoder dropped after it was paired with it by shape.
  EXPECT_TRUE(read_json(pkg + "/model.json")["torch"].contains("encoder")) << read_json(pkg + "/model.json").dump();
  EXPECT_NE(sheet["found"].get<std::string>().find("encoder " + (tmp / "gens/enc.pt") + " (gives mean)"),
            std::string::npos) << sheet;
  const auto messages = am["messages"].get<std::vector<std::string>>();
  ASSERT_EQ(messages.size(), 1u) << am["messages"].dump(1);
  EXPECT_NE(messages[0].find("no latent size made it give images: tried"), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("Still showing 'gen'"), std::string::npos) << messages[0];
  // The pixels are the generator's: not the black of an empty viewport.
  const Image shot = load_image(tmp / "a.png");
  const auto& vp = am["viewport"];
  double sum = 0;
  long n = 0;
  for (int y = vp["y"].get<int>(); y < vp["y"].get<int>() + vp["h"].get<int>(); y += 4)
    for (int x = vp["x"].get<int>(); x < vp["x"].get<int>() + vp["w"].get<int>(); x += 4, ++n) sum += shot.at(x, y, 1);
  EXPECT_GT(sum / std::max(1L, n), 0.1) << "the viewport shows no decoded image";

  // Correct the range with a real click on -1..1, then Re-import: the package is rewritten.
  std::filesystem::remove_all(tmp / "xdg");
  auto click = [](const nlohmann::json& r) {
    return "xdotool mousemove " + std::to_string(static_cast<int>(r["x"].get<double>() + r["w"].get<double>() / 2)) + " " +
           std::to_string(static_cast<int>(r["y"].get<double>() + r["h"].get<double>() / 2)) + " click 1\n";
  };
  ASSERT_GT(sheet["tanh_button"]["w"].get<double>(), 0);
  auto b = run_with_input(tmp, "--model " + kModel + " --trusted-places " + (tmp / "trusted.json") + " --drop " +
                                   (tmp / "gens/gen.pt") + " --screenshot " + (tmp / "b.png") + " --screenshot-after 22",
                          0, "sleep 10\n" + click(sheet["tanh_button"]) + "sleep 1\n" + click(sheet["reimport_button"]));
  ASSERT_EQ(b.code, 0) << b.output;
  const auto bm = read_json(tmp / "b.png.json");
  EXPECT_EQ(bm["model"], "gen") << bm["messages"].dump();
  EXPECT_EQ(read_json(pkg + "/model.json")["torch"]["output_range"], nlohmann::json::array({-1.0, 1.0}));
  EXPECT_NE(bm["import_sheet"]["found"].get<std::string>().find("output range -1..1"), std::string::npos)
      << bm["import_sheet"];

  // Dropped together with the encoder first: it fails as a generator, and once the
  // generator is imported it is tried again as its encoder and paired.
  std::filesystem::remove_all(tmp / "xdg");
  auto c = run(kStudio + " --model " + kModel + " --trusted-places " + (tmp / "trusted.json") + " --drop " +
               (tmp / "gens/enc.pt") + " " + (tmp / "gens/gen.pt") + " --screenshot " + (tmp / "c.png") +
               " --screenshot-after 25");
  ASSERT_EQ(c.code, 0) << c.output;
  const auto cm = read_json(tmp / "c.png.json");
  EXPECT_EQ(cm["model"], "gen") << cm["messages"].dump();
  EXPECT_TRUE(read_json(pkg + "/model.json")["torch"].contains("encoder")) << read_json(pkg + "/model.json").dump();
  EXPECT_NE(cm["import_sheet"]["found"].get<std::string>().find("encoder " + (tmp / "gens/enc.pt")), std::string::npos)
      << cm["import_sheet"];
}

// OSC drives the studio: real UDP datagrams on loopback (written by bash's /dev/udp),
// a bookmark by name, then one dimension.
TEST(Studio, OscMessagesMoveThePoint) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  if (run("command -v bash").code != 0) GTEST_SKIP() << "needs bash for /dev/udp";
  test_util::TempDir tmp;
  const std::string ses = walk_session(tmp);
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const std::string script = tmp / "osc.sh";
  {
    std::ofstream sh(script);
    sh << "#!/bin/bash\n"
       << kStudio << " --session " << ses << " --osc-port " << port << " --screenshot " << (tmp / "o.png")
       << " --screenshot-after 6 &\n"
       << "PID=$!\n"
       << "sleep 3\n"
       // /latent/bookmark "face 40": address padded to 20 bytes, ",s", the string padded to 8.
       << "printf '/latent/bookmark\\x00\\x00\\x00\\x00,s\\x00\\x00face 40\\x00' > /dev/udp/127.0.0.1/" << port << "\n"
       << "sleep 0.5\n"
       // /latent/z/3 0.5: 12 + 4 + a big-endian float.
       << "printf '/latent/z/3\\x00,f\\x00\\x00\\x3f\\x00\\x00\\x00' > /dev/udp/127.0.0.1/" << port << "\n"
       << "sleep 0.5\n"
       // An address the studio does not know: counted, nothing else.
       << "printf '/latent/nope\\x00\\x00\\x00\\x00,\\x00\\x00\\x00' > /dev/udp/127.0.0.1/" << port << "\n"
       << "wait $PID\n";
  }
  auto r = run("bash " + script);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto m = read_json(tmp / "o.png.json");
  EXPECT_EQ(m["osc_port"], port);
  EXPECT_NE(m["osc_status"].get<std::string>().find("2 messages, 1 errors"), std::string::npos) << m["osc_status"];
  EXPECT_EQ(m["current_bookmark"], 1);
  Latent expected = read_json(ses)["bookmarks"][1]["z"].get<Latent>();
  expected[3] = 0.5f;
  const Latent z = m["z"].get<Latent>();
  ASSERT_EQ(z.size(), expected.size());
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], expected[i], 1e-5) << i;
}

// MIDI drives the studio: a JACK server (dummy driver: no sound hardware here), the
// studio's virtual MIDI input, a binding from the session (CC 21 on channel 1 -> slider 8)
// and a controller that turns the knob to 127, the top of the slider's +-3 sd.
TEST(Studio, AMidiKnobMovesItsBoundSlider) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  if (std::string(LATENT_MIDI_SEND).empty()) GTEST_SKIP() << "built without live control";
  if (run("command -v jackd").code != 0) GTEST_SKIP() << "jackd is not installed (jackd2)";
  test_util::TempDir tmp;
  const std::string ses = walk_session(tmp);
  {
    auto j = read_json(ses);
    j["controls"] = {{"midi", {{"version", 1},
                               {"bindings", {{{"channel", 1}, {"message", "cc"}, {"number", 21},
                                              {"target", "set_dim"}, {"index", 7}}}}}}};
    std::ofstream(ses) << j.dump();
  }
  const std::string server = "latent-gui-" + std::to_string(getpid());
  const std::string script = tmp / "midi.sh";
  {
    std::ofstream sh(script);
    sh << "#!/bin/sh\n"
       << "export JACK_DEFAULT_SERVER=" << server << "\n"
       << "jackd --no-realtime --sync --name " << server << " -d dummy -r 48000 -p 256 > " << (tmp / "jackd.log")
       << " 2>&1 &\n"
       << "JACKD=$!\n"
       << "jack_wait -s " << server << " -w -t 15 > /dev/null || { cat " << (tmp / "jackd.log") << "; exit 3; }\n"
       << kStudio << " --session " << ses << " --midi virtual --screenshot " << (tmp / "m.png")
       << " --screenshot-after 7 &\n"
       << "PID=$!\n"
       << "sleep 3\n"
       << LATENT_MIDI_SEND << " 'Latent Studio' 1 21 127\n"
       << "SENT=$?\n"
       << "wait $PID; RC=$?\n"
       << "kill $JACKD; wait $JACKD 2>/dev/null\n"
       << "[ $SENT -eq 0 ] || exit 4\n"
       << "exit $RC\n";
  }
  auto r = run("sh " + script);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto m = read_json(tmp / "m.png.json");
  EXPECT_NE(m["midi_status"].get<std::string>().find("JACK"), std::string::npos) << m["midi_status"];
  ASSERT_EQ(m["bindings"].size(), 1u) << m["bindings"];
  // Slider 8 (index 7) is at +3 sd of the PCA model: sd = sqrt(explained variance 8).
  const auto model = read_json(kModel + "/model.json");
  const double sd = std::sqrt(model["pca"]["explained_variance"][7].get<double>());
  EXPECT_NEAR(m["z"][7].get<double>(), 3 * sd, 1e-3 * sd) << m["live_last"];
}

// ------------------------------------------------------------------ sentence models

namespace {

namespace fs = std::filesystem;
const std::string kStoryteller = std::string(LATENT_SOURCE_DIR) + "/models/storyteller";

// Pixels near a colour (0-255 components) inside a framebuffer rectangle.
long colour_count(const Image& shot, const nlohmann::json& r, int cr, int cg, int cb, int tol) {
  const int x0 = static_cast<int>(r["x"].get<double>()), y0 = static_cast<int>(r["y"].get<double>());
  const int w = static_cast<int>(r["w"].get<double>()), h = static_cast<int>(r["h"].get<double>());
  long n = 0;
  for (int y = std::max(0, y0); y < std::min(shot.height, y0 + h); ++y)
    for (int x = std::max(0, x0); x < std::min(shot.width, x0 + w); ++x)
      if (std::abs(shot.at(x, y, 0) * 255 - cr) <= tol && std::abs(shot.at(x, y, 1) * 255 - cg) <= tol &&
          std::abs(shot.at(x, y, 2) * 255 - cb) <= tol)
        ++n;
  return n;
}

}  // namespace

TEST(Studio, AnImagesCaptionsBecomeAPassageAndTheStrengthMovesItTowardsTheNovels) {
  test_util::TempDir tmp;
  const std::string image = std::string(LATENT_DATA_DIR) + "/text/captions/coco_mini_cc_by/images/000000000790.jpg";
  const std::string source = fs::exists(image) ? " --story-image " + image
                                               : std::string(" --captions 'A family sitting at a table with a birthday cake.'");
  auto shoot = [&](const std::string& name, const std::string& extra) {
    auto r = run(kStudio + " --model " + kStoryteller + source + extra + " --screenshot " + (tmp / name) +
                 " --frames 3 --width 1400 --height 900");
    EXPECT_EQ(r.code, 0) << r.output;
    return read_json(tmp / (name + ".json"));
  };
  const auto plain = shoot("plain.png", " --strength 0");
  const auto styled = shoot("styled.png", "");
  for (const auto* m : {&plain, &styled}) {
    const auto& s = (*m)["story"];
    EXPECT_EQ(s["error"], "") << s;
    ASSERT_GE(s["passage"].size(), 2u) << s;
    EXPECT_FALSE(s["passage"][0].get<std::string>().empty());
    EXPECT_EQ(s["style"], "novels-vs-captions");
    EXPECT_TRUE(s["map_ready"].get<bool>());
  }
  if (fs::exists(image)) EXPECT_NE(plain["story"]["captions"].get<std::string>().find("cake"), std::string::npos);
  // The calibrated strength writes more like the novels than the caption itself does.
  const auto& st = styled["story"];
  EXPECT_GT(st["strength"].get<double>(), 0.0);
  EXPECT_GT(st["novel_likeness"].get<double>(), plain["story"]["novel_likeness"].get<double>() + 0.5) << st;
  EXPECT_NE(st["passage"], plain["story"]["passage"]);
  // On the map the shifted thought lies further towards A (the novels) than the captions'.
  EXPECT_GT(st["map_shifted"][0].get<double>(), st["map_caption"][0].get<double>());
  // Pixels: the map shows both sides' sentences and the two thoughts.
  const Image shot = load_image(tmp / "styled.png");
  EXPECT_GT(colour_count(shot, st["map_rect"], 255, 120, 150, 60), 50) << "no novel sentences (pink) on the map";
  EXPECT_GT(colour_count(shot, st["map_rect"], 90, 160, 255, 60), 50) << "no captions (blue) on the map";
  EXPECT_GT(colour_count(shot, st["map_rect"], 255, 200, 60, 30), 20) << "no shifted thought (yellow) on the map";
}

TEST(Studio, AStyleMadeFromTwoTypedTextsIsUsedAndSavedInTheSession) {
  test_util::TempDir tmp;
  {
    std::ofstream a(tmp / "a.txt");
    a << "She loved him with all her heart.\nHe wrote her a long letter of love.\nTheir eyes met and she blushed.\n"
         "\"My dearest,\" he whispered, \"I have loved you always.\"\n";
    std::ofstream b(tmp / "b.txt");
    b << "A bus parked on the side of a street.\nA plate of food with broccoli.\nA train on the tracks.\n"
         "A man holding a tennis racket.\n";
  }
  auto r = run(kStudio + " --model " + kStoryteller + " --captions 'A man riding a horse on a beach.' --style-a " +
               (tmp / "a.txt") + " --style-b " + (tmp / "b.txt") + " --style-name romance --save-session " +
               (tmp / "s.json") + " --screenshot " + (tmp / "t.png") + " --frames 3 --width 1400 --height 900");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto m = read_json(tmp / "t.png.json");
  const auto& s = m["story"];
  EXPECT_EQ(s["style_error"], "") << s;
  EXPECT_NE(s["style_status"].get<std::string>().find("made \"romance\" from 4 + 4 sentences"), std::string::npos) << s;
  EXPECT_EQ(s["style"], "romance");
  ASSERT_GE(s["passage"].size(), 1u);
  const auto ses = read_json(tmp / "s.json");
  ASSERT_TRUE(ses.contains("story")) << ses.dump();
  ASSERT_EQ(ses["story"]["styles"].size(), 1u);
  EXPECT_EQ(ses["story"]["styles"][0]["name"], "romance");
  EXPECT_EQ(ses["story"]["style"], "romance");
  // Reopening the session brings the typed style back, selected.
  r = run(kStudio + " --session " + (tmp / "s.json") + " --screenshot " + (tmp / "u.png") + " --frames 3");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto u = read_json(tmp / "u.png.json");
  EXPECT_EQ(u["story"]["style"], "romance") << u["story"];
  EXPECT_EQ(u["story"]["captions"], "A man riding a horse on a beach.");
}

TEST(Studio, ADroppedPictureWithoutCaptionsGetsThemFromACaptionModel) {
  test_util::TempDir tmp;
  const auto vse = run(std::string("/usr/bin/python3 -c 'import torch, PIL' && /usr/bin/python3 ") + LATENT_SOURCE_DIR +
                       "/tests/interop/make_vse_model.py " + (tmp / "vse"));
  if (vse.code != 0) GTEST_SKIP() << "python3-torch is not usable: " << vse.output;
  auto r = run(kStudio + " --model " + kStoryteller + " --caption-model " + (tmp / "vse") + " --drop " +
               (tmp / "vse/tests/scene_03.png") + " --screenshot " + (tmp / "v.png") + " --frames 3");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto m = read_json(tmp / "v.png.json");
  const auto& s = m["story"];
  EXPECT_EQ(s["error"], "") << s;
  EXPECT_NE(s["image"].get<std::string>().find("scene_03.png"), std::string::npos);
  const std::string caps = s["captions"];
  EXPECT_EQ(std::count(caps.begin(), caps.end(), '\n'), 4) << caps;  // five retrieved captions
  EXPECT_NE(caps.find("background"), std::string::npos) << caps;
  ASSERT_GE(s["passage"].size(), 1u);
}

// ------------------------------------------------------------------ hardening (#8)

namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A copy of a shipped package with one file replaced.
void package_with(const std::string& from, const std::string& to, const std::string& file, const std::string& bytes) {
  std::filesystem::create_directories(to);
  for (const auto& e : std::filesystem::directory_iterator(from))
    if (e.is_regular_file() && e.path().filename() != file && e.path().extension() != ".png")
      std::filesystem::copy_file(e.path(), to + "/" + e.path().filename().string());
  write_bytes(to + "/" + file, bytes);
}

}  // namespace

// Twenty malformed files of every kind the studio reads, dropped on the window one after
// another: each is refused with its own message, the studio stays up, keeps its model,
// and a good face dropped last still goes in and is decoded.
TEST(Studio, TwentyMalformedFilesDroppedOneAfterAnother) {
  test_util::TempDir tmp;
  const std::string d = tmp / "drops";
  std::vector<std::string> files;
  auto add = [&](const std::string& name, const std::string& bytes) {
    write_bytes(d + "/" + name, bytes);
    files.push_back(d + "/" + name);
  };
  auto add_package = [&](const std::string& name, const std::string& from, const std::string& file,
                         const std::string& bytes) {
    package_with(from, d + "/" + name, file, bytes);
    files.push_back(d + "/" + name);
  };
  const std::string pca_json = read_bytes(kModel + "/model.json");
  const std::string gen = read_bytes(kDcgan + "/generator.pt");
  // Models
  add_package("pca-bad-json", kModel, "model.json", pca_json.substr(0, pca_json.size() / 2));
  add_package("pca-deep-json", kModel, "model.json", std::string(100000, '['));
  add_package("pca-unknown-kind", kModel, "model.json", "{\"format\": \"latent-studio-model\", \"kind\": \"quantum\"}");
  add_package("pca-cut-components", kModel, "components.f32", "cut short");
  add_package("pca-wrong-types", kModel, "model.json",
              "{\"format\": \"latent-studio-model\", \"kind\": \"pca\", \"latent_dim\": \"many\"}");
  add_package("dcgan-cut-weights", kDcgan, "generator.pt", gen.substr(0, gen.size() / 2));
  add_package("dcgan-not-a-zip", kDcgan, "generator.pt", std::string(5000, 'x'));
  // Images
  add("cut.png", read_bytes(std::string(LATENT_SOURCE_DIR) + "/docs/screenshot.png").substr(0, 200));
  add("noise.jpg", "\xff\xd8\xff\xe0 this is not a JPEG at all, only its first bytes are");
  {
    std::string png("\x89PNG\r\n\x1a\n", 8);
    png += std::string("\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x02\0\0\0\0\0\0\0", 25);  // 100000 x 100000
    png += std::string("\0\0\0\0IEND\xae\x42\x60\x82", 12);
    add("huge.png", png);
  }
  add("words.png", "hello, I am a text file");
  // Datasets
  add("cut-images-idx3-ubyte", std::string("\0\0\x08\x03\0\0\x03\xe8\0\0\0\x1c\0\0\0\x1c", 16) + std::string(100, '\x07'));
  add("bad-dtype.json", "{\"count\": 2, \"height\": 4, \"width\": 4, \"channels\": 1, \"dtype\": \"float64\", \"file\": \"x.u8\"}");
  add("short-array.json", "{\"count\": 100, \"height\": 64, \"width\": 64, \"channels\": 1, \"dtype\": \"uint8\", \"file\": \"s.u8\"}");
  write_bytes(d + "/s.u8", std::string(1000, '\x01'));
  // Sessions
  add("cut-session.json", "{\"format\": \"latent-studio-session\", \"format_version\": 1, \"model\": \"" + kModel + "\", \"z\": [0.1, ");
  add("wrong-session.json", "{\"format\": \"latent-studio-session\", \"format_version\": 1, \"model\": \"" + kModel +
                                "\", \"bookmarks\": [{\"name\": 3}]}");
  // Word vectors
  add("lying.txt", "4000000000 300\nking ");
  add("cut.bin", std::string("10 50\nking ", 11) + std::string(37, '\x01'));
  add("garbage.lsv", std::string(300, '\x42'));
  add("ragged.vec", "2 3\nking 1 2 3\nqueen 1 2\n");
  ASSERT_EQ(files.size(), 20u);
  // Trust the folder, so the two LibTorch packages are checked (in a separate process)
  // rather than waiting for consent.
  write_bytes(tmp / "trusted.json", nlohmann::json{{"places", {std::filesystem::canonical(d).string()}}}.dump());

  // Last, a good face: the shipped model's decoding of a known point.
  const Latent z0 = {8.f, -5.f, 3.f};
  {
    Latent z(123, 0.f);
    std::copy(z0.begin(), z0.end(), z.begin());
    write_latent_json(z, tmp / "z.json");
  }
  ASSERT_EQ(run(kCli + " decode " + kModel + " -z " + (tmp / "z.json") + " -o " + (tmp / "face.png")).code, 0);
  std::string args;
  for (const auto& f : files) args += " " + f;
  auto r = run(kStudio + " --trusted-places " + (tmp / "trusted.json") + " --drop" + args + " " + (tmp / "face.png") +
               " --screenshot " + (tmp / "shot.png") + " --frames 3");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto meta = read_json(tmp / "shot.png.json");
  const auto messages = meta["messages"].get<std::vector<std::string>>();
  EXPECT_EQ(messages.size(), 20u) << meta["messages"].dump(1);
  // Each file has its own message, naming it.
  for (const auto& f : files) {
    const std::string name = std::filesystem::path(f).filename().string();
    EXPECT_TRUE(std::any_of(messages.begin(), messages.end(),
                            [&](const std::string& m) { return m.find(name) != std::string::npos; }))
        << name << " has no message: " << meta["messages"].dump(1);
  }
  EXPECT_EQ(meta["model"], "olivetti-pca");
  EXPECT_EQ(meta["inverted"], "face.png");
  const Latent z = meta["z"].get<Latent>();
  ASSERT_EQ(z.size(), 123u);
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], i < z0.size() ? z0[i] : 0.f, 0.25) << i;
  EXPECT_LE(viewport_diff(load_image(tmp / "shot.png"), meta, load_image(tmp / "face.png")), 2.5 / 255.0);
}

// A model that runs code, from a folder not trusted yet: the studio asks first (Enter
// trusts the folder). Then each hostile TorchScript program, run in a separate process,
// ends only that process: a segmentation fault, an endless loop (stopped at the
// timeout) and a 16 GiB allocation (refused by the memory cap). A good one then opens.
TEST(Studio, ModelsThatRunCodeAskFirstAndHostileOnesOnlyEndTheirCheck) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  auto made = run("/usr/bin/python3 " + std::string(LATENT_SOURCE_DIR) + "/tests/interop/make_hostile_models.py " +
                  (tmp / "h"));
  if (made.code != 0) GTEST_SKIP() << "python3-torch is not usable: " << made.output;
  const std::string trusted = tmp / "trusted.json";

  // First, without an answer: the prompt is up and nothing was opened or trusted.
  auto asked = run(kStudio + " --trusted-places " + trusted + " --drop " + (tmp / "h/crash") + " --screenshot " +
                   (tmp / "q.png") + " --frames 3");
  ASSERT_EQ(asked.code, 0) << asked.output;
  const auto q = read_json(tmp / "q.png.json");
  EXPECT_EQ(q["consent_pending"], tmp / "h/crash");
  EXPECT_EQ(q["model"], "olivetti-pca");
  EXPECT_FALSE(std::filesystem::exists(trusted));

  auto a = run_with_input(tmp,
                          "--trusted-places " + trusted + " --drop " + (tmp / "h/crash") + " --screenshot " +
                              (tmp / "a.png") + " --screenshot-after 12",
                          4, "xdotool key Return\n");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  EXPECT_EQ(am["consent_pending"], "");
  EXPECT_EQ(am["model"], "olivetti-pca") << "the crash ended only the check";
  const std::string crash = am["model_error"];
  EXPECT_NE(crash.find("crashed the separate process"), std::string::npos) << crash;
  EXPECT_NE(crash.find("Segmentation fault"), std::string::npos) << crash;
  const auto places = read_json(trusted)["places"];
  ASSERT_EQ(places.size(), 1u);
  EXPECT_EQ(places[0], std::filesystem::canonical(tmp / "h").string());

  // Trusted now: no prompt. The endless loop and the allocation each end their check;
  // the good model opens, checked first.
  auto b = run(kStudio + " --trusted-places " + trusted + " --check-timeout 4 --check-memory-mb 3000 --drop " +
               (tmp / "h/hang") + " " + (tmp / "h/memory") + " " + (tmp / "h/good") + " --screenshot " +
               (tmp / "b.png") + " --frames 3");
  ASSERT_EQ(b.code, 0) << b.output;
  const auto bm = read_json(tmp / "b.png.json");
  const auto messages = bm["messages"].get<std::vector<std::string>>();
  ASSERT_EQ(messages.size(), 2u) << bm["messages"].dump(1);
  EXPECT_NE(messages[0].find("did not finish loading and running within 4 s"), std::string::npos) << messages[0];
  EXPECT_NE(messages[1].find("more than its 3000 MB memory limit"), std::string::npos) << messages[1];
  EXPECT_EQ(bm["model"], "hostile-good");
  EXPECT_NE(bm["model_check"].get<std::string>().find("checked in a separate process"), std::string::npos);
  EXPECT_EQ(bm["consent_pending"], "");
}

// A studio that did not close left an autosave: the next start offers it beside the
// session, and a real click on Restore puts it in place (the old session kept as .1).
TEST(Studio, AnOrphanedAutosaveIsOfferedAndRestoredByAClick) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  const std::string ses = tmp / "s.json";
  Session a, b;
  a.model = b.model = kModel;
  a.z.assign(123, 0.f);
  b.z.assign(123, 0.f);
  a.z[0] = 5.f;
  b.z[0] = -7.f, b.z[1] = 3.f;
  save_session(a, ses);
  // The autosave of a process that has ended (a shell's own id, after it exits).
  auto dead = run("sh -c 'echo $$'");
  const long pid = std::stol(dead.output);
  autosave_session(b, ses);
  std::filesystem::rename(autosave_path(ses, static_cast<long>(::getpid())), autosave_path(ses, pid));

  auto offered = run(kStudio + " --session " + ses + " --screenshot " + (tmp / "a.png") + " --frames 3");
  ASSERT_EQ(offered.code, 0) << offered.output;
  const auto am = read_json(tmp / "a.png.json");
  ASSERT_EQ(am["autosave_offers"], 1);
  EXPECT_NEAR(am["z"][0].get<double>(), 5.0, 1e-5) << "the session itself is open until the person chooses";
  const auto& r = am["restore_button"];
  const int x = static_cast<int>(r["x"].get<double>() + r["w"].get<double>() / 2);
  const int y = static_cast<int>(r["y"].get<double>() + r["h"].get<double>() / 2);
  ASSERT_GT(r["w"].get<double>(), 0);

  auto clicked = run_with_input(tmp, "--session " + ses + " --screenshot " + (tmp / "b.png") + " --screenshot-after 9", 4,
                           "xdotool mousemove " + std::to_string(x) + " " + std::to_string(y) + " click 1\n");
  ASSERT_EQ(clicked.code, 0) << clicked.output;
  const auto bm = read_json(tmp / "b.png.json");
  EXPECT_EQ(bm["autosave_offers"], 0);
  EXPECT_NEAR(bm["z"][0].get<double>(), -7.0, 1e-5);
  EXPECT_NEAR(bm["z"][1].get<double>(), 3.0, 1e-5);
  EXPECT_NEAR(load_session(ses).z[0], -7.f, 1e-5) << "the autosave is the session now";
  EXPECT_NEAR(load_session(ses + ".1").z[0], 5.f, 1e-5) << "the old session is kept";
  EXPECT_FALSE(std::filesystem::exists(autosave_path(ses, pid)));
}

// The studio autosaves beside the open session (on its saver's thread); killed, it leaves the
// autosave (the next start offers it); the session itself is never written by an autosave.
TEST(Studio, AKilledStudioLeavesItsAutosaveAndTheNextStartOffersIt) {
  test_util::TempDir tmp;
  const std::string ses = tmp / "s.json";
  Session a;
  a.model = kModel;
  a.z.assign(123, 0.f);
  a.z[0] = 5.f;
  for (int i = 0; i < 500; ++i) a.bookmarks.push_back({"b" + std::to_string(i), a.z});  // a session with some weight
  save_session(a, ses);
  const std::string before = read_bytes(ses);
  const std::string script = tmp / "kill.sh";
  {
    std::ofstream sh(script);
    sh << "#!/bin/sh\n"
       << "XDG_CONFIG_HOME=" << (tmp / "cfg") << " " << kStudio << " --session " << ses << " --autosave-seconds 0.5 > " << (tmp / "out.txt")
       << " 2>&1 &\nPID=$!\n"
       << "for i in $(seq 1 240); do ls " << tmp.path.string() << " | grep -q autosave && break; sleep 0.25; done\n"
       << "sleep 1\nkill -9 $PID\nwait $PID 2>/dev/null\necho \"AUTOSAVE-OF $PID\"\n";
  }
  const auto r = run("sh " + script);
  const size_t at = r.output.find("AUTOSAVE-OF ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const long pid = std::stol(r.output.substr(at + 12));
  const std::string autosave = autosave_path(ses, pid);
  ASSERT_TRUE(std::filesystem::exists(autosave)) << "no autosave appeared: " << read_bytes(tmp / "out.txt");
  const Session saved = load_session(autosave);
  EXPECT_NEAR(saved.z.at(0), 5.f, 1e-6);
  EXPECT_EQ(saved.bookmarks.size(), 500u);
  EXPECT_EQ(read_bytes(ses), before) << "an autosave never writes the session itself";

  // Its own settings folder: the recent sessions of other runs (and their autosaves) stay out.
  auto next = run("XDG_CONFIG_HOME=" + (tmp / "cfg") + " " + kStudio + " --session " + ses + " --screenshot " +
                  (tmp / "n.png") + " --frames 3");
  ASSERT_EQ(next.code, 0) << next.output;
  EXPECT_EQ(read_json(tmp / "n.png.json")["autosave_offers"], 1) << "the killed studio's autosave is offered";
}

// The Journey menu: every shipped scene, chosen with real clicks (the menu, then its
// item), opens its model, data, sliders and walk, and shows its caption; the screenshot
// shows the caption's text and the scene's picture, words or passage.
TEST(Studio, EveryJourneySceneOpensFromTheMenu) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  // The scenes open datasets and pictures of ../shared/data (beside the checkout).
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  auto a = run(kStudio + " --model " + kModel + " --screenshot " + (tmp / "a.png") + " --frames 3");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  const nlohmann::json journey = am["journey"];
  ASSERT_EQ(journey["scenes"].size(), 6u) << journey["note"];
  EXPECT_TRUE(journey["caption"].get<std::string>().empty());
  auto click = [](const nlohmann::json& r) {
    return "xdotool mousemove " + std::to_string(static_cast<int>(r["x"].get<double>() + r["w"].get<double>() / 2)) + " " +
           std::to_string(static_cast<int>(r["y"].get<double>() + r["h"].get<double>() / 2)) + " click 1\n";
  };
  ASSERT_GT(journey["menu"]["w"].get<double>(), 10);

  // Opened with a click, the menu lists the scenes: each item has a place, and its text
  // is drawn there (light pixels on the popup's dark ground).
  auto m = run_with_input(tmp, "--model " + kModel + " --screenshot " + (tmp / "m.png") + " --screenshot-after 4", 2,
                          click(journey["menu"]));
  ASSERT_EQ(m.code, 0) << m.output;
  const auto mm = read_json(tmp / "m.png.json");
  const Image menu_shot = load_image(tmp / "m.png");
  std::vector<nlohmann::json> items;
  for (const auto& s : mm["journey"]["scenes"]) {
    const auto& r = s["rect"];
    ASSERT_GT(r["w"].get<double>(), 20) << "the menu did not open: " << s["title"];
    items.push_back(r);
    long light = 0, total = 0;
    for (int y = r["y"].get<int>(); y < r["y"].get<int>() + r["h"].get<int>(); ++y)
      for (int x = r["x"].get<int>(); x < r["x"].get<int>() + r["w"].get<int>(); ++x, ++total)
        light += menu_shot.at(x, y, 0) > 0.7f && menu_shot.at(x, y, 1) > 0.7f ? 1 : 0;
    EXPECT_GT(light, total / 100) << "no text drawn for " << s["title"];
  }

  for (size_t i = 0; i < items.size(); ++i) {
    const std::string path = journey["scenes"][i]["path"];
    const Session scene = load_session(path);
    SCOPED_TRACE(path);
    const std::string shot = tmp / ("scene" + std::to_string(i) + ".png");
    auto r = run_with_input(tmp, "--model " + kModel + " --screenshot " + shot + " --screenshot-after 16", 2,
                            click(journey["menu"]) + "sleep 0.7\n" + click(items[i]));
    ASSERT_EQ(r.code, 0) << r.output;
    const auto sm = read_json(shot + ".json");
    EXPECT_EQ(sm["model"], std::filesystem::path(scene.model).filename().string()) << sm["model_error"];
    EXPECT_EQ(sm["journey"]["caption"], scene.caption);
    EXPECT_GE(sm["journey"]["open_seconds"].get<double>(), 0.0) << "the scene had not finished opening";
    EXPECT_TRUE(sm["model_error"].get<std::string>().empty()) << sm["model_error"];
    const Image img = load_image(shot);
    // The caption is drawn in its amber.
    const auto& cr = sm["journey"]["caption_rect"];
    long amber = 0, total = 0;
    for (int y = cr["y"].get<int>(); y < cr["y"].get<int>() + cr["h"].get<int>(); ++y)
      for (int x = cr["x"].get<int>(); x < cr["x"].get<int>() + cr["w"].get<int>(); ++x, ++total)
        amber += img.at(x, y, 0) > 0.75f && img.at(x, y, 1) > 0.55f && img.at(x, y, 2) < 0.6f ? 1 : 0;
    EXPECT_GT(amber, total / 50) << "the caption is not on screen";
    const std::string model = sm["model"];
    if (model == "books-word2vec") {
      EXPECT_EQ(sm["word_query"], scene.word_query);
      ASSERT_FALSE(sm["word_answers"].empty());
      EXPECT_EQ(sm["word_answers"][0]["word"], "queen");
    } else if (model == "storyteller") {
      EXPECT_EQ(sm["story"]["image"], scene.story["image"]);
      EXPECT_EQ(sm["story"]["style"], scene.story["style"]);
      EXPECT_GE(sm["story"]["passage"].size(), 3u) << sm["story"]["error"];
    } else {
      // A picture in the viewport: not one flat colour.
      const auto& vp = sm["viewport"];
      double sum = 0, sq = 0;
      long n = 0;
      for (int y = vp["y"].get<int>(); y < vp["y"].get<int>() + vp["h"].get<int>(); y += 2)
        for (int x = vp["x"].get<int>(); x < vp["x"].get<int>() + vp["w"].get<int>(); x += 2, ++n) {
          const double v = img.at(x, y, 0);
          sum += v, sq += v * v;
        }
      ASSERT_GT(n, 100);
      EXPECT_GT(std::sqrt(std::max(0.0, sq / n - (sum / n) * (sum / n))), 0.05) << "the viewport shows no picture";
    }
    for (const auto& sl : scene.sliders) {
      if (!sl.direction.empty()) {
        bool found = false;
        for (const auto& d : sm["directions"])
          if (d["name"] == sl.direction) {
            found = true;
            EXPECT_NEAR(d["sigma"].get<double>(), sl.strength, 1e-6);
          }
        EXPECT_TRUE(found) << sl.direction;
      } else if (test_util::has_data_dir()) {
        ASSERT_EQ(sm["group_sliders"].size(), 1u) << sm["labels_error"];
        EXPECT_EQ(sm["group_sliders"][0]["a"], sl.a);
        EXPECT_EQ(sm["group_sliders"][0]["b"], sl.b);
      }
    }
    if (!scene.dataset.empty() && test_util::has_data_dir()) {
      EXPECT_GT(sm["dataset_count"].get<long>(), 0);
      EXPECT_EQ(sm["map_method"], scene.map_method);
    }
    if (scene.walk_playing) {
      EXPECT_TRUE(sm["walk_playing"].get<bool>());
    }
    EXPECT_EQ(sm["z"].size(), scene.z.empty() ? sm["z"].size() : scene.z.size());
  }
}

// The map shows what it holds: computed on open, pictures in place of points where there
// is room, larger when the wheel zooms in; hovering a point decodes its latent beside
// its picture; the lasso's selection saved as a list and as a folder of pictures, with
// real clicks.
TEST(Studio, ZoomedMapShowsPicturesHoverDecodesAndSelectionSaves) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  const std::string data = std::string(LATENT_DATA_DIR) + "/faces/olivetti";
  const std::string args = "--model " + kModel + " --dataset " + data + " --width 1600 --height 1000";
  // Share of a rectangle's pixels that are the faces' greys (not the dark canvas, not a
  // coloured point).
  auto grey_share = [](const Image& img, const nlohmann::json& r) {
    long grey = 0, total = 0;
    for (int y = r["y"].get<int>(); y < r["y"].get<int>() + r["h"].get<int>(); ++y)
      for (int x = r["x"].get<int>(); x < r["x"].get<int>() + r["w"].get<int>(); ++x, ++total) {
        const float a = img.at(x, y, 0), b = img.at(x, y, 1), c = img.at(x, y, 2);
        grey += std::abs(a - b) < 0.02f && std::abs(b - c) < 0.02f && a > 0.3f ? 1 : 0;
      }
    return total ? double(grey) / total : 0.0;
  };

  // Opened without asking: a PCA map, its pictures built and drawn.
  auto a = run(kStudio + " " + args + " --screenshot " + (tmp / "a.png") + " --frames 3");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  EXPECT_EQ(am["map_method"], "pca");
  EXPECT_EQ(am["map_points"], 400);
  const auto& ap = am["map_pictures"];
  EXPECT_EQ(ap["atlas_pages"], 1);
  EXPECT_EQ(ap["drawn"], 400);
  const nlohmann::json canvas = ap["canvas"];
  const double grey_fit = grey_share(load_image(tmp / "a.png"), canvas);
  EXPECT_GT(grey_fit, 0.03) << "no pictures on the map";

  // The wheel zooms in about the canvas centre: fewer, larger pictures fill more of it.
  const int cx = static_cast<int>(canvas["x"].get<double>() + canvas["w"].get<double>() / 2);
  const int cy = static_cast<int>(canvas["y"].get<double>() + canvas["h"].get<double>() / 2);
  const std::string zoom = "xdotool mousemove " + std::to_string(cx) + " " + std::to_string(cy) + "\n"
                           "for i in 1 2 3 4 5 6 7; do xdotool click 4; sleep 0.1; done\nsleep 0.5\n";
  auto b = run_with_input(tmp, args + " --screenshot " + (tmp / "b.png") + " --screenshot-after 6", 2,
                          zoom + "xdotool mousemove 5 500\n");
  ASSERT_EQ(b.code, 0) << b.output;
  const auto bm = read_json(tmp / "b.png.json");
  const auto& bp = bm["map_pictures"];
  EXPECT_GT(bp["zoom"].get<double>(), 3.0);
  EXPECT_LT(bp["drawn"].get<long>(), 400);
  EXPECT_GT(bp["drawn"].get<long>(), 5);
  EXPECT_GT(bp["px"].get<double>(), 1.5 * ap["px"].get<double>());
  EXPECT_GT(grey_share(load_image(tmp / "b.png"), canvas), 1.5 * grey_fit);

  // Hovering the point nearest the centre shows its decoding.
  const auto& near = bp["centre_point"];
  ASSERT_GE(near["index"].get<long>(), 0);
  auto c = run_with_input(tmp, args + " --screenshot " + (tmp / "c.png") + " --screenshot-after 7", 2,
                          zoom + "xdotool mousemove " + std::to_string(near["x"].get<int>()) + " " +
                              std::to_string(near["y"].get<int>()) + "\nsleep 0.2\nxdotool mousemove_relative 1 0\n");
  ASSERT_EQ(c.code, 0) << c.output;
  const auto cm = read_json(tmp / "c.png.json");
  EXPECT_GE(cm["map_pictures"]["hover"].get<long>(), 0);
  EXPECT_EQ(cm["map_pictures"]["hover_decoded"], cm["map_pictures"]["hover"]);

  // A lasso over the zoomed map, then "save list" and "save pictures" (found in a first run).
  const std::string lasso = "xdotool mousemove " + std::to_string(cx - 60) + " " + std::to_string(cy - 60) +
                            " keydown shift mousedown 1\nfor p in '" + std::to_string(cx + 60) + " " +
                            std::to_string(cy - 60) + "' '" + std::to_string(cx + 60) + " " + std::to_string(cy + 60) +
                            "' '" + std::to_string(cx - 60) + " " + std::to_string(cy + 60) + "' '" +
                            std::to_string(cx - 55) + " " + std::to_string(cy - 55) +
                            "'; do xdotool mousemove $p; sleep 0.2; done\nxdotool mouseup 1 keyup shift\nsleep 0.3\n";
  auto d = run_with_input(tmp, args + " --screenshot " + (tmp / "d.png") + " --screenshot-after 7", 2, zoom + lasso);
  ASSERT_EQ(d.code, 0) << d.output;
  const auto dm = read_json(tmp / "d.png.json");
  const long selected = dm["map_pictures"]["selection"].get<long>();
  ASSERT_GT(selected, 0);
  auto press = [](const nlohmann::json& r) {
    return "xdotool mousemove " + std::to_string(static_cast<int>(r["x"].get<double>() + r["w"].get<double>() / 2)) + " " +
           std::to_string(static_cast<int>(r["y"].get<double>() + r["h"].get<double>() / 2)) + " click 1\nsleep 1\n";
  };
  const std::string script = tmp / "save.sh";
  {
    std::ofstream sh(script);
    sh << "#!/bin/sh\ncd " << tmp.path.string() << "\n"
       << kStudio << " " << args << " --screenshot e.png --screenshot-after 10 &\nPID=$!\n"
       << "xdotool search --sync --name 'Latent Studio' > /dev/null\nsleep 2\n"
       << zoom << lasso << press(dm["map_pictures"]["save_list_button"])
       << press(dm["map_pictures"]["save_pictures_button"]) << "wait $PID\n";
  }
  auto e = run("sh " + script);
  ASSERT_EQ(e.code, 0) << e.output;
  ASSERT_TRUE(std::filesystem::is_directory(tmp / "selection")) << read_json(tmp / "e.png.json")["map_pictures"];
  const auto em = read_json(tmp / "e.png.json");
  const long saved = em["map_pictures"]["selection"].get<long>();  // the lasso's path is timed by xdotool
  EXPECT_GT(saved, 0);
  std::ifstream list(tmp / "selection.csv");
  ASSERT_TRUE(list.good()) << em["map_pictures"]["selection_status"];
  std::string header, line;
  std::getline(list, header);
  EXPECT_EQ(header, "index,name,index,subject,shot,glasses,female");
  long rows = 0;
  while (std::getline(list, line)) ++rows;
  EXPECT_EQ(rows, saved);
  long pngs = 0;
  for (const auto& f : std::filesystem::directory_iterator(tmp / "selection")) {
    pngs += f.path().extension() == ".png";
    if (pngs == 1) {
      const Image face = load_image(f.path().string());
      EXPECT_EQ(face.width, 64);
    }
  }
  EXPECT_EQ(pngs, saved);
}

// The desktop's file dialog (GTK's, under Xvfb with no portal): a real click on the
// session's "..." button, the path typed into the dialog and confirmed with Enter, and
// the session opens; a dialog cancelled with Escape changes nothing.
TEST(Studio, ANativeFileDialogChoosesTheSessionToOpen) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  test_util::TempDir tmp;
  Session ses;
  ses.model = kModel;
  ses.z.assign(123, 0.f);
  ses.z[0] = 3.f, ses.z[1] = -2.f;
  ses.bookmarks = {{"chosen in the dialog", ses.z}};
  save_session(ses, tmp / "picked.json");

  auto a = run(kStudio + " --model " + kModel + " --screenshot " + (tmp / "a.png") + " --frames 3");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  if (!am["file_dialogs"]["available"].get<bool>()) GTEST_SKIP() << "this build has no file dialogs (no GTK 3)";
  const auto& b = am["file_dialogs"]["buttons"]["session_open"];
  ASSERT_GT(b["w"].get<double>(), 4) << am["file_dialogs"];
  const std::string click = "xdotool mousemove " + std::to_string(static_cast<int>(b["x"].get<double>() + b["w"].get<double>() / 2)) +
                            " " + std::to_string(static_cast<int>(b["y"].get<double>() + b["h"].get<double>() / 2)) +
                            " click 1\n";
  auto dialog = [&](const std::string& shot, const std::string& keys) {
    return run_with_input(tmp, "--model " + kModel + " --screenshot " + shot + " --screenshot-after 12", 2,
                          click + "W=$(xdotool search --sync --name 'Open a session' | head -1)\nsleep 1\n"
                                  "xdotool windowfocus --sync $W 2>/dev/null || true\n" + keys);
  };
  auto chosen = dialog(tmp / "b.png", "xdotool type --delay 15 '" + (tmp / "picked.json") + "'\nsleep 0.5\nxdotool key Return\n");
  ASSERT_EQ(chosen.code, 0) << chosen.output;
  const auto bm = read_json(tmp / "b.png.json");
  EXPECT_EQ(bm["session_path"], tmp / "picked.json") << bm["session_status"] << bm["file_dialogs"];
  const Latent z = bm["z"].get<Latent>();
  ASSERT_EQ(z.size(), 123u);
  EXPECT_FLOAT_EQ(z[0], 3.f);
  EXPECT_FLOAT_EQ(z[1], -2.f);

  auto cancelled = dialog(tmp / "c.png", "xdotool key Escape\n");
  ASSERT_EQ(cancelled.code, 0) << cancelled.output;
  const auto cm = read_json(tmp / "c.png.json");
  EXPECT_EQ(cm["session_path"], "");
  EXPECT_EQ(cm["z"], am["z"]);
  EXPECT_EQ(cm["file_dialogs"]["status"], "");
}

// The dockable layout: the Layout menu's Map preset chosen with real clicks, kept when
// the studio closes and restored at the next start; a session carries its own layout; an
// unreadable layout file falls back to the default with a message.
TEST(Studio, ALayoutChosenIsSavedAndRestoredAfterARestart) {
  if (run("command -v xdotool").code != 0) GTEST_SKIP() << "xdotool is not installed";
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  test_util::TempDir tmp;
  const std::string args = "--model " + kModel + " --layout-file " + (tmp / "layout.json");
  auto width_of = [](const nlohmann::json& m) { return m["map_pictures"]["canvas"]["w"].get<double>(); };
  auto a = run(kStudio + " " + args + " --screenshot " + (tmp / "a.png") + " --frames 3");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto am = read_json(tmp / "a.png.json");
  EXPECT_EQ(am["layout"]["preset"], "Explore");
  EXPECT_EQ(am["layout"]["status"], "");
  const double explore_w = width_of(am);
  ASSERT_GT(explore_w, 100);
  auto click = [](const nlohmann::json& r) {
    return "xdotool mousemove " + std::to_string(static_cast<int>(r["x"].get<double>() + r["w"].get<double>() / 2)) + " " +
           std::to_string(static_cast<int>(r["y"].get<double>() + r["h"].get<double>() / 2)) + " click 1\n";
  };
  // The menu's items, opened once.
  auto m = run_with_input(tmp, args + " --screenshot " + (tmp / "m.png") + " --screenshot-after 4", 2,
                          click(am["layout"]["menu"]));
  ASSERT_EQ(m.code, 0) << m.output;
  const auto items = read_json(tmp / "m.png.json")["layout"]["items"];
  ASSERT_EQ(items.size(), 5u);
  // Map (the second preset): the map takes most of the window.
  auto b = run_with_input(tmp, args + " --screenshot " + (tmp / "b.png") + " --screenshot-after 5", 2,
                          click(am["layout"]["menu"]) + "sleep 0.5\n" + click(items[1]));
  ASSERT_EQ(b.code, 0) << b.output;
  const auto bm = read_json(tmp / "b.png.json");
  EXPECT_EQ(bm["layout"]["preset"], "Map");
  const double map_w = width_of(bm);
  EXPECT_GT(map_w, 1.5 * explore_w);
  ASSERT_TRUE(std::filesystem::exists(tmp / "layout.json"));
  // Restarted: the map is as large as it was left.
  auto c = run(kStudio + " " + args + " --screenshot " + (tmp / "c.png") + " --frames 3");
  ASSERT_EQ(c.code, 0) << c.output;
  const auto cm = read_json(tmp / "c.png.json");
  EXPECT_NEAR(width_of(cm), map_w, 2.0);
  EXPECT_EQ(cm["layout"]["status"], "");
  // The pixels agree: where Explore drew the dataset's thumbnails, Map draws the map.
  const Image cshot = load_image(tmp / "c.png"), ashot = load_image(tmp / "a.png");
  EXPECT_NE(cshot.pixels, ashot.pixels);

  // A session saved in the Map layout brings it to a studio whose own layout is Explore.
  Session ses = load_session(std::string(LATENT_SOURCE_DIR) + "/assets/scenes/01-eigenfaces.json");
  ses.layout = "map";
  save_session(ses, tmp / "s.json");
  auto d = run(kStudio + " --layout-file " + (tmp / "other.json") + " --session " + (tmp / "s.json") + " --screenshot " +
               (tmp / "d.png") + " --frames 3");
  ASSERT_EQ(d.code, 0) << d.output;
  const auto dm = read_json(tmp / "d.png.json");
  EXPECT_EQ(dm["layout"]["preset"], "Map");
  EXPECT_NEAR(width_of(dm), map_w, 40.0);

  // Unreadable: the default layout and a message that names the file.
  std::ofstream(tmp / "bad.json") << "{ not json";
  auto e = run(kStudio + " --model " + kModel + " --layout-file " + (tmp / "bad.json") + " --screenshot " + (tmp / "e.png") +
               " --frames 3");
  ASSERT_EQ(e.code, 0) << e.output;
  const auto em = read_json(tmp / "e.png.json");
  EXPECT_EQ(em["layout"]["preset"], "Explore");
  EXPECT_NE(em["layout"]["status"].get<std::string>().find("bad.json"), std::string::npos) << em["layout"]["status"];
  EXPECT_NEAR(width_of(em), explore_w, 2.0);
}
