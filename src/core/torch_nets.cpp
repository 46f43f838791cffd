#include "torch_nets.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <type_traits>

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

SNConv2dImpl::SNConv2dImpl(int in, int out, int kernel, int stride_, int padding_)
    : stride(stride_), padding(padding_) {
  // PyTorch's Conv2d initialisation (Kaiming-uniform weight, bias from the fan-in).
  weight = register_parameter("weight", torch::empty({out, in, kernel, kernel}));
  nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in) * kernel * kernel);
  bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
  u = register_buffer("u", torch::nn::functional::normalize(torch::randn({out}),
                                                             torch::nn::functional::NormalizeFuncOptions().dim(0)));
}

torch::Tensor SNConv2dImpl::forward(torch::Tensor x) {
  namespace F = torch::nn::functional;
  const auto unit = F::NormalizeFuncOptions().dim(0).eps(1e-12);
  const torch::Tensor w = weight.view({weight.size(0), -1});
  torch::Tensor v;
  {
    torch::NoGradGuard no_grad;
    v = F::normalize(torch::mv(w.t(), u), unit);
    if (is_training()) {
      u.copy_(F::normalize(torch::mv(w, v), unit));
      v = F::normalize(torch::mv(w.t(), u), unit);
    }
  }
  // A copy of u: a later forward pass (fake images after real ones) updates u in place
  // before this pass's backward. The gradient flows through w only.
  const torch::Tensor sigma = torch::dot(u.clone(), torch::mv(w, v));
  return F::conv2d(x, weight / sigma, F::Conv2dFuncOptions().bias(bias).stride(stride).padding(padding));
}

double SNConv2dImpl::sigma() {
  torch::NoGradGuard no_grad;
  const torch::Tensor w = weight.view({weight.size(0), -1});
  const auto v = torch::nn::functional::normalize(torch::mv(w.t(), u),
                                                   torch::nn::functional::NormalizeFuncOptions().dim(0).eps(1e-12));
  return torch::dot(u, torch::mv(w, v)).item<double>();
}

