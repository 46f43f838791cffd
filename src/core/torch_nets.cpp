#include "torch_nets.h"

#include <filesystem>
#include <fstream>

#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"
#include "latent/pt_check.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace latent::nets {

nlohmann::json Arch::to_json() const {
  return {{"type", type}, {"size", size}, {"channels", channels}, {"latent", latent}, {"width", width}};
}

Arch Arch::from_json(const nlohmann::json& j, const std::string& file) {
  Arch a;
  a.type = require_field<std::string>(j, "type", file);
  a.size = require_field<int>(j, "size", file);
  a.channels = require_field<int>(j, "channels", file);
  a.latent = require_field<int>(j, "latent", file);
  a.width = require_field<int>(j, "width", file);
  if (a.size != 32 && a.size != 64) throw FormatError(file + ": arch.size must be 32 or 64, not " + std::to_string(a.size));
  if (a.channels != 1 && a.channels != 3)
    throw FormatError(file + ": arch.channels must be 1 or 3, not " + std::to_string(a.channels));
  if (a.latent < 1 || a.latent > 4096) throw FormatError(file + ": arch.latent out of range (1..4096)");
  if (a.width < 1 || a.width > 1024) throw FormatError(file + ": arch.width out of range (1..1024)");
  return a;
}

int stages_for(int size) { return size == 64 ? 4 : 3; }

namespace {

nn::ConvTranspose2d up(int in, int out, int k, int s, int p, bool bias) {
  return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, k).stride(s).padding(p).bias(bias));
}
nn::Conv2d down(int in, int out, int k, int s, int p, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(s).padding(p).bias(bias));
}
nn::LeakyReLU lrelu() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)); }
nn::ReLU relu() { return nn::ReLU(nn::ReLUOptions().inplace(true)); }

}  // namespace

// 64: ConvT(nz,8g,4,1,0) BN ReLU, 8g->4g->2g->g (4,2,1) BN ReLU, ConvT(g,nc,4,2,1) Tanh.
// 32: the same from 4g.
DcganGeneratorImpl::DcganGeneratorImpl(const Arch& a) : arch(a) {
  const int n = stages_for(a.size);
  int ch = a.width << (n - 1);
  body = nn::Sequential();
  body->push_back(up(a.latent, ch, 4, 1, 0, false));
  body->push_back(nn::BatchNorm2d(ch));
  body->push_back(relu());
  for (int i = 1; i < n; ++i) {
    body->push_back(up(ch, ch / 2, 4, 2, 1, false));
    body->push_back(nn::BatchNorm2d(ch / 2));
    body->push_back(relu());
    ch /= 2;
  }
  body->push_back(up(ch, a.channels, 4, 2, 1, false));
  body->push_back(nn::Tanh());
  register_module("body", body);
}

torch::Tensor DcganGeneratorImpl::forward(torch::Tensor z) {
  return body->forward(z.view({z.size(0), z.size(1), 1, 1}));
}

// 64: Conv(nc,d) LReLU, d->2d->4d->8d BN LReLU, Conv(8d,1,4,1,0). 32: up to 4d.
DcganDiscriminatorImpl::DcganDiscriminatorImpl(const Arch& a) : arch(a) {
  const int n = stages_for(a.size);
  int ch = a.width;
  body = nn::Sequential();
  body->push_back(down(a.channels, ch, 4, 2, 1, false));
  body->push_back(lrelu());
  for (int i = 1; i < n; ++i) {
    body->push_back(down(ch, ch * 2, 4, 2, 1, false));
    body->push_back(nn::BatchNorm2d(ch * 2));
    body->push_back(lrelu());
    ch *= 2;
  }
  body->push_back(down(ch, 1, 4, 1, 0, false));
  register_module("body", body);
}

torch::Tensor DcganDiscriminatorImpl::forward(torch::Tensor x) { return body->forward(x).view({-1}); }

VaeEncoderImpl::VaeEncoderImpl(const Arch& a) : arch(a) {
  const int n = stages_for(a.size);
  int ch = a.width;
  body = nn::Sequential();
  body->push_back(down(a.channels, ch, 4, 2, 1, true));
  body->push_back(lrelu());
  for (int i = 1; i < n; ++i) {
    body->push_back(down(ch, ch * 2, 4, 2, 1, true));
    body->push_back(nn::BatchNorm2d(ch * 2));
    body->push_back(lrelu());
    ch *= 2;
  }
  body->push_back(nn::Flatten());
  register_module("body", body);
  mu = register_module("mu", nn::Linear(ch * 16, a.latent));
  logvar = register_module("logvar", nn::Linear(ch * 16, a.latent));
}

std::pair<torch::Tensor, torch::Tensor> VaeEncoderImpl::forward(torch::Tensor x) {
  auto h = body->forward(x);
  return {mu->forward(h), logvar->forward(h)};
}

