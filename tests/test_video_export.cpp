// Video export: GIFs decoded back with stb_image, PNG folders, MP4 checked with ffprobe,
// and that a cancel or a failure never leaves a half-written file.
#include "latent/video_export.h"

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include "latent/errors.h"
#include "latent/image_io.h"
#include "test_util.h"

using namespace latent;
namespace fs = std::filesystem;

namespace {

// A smooth colour gradient that drifts with `phase`: thousands of colours per frame.
Image gradient(int w, int h, float phase) {
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.at(x, y, 0) = 0.5f + 0.5f * std::sin(0.13f * x + phase);
      img.at(x, y, 1) = float(y) / (h - 1);
      img.at(x, y, 2) = 0.5f + 0.4f * std::cos(0.07f * (x + y) - phase);
    }
  return img;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Gif {
  int width = 0, height = 0, frames = 0;
  std::vector<uint8_t> rgba;  // frames x height x width x 4
  std::vector<int> delays_ms;
};

Gif decode_gif(const std::string& path) {
  const std::string bytes = read_bytes(path);
  Gif g;
  int* delays = nullptr;
  int comp = 0;
  stbi_uc* px = stbi_load_gif_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()),
                                          &delays, &g.width, &g.height, &g.frames, &comp, 4);
  if (!px) {
    ADD_FAILURE() << path << ": stb_image cannot read it: " << stbi_failure_reason();
    return g;
  }
  g.rgba.assign(px, px + static_cast<size_t>(g.width) * g.height * g.frames * 4);
  g.delays_ms.assign(delays, delays + g.frames);
  stbi_image_free(px);
  stbi_image_free(delays);
  return g;
}

// Mean and largest absolute difference (0..255) between GIF frame f and an RGB image.
std::pair<double, int> gif_error(const Gif& g, int f, const Image& expected) {
  double sum = 0;
  int worst = 0;
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x)
      for (int k = 0; k < 3; ++k) {
        const int got = g.rgba[((static_cast<size_t>(f) * g.height + y) * g.width + x) * 4 + k];
        const int want = static_cast<int>(std::lround(expected.at(x, y, expected.channels == 1 ? 0 : k) * 255));
        sum += std::abs(got - want);
        worst = std::max(worst, std::abs(got - want));
      }
  return {sum / (static_cast<double>(g.width) * g.height * 3), worst};
}

bool ffprobe_available() { return program_available("ffmpeg") && program_available("ffprobe"); }

}  // namespace

TEST(VideoExport, FormatFromThePath) {
  test_util::TempDir tmp;
  EXPECT_EQ(video_format_for("walk.gif"), VideoFormat::Gif);
  EXPECT_EQ(video_format_for("walk.MP4"), VideoFormat::Mp4);
  EXPECT_EQ(video_format_for("frames/"), VideoFormat::PngFolder);
  EXPECT_EQ(video_format_for("frames"), VideoFormat::PngFolder);
  EXPECT_EQ(video_format_for(tmp.path.string()), VideoFormat::PngFolder);
  try {
    video_format_for("walk.avi");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("use .mp4, .gif, or a folder"), std::string::npos) << e.what();
  }
}

TEST(VideoExport, FitFrame) {
  Image small(2, 2, 1);
  small.pixels = {0.f, 1.f, 0.5f, 0.25f};
  const Image up = fit_frame(small, 6, 6, 3, ResizeFilter::Nearest);
  ASSERT_EQ(up.channels, 3);
  EXPECT_EQ(up.at(2, 0, 1), 0.f);
  EXPECT_EQ(up.at(3, 0, 1), 1.f);
  EXPECT_EQ(up.at(5, 5, 2), 0.25f);
  const Image odd = fit_frame(small, 5, 3, 1, ResizeFilter::Nearest);  // not a whole multiple
  EXPECT_EQ(odd.width, 5);
  EXPECT_EQ(odd.at(0, 0, 0), 0.f);
  EXPECT_EQ(odd.at(4, 2, 0), 0.25f);
  const Image smooth = fit_frame(small, 8, 8, 1, ResizeFilter::Smooth);
  EXPECT_GT(smooth.at(3, 1, 0), 0.f);  // blended, not a copy of one pixel
  EXPECT_LT(smooth.at(3, 1, 0), 1.f);
}

