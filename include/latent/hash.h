#pragma once
// FNV-1a, 64-bit: the hash of the native vector file's word table (so it must never
// change), of index fingerprints and of the studio's redraw keys.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace latent {

struct Fnv1a {
  uint64_t value = 1469598103934665603ull;
  void add(const void* data, size_t n) {
    const auto* b = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) value = (value ^ b[i]) * 1099511628211ull;
  }
  template <typename T>
  void add_value(const T& v) {
    add(&v, sizeof v);
  }
};

inline uint64_t fnv1a(std::string_view s) {
  Fnv1a h;
  h.add(s.data(), s.size());
  return h.value;
}

}  // namespace latent
