// `latent walk` and `latent grid` end to end, through the real binary.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include "latent/algebra.h"
#include "latent/image_io.h"
#include "latent/registry.h"
#include "latent/session.h"
#include "latent/video_export.h"
#include "latent/walk.h"
#include "test_util.h"

using namespace latent;
using test_util::run;
namespace fs = std::filesystem;

namespace {

const std::string kCli = LATENT_CLI;

class WalkCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test_util::write_blob_folder(tmp / "data", 12, 16, 12, 5);
    auto fit = run(cli("fit-pca " + (tmp / "data") + " -k 5 --out " + (tmp / "m")));
    ASSERT_EQ(fit.code, 0) << fit.output;
    space = open_space(tmp / "m");
  }
  std::string cli(const std::string& args) { return kCli + " " + args; }
  Latent enc(int i) {
    char name[32];
    std::snprintf(name, sizeof name, "data/img_%03d.png", i);
    return space->encode(load_image(tmp / name));
  }
  int count_files(const std::string& dir) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
    return n;
  }
  // Largest difference (0..1) between a PNG and what the model decodes from z, enlarged.
  double png_vs_decode(const std::string& png, const Latent& z, int factor) {
    const Image got = load_image(png), want = upscale_nearest(space->decode(z), factor);
    EXPECT_EQ(got.width, want.width);
    EXPECT_EQ(got.height, want.height);
    double worst = 0;
    for (size_t i = 0; i < want.pixels.size() && i < got.pixels.size(); ++i)
      worst = std::max(worst, double(std::fabs(got.pixels[i] - std::clamp(want.pixels[i], 0.f, 1.f))));
    return worst;
  }
  test_util::TempDir tmp;
  std::unique_ptr<Space> space;
};

struct GifInfo {
  int frames = 0, width = 0, height = 0;
  std::vector<uint8_t> rgba;
};

GifInfo read_gif(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GifInfo g;
  int* delays = nullptr;
  int comp = 0;
  stbi_uc* px = stbi_load_gif_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()),
                                          &delays, &g.width, &g.height, &g.frames, &comp, 4);
  if (!px) {
    ADD_FAILURE() << path << ": " << stbi_failure_reason();
    return g;
  }
  g.rgba.assign(px, px + static_cast<size_t>(g.width) * g.height * g.frames * 4);
  stbi_image_free(px);
  stbi_image_free(delays);
  return g;
}

}  // namespace

TEST_F(WalkCli, KeyframesToAGifLandOnTheirFrames) {
  // A file name with a comma: keys split on top-level commas only.
  fs::copy_file(tmp / "data/img_001.png", tmp / "a,b.png");
  auto r = run(cli("walk " + (tmp / "m") + " --keys 'enc(\"" + (tmp / "data/img_000.png") + "\"), enc(\"" + (tmp / "a,b.png") +
                   "\"),lerp(item(2), item(3), 0.5)' --data " + (tmp / "data") +
                   " --seconds 1 --fps 10 --size 32 --interp linear --out " + (tmp / "w.gif")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("walk: 100% writing"), std::string::npos) << r.output;  // progress on stderr
  EXPECT_FALSE(fs::exists(tmp / "w.gif.partial"));
  const GifInfo g = read_gif(tmp / "w.gif");
  ASSERT_EQ(g.frames, 10);  // 1 s at 10 fps; the end keyframe is the instant the GIF ends
  EXPECT_EQ(g.width, 32);
  EXPECT_EQ(g.height, 24);  // 16x12 scaled so the longer side is 32
  // Frame 5 is keyframe 2 exactly (two segments of 0.5 s): a gray frame keeps its levels.
  const Image key2 = upscale_nearest(space->decode(enc(1)), 2);
  double worst = 0;
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 32; ++x) {
      const double got = g.rgba[((5 * 24 + y) * 32 + x) * 4] / 255.0;
      worst = std::max(worst, std::fabs(got - std::clamp(key2.at(x, y, 0), 0.f, 1.f)));
    }
  EXPECT_LT(worst, 0.6 / 255 + 1e-9);
}

