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

}  // namespace latent