// 64: Conv(nc,d) LReLU, d->2d->4d->8d BN LReLU, Conv(8d,1,4,1,0). 32: up to 4d.
DcganDiscriminatorImpl::DcganDiscriminatorImpl(const Arch& a, bool spectral_norm) : arch(a) {
  const int n = stages_for(a.size);
  int ch = a.width;
  auto conv = [&](int in, int out, int k, int s, int p) -> nn::AnyModule {
    if (spectral_norm) return nn::AnyModule(SNConv2d(in, out, k, s, p));
    return nn::AnyModule(down(in, out, k, s, p, false));
  };
  body = nn::Sequential();
  body->push_back(conv(a.channels, ch, 4, 2, 1));
  body->push_back(lrelu());
  for (int i = 1; i < n; ++i) {
    body->push_back(conv(ch, ch * 2, 4, 2, 1));
    if (!spectral_norm) body->push_back(nn::BatchNorm2d(ch * 2));
    body->push_back(lrelu());
    ch *= 2;
  }
  body->push_back(conv(ch, 1, 4, 1, 0));
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

namespace {

std::vector<std::string> split_policy(const std::string& policy) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= policy.size()) {
    const size_t end = std::min(policy.find(',', start), policy.size());
    std::string item = policy.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace

void check_augment_policy(const std::string& policy) {
  for (const auto& p : split_policy(policy))
    if (p != "color" && p != "translation" && p != "cutout")
      throw UnsupportedError("--augment: unknown transform '" + p + "' (color, translation, cutout)");
}

torch::Tensor diff_augment(torch::Tensor x, const std::string& policy) {
  namespace F = torch::nn::functional;
  const long b = x.size(0), h = x.size(2), w = x.size(3);
  const auto longs = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  for (const auto& p : split_policy(policy)) {
    if (p == "color") {
      x = x + (torch::rand({b, 1, 1, 1}, x.options()) - 0.5);
      const auto gray = x.mean(1, true);
      x = (x - gray) * (torch::rand({b, 1, 1, 1}, x.options()) * 2) + gray;
      const auto mean = x.mean({1, 2, 3}, true);
      x = (x - mean) * (torch::rand({b, 1, 1, 1}, x.options()) + 0.5) + mean;
    } else if (p == "translation") {
      const long sy = static_cast<long>(h * 0.125 + 0.5), sx = static_cast<long>(w * 0.125 + 0.5);
      const auto ty = torch::randint(-sy, sy + 1, {b, 1, 1}, longs);
      const auto tx = torch::randint(-sx, sx + 1, {b, 1, 1}, longs);
      const auto gb = torch::arange(b, longs).view({b, 1, 1}).expand({b, h, w});
      const auto gy = torch::clamp(torch::arange(h, longs).view({1, h, 1}) + ty + 1, 0, h + 1).expand({b, h, w});
      const auto gx = torch::clamp(torch::arange(w, longs).view({1, 1, w}) + tx + 1, 0, w + 1).expand({b, h, w});
      const auto padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1}));  // zeros around
      x = padded.permute({0, 2, 3, 1}).index({gb, gy, gx}).permute({0, 3, 1, 2});
    } else if (p == "cutout") {
      const long ch = static_cast<long>(h * 0.5 + 0.5), cw = static_cast<long>(w * 0.5 + 0.5);
      const auto oy = torch::randint(0, h + (1 - ch % 2), {b, 1, 1}, longs);
      const auto ox = torch::randint(0, w + (1 - cw % 2), {b, 1, 1}, longs);
      const auto gb = torch::arange(b, longs).view({b, 1, 1}).expand({b, ch, cw});
      const auto gy = torch::clamp(torch::arange(ch, longs).view({1, ch, 1}) + oy - ch / 2, 0, h - 1).expand({b, ch, cw});
      const auto gx = torch::clamp(torch::arange(cw, longs).view({1, 1, cw}) + ox - cw / 2, 0, w - 1).expand({b, ch, cw});
      auto mask = torch::ones({b, h, w}, x.options());
      mask.index_put_({gb, gy, gx}, 0);
      x = x * mask.unsqueeze(1);
    } else {
      throw UnsupportedError("unknown augmentation '" + p + "' (color, translation, cutout)");
    }
  }
  return x.contiguous();
}

void ema_update(nn::Module& avg, nn::Module& model, double decay) {
  torch::NoGradGuard no_grad;
  auto ap = avg.parameters(), mp = model.parameters();
  auto ab = avg.buffers(), mb = model.buffers();
  if (ap.size() != mp.size() || ab.size() != mb.size())
    throw UnsupportedError("ema_update: the two networks differ in structure");
  for (size_t i = 0; i < ap.size(); ++i) ap[i].mul_(decay).add_(mp[i].detach(), 1.0 - decay);
  for (size_t i = 0; i < ab.size(); ++i) ab[i].copy_(mb[i]);
}

void recompute_batch_norm(nn::Module& generator, int latent, int batches, int batch, torch::Device device) {
  torch::NoGradGuard no_grad;
  std::vector<nn::BatchNorm2dImpl*> norms;
  for (auto& m : generator.modules(false))
    if (auto* bn = dynamic_cast<nn::BatchNorm2dImpl*>(m.get())) norms.push_back(bn);
  if (norms.empty()) return;
  std::vector<std::decay_t<decltype(norms.front()->options.momentum())>> momentum;
  for (auto* bn : norms) {
    momentum.push_back(bn->options.momentum());
    bn->options.momentum({});  // none: a cumulative average over the passes below
    bn->reset_running_stats();
  }
  generator.train();
  for (int i = 0; i < batches; ++i) {
    auto z = torch::randn({batch, latent}, torch::TensorOptions().device(device));
    // Through the module's forward: DcganGenerator and VaeDecoder both take z [B, latent].
    if (auto* g = dynamic_cast<DcganGeneratorImpl*>(&generator)) g->forward(z);
    else if (auto* d = dynamic_cast<VaeDecoderImpl*>(&generator)) d->forward(z);
    else throw UnsupportedError("recompute_batch_norm: not a generator");
  }
  for (size_t i = 0; i < norms.size(); ++i) norms[i]->options.momentum(momentum[i]);
  generator.eval();
}

