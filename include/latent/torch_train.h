#pragma once
// Training the project's own image models on LibTorch: a convolutional VAE and
// Radford et al.'s DCGAN, on any image dataset the core reads (folders, IDX, raw arrays).
// The result is a model package (kind "torch-image") that the studio opens.
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace latent {

struct TrainImageOptions {
  std::string kind;            // "vae" or "dcgan"
  std::string data;            // dataset path
  std::string out_dir;         // package folder (created; checkpoints go in out_dir/checkpoint)
  std::string name;            // "" -> out_dir's folder name
  int latent = 100;
  int epochs = 10;
  int batch = 64;
  int size = 0;                // 32 or 64; 0: 32 for data up to 32 pixels wide, else 64
  int channels = 0;            // 1 or 3; 0: the data's own
  int width = 0;               // ngf/ndf (DCGAN, default 64) or base width (VAE, default 32)
  float beta = 1.f;            // VAE: weight of the KL term
  float learning_rate = 0.f;   // 0: 2e-4 (DCGAN, Adam beta1 0.5) or 1e-3 (VAE)
  std::string flip = "auto";   // horizontal-flip augmentation: on, off, auto (on under 50,000 images)
  uint64_t seed = 0;
  std::string device = "auto";
  bool resume = false;         // continue from out_dir/checkpoint
  long limit = 0;              // use only the first `limit` images (0: all)
  long holdout = -1;           // images kept out for metrics; -1: VAE min(500, 5%), DCGAN 0
  bool half_weights = false;   // store the package's weights as float16
  // DCGAN on small datasets (each off by default, which is Radford et al.'s recipe):
  double ema = 0;              // decay of a moving average of the generator's weights, the
                               // generator then shipped (0: none; 0.999 is usual)
  std::string augment;         // DiffAugment policy for every image the discriminator sees, real
                               // and fake: "color,translation,cutout" or a subset ("": none)
  bool spectral_norm = false;  // a discriminator with spectral normalisation, no batch norm
  // VAE: an ex-post Gaussian prior (Ghosh et al. 2020). The training images' codes (the
  // encoder's means) have mean m and covariance V L V^T (eigenvalues L descending); the
  // shipped decoder reads z' with x = dec(m + V L^1/2 z') and the encoder gives
  // z' = L^-1/2 V^T (mu - m), both folded exactly into their linear heads. The package's
  // prior N(0, I) then samples where the codes are, and z'_1 is the codes' widest axis.
  bool whiten = false;
  int swd_images = 0;          // at each epoch's end: the SWD (image_quality.h) of this many
                               // samples against as many training images (0: not measured)
  std::string command;         // the command line, recorded in model.json
};

struct TrainProgress {
  int epoch = 0, epochs = 0;   // 1-based epoch being trained
  long step = 0, steps = 0;    // within the epoch
  double images_per_s = 0;
  double eta_s = 0;
  std::map<std::string, double> losses;  // running means over the epoch so far
  bool epoch_end = false;                // true once per epoch, after the checkpoint
  std::string stage;                     // work before the epochs ("image features"): step/steps
                                         // count it; "" while training
};
// Return false to stop (the last finished epoch's checkpoint and package stay).
using TrainProgressFn = std::function<bool(const TrainProgress&)>;

struct TrainResult {
  std::string model_dir;
  int epochs_done = 0;
  double images_per_s = 0;
  nlohmann::json metrics;
};

TrainResult train_image_model(const TrainImageOptions& options, const TrainProgressFn& progress = {});

// `latent train encoder`: an encoder for an image generator that has none (a GAN), so that
// a photo goes into its space in one forward pass instead of a gradient search. Two
// stages, each counted in rounds with a checkpoint after every round:
//  1. synthetic_rounds rounds of round_steps steps on pairs (z, G(z)), z from the prior:
//     loss |E(G(z)) - z|^2 + synthetic_image_weight * |G(E(G(z))) - G(z)|^2;
//  2. `epochs` passes over the real images of `data` (if given), each step half real and
//     half generated: the real half's loss is image_weight * |G(E(x)) - x|^2 +
//     prior_weight * (mean(E(x)^2) - 1)^2 (codes kept on the prior's shell); the generated
//     half's is the code loss alone, which keeps the encoder true to the prior.
// A pixel loss costs a backward pass through the generator (about 2.3x the step on the
// CPU), so stage 1 goes without it by default.
// Pixel errors are mean squares in [0,1] units. The generator is frozen. The encoder is
// the VAE's ("vae-encoder": its mean head is the code), and the result is the model
// package with `torch.encoder` added (in place, or copied to out_dir), with its metrics:
// code and image error on fresh prior samples, and image error on held-out real images.
struct TrainEncoderOptions {
  std::string model;            // a torch-image package whose decoder is differentiable
  std::string data;             // real images for stage 2 ("": stage 1 only)
  std::string out_dir;          // "": the model's own folder (its model.json is rewritten)
  int width = 32;               // the encoder's base width
  int batch = 64;
  int synthetic_rounds = 4;
  int round_steps = 1000;
  int epochs = 4;               // stage 2's passes over the real images
  double learning_rate = 5e-4;  // Adam
  double image_weight = 20;
  double prior_weight = 0.1;
  double synthetic_image_weight = 0;
  long holdout = -1;            // real images kept out for metrics; -1: min(500, 5%)
  std::string flip = "auto";    // stage 2's horizontal flips: on, off, auto (under 50,000 images)
  uint64_t seed = 0;
  std::string device = "auto";
  bool resume = false;          // continue from OUT/checkpoint-encoder
  long limit = 0;               // use only the first `limit` real images (0: all)
  std::string command;          // recorded in model.json
};

TrainResult train_encoder(const TrainEncoderOptions& options, const TrainProgressFn& progress = {});

}  // namespace latent
