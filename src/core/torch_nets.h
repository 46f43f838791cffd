#pragma once
// The project's own LibTorch networks: Radford et al.'s DCGAN generator and
// discriminator, and a convolutional VAE, for 32x32 or 64x64 images, gray or RGB.
// Private to latent_core (LibTorch headers stay out of include/).
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/image.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/torch_train.h"

namespace latent::nets {

// Shape and width of a network, stored in model.json as "arch".
struct Arch {
  std::string type;   // dcgan-generator | dcgan-discriminator | vae-encoder | vae-decoder
  int size = 64;      // image side: 32 or 64
  int channels = 3;
  int latent = 100;
  int width = 64;     // ngf / ndf for DCGAN, base width for the VAE

  nlohmann::json to_json() const;
  static Arch from_json(const nlohmann::json& j, const std::string& file);
};

// Number of stride-2 stages between 4x4 and the image side.
int stages_for(int size);

// z [B, latent] -> image [B, C, S, S] in [-1, 1].
struct DcganGeneratorImpl : torch::nn::Module {
  explicit DcganGeneratorImpl(const Arch& a);
  torch::Tensor forward(torch::Tensor z);
  Arch arch;
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(DcganGenerator);

// A convolution whose weight is divided by its largest singular value (spectral
// normalisation, Miyato et al. 2018), estimated by one power-iteration step per forward
// pass in training mode; the estimate's vector `u` is a buffer, saved with the weights.
struct SNConv2dImpl : torch::nn::Module {
  SNConv2dImpl(int in, int out, int kernel, int stride, int padding);
  torch::Tensor forward(torch::Tensor x);
  // The current estimate of the weight's largest singular value.
  double sigma();
  torch::Tensor weight, bias, u;
  int stride = 1, padding = 0;
};
TORCH_MODULE(SNConv2d);

// image [B, C, S, S] in [-1, 1] -> logits [B]. `spectral_norm`: spectrally normalised
// convolutions with biases and no batch norm (the discriminator is never shipped, so its
// form is a training choice).
struct DcganDiscriminatorImpl : torch::nn::Module {
  explicit DcganDiscriminatorImpl(const Arch& a, bool spectral_norm = false);
  torch::Tensor forward(torch::Tensor x);
  Arch arch;
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(DcganDiscriminator);

// image [B, C, S, S] in [0, 1] -> (mu, logvar), each [B, latent].
struct VaeEncoderImpl : torch::nn::Module {
  explicit VaeEncoderImpl(const Arch& a);
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x);
  Arch arch;
  torch::nn::Sequential body{nullptr};
  torch::nn::Linear mu{nullptr}, logvar{nullptr};
};
TORCH_MODULE(VaeEncoder);

// z [B, latent] -> image [B, C, S, S] in [0, 1].
struct VaeDecoderImpl : torch::nn::Module {
  explicit VaeDecoderImpl(const Arch& a);
  torch::Tensor forward(torch::Tensor z);
  Arch arch;
  int top_channels = 0;
  torch::nn::Linear fc{nullptr};
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(VaeDecoder);

// DCGAN initialisation: conv weights N(0, 0.02), batch-norm weights N(1, 0.02), biases 0.
void dcgan_init(torch::nn::Module& m);

// DiffAugment (Zhao et al. 2020): random transforms through which gradients flow, drawn
// per image. `policy` lists them, comma-separated: color (brightness, saturation,
// contrast), translation (up to 1/8 of the side, zero fill), cutout (a zeroed square of
// half the side). Applied alike to real and fake images, they keep a discriminator from
// memorising a small dataset without teaching the generator the transforms.
torch::Tensor diff_augment(torch::Tensor x, const std::string& policy);
// Throws UnsupportedError naming the valid transforms unless every one in `policy` is one.
void check_augment_policy(const std::string& policy);

// avg = decay * avg + (1 - decay) * model for every parameter; buffers (batch-norm
// statistics) are copied. Both modules must have the same structure.
void ema_update(torch::nn::Module& avg, torch::nn::Module& model, double decay);

// Batch-norm running statistics recomputed as the plain mean over `batches` forward
// passes in training mode (BigGAN's "standing statistics"): the averaged generator's
// own, not those its source's weights had. Leaves the module in eval mode.
void recompute_batch_norm(torch::nn::Module& generator, int latent, int batches, int batch, torch::Device device);

// One DCGAN training step: a discriminator step on real and fake images, then a
// generator step, with the non-saturating loss. Every image the discriminator sees goes
// through diff_augment(policy) first ("" : none).
struct GanStepLosses {
  double loss_d = 0, loss_g = 0, d_real = 0, d_fake = 0;
};
GanStepLosses gan_step(DcganGenerator& generator, const std::function<torch::Tensor(const torch::Tensor&)>& discriminator,
                       torch::optim::Optimizer& opt_g, torch::optim::Optimizer& opt_d, const torch::Tensor& real,
                       int latent, const std::string& policy);

// An opened image space's decoder as a differentiable function, for trainers that learn
// through it (`train encoder`): z [B, D] on `device` -> images [B, C, H, W] in [lo, hi].
// Its weights are frozen; gradients reach z.
struct SpaceDecoder {
  std::function<torch::Tensor(const torch::Tensor&)> decode;
  torch::Device device{torch::kCPU};
  float lo = -1.f, hi = 1.f;
  int channels = 3, height = 64, width = 64, latent = 0;
  std::string file;  // the decoder's file, for messages
};
SpaceDecoder space_decoder(const TorchImageSpace& space);

// A dataset as one [N, C, size, size] float tensor in [0, 1], each image converted
// (resized, gray <-> RGB) where its shape differs.
torch::Tensor dataset_tensor(const ImageDataset& ds, int size, int channels);

// [B, C, H, W] in [lo, hi] (any device) -> B images in [0, 1], channels last; `clamp`
// clips values outside the range.
std::vector<Image> to_images(const torch::Tensor& t, float lo, float hi, bool clamp = false);

// Saves a module's parameters and buffers (float32, or float16 to halve the file) with
// torch::save; load_weights reads either back into a float32 module.
void save_weights(torch::nn::Module& m, const std::string& path, bool half);
// `half`: the file holds float16 (model.json's torch.weights_dtype).
void load_weights(torch::nn::Module& m, const std::string& path, bool half = false);

// A TorchScript module on the CPU: `file` must exist (else "FILE: missing (named in
// NAMED_IN)"), pass the .pt zip pre-check, and load (else a FormatError with LibTorch's
// reason).
torch::jit::Module load_script(const std::string& file, const std::string& named_in);

// An optimizer's state, written through a temporary file and a rename, and read back.
template <typename Opt>
void save_optimizer(Opt& opt, const std::string& path);

// A one-network trainer's checkpoint in `dir`: the weights (float32) as `weights_file`,
// the optimizer as opt.pt and `state` as state.json (what --resume reads back).
template <typename Opt>
void save_checkpoint(const std::string& dir, torch::nn::Module& net, const std::string& weights_file, Opt& opt,
                     const nlohmann::json& state) {
  save_weights(net, dir + "/" + weights_file, false);
  save_optimizer(opt, dir + "/opt.pt");
  write_file_atomic(dir + "/state.json", state.dump(2) + "\n");
}

template <typename Opt>
void save_optimizer(Opt& opt, const std::string& path) {
  torch::serialize::OutputArchive a;
  opt.save(a);
  a.save_to(path + ".tmp");
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0)
    throw IoError(path + ": could not rename " + path + ".tmp into place");
}
template <typename Opt>
void load_optimizer(Opt& opt, const std::string& path) {
  torch::serialize::InputArchive a;
  a.load_from(path);
  opt.load(a);
}

// A step loop's progress for `progress` (if set), at most every 2 s and at an epoch's last
// step (`step` is 0-based): images/s and ETA from `images_done` since the run's start,
// `losses()` asked only when reporting. Throws Cancelled when the callback says stop.
void report_step(const latent::TrainProgressFn& progress, double elapsed_s, double& last_report_s, int epoch,
                 int epochs, long step, long steps, long batch, long images_done,
                 const std::function<std::map<std::string, double>()>& losses);

// A trainer's checkpoint/state.json, for --resume: refused when missing, malformed, or
// made with other `run_args` than this run's (`what` names them: "settings"). The keys in
// `may_change` (a learning rate lowered for the last epochs) are left out of the comparison.
nlohmann::json read_checkpoint_state(const std::string& checkpoint_dir, const nlohmann::json& run_args,
                                     const std::string& what, const std::vector<std::string>& may_change = {});

}  // namespace latent::nets
