// IDX datasets (MNIST family), plain or gzip-compressed (chosen by the magic bytes).
#include "fuzz_util.h"
#include "latent/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = fuzz::write_file(gz ? "images-idx3-ubyte.gz" : "images-idx3-ubyte", data, size);
  fuzz::expect_loads_or_refuses([&] { latent::load_idx(path); });
  // A target shape makes every image go through the conversion path too.
  latent::DatasetOptions o;
  o.width = 4, o.height = 4, o.channels = 3, o.limit = 8;
  fuzz::expect_loads_or_refuses([&] { latent::load_idx(path, o); });
  return 0;
}
