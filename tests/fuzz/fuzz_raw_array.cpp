// Raw uint8 arrays with a JSON header: the input is the header text, a NUL byte, then
// the pixel file (which the header names as "a.bin" in the seeds).
#include <cstring>

#include "fuzz_util.h"
#include "latent/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t header = nul ? static_cast<size_t>(nul - data) : size;
  const std::string path = fuzz::write_file("h.json", data, header);
  const size_t rest = nul ? size - header - 1 : 0;
  fuzz::write_file("a.bin", nul ? nul + 1 : data, rest);
  fuzz::expect_loads_or_refuses([&] { latent::load_raw_array(path); });
  return 0;
}
