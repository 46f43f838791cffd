#pragma once
// Opens model packages by kind: a folder with model.json (or the model.json itself).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/space.h"

namespace latent {

using SpaceFactory =
    std::function<std::unique_ptr<Space>(const std::string& dir, const nlohmann::json& header)>;

// Opens the model at `path`. Unknown kinds, missing files, malformed JSON and sizes
// that do not match each throw an Error naming the file and the problem.
std::unique_ptr<Space> open_space(const std::string& path);

// Kinds the registry knows, sorted.
std::vector<std::string> known_kinds();

// Adds a kind (backends register themselves here; tests may add their own).
void register_kind(const std::string& kind, SpaceFactory factory);

}  // namespace latent