TEST_F(WalkCli, PngFramesMatchTheLibrarysWalk) {
  auto r = run(cli("walk " + (tmp / "m") + " --keys 'item(0),item(4),item(8)' --data " + (tmp / "data") +
                   " --loop --interp spline --seconds 1.5 --fps 10 --size 0 --out " + (tmp / "frames/")));
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(count_files(tmp / "frames"), 15);  // a loop: 1.5 s x 10, frame 0 not repeated
  const Walk w = Walk::through({enc(0), enc(4), enc(8)}, 0.5, Interpolation::Spline, true);
  const auto zs = w.frames(10);
  for (int i : {0, 3, 5, 7, 10, 14}) {
    char name[32];
    std::snprintf(name, sizeof name, "frames/frame_%05d.png", i);
    EXPECT_LT(png_vs_decode(tmp / name, zs[i], 1), 0.6 / 255 + 1e-4) << name;
  }
}

TEST_F(WalkCli, RandomWalkIsReproducibleAndLoops) {
  const std::string base = "walk " + (tmp / "m") + " --random-walk --radius 0.7 --speed 0.5 --seconds 2 --fps 8 --size 0 ";
  ASSERT_EQ(run(cli(base + "--seed 3 --out " + (tmp / "a"))).code, 0);
  ASSERT_EQ(run(cli(base + "--seed 3 --out " + (tmp / "b"))).code, 0);
  ASSERT_EQ(run(cli(base + "--seed 4 --out " + (tmp / "c"))).code, 0);
  ASSERT_EQ(count_files(tmp / "a"), 16);
  auto bytes = [&](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(bytes(tmp / "a/frame_00007.png"), bytes(tmp / "b/frame_00007.png"));
  EXPECT_NE(bytes(tmp / "a/frame_00007.png"), bytes(tmp / "c/frame_00007.png"));
  // The frames are the library's loop around the origin, in the model's standard deviations.
  Walk w;
  w.random_loop = RandomLoop{Latent(5, 0.f), space->scale(), 0.7f, 0.5f, 2.0, 3};
  const auto zs = w.frames(8);
  EXPECT_LT(png_vs_decode(tmp / "a/frame_00000.png", zs[0], 1), 0.6 / 255 + 1e-4);
  EXPECT_LT(png_vs_decode(tmp / "a/frame_00011.png", zs[11], 1), 0.6 / 255 + 1e-4);
}

TEST_F(WalkCli, SavedSessionWalkPlaysBack) {
  const std::string session = tmp / "s.json";
  auto save = run(cli("walk " + (tmp / "m") + " --keys 'item(0),item(5)' --data " + (tmp / "data") + " --session " + session +
                      " --save-walk tour --interp linear --seconds 1"));
  ASSERT_EQ(save.code, 0) << save.output;
  const Session s = load_session(session);
  ASSERT_EQ(s.walks.size(), 1u);
  EXPECT_EQ(s.walks[0].name, "tour");
  EXPECT_EQ(s.walks[0].keys[1].name, "item(5)");
  EXPECT_EQ(s.walks[0].keys[0].interp, Interpolation::Linear);

  // Played from the session (its dataset is remembered), slower and as a spline.
  auto play = run(cli("walk " + (tmp / "m") + " --session " + session + " --walk tour --seconds 2 --fps 5 --size 0 --out " +
                      (tmp / "tour")));
  ASSERT_EQ(play.code, 0) << play.output;
  EXPECT_EQ(count_files(tmp / "tour"), 10);
  const Walk w = Walk::through({enc(0), enc(5)}, 2.0, Interpolation::Linear);
  EXPECT_LT(png_vs_decode(tmp / "tour/frame_00003.png", w.frames(5)[3], 1), 0.6 / 255 + 1e-4);

  auto missing = run(cli("walk " + (tmp / "m") + " --session " + session + " --walk nope --out " + (tmp / "x.gif")));
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.output.find("has no walk named 'nope' (its walks: tour)"), std::string::npos) << missing.output;
}

