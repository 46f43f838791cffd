// One image file (PNG, JPEG...), as an image folder or a dropped photo reads it.
#include "fuzz_util.h"
#include "latent/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("image.png", data, size);
  fuzz::expect_loads_or_refuses([&] { latent::load_image(path); });
  return 0;
}