TEST(VideoExport, GifDecodesBackWithTheRightFramesAndColours) {
  test_util::TempDir tmp;
  std::vector<Image> frames;
  for (int i = 0; i < 6; ++i) frames.push_back(gradient(48, 36, 0.5f * i));
  VideoOptions o;
  o.fps = 20;
  export_frames(frames, tmp / "g.gif", o);
  EXPECT_FALSE(fs::exists(tmp / "g.gif.partial"));
  const Gif g = decode_gif(tmp / "g.gif");
  ASSERT_EQ(g.frames, 6);
  EXPECT_EQ(g.width, 48);
  EXPECT_EQ(g.height, 36);
  // The same frames through the fixed 6x7x6 cube, as a yardstick for the median cut.
  VideoOptions cube = o;
  cube.gif_palette = GifPalette::Fixed;
  export_frames(frames, tmp / "cube.gif", cube);
  const Gif c = decode_gif(tmp / "cube.gif");
  ASSERT_EQ(c.frames, 6);
  for (int f = 0; f < 6; ++f) {
    EXPECT_EQ(g.delays_ms[f], 50);
    // About 1700 colours in 256: a 16-level cell per channel pair, so an error of ~4 of 255.
    const auto [mean_err, worst] = gif_error(g, f, frames[f]);
    EXPECT_LT(mean_err, 6.0) << "frame " << f;
    EXPECT_LT(worst, 40) << "frame " << f;
    const auto [cube_err, cube_worst] = gif_error(c, f, frames[f]);
    EXPECT_LT(cube_worst, 27) << "frame " << f;  // half a cube step, and rounding
    EXPECT_LT(mean_err, 0.6 * cube_err) << "frame " << f;
  }
  // Frames differ in the file as they do in the input.
  EXPECT_GT(gif_error(g, 0, frames[3]).first, 10.0);
}

TEST(VideoExport, GrayGifIsExact) {
  test_util::TempDir tmp;
  std::mt19937 rng(1);
  std::vector<Image> frames;
  for (int i = 0; i < 3; ++i) frames.push_back(test_util::blob_image(64, 64, rng));
  VideoOptions o;
  o.fps = 10;
  o.width = o.height = 128;  // x2, nearest
  export_frames(frames, tmp / "g.gif", o);
  const Gif g = decode_gif(tmp / "g.gif");
  ASSERT_EQ(g.frames, 3);
  ASSERT_EQ(g.width, 128);
  for (int f = 0; f < 3; ++f) EXPECT_EQ(gif_error(g, f, upscale_nearest(frames[f], 2)).second, 0) << "frame " << f;
}

TEST(VideoExport, GifLzwSurvivesNoiseAndTableResets) {
  // Random colours of the fixed cube: the palette is exact, so every pixel must come back,
  // through many full 4096-entry code tables.
  test_util::TempDir tmp;
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> r(0, 5), gl(0, 6);
  Image noise(300, 200, 3);
  for (int y = 0; y < 200; ++y)
    for (int x = 0; x < 300; ++x) {
      // The cube's own byte values, so the expected colours are exact.
      noise.at(x, y, 0) = std::lround(r(rng) * 255.0 / 5) / 255.f;
      noise.at(x, y, 1) = std::lround(gl(rng) * 255.0 / 6) / 255.f;
      noise.at(x, y, 2) = std::lround(r(rng) * 255.0 / 5) / 255.f;
    }
  VideoOptions o;
  o.gif_palette = GifPalette::Fixed;
  o.fps = 30;
  export_frames({noise, gradient(300, 200, 0)}, tmp / "n.gif", o);
  const Gif g = decode_gif(tmp / "n.gif");
  ASSERT_EQ(g.frames, 2);
  EXPECT_EQ(gif_error(g, 0, noise).second, 0);
  EXPECT_LT(gif_error(g, 1, gradient(300, 200, 0)).second, 30);  // half a cube step at most
}

TEST(VideoExport, GifDelaysAddUpAndDitherKeepsTheMean) {
  test_util::TempDir tmp;
  std::vector<Image> frames(30, Image(32, 32, 3, 0.3f));
  VideoOptions o;
  o.fps = 30;
  o.gif_palette = GifPalette::Fixed;
  o.gif_dither = true;
  export_frames(frames, tmp / "d.gif", o);
  const Gif g = decode_gif(tmp / "d.gif");
  ASSERT_EQ(g.frames, 30);
  int total = 0;
  for (int d : g.delays_ms) {
    EXPECT_TRUE(d == 30 || d == 40) << d;
    total += d;
  }
  EXPECT_EQ(total, 1000);  // 30 frames at 30 fps: one second
  // 0.3 lies between cube levels (0.2 and 0.4 for red); the dither's average finds it.
  double mean_red = 0;
  for (int i = 0; i < 32 * 32; ++i) mean_red += g.rgba[i * 4] / 255.0;
  EXPECT_NEAR(mean_red / (32 * 32), 0.3, 0.01);
  o.gif_dither = false;
  export_frames(frames, tmp / "nd.gif", o);
  const Gif flat = decode_gif(tmp / "nd.gif");
  EXPECT_NEAR(flat.rgba[0] / 255.0, 0.4, 0.01);  // without dither: the nearest level

  o.fps = 60;
  EXPECT_THROW(VideoWriter::open(tmp / "fast.gif", o), UnsupportedError);
  o.fps = 30;
  o.gif_palette = GifPalette::PerFrame;
  o.gif_dither = true;
  EXPECT_THROW(VideoWriter::open(tmp / "x.gif", o), UnsupportedError);
}

