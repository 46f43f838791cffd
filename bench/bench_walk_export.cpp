// Walk export timings: how much slower is writing a video than decoding its frames?
//
//   bench_walk_export [MODEL] [--frames N] [--size S] [--rounds R] [--out DIR]
//
// MODEL defaults to models/olivetti-pca. A random loop of N frames (default 300: 10 s at
// 30 fps) around the origin is decoded by the model, then written at SxS (default 512,
// nearest-neighbour enlargement) as MP4 (ffmpeg, libx264 crf 18 preset medium), GIF
// (median-cut palette per frame) and PNG frames, each timed end to end (decoding
// included, as `latent walk` does it). Each measurement runs R times (default 3) and the
// median is reported.
//
// Output: "key=value" lines on stdout (frames per second; ratio = export fps / decode fps);
// notes on stderr.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "latent/registry.h"
#include "latent/video_export.h"
#include "latent/walk.h"

using namespace latent;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double median_seconds(int rounds, const std::function<void()>& f) {
  std::vector<double> t;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = LATENT_DEFAULT_MODEL, out_dir;
  int frames = 300, size = 512, rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--frames") frames = std::atoi(next().c_str());
    else if (a == "--size") size = std::atoi(next().c_str());
    else if (a == "--rounds") rounds = std::atoi(next().c_str());
    else if (a == "--out") out_dir = next();
    else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    } else model = a;
  }
  try {
    auto space = open_space(model);
    const double fps = 30;
    Walk walk;
    walk.random_loop = RandomLoop{Latent(space->info().dim, 0.f), space->scale(), 0.8f, 0.25f, frames / fps, 1};
    std::vector<Latent> zs;
    for (int i = 0; i < frames; ++i) zs.push_back(walk.frame(i, fps));
    const bool own_dir = out_dir.empty();
    if (own_dir) out_dir = (fs::temp_directory_path() / ("latent-bench-walk-" + std::to_string(::getpid()))).string();
    fs::create_directories(out_dir);
    std::fprintf(stderr, "%s: %d frames of %dx%d decoded, written at %dx%d, median of %d rounds\n", model.c_str(), frames,
                 space->info().observation.width, space->info().observation.height, size, size, rounds);

    volatile float sink = 0;
    const double decode = median_seconds(rounds, [&] {
      for (const Latent& z : zs) sink = sink + space->decode(z).pixels[0];
    });
    const double decode_resize = median_seconds(rounds, [&] {
      for (const Latent& z : zs)
        sink = sink + fit_frame(space->decode(z), size, size, 3, ResizeFilter::Nearest).pixels[0];
    });
    std::printf("frames=%d\nsize=%d\ndecode_fps=%.1f\ndecode_resize_fps=%.1f\n", frames, size, frames / decode,
                frames / decode_resize);

    struct Target {
      const char* key;
      std::string path;
    };
    std::vector<Target> targets = {{"gif", out_dir + "/walk.gif"}, {"png", out_dir + "/frames"}};
    if (program_available("ffmpeg")) targets.insert(targets.begin(), {"mp4", out_dir + "/walk.mp4"});
    else std::fprintf(stderr, "ffmpeg not installed: no MP4 timing\n");
    for (const Target& t : targets) {
      std::string codec;
      const double secs = median_seconds(rounds, [&] {
        VideoOptions o;
        o.fps = fps;
        o.width = o.height = size;
        auto w = VideoWriter::open(t.path, o);
        codec = w->describe();
        for (const Latent& z : zs) w->add(space->decode(z));
        w->finish();
      });
      std::error_code ec;
      const auto bytes = fs::is_directory(t.path) ? 0 : fs::file_size(t.path, ec);
      std::printf("%s_fps=%.1f\n%s_ratio_to_decode=%.4f\n", t.key, frames / secs, t.key, decode / secs);
      std::fprintf(stderr, "%s: %s, %.2f s, %.1f frames/s%s\n", t.key, codec.c_str(), secs, frames / secs,
                   bytes ? (", " + std::to_string(bytes / 1024) + " KiB").c_str() : "");
    }
    if (own_dir) fs::remove_all(out_dir);
    (void)sink;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_walk_export: %s\n", e.what());
    return 1;
  }
  return 0;
}
