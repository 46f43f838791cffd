// A PCA model package: model.json, then a NUL byte, a 2-byte little-endian length and
// that many bytes of mean.f32, and the rest as components.f32.
#include <cstring>

#include "fuzz_util.h"
#include "latent/model_package.h"
#include "latent/pca_space.h"

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
  fuzz::expect_loads_or_refuses([&] {
    const auto header = latent::read_model_json(fuzz::scratch_dir());
    auto pca = latent::PcaSpace::load(fuzz::scratch_dir(), header);
    // An opened model must decode its mean point without trouble.
    pca->decode(latent::Latent(static_cast<size_t>(pca->info().dim), 0.f));
  });
  return 0;
}
