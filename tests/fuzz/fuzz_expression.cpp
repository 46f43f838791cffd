// The latent expression language, over three named points, a group and four items in
// a 3-dimensional space; files are never read (enc/z/mean of a glob are refused).
#include <string>

#include "fuzz_util.h"
#include "latent/expression.h"

namespace {
class FuzzEnv : public latent::ExpressionEnv {
 public:
  bool point(const std::string& name, latent::Latent& out) const override {
    if (name == "a") out = {1, 0, 0};
    else if (name == "b") out = {0, 1, 0};
    else if (name == "zero") out = {0, 0, 0};
    else return false;
    return true;
  }
  bool group(const std::string& name, std::vector<latent::Latent>& out) const override {
    if (name != "g") return false;
    out = {{1, 2, 3}, {3, 2, 1}};
    return true;
  }
  latent::Latent encode_file(const std::string& path) const override {
    throw latent::UnsupportedError("no files in the fuzzer: " + path);
  }
  std::vector<latent::Latent> encode_glob(const std::string& pattern) const override {
    throw latent::UnsupportedError("no files in the fuzzer: " + pattern);
  }
  latent::Latent item(long index) const override {
    if (index < 0 || index >= 4) throw latent::UnsupportedError("no item " + std::to_string(index));
    return {float(index), 1, 2};
  }
  std::vector<std::string> names() const override { return {"a", "b", "zero", "g"}; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // expressions are typed by people
  const std::string expr(reinterpret_cast<const char*>(data), size);
  static const FuzzEnv env;
  fuzz::expect_loads_or_refuses([&] {
    const latent::Latent z = latent::evaluate_expression(expr, env, 3);
    if (z.size() != 3) std::abort();
  });
  return 0;
}
