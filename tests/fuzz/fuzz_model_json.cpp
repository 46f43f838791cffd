// A PCA model package: model.json, then a NUL byte, a 2-byte little-endian length and
// that many bytes of mean.f32, and the rest as components.f32.
#include <cstring>

#include "fuzz_util.h"
#include "latent/model_package.h"
#include "latent/pca_space.h"

namespace {

using latent::require_field;
using json = nlohmann::json;

// The fields the LibTorch packages read from their JSON (torch_space.cpp: "torch" with
// decoder/encoder parts and their "arch"; torch_text.cpp: "text" with its "arch" and
// style vectors; torch_caption.cpp: caption-model.json), read with the same
// require_field types. LibTorch is not in the fuzz build, so its readers are not run;
// this replays their field reads on the fuzzed JSON.
void torch_fields(const json& h) {
  const std::string f = "model.json";
  if (h.contains("torch")) {
    const auto t = require_field<json>(h, "torch", f);
    require_field<int>(h, "latent_dim", f);
    latent::read_observation(h, f);
    require_field<std::vector<double>>(t, "output_range", f);
    for (const char* part : {"decoder", "encoder"}) {
      if (!t.contains(part)) continue;
      const auto p = require_field<json>(t, part, f);
      require_field<std::string>(p, "format", f);
      require_field<std::string>(p, "file", f);
      if (p.contains("arch")) {
        const auto a = require_field<json>(p, "arch", f);
        require_field<std::string>(a, "type", f);
        for (const char* k : {"size", "channels", "latent", "width"}) require_field<int>(a, k, f);
      }
    }
  }
  if (h.contains("text")) {
    const auto t = require_field<json>(h, "text", f);
    require_field<std::string>(t, "vocabulary", f);
    require_field<int>(h, "latent_dim", f);
    const auto a = require_field<json>(t, "arch", f);
    for (const char* k : {"vocab", "embed", "dim"}) require_field<int>(a, k, f);
    require_field<std::vector<int64_t>>(a, "cutoffs", f);
  }
  if (h.contains("styles") && h["styles"].is_array()) {
    for (const auto& st : h["styles"]) {
      require_field<std::string>(st, "name", f);
      require_field<std::vector<float>>(st, "vector", f);
    }
  }
  if (h.contains("image_shape")) {
    for (const char* k : {"image_encoder", "caption_encoder", "vocabulary"}) require_field<std::string>(h, k, f);
    require_field<std::vector<int64_t>>(h, "image_shape", f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t json_size = nul ? static_cast<size_t>(nul - data) : size;
  fuzz::write_file("model.json", data, json_size);
  size_t off = nul ? json_size + 1 : size;
  size_t mean_size = 0;
  if (off + 2 <= size) {
    mean_size = std::min<size_t>(data[off] | (data[off + 1] << 8), size - off - 2);
    off += 2;
  }
  fuzz::write_file("mean.f32", data + off, mean_size);
  fuzz::write_file("components.f32", data + off + mean_size, size - std::min(size, off + mean_size));
  nlohmann::json header;
  fuzz::expect_loads_or_refuses([&] { header = latent::read_model_json(fuzz::scratch_dir()); });
  if (!header.is_object()) return 0;
  fuzz::expect_loads_or_refuses([&] {
    auto pca = latent::PcaSpace::load(fuzz::scratch_dir(), header);
    // An opened model must decode its mean point without trouble.
    pca->decode(latent::Latent(static_cast<size_t>(pca->info().dim), 0.f));
  });
  fuzz::expect_loads_or_refuses([&] { torch_fields(header); });
  return 0;
}
