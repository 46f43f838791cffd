#pragma once
// The one interface every model sits behind: a latent space with an encoder
// (observation -> point) and/or a decoder (point -> observation).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latent/image.h"
#include "latent/types.h"

namespace latent {

class WordVectors;       // word_vectors.h
class StorytellerSpace;  // storyteller.h

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

// Searching for the point whose decoding is closest to a target image (Space::invert):
// Adam on the squared error plus a prior penalty, from `restarts` starting points run
// as one batch (for a VAE the first start is the encoder's mean). steps = 0 with an
// encoder returns the encoder's mean.
struct InvertOptions {
  int steps = 300;
  int restarts = 4;
  float learning_rate = 0.05f;
  float prior_weight = 1e-3f;  // weight of mean(z^2)
  uint64_t seed = 0;
  bool use_encoder = true;     // start from the encoder's mean where there is one
};
struct InvertResult {
  Latent z;
  Image reconstruction;
  double mse = 0;              // of the reconstruction, in [0,1] pixel units
  double start_mse = 0;        // of the best starting point
  int best_restart = 0;
};

// A linear model's basis (PCA): decode(z) = mean + sum z_k component_k.
class LinearBasis {
 public:
  virtual ~LinearBasis() = default;
  virtual Image mean_image() const = 0;
  // Component k as an image (unnormalized: values around 0).
  virtual Image component_image(int k) const = 0;
  // Share of the training data's variance the kept components explain.
  virtual double explained_fraction() const = 0;
  // How many observations the basis was fitted on.
  virtual long n_samples() const = 0;
};

class Space {
 public:
  virtual ~Space() = default;

  virtual const SpaceInfo& info() const = 0;

  // Observation -> latent point. Throws UnsupportedError where there is no encoder.
  virtual Latent encode(const Image& image) const;
  // Several images at once: one encode each unless the backend batches them (a neural
  // encoder runs one forward pass).
  virtual std::vector<Latent> encode_batch(const std::vector<Image>& images) const;
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

  // ---- Capabilities: what more a model can do. Ask these; never test a backend's type.
  // Words: the vocabulary, neighbours and analogies of a word-vectors space (the space
  // itself), or nullptr.
  virtual const WordVectors* words() const { return nullptr; }
  WordVectors* words();
  // Sentences: thoughts, passages and styles of a sentence model (the space itself), or
  // nullptr.
  virtual const StorytellerSpace* sentences() const { return nullptr; }
  StorytellerSpace* sentences();
  // Batch: decode_batch runs one forward pass for the whole batch, so sending many points
  // at once pays.
  virtual bool decodes_in_batches() const { return false; }
  // Invertible: invert() searches by gradient for the point that decodes closest to an
  // image (already at the model's shape). Elsewhere invert throws UnsupportedError.
  virtual bool can_invert() const { return false; }
  virtual InvertResult invert(const Image& target, const InvertOptions& options,
                              const ProgressFn& progress = {}) const;
  // Linear: the mean and component images of a linear model, or nullptr.
  virtual const LinearBasis* basis() const { return nullptr; }
  // A generator's first weight that reads z, one row per latent dimension (D x m): what
  // SeFa factorises. UnsupportedError where there is none.
  virtual RowMatrixXf first_layer_weight() const;
};

}  // namespace latent
