#pragma once
// Helpers shared by the tests: temporary folders, running commands, small datasets.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <sys/wait.h>

#include "latent/errors.h"
#include "latent/image.h"
#include "latent/image_io.h"

namespace test_util {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed when the object dies.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("latent-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

struct RunResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

inline RunResult run(const std::string& command) {
  RunResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t got;
  while ((got = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), got);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A smooth random gray image: a few blobs, so PCA has structure to find.
inline latent::Image blob_image(int w, int h, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  latent::Image img(w, h, 1, 0.f);
  for (int b = 0; b < 3; ++b) {
    const float cx = u(rng) * w, cy = u(rng) * h, r = 2.f + u(rng) * w / 3.f, a = u(rng) / 3.f;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const float d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        img.at(x, y, 0) += a * std::exp(-d2 / (2 * r * r));
      }
  }
  return img;
}

// Writes `n` blob PNGs named img_000.png... into `dir`.
inline void write_blob_folder(const std::string& dir, int n, int w, int h, unsigned seed) {
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img_%03d.png", i);
    latent::save_png(blob_image(w, h, rng), (fs::path(dir) / name).string());
  }
}

// The message of the latent::Error `f` throws ("(no error)" when it throws none; any
// other exception fails the test that called it).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const latent::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Exhaustive loops (every allocation failing in turn, 1,000 kills) take every Nth case
// when LATENT_TEST_STRIDE=N is set: the sanitizer run, where each case costs far more.
inline int test_stride() {
  const char* s = std::getenv("LATENT_TEST_STRIDE");
  const int v = s ? std::atoi(s) : 1;
  return v < 1 ? 1 : v;
}

inline bool has_data_dir() { return fs::exists(fs::path(LATENT_DATA_DIR) / "faces/olivetti/olivetti_faces.json"); }

}  // namespace test_util
