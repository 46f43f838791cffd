// The .pt pre-check: the zip records of a model file, read before LibTorch sees it.
#include <string>

#include "fuzz_util.h"
#include "latent/pt_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_loads_or_refuses([&] {
    const auto sum = latent::check_pt_archive_bytes(bytes, "fuzz.pt");
    // What passes must describe data that lies inside the file.
    if (sum.entries == 0 || sum.stored_bytes > size) std::abort();
  });
  return 0;
}
