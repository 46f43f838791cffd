#pragma once
// Latent points as JSON files: a plain array of floats.
#include <string>

#include "latent/space.h"

namespace latent {

Latent read_latent_json(const std::string& path);
void write_latent_json(const Latent& z, const std::string& path);

}  // namespace latent
