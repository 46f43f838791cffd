#include "latent/latent_io.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"

namespace latent {

Latent read_latent_json(const std::string& path) {
  nlohmann::json j = read_json_file(path, "the latent file");
  if (j.is_object() && j.contains("z")) j = j["z"];
  if (!j.is_array())
    throw FormatError(path + ": expected a JSON array of numbers (or an object with \"z\")");
  Latent z;
  z.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number())
      throw FormatError(path + ": element " + std::to_string(i) + " is not a number");
    const double v = j[i].get<double>();
    // 1e300 is a finite double but inf as a float (found by the latent-file fuzzer).
    const float f = static_cast<float>(v);
    if (!std::isfinite(f))
      throw FormatError(path + ": element " + std::to_string(i) + " is not a finite float (found " + j[i].dump() + ")");
    z.push_back(f);
  }
  return z;
}

void write_latent_json(const Latent& z, const std::string& path) {
  nlohmann::json j = z;
  write_file_atomic(path, j.dump() + "\n");
}

}  // namespace latent
