#pragma once
// Shared by the fuzz targets: the loaders read files, so each input is written to a
// scratch folder first (in /dev/shm when there is one, so no disk is touched).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "latent/errors.h"

namespace fuzz {

inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    const auto d = base / ("latent-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d.string();
  }();
  return dir;
}

inline std::string write_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Runs `f`; a latent::Error is the expected way for a loader to refuse a bad file, so
// it is swallowed (its message must not be empty); anything else escapes and is a finding.
template <typename F>
void expect_loads_or_refuses(F f) {
  try {
    f();
  } catch (const latent::Error& e) {
    if (!*e.what()) std::abort();
  }
}

}  // namespace fuzz
