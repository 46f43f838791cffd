#pragma once
// The one interface every model sits behind: a latent space with an encoder
// (observation -> point) and/or a decoder (point -> observation).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latent/image.h"

namespace latent {

using Latent = std::vector<float>;

enum class Modality { Image, Words, Text };
const char* to_string(Modality m);

// What an observation looks like: for images, the shape and the value range.
struct ObservationShape {
  int width = 0;
  int height = 0;
  int channels = 0;
  float min_value = 0.f;
  float max_value = 1.f;
  size_t numel() const { return static_cast<size_t>(width) * height * channels; }
};

struct SpaceInfo {
  std::string name;          // shown to people, e.g. "olivetti-pca"
  std::string kind;          // registry kind, e.g. "pca"
  int dim = 0;               // latent dimension
  Modality modality = Modality::Image;
  ObservationShape observation;
  bool can_encode = false;
  bool can_decode = false;
  bool can_sample = false;
  std::string device = "cpu";
  std::string source;        // folder the model was opened from ("" if built in memory)
};

class Space {
 public:
  virtual ~Space() = default;

  virtual const SpaceInfo& info() const = 0;

  // Observation -> latent point. Throws UnsupportedError where there is no encoder.
  virtual Latent encode(const Image& image) const;
  // Latent point -> observation. Throws UnsupportedError where there is no decoder.
  virtual Image decode(const Latent& z) const;
  // Several points at once: one decode each unless the backend batches them (the
  // neural image models run one forward pass).
  virtual std::vector<Image> decode_batch(const std::vector<Latent>& zs) const;
  // Text spaces (modality Text): a sentence -> its point, a point -> a sentence.
  // Throw UnsupportedError elsewhere.
  virtual Latent encode_text(const std::string& sentence) const;
  virtual std::string decode_text(const Latent& z) const;
  // n points drawn from the prior, reproducible for a given seed.
  virtual std::vector<Latent> sample(int n, uint64_t seed) const;
  // Per-dimension scale (standard deviation of the data or prior along each latent
  // axis), used for slider ranges. Size info().dim.
  virtual std::vector<float> scale() const = 0;

  // Throws UnsupportedError unless z has info().dim values.
  void check_latent(const Latent& z) const;
};

}  // namespace latent
