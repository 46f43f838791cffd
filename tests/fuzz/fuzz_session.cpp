// Session files: parsed, read, written back and read again (the round trip must hold).
#include "fuzz_util.h"
#include "latent/json_file.h"
#include "latent/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_loads_or_refuses([&] {
    const latent::Session s = latent::session_from_json(latent::parse_json_text(text, "fuzz.json"), "fuzz.json");
    const auto j = latent::session_to_json(s);
    const latent::Session back = latent::session_from_json(latent::parse_json_text(j.dump(), "again.json"), "again.json");
    if (latent::session_to_json(back).dump() != j.dump()) std::abort();
  });
  return 0;
}