TEST_F(WalkCli, Mp4HasTheFramesAndSize) {
  if (!program_available("ffmpeg") || !program_available("ffprobe")) GTEST_SKIP() << "ffmpeg not installed";
  auto r = run(cli("walk " + (tmp / "m") + " --keys 'item(0),item(1),item(2)' --data " + (tmp / "data") +
                   " --seconds 2 --fps 12 --size 64 --out " + (tmp / "w.mp4")));
  ASSERT_EQ(r.code, 0) << r.output;
  auto probe = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=width,height,nb_read_frames "
                   "-of default=nw=1 " + (tmp / "w.mp4"));
  ASSERT_EQ(probe.code, 0) << probe.output;
  EXPECT_NE(probe.output.find("width=64"), std::string::npos) << probe.output;
  EXPECT_NE(probe.output.find("height=48"), std::string::npos) << probe.output;
  EXPECT_NE(probe.output.find("nb_read_frames=24"), std::string::npos) << probe.output;
}

TEST_F(WalkCli, GridRowsAndCorners) {
  auto r = run(cli("grid " + (tmp / "m") + " --rows 'item(0):item(5), item(1):lerp(item(2), item(3), 0.5)' --data " +
                   (tmp / "data") + " --steps 4 --interp linear --scale 2 --out " + (tmp / "g.png")));
  ASSERT_EQ(r.code, 0) << r.output;
  const Image g = load_image(tmp / "g.png");
  ASSERT_EQ(g.width, 4 * 32 + 5 * 2);
  ASSERT_EQ(g.height, 2 * 24 + 3 * 2);
  // Cell (row 0, column 1) is a third of the way from item 0 to item 5.
  const Image want = upscale_nearest(space->decode(lerp(enc(0), enc(5), 1.f / 3)), 2);
  double worst = 0;
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 32; ++x)
      worst = std::max(worst, double(std::fabs(g.at(2 + 32 + 2 + x, 2 + y, 0) - std::clamp(want.at(x, y, 0), 0.f, 1.f))));
  EXPECT_LT(worst, 0.6 / 255 + 1e-4);

  auto c = run(cli("grid " + (tmp / "m") + " --corners 'item(0),item(1),item(2),item(3)' --data " + (tmp / "data") +
                   " --steps 3 --out " + (tmp / "c.png")));
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_EQ(load_image(tmp / "c.png").width, 3 * 16 + 4 * 2);
  EXPECT_EQ(load_image(tmp / "c.png").height, 3 * 12 + 4 * 2);

  auto bad = run(cli("grid " + (tmp / "m") + " --rows 'item(0)' --data " + (tmp / "data") + " --out " + (tmp / "b.png")));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("must be two expressions joined by ':'"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(tmp / "b.png"));
}

