#pragma once
// Neural image spaces on LibTorch: a decoder/generator (TorchScript saved by PyTorch,
// or the project's own modules saved by `latent train`) and an optional encoder.
// No LibTorch header leaks out of here: the studio and tests include only this.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/types.h"
#include "latent/space.h"
#include "latent/torch_module.h"

namespace latent {

// --------------------------------------------------------------- devices and threads

// DeviceChoice, the device preference and configure_torch_threads live in
// torch_module.h: they work before LibTorch is loaded.
DeviceChoice resolve_device(const std::string& requested);
bool cuda_available();
// "LibTorch 1.13.1, CPU" or "LibTorch 2.3.0, CUDA 12.1 (1 GPU: NVIDIA H100)".
std::string torch_build_summary();

// Called by the core when it opens latent_torch (or finds it linked in): registers the
// LibTorch kinds and hands over the hooks of torch_module.h.
extern "C" void latent_torch_register();

// --------------------------------------------------------------- the space

struct TorchImageSpaceOptions {
  std::string device = "auto";  // cpu | cuda | auto
};

class TorchImageSpace : public Space {
 public:
  // Opens a package whose model.json has kind "torch-image" (see docs/model-format.md).
  static std::unique_ptr<TorchImageSpace> load(const std::string& dir, const nlohmann::json& header,
                                               const TorchImageSpaceOptions& options = {});
  ~TorchImageSpace() override;

  const SpaceInfo& info() const override { return info_; }
  Latent encode(const Image& image) const override;
  std::vector<Latent> encode_batch(const std::vector<Image>& images) const override;
  Image decode(const Latent& z) const override;
  std::vector<Latent> sample(int n, uint64_t seed) const override;
  std::vector<float> scale() const override;

  // One forward pass for a batch of points (what `latent bench` times).
  std::vector<Image> decode_batch(const std::vector<Latent>& zs) const override;
  // What the device request resolved to ("" note when it was honoured).
  const DeviceChoice& device() const { return device_; }
  const nlohmann::json& header() const { return header_; }
  // The decoder's first weight that reads z, one row per latent dimension (D x m): a
  // ConvTranspose's [D, C, k, k] or a Linear's [m, D] transposed. What SeFa factorises.
  // UnsupportedError when no parameter has a dimension of the latent size.
  RowMatrixXf first_layer_weight() const override;

  // Capabilities (space.h): one forward pass per batch, and inversion by gradient.
  bool decodes_in_batches() const override { return true; }
  bool can_invert() const override { return true; }
  using InvertOptions = latent::InvertOptions;
  using InvertResult = latent::InvertResult;
  InvertResult invert(const Image& target, const InvertOptions& options, const ProgressFn& progress = {}) const override;

  // LibTorch's side, complete only inside the core (torch_nets.h's space_decoder uses it).
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  TorchImageSpace() = default;
  SpaceInfo info_;
  DeviceChoice device_;
  nlohmann::json header_;
  std::unique_ptr<Impl> impl_;
};

// Decode latency and throughput of any image space, as `latent bench` reports them:
// `batch` prior samples decoded `iters` times after `warmup` untimed calls, by one
// decode_batch for a TorchImageSpace and one decode per point otherwise.
struct DecodeBench {
  std::vector<double> ms;  // per call
  double median_ms = 0, p90_ms = 0, images_per_s = 0;
};
DecodeBench bench_decode(const Space& space, int batch, int iters, int warmup = 3);

// --------------------------------------------------------------- packages from PyTorch

struct TorchScriptImport {
  std::string generator;      // TorchScript file: z -> images [B,C,H,W]
  std::string encoder;        // optional TorchScript file: images -> mean or (mu, logvar)
  int latent = 0;
  int channels = 0, height = 0, width = 0;
  float range_lo = -1.f, range_hi = 1.f;
  std::string z_shape = "flat";  // flat: [B,D]; 4d: [B,D,1,1]
  std::string prior = "normal";  // normal | uniform (in [-1, 1])
  std::string name;
  std::string out_dir;
  bool verify = true;            // open it once in this process (false: the caller checks it in a child)
  bool replace = false;          // an existing out_dir is removed first (a re-import)
};

// What a bare TorchScript generator takes and gives, found by running it (in a checking
// child: see model_sandbox.h): latent sizes tried, first one the module records in its
// forward's input type (a traced module), then common ones, each as [B,D] and then
// [B,D,1,1]; the first that gives an image batch [B,C,H,W] (C 1..4) wins. The output
// range is guessed from 32 prior samples: [-1,1] (tanh), [0,1] (sigmoid), [0,255], or
// the samples' own span. Throws UnsupportedError saying what was tried when nothing fits.
struct TorchScriptProbe {
  int latent = 0;
  std::string z_shape = "flat";
  int channels = 0, height = 0, width = 0;
  float range_lo = -1.f, range_hi = 1.f;
  float sample_min = 0, sample_max = 0;  // over the 32 samples
  std::string range_guess;               // "tanh-like", "sigmoid-like", ...
  bool declared = false;                 // the latent size came from the module's input type
  std::vector<std::string> tried;        // "[2,100]: <error's first line>", ...
  nlohmann::json to_json() const;
  static TorchScriptProbe from_json(const nlohmann::json& j);
};
TorchScriptProbe probe_torchscript(const std::string& file);
// A bare TorchScript file as the encoder of a generator whose `shape` is "C,H,W,D,LO,HI":
// two images of that shape in that range in, [2,D] (a mean) or a (mu, logvar) pair out.
// Returns {"latent": D, "output": "mean" | "(mu, logvar)"}; UnsupportedError otherwise,
// saying what it gave.
nlohmann::json probe_torchscript_encoder(const std::string& file, const std::string& shape);
// The same shape string for an import.
std::string encoder_shape(const TorchScriptImport& generator);

// The probe's guess as an import (latent, shape, range, z shape) for `out_dir`.
TorchScriptImport import_from_probe(const TorchScriptProbe& probe, const std::string& generator,
                                    const std::string& out_dir);
// Copies the files into a new package and writes model.json, then (verify) opens it once
// on the CPU to check that the generator is TorchScript and gives the declared shape.
void import_torchscript(const TorchScriptImport& spec);

}  // namespace latent