VaeDecoderImpl::VaeDecoderImpl(const Arch& a) : arch(a) {
  const int n = stages_for(a.size);
  top_channels = a.width << (n - 1);
  fc = register_module("fc", nn::Linear(a.latent, top_channels * 16));
  int ch = top_channels;
  body = nn::Sequential();
  body->push_back(relu());
  for (int i = 1; i < n; ++i) {
    body->push_back(up(ch, ch / 2, 4, 2, 1, true));
    body->push_back(nn::BatchNorm2d(ch / 2));
    body->push_back(relu());
    ch /= 2;
  }
  body->push_back(up(ch, a.channels, 4, 2, 1, true));
  body->push_back(nn::Sigmoid());
  register_module("body", body);
}

torch::Tensor VaeDecoderImpl::forward(torch::Tensor z) {
  return body->forward(fc->forward(z).view({z.size(0), top_channels, 4, 4}));
}

void dcgan_init(nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& sub : m.modules(/*include_self=*/false)) {
    const std::string name = sub->name();
    if (name.find("Conv") != std::string::npos) {
      for (auto& p : sub->named_parameters(false)) {
        if (p.key() == "weight") p.value().normal_(0.0, 0.02);
        else p.value().zero_();
      }
    } else if (name.find("BatchNorm") != std::string::npos) {
      for (auto& p : sub->named_parameters(false)) {
        if (p.key() == "weight") p.value().normal_(1.0, 0.02);
        else p.value().zero_();
      }
    }
  }
}

std::vector<Image> to_images(const torch::Tensor& t, float lo, float hi, bool clamp) {
  auto unit = (t.detach().to(torch::kCPU, torch::kFloat) - lo) / (hi - lo);
  if (clamp) unit = unit.clamp(0, 1);
  const auto hwc = unit.permute({0, 2, 3, 1}).contiguous();
  std::vector<Image> imgs;
  const float* p = hwc.data_ptr<float>();
  for (long i = 0; i < hwc.size(0); ++i) {
    Image img(static_cast<int>(hwc.size(2)), static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(3)));
    std::copy(p + i * img.size(), p + (i + 1) * img.size(), img.pixels.begin());
    imgs.push_back(std::move(img));
  }
  return imgs;
}

void save_weights(nn::Module& m, const std::string& path, bool half) {
  const std::string tmp = path + ".tmp";
  try {
    if (half) m.to(torch::kHalf);
    torch::serialize::OutputArchive archive;
    m.save(archive);
    archive.save_to(tmp);
    if (half) m.to(torch::kFloat);
  } catch (const c10::Error& e) {
    if (half) m.to(torch::kFloat);
    throw IoError(path + ": could not write the weights (" + std::string(e.what_without_backtrace()) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw IoError(path + ": could not rename " + tmp + " into place");
}

void load_weights(nn::Module& m, const std::string& path, bool half) {
  if (!fs::is_regular_file(path)) throw IoError(path + ": no such file");
  check_pt_archive(path);  // its zip records must fit the file before LibTorch reads them
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    // The archive's tensors replace the module's storage: give it the stored dtype first.
    if (half) m.to(torch::kHalf);
    m.load(archive);
    m.to(torch::kFloat);
  } catch (const c10::Error& e) {
    throw FormatError(path + ": not weights for this network (" +
                      std::string(e.what_without_backtrace()).substr(0, 300) + ")");
  }
}

torch::jit::Module load_script(const std::string& file, const std::string& named_in) {
  if (!fs::is_regular_file(file)) throw IoError(file + ": missing (named in " + named_in + ")");
  check_pt_archive(file);  // its zip records must fit the file before LibTorch reads them
  try {
    return torch::jit::load(file, torch::kCPU);
  } catch (const c10::Error& e) {
    throw FormatError(file + ": not a TorchScript module saved by PyTorch (" +
                      std::string(e.what_without_backtrace()).substr(0, 300) + ")");
  }
}

nlohmann::json read_checkpoint_state(const std::string& checkpoint_dir, const nlohmann::json& run_args,
                                     const std::string& what) {
  const std::string sp = checkpoint_dir + "/state.json";
  if (!fs::exists(sp)) throw IoError(sp + ": no checkpoint to resume from (train without --resume)");
  const nlohmann::json state = read_json_file(sp, "the checkpoint state");
  if (!state.is_object() || !state.contains("epoch")) throw FormatError(sp + ": not a checkpoint state");
  if (state.value("args", nlohmann::json()) != run_args)
    throw UnsupportedError(sp + ": the checkpoint was made with other " + what + " (" + state["args"].dump() +
                           "); resume with the same ones");
  return state;
}

}  // namespace latent::nets