TEST_F(WalkCli, ErrorsAreOneLineAndLeaveNoFile) {
  struct Case {
    std::string args, says;
  };
  const std::string m = tmp / "m", out = " --out " + (tmp / "x.gif");
  for (const Case& c : std::vector<Case>{
           {"walk " + m + out, "say what to walk through"},
           {"walk " + m + " --keys 'item(0),@nobody' --data " + (tmp / "data") + out, "keyframe 2 (@nobody)"},
           {"walk " + m + " --keys 'item(0)'" + out, "two keyframes or more"},
           {"walk " + m + " --random-walk --out " + (tmp / "x.avi"), "use .mp4, .gif, or a folder"},
           {"walk " + m + " --random-walk --fps 60" + out, "use --fps 50 or less"},
           {"walk " + m + " --random-walk --interp cubic --walk a" + out, "give only one of"},
           {"walk " + m + " --random-walk --seconds 0.01 --fps 10" + out, "shorter than one frame"},
           {"grid " + m + " --rows 'item(0):item(1)' --interp spline --out " + (tmp / "x.png"), "needs more than two points"},
       }) {
    auto r = run(cli(c.args));
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_EQ(r.output.rfind("latent: error: ", 0), 0u) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << r.output;
  }
  // MP4 without ffmpeg on PATH: a clear message, and nothing written.
  auto no_ffmpeg = run("PATH=/nonexistent " + cli("walk " + m + " --random-walk --out " + (tmp / "x.mp4")));
  EXPECT_EQ(no_ffmpeg.code, 1);
  EXPECT_NE(no_ffmpeg.output.find("apt-get install ffmpeg"), std::string::npos) << no_ffmpeg.output;
  for (const auto& e : fs::directory_iterator(tmp.path))
    EXPECT_TRUE(e.path().filename() == "m" || e.path().filename() == "data") << e.path();
}

TEST_F(WalkCli, InterruptCancelsCleanly) {
  // A long export, interrupted: exit 130 and no file, no temporary.
  const std::string cmd = cli("walk " + (tmp / "m") + " --random-walk --seconds 3000 --size 512 --out " + (tmp / "long.gif"));
  // SIGINT only once the export has begun (its .partial file exists): a background job of
  // a non-interactive shell starts with SIGINT ignored until latent installs its handler,
  // so an earlier signal, on a loaded machine, would be lost.
  const std::string partial = tmp / "long.gif.partial";
  auto r = run("(" + cmd + " & p=$!; i=0; while [ ! -e " + partial + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
               "sleep 0.2; kill -INT $p; wait $p)");
  EXPECT_EQ(r.code, 130) << r.output;
  EXPECT_NE(r.output.find("latent: cancelled; nothing was written"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "long.gif"));
  EXPECT_FALSE(fs::exists(tmp / "long.gif.partial"));
}

TEST_F(WalkCli, HelpDocumentsTheCommands) {
  auto w = run(cli("walk --help"));
  EXPECT_EQ(w.code, 0);
  EXPECT_NE(w.output.find("--random-walk"), std::string::npos) << w.output;
  EXPECT_NE(w.output.find("round(seconds x fps)"), std::string::npos) << w.output;
  auto g = run(cli("grid --help"));
  EXPECT_EQ(g.code, 0);
  EXPECT_NE(g.output.find("--corners"), std::string::npos) << g.output;
}

TEST(WalkCliShippedModel, OlivettiWalkAndGrid) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data at " << LATENT_DATA_DIR;
  test_util::TempDir tmp;
  const std::string model = std::string(LATENT_SOURCE_DIR) + "/models/olivetti-pca";
  const std::string data = std::string(LATENT_DATA_DIR) + "/faces/olivetti";
  auto r = run(kCli + " walk " + model + " --keys 'item(0),item(10),item(20)' --data " + data +
               " --interp slerp --seconds 2 --fps 6 --out " + (tmp / "faces.gif"));
  ASSERT_EQ(r.code, 0) << r.output;
  const GifInfo g = read_gif(tmp / "faces.gif");
  EXPECT_EQ(g.frames, 12);
  EXPECT_EQ(g.width, 256);  // 64x64 faces at the default --size
  EXPECT_EQ(g.height, 256);
  auto grid = run(kCli + " grid " + model + " --rows 'item(0):item(10),item(20):item(30)' --data " + data +
                  " --steps 8 --out " + (tmp / "grid.png"));
  ASSERT_EQ(grid.code, 0) << grid.output;
  const Image sheet = load_image(tmp / "grid.png");
  EXPECT_EQ(sheet.width, 8 * 64 + 9 * 2);
  EXPECT_EQ(sheet.height, 2 * 64 + 3 * 2);
}
