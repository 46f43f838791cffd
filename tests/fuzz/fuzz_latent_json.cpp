// A latent file (z.json: an array of numbers, or an object with "z"), as `--z FILE`,
// the CLI's point definitions and the expressions' z("FILE") read it. What is read must
// write and read back to the same numbers.
#include <cmath>
#include <cstring>

#include "fuzz_util.h"
#include "latent/latent_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("z.json", data, size);
  fuzz::expect_loads_or_refuses([&] {
    const latent::Latent z = latent::read_latent_json(path);
    for (float v : z)
      if (!std::isfinite(v)) std::abort();  // refused numbers must not come back as inf
    const std::string again = fuzz::scratch_dir() + "/again.json";
    latent::write_latent_json(z, again);
    const latent::Latent back = latent::read_latent_json(again);
    if (back.size() != z.size() || (!z.empty() && std::memcmp(back.data(), z.data(), z.size() * sizeof(float)) != 0))
      std::abort();
  });
  return 0;
}