GanStepLosses gan_step(DcganGenerator& G, const std::function<torch::Tensor(const torch::Tensor&)>& D,
                       torch::optim::Optimizer& opt_g, torch::optim::Optimizer& opt_d, const torch::Tensor& real,
                       int latent, const std::string& policy) {
  namespace F = torch::nn::functional;
  auto seen = [&](const torch::Tensor& x) { return policy.empty() ? x : diff_augment(x, policy); };
  const long b = real.size(0);
  const auto ones = torch::ones({b}, real.options()), zeros = torch::zeros({b}, real.options());
  opt_d.zero_grad();
  const auto out_real = D(seen(real));
  const auto loss_real = F::binary_cross_entropy_with_logits(out_real, ones);
  const auto fake = G->forward(torch::randn({b, latent}, real.options()));
  const auto out_fake = D(seen(fake.detach()));
  const auto loss_fake = F::binary_cross_entropy_with_logits(out_fake, zeros);
  const auto loss_d = loss_real + loss_fake;
  loss_d.backward();
  opt_d.step();
  opt_g.zero_grad();
  const auto out_g = D(seen(fake));
  const auto loss_g = F::binary_cross_entropy_with_logits(out_g, ones);
  loss_g.backward();
  opt_g.step();
  GanStepLosses l;
  l.loss_d = loss_d.item<double>();
  l.loss_g = loss_g.item<double>();
  l.d_real = torch::sigmoid(out_real).mean().item<double>();
  l.d_fake = torch::sigmoid(out_fake).mean().item<double>();
  return l;
}

torch::Tensor dataset_tensor(const latent::ImageDataset& ds, int size, int channels) {
  const long count = ds.count();
  const long per = static_cast<long>(size) * size * channels;
  auto hwc = torch::empty({count, size, size, channels}, torch::kFloat);
  float* dst = hwc.data_ptr<float>();
  const bool same = ds.width == size && ds.height == size && ds.channels == channels;
  for (long i = 0; i < count; ++i) {
    if (same) {
      std::copy(ds.data.row(i).data(), ds.data.row(i).data() + per, dst + i * per);
    } else {
      const Image img = convert_image(ds.image(i), size, size, channels);
      std::copy(img.pixels.begin(), img.pixels.end(), dst + i * per);
    }
  }
  return hwc.permute({0, 3, 1, 2}).contiguous();
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

void report_step(const TrainProgressFn& progress, double elapsed_s, double& last_report_s, int epoch, int epochs,
                 long step, long steps, long batch, long images_done,
                 const std::function<std::map<std::string, double>()>& losses) {
  if (!progress || (elapsed_s - last_report_s < 2.0 && step + 1 != steps)) return;
  last_report_s = elapsed_s;
  TrainProgress p;
  p.epoch = epoch;
  p.epochs = epochs;
  p.step = step + 1;
  p.steps = steps;
  p.images_per_s = images_done / std::max(1e-9, elapsed_s);
  const double left = static_cast<double>((epochs - epoch) * steps + (steps - step - 1)) * batch;
  p.eta_s = left / std::max(1e-9, p.images_per_s);
  p.losses = losses();
  if (!progress(p)) throw Cancelled();
}

nlohmann::json read_checkpoint_state(const std::string& checkpoint_dir, const nlohmann::json& run_args,
                                     const std::string& what, const std::vector<std::string>& may_change) {
  const std::string sp = checkpoint_dir + "/state.json";
  if (!fs::exists(sp)) throw IoError(sp + ": no checkpoint to resume from (train without --resume)");
  const nlohmann::json state = read_json_file(sp, "the checkpoint state");
  if (!state.is_object() || !state.contains("epoch")) throw FormatError(sp + ": not a checkpoint state");
  nlohmann::json was = state.value("args", nlohmann::json()), now = run_args;
  for (const std::string& k : may_change) {
    if (was.is_object()) was.erase(k);
    if (now.is_object()) now.erase(k);
  }
  if (was != now)
    throw UnsupportedError(sp + ": the checkpoint was made with other " + what + " (" + state["args"].dump() +
                           "); resume with the same ones");
  return state;
}

}  // namespace latent::nets
