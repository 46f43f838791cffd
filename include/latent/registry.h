#pragma once
// Opens model packages by kind: a folder with model.json (or the model.json itself).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/space.h"

namespace latent {

// How to open a model: passed to every backend, so nothing about it is process-wide.
struct OpenOptions {
  std::string device = "auto";  // where neural models run: cpu, cuda, cuda:N or auto (CUDA when there is a GPU)
};

using SpaceFactory = std::function<std::unique_ptr<Space>(const std::string& dir, const nlohmann::json& header,
                                                          const OpenOptions& options)>;

// Opens the model at `path`. Unknown kinds, missing files, malformed JSON and sizes
// that do not match each throw an Error naming the file and the problem; a device name
// that is not one of OpenOptions' throws UnsupportedError.
std::unique_ptr<Space> open_space(const std::string& path, const OpenOptions& options = {});

// Kinds the registry knows, sorted.
std::vector<std::string> known_kinds();

// Adds a kind (backends register themselves here; tests may add their own).
void register_kind(const std::string& kind, SpaceFactory factory);

}  // namespace latent