TEST(VideoExport, PngFolder) {
  test_util::TempDir tmp;
  std::mt19937 rng(3);
  std::vector<Image> frames;
  for (int i = 0; i < 7; ++i) frames.push_back(test_util::blob_image(16, 12, rng));
  VideoOptions o;
  o.width = 64, o.height = 48;
  export_frames(frames, tmp / "frames/", o);
  EXPECT_FALSE(fs::exists(tmp / "frames.partial"));
  int count = 0;
  for (const auto& e : fs::directory_iterator(tmp / "frames")) ++count, (void)e;
  EXPECT_EQ(count, 7);
  const Image f6 = load_image(tmp / "frames/frame_00006.png");
  EXPECT_EQ(f6.width, 64);
  EXPECT_EQ(f6.channels, 1);  // gray stays gray
  const Image want = upscale_nearest(frames[6], 4);
  for (size_t i = 0; i < want.pixels.size(); ++i) ASSERT_NEAR(f6.pixels[i], want.pixels[i], 0.6f / 255) << i;

  // A second export replaces the frames of the first, not adds to them.
  export_frames({frames[0], frames[1], frames[2]}, tmp / "frames", o);
  count = 0;
  for (const auto& e : fs::directory_iterator(tmp / "frames")) ++count, (void)e;
  EXPECT_EQ(count, 3);

  // A folder holding other things is not touched.
  fs::create_directories(tmp / "mine");
  std::ofstream(tmp / "mine/notes.txt") << "keep me";
  try {
    export_frames(frames, tmp / "mine", o);
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("already holds other files (notes.txt)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_bytes(tmp / "mine/notes.txt"), "keep me");
}

TEST(VideoExport, CancelLeavesNothingAndKeepsTheOldFile) {
  test_util::TempDir tmp;
  std::vector<std::string> outs = {tmp / "c.gif", tmp / "c_frames"};
  if (program_available("ffmpeg")) outs.push_back(tmp / "c.mp4");
  for (const std::string& out : outs) {
    SCOPED_TRACE(out);
    if (fs::path(out).has_extension()) std::ofstream(out) << "previous";
    VideoOptions o;
    o.expected_frames = 10;
    int calls = 0;
    o.progress = [&](float f, const std::string& stage) {
      EXPECT_NEAR(f, (calls + 1) / 10.f, 1e-6);
      EXPECT_NE(stage.find("writing"), std::string::npos);
      return ++calls < 3;
    };
    auto w = VideoWriter::open(out, o);
    w->add(gradient(32, 32, 0));
    w->add(gradient(32, 32, 1));
    EXPECT_THROW(w->add(gradient(32, 32, 2)), Cancelled);
    EXPECT_THROW(w->add(gradient(32, 32, 3)), UnsupportedError);  // over
    EXPECT_FALSE(fs::exists(out + ".partial"));
    if (fs::path(out).has_extension()) EXPECT_EQ(read_bytes(out), "previous");
    else EXPECT_FALSE(fs::exists(out));
  }
  // A writer dropped unfinished cleans up too.
  {
    auto w = VideoWriter::open(tmp / "dropped.gif", VideoOptions{});
    w->add(gradient(8, 8, 0));
    EXPECT_TRUE(fs::exists(tmp / "dropped.gif.partial"));
  }
  EXPECT_FALSE(fs::exists(tmp / "dropped.gif.partial"));
  EXPECT_FALSE(fs::exists(tmp / "dropped.gif"));
  // No frames: nothing to write.
  auto empty = VideoWriter::open(tmp / "empty.gif", VideoOptions{});
  EXPECT_THROW(empty->finish(), UnsupportedError);
  EXPECT_FALSE(fs::exists(tmp / "empty.gif"));
}

TEST(VideoExport, Mp4HasTheFramesAndSize) {
  if (!ffprobe_available()) GTEST_SKIP() << "ffmpeg/ffprobe not installed (apt-get install ffmpeg)";
  test_util::TempDir tmp;
  VideoOptions o;
  o.fps = 15;
  o.width = 96, o.height = 72;
  auto w = VideoWriter::open(tmp / "v.mp4", o);
  EXPECT_NE(w->describe().find("MP4"), std::string::npos);
  for (int i = 0; i < 45; ++i) w->add(gradient(48, 36, 0.1f * i));
  EXPECT_FALSE(fs::exists(tmp / "v.mp4"));  // nothing in place until finished
  w->finish();
  EXPECT_FALSE(fs::exists(tmp / "v.mp4.partial"));
  const auto probe = test_util::run("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                                    "stream=width,height,nb_read_frames,codec_name,r_frame_rate -of default=nw=1 " +
                                    (tmp / "v.mp4"));
  ASSERT_EQ(probe.code, 0) << probe.output;
  EXPECT_NE(probe.output.find("width=96"), std::string::npos) << probe.output;
  EXPECT_NE(probe.output.find("height=72"), std::string::npos) << probe.output;
  EXPECT_NE(probe.output.find("nb_read_frames=45"), std::string::npos) << probe.output;
  EXPECT_NE(probe.output.find("r_frame_rate=15/1"), std::string::npos) << probe.output;
  // The pixels: decode frame 10 back and compare to what went in.
  const auto png = test_util::run("ffmpeg -v error -i " + (tmp / "v.mp4") + " -vf 'select=eq(n\\,10)' -frames:v 1 " +
                                  (tmp / "f10.png"));
  ASSERT_EQ(png.code, 0) << png.output;
  const Image back = load_image(tmp / "f10.png");
  const Image want = fit_frame(gradient(48, 36, 1.0f), 96, 72, 3, ResizeFilter::Nearest);
  double err = 0;
  for (size_t i = 0; i < want.pixels.size(); ++i) err += std::fabs(back.pixels[i] - want.pixels[i]);
  EXPECT_LT(err / want.pixels.size(), 0.03);  // lossy (and 4:2:0), but this frame
}

TEST(VideoExport, Mp4ErrorsAreClear) {
  test_util::TempDir tmp;
  VideoOptions o;
  o.ffmpeg = "/nonexistent/ffmpeg";
  try {
    VideoWriter::open(tmp / "v.mp4", o);
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install ffmpeg"), std::string::npos) << e.what();
  }
  // An ffmpeg that fails: its message reaches the person, and no file is left.
  std::ofstream(tmp / "ffmpeg") << "#!/bin/sh\ncase \"$*\" in *-encoders*) echo ' V..... libx264  H.264'; exit 0;; esac\n"
                                   "echo 'boom: no space left' >&2; exit 3\n";
  fs::permissions(tmp / "ffmpeg", fs::perms::owner_all);
  o.ffmpeg = tmp / "ffmpeg";
  try {
    auto w = VideoWriter::open(tmp / "v.mp4", o);
    for (int i = 0; i < 20; ++i) w->add(gradient(64, 64, 0));
    w->finish();
    FAIL() << "a failing ffmpeg went unnoticed";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("boom: no space left"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exit status 3"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp / "v.mp4"));
  EXPECT_FALSE(fs::exists(tmp / "v.mp4.partial"));
  // yuv420p needs even sizes.
  if (program_available("ffmpeg")) {
    VideoOptions odd;
    odd.width = 65, odd.height = 64;
    EXPECT_THROW(VideoWriter::open(tmp / "o.mp4", odd), UnsupportedError);
    auto w = VideoWriter::open(tmp / "o.mp4", VideoOptions{});
    EXPECT_THROW(w->add(gradient(33, 20, 0)), UnsupportedError);
    EXPECT_FALSE(fs::exists(tmp / "o.mp4.partial"));
  }
}

TEST(VideoExport, Mp4FallsBackToMpeg4WithoutLibx264) {
  // A stand-in ffmpeg with only the mpeg4 encoder: it records its arguments, reads the
  // frames and writes a placeholder file where it was told to.
  test_util::TempDir tmp;
  std::ofstream(tmp / "ffmpeg") << "#!/bin/sh\ncase \"$*\" in *-encoders*) echo ' V..... mpeg4  MPEG-4 part 2'; exit 0;; esac\n"
                                   "echo \"$*\" > " << (tmp / "args") << "\n"
                                   "bytes=$(wc -c)\n"
                                   "for last; do :; done\n"
                                   "echo \"$bytes\" > \"$last\"\n";
  fs::permissions(tmp / "ffmpeg", fs::perms::owner_all);
  VideoOptions o;
  o.ffmpeg = tmp / "ffmpeg";
  auto w = VideoWriter::open(tmp / "v.mp4", o);
  EXPECT_NE(w->describe().find("no libx264"), std::string::npos) << w->describe();
  for (int i = 0; i < 4; ++i) w->add(gradient(20, 10, 0));
  w->finish();
  EXPECT_NE(read_bytes(tmp / "args").find("-c:v mpeg4"), std::string::npos) << read_bytes(tmp / "args");
  EXPECT_NE(read_bytes(tmp / "args").find("-s 20x10"), std::string::npos) << read_bytes(tmp / "args");
  EXPECT_EQ(std::stol(read_bytes(tmp / "v.mp4")), 4 * 20 * 10 * 3);  // every frame's rgb24 bytes reached it
}
