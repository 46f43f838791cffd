#pragma once
// Helpers for model packages: model.json and little-endian float32 weight files.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/space.h"

namespace latent {

inline constexpr int kModelFormatVersion = 1;

// Resolves a path given as a package folder or its model.json to the folder.
std::string package_dir(const std::string& path);

// Reads and parses dir/model.json; malformed JSON gives the file, line and column.
nlohmann::json read_model_json(const std::string& dir);

// Reads a field, with an error naming the file and the field when it is missing or has
// the wrong type.
template <typename T>
T require_field(const nlohmann::json& j, const std::string& key, const std::string& file);

// Observation shape from model.json's "observation" object.
ObservationShape read_observation(const nlohmann::json& header, const std::string& file);
nlohmann::json observation_json(const ObservationShape& shape, Modality modality);

// Reads exactly `count` little-endian float32 values from `path`; a file of another
// size gives an error with the expected and found byte counts.
std::vector<float> read_f32_file(const std::string& path, size_t count, const std::string& what);
void write_f32_file(const std::string& path, const float* data, size_t count);

// The current time as "2026-11-27T14:17:32Z", for model.json's training records.
std::string utc_timestamp();

// Writes `text` to `path` through a temporary file and a rename.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace latent
