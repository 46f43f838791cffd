// TorchImageSpace: decoders and encoders on LibTorch, CPU or CUDA.
#include "latent/torch_space.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <torch/script.h>
#include <torch/torch.h>

#include "latent/errors.h"
#include "latent/model_package.h"
#include "latent/pt_check.h"
#include "torch_nets.h"

namespace fs = std::filesystem;

namespace latent {

// --------------------------------------------------------------- devices and threads

bool cuda_available() {
  try {
    return torch::cuda::is_available();
  } catch (...) {
    return false;
  }
}

DeviceChoice resolve_device(const std::string& requested) {
  DeviceChoice d{requested, "cpu", ""};
  if (requested == "cpu") return d;
  if (requested == "auto") {
    if (cuda_available()) d.used = "cuda";
    return d;
  }
  if (requested == "cuda" || requested.rfind("cuda:", 0) == 0) {
    if (cuda_available()) {
      d.used = "cuda";
    } else {
      d.note = "CUDA was asked for, but this LibTorch build or machine has no usable CUDA GPU; "
               "running on the CPU instead";
    }
    return d;
  }
  throw UnsupportedError("unknown device \"" + requested + "\" (use cpu, cuda or auto)");
}

std::string torch_build_summary() {
  std::string s = "LibTorch " + std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                  "." + std::to_string(TORCH_VERSION_PATCH);
  if (cuda_available())
    s += ", CUDA (" + std::to_string(torch::cuda::device_count()) + " GPU)";
  else
    s += ", CPU only";
  s += ", " + std::to_string(at::get_num_threads()) + " intra-op thread(s)";
  return s;
}

namespace {


std::string short_what(const std::exception& e) {
  std::string w;
  if (auto* ce = dynamic_cast<const c10::Error*>(&e))
    w = ce->what_without_backtrace();
  else
    w = e.what();
  // An error inside a TorchScript program: the first line only says so, and the cause
  // (e.g. "RuntimeError: ... can't allocate memory ...") is the last line of the traceback.
  if (w.rfind("The following operation failed in the TorchScript interpreter", 0) == 0) {
    size_t end = w.find_last_not_of("\n ");
    size_t start = end == std::string::npos ? std::string::npos : w.rfind('\n', end);
    if (end != std::string::npos && start != std::string::npos && start < end)
      w = "in the TorchScript program: " + w.substr(start + 1, end - start);
  }
  const auto nl = w.find('\n');
  if (nl != std::string::npos) w = w.substr(0, nl);
  if (w.size() > 300) w = w.substr(0, 300) + "...";
  return w;
}

}  // namespace

// --------------------------------------------------------------- implementation

struct TorchImageSpace::Impl {
  torch::Device device{torch::kCPU};
  std::string decoder_file, encoder_file;
  std::optional<torch::jit::Module> ts_decoder, ts_encoder;
  mutable nets::DcganGenerator own_generator{nullptr};
  mutable nets::VaeDecoder own_decoder{nullptr};
  mutable nets::VaeEncoder own_encoder{nullptr};
  float lo = -1.f, hi = 1.f;
  bool z4d = false;
  bool uniform_prior = false;
  int C = 0, H = 0, W = 0, D = 0;

  bool has_encoder() const { return ts_encoder.has_value() || !own_encoder.is_empty(); }

  // z [B, D] -> images [B, C, H, W] in the model's range.
  torch::Tensor decode(const torch::Tensor& z) const {
    if (ts_decoder) {
      auto in = z4d ? z.view({z.size(0), z.size(1), 1, 1}) : z;
      auto out = const_cast<torch::jit::Module&>(*ts_decoder).forward({in});
      if (!out.isTensor()) throw FormatError(decoder_file + ": forward returned " + out.tagKind() + ", not a tensor");
      return out.toTensor();
    }
    if (!own_generator.is_empty()) return own_generator->forward(z);
    return own_decoder->forward(z);
  }

  // images [B, C, H, W] in the model's range -> mean [B, D].
  torch::Tensor encode(const torch::Tensor& x) const {
    if (ts_encoder) {
      auto out = const_cast<torch::jit::Module&>(*ts_encoder).forward({x});
      if (out.isTuple()) {
        const auto& elems = out.toTupleRef().elements();
        if (elems.empty() || !elems[0].isTensor())
          throw FormatError(encoder_file + ": forward returned a tuple whose first element is not a tensor");
        out = elems[0];
      } else if (out.isTensorList()) {
        out = out.toTensorList().get(0);
      }
      if (!out.isTensor()) throw FormatError(encoder_file + ": forward returned " + out.tagKind() + ", not a tensor");
      return out.toTensor().reshape({x.size(0), -1});
    }
    return own_encoder->forward(x).first;
  }

  torch::Tensor to_tensor(const std::vector<Latent>& zs) const {
    auto t = torch::empty({static_cast<long>(zs.size()), D}, torch::kFloat);
    for (size_t i = 0; i < zs.size(); ++i) std::copy(zs[i].begin(), zs[i].end(), t.data_ptr<float>() + i * D);
    return t.to(device);
  }

  // Image in [0,1] HWC -> [1, C, H, W] in the model's range.
  torch::Tensor image_tensor(const Image& img) const {
    auto t = torch::from_blob(const_cast<float*>(img.pixels.data()), {H, W, C}, torch::kFloat)
                 .permute({2, 0, 1})
                 .unsqueeze(0)
                 .clone();
    return (t * (hi - lo) + lo).to(device);
  }

  void check_output(const torch::Tensor& out, long batch) const {
    const std::vector<int64_t> want{batch, C, H, W};
    if (out.sizes().vec() != want) {
      std::string got = "[";
      for (size_t i = 0; i < out.sizes().size(); ++i) got += (i ? "," : "") + std::to_string(out.sizes()[i]);
      got += "]";
      throw FormatError(decoder_file + ": the decoder gives images of shape " + got + ", but model.json says [" +
                        std::to_string(batch) + "," + std::to_string(C) + "," + std::to_string(H) + "," +
                        std::to_string(W) + "]");
    }
    if (!torch::isfinite(out).all().item<bool>())
      throw FormatError(decoder_file + ": the decoder's output has NaN or Inf values");
  }

  // [B, C, H, W] in the model's range -> images in [0,1] HWC.
  std::vector<Image> to_images(const torch::Tensor& out) const { return nets::to_images(out, lo, hi); }
};

TorchImageSpace::~TorchImageSpace() = default;

namespace {

void freeze(torch::jit::Module& m) {
  m.eval();
  for (auto p : m.parameters()) p.requires_grad_(false);
}
void freeze(torch::nn::Module& m) {
  m.eval();
  for (auto& p : m.parameters()) p.requires_grad_(false);
}

torch::jit::Module load_torchscript(const std::string& path, const torch::Device& device) {
  if (!fs::is_regular_file(path)) throw IoError(path + ": no such file");
  check_pt_archive(path);  // its zip records must fit the file before LibTorch reads them
  try {
    return torch::jit::load(path, device);
  } catch (const std::exception& e) {
    throw FormatError(path + ": not a TorchScript file that LibTorch can load (" + short_what(e) +
                      "). Save it from PyTorch with torch.jit.script(model).save(path) or torch.jit.trace");
  }
}

}  // namespace

std::unique_ptr<TorchImageSpace> TorchImageSpace::load(const std::string& dir, const nlohmann::json& header,
                                                       const TorchImageSpaceOptions& options) {
  const std::string file = (fs::path(dir) / "model.json").string();
  std::unique_ptr<TorchImageSpace> s(new TorchImageSpace());
  s->impl_ = std::make_unique<Impl>();
  Impl& im = *s->impl_;
  s->header_ = header;
  s->device_ = resolve_device(options.device);
  im.device = s->device_.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

  const auto torch_j = require_field<nlohmann::json>(header, "torch", file);
  im.D = require_field<int>(header, "latent_dim", file);
  if (im.D < 1 || im.D > 65536) throw FormatError(file + ": latent_dim out of range (1..65536)");
  const ObservationShape obs = read_observation(header, file);
  im.C = obs.channels;
  im.H = obs.height;
  im.W = obs.width;
  if (im.C != 1 && im.C != 3) throw FormatError(file + ": observation.channels must be 1 or 3");
  const auto range = require_field<std::vector<double>>(torch_j, "output_range", file);
  if (range.size() != 2 || !(range[1] > range[0]))
    throw FormatError(file + ": torch.output_range must be [lo, hi] with lo < hi, e.g. [-1, 1]");
  im.lo = static_cast<float>(range[0]);
  im.hi = static_cast<float>(range[1]);
  const std::string z_shape = torch_j.value("z_shape", "flat");
  if (z_shape != "flat" && z_shape != "4d") throw FormatError(file + ": torch.z_shape must be \"flat\" or \"4d\"");
  im.z4d = z_shape == "4d";
  const std::string prior = torch_j.value("prior", "normal");
  if (prior != "normal" && prior != "uniform") throw FormatError(file + ": torch.prior must be \"normal\" or \"uniform\"");
  im.uniform_prior = prior == "uniform";
  const std::string weights_dtype = torch_j.value("weights_dtype", "float32");
  if (weights_dtype != "float32" && weights_dtype != "float16")
    throw FormatError(file + ": torch.weights_dtype must be \"float32\" or \"float16\"");
  const bool half = weights_dtype == "float16";

  auto open_part = [&](const nlohmann::json& part, bool decoder) {
    const std::string fmt = require_field<std::string>(part, "format", file);
    const std::string path = (fs::path(dir) / require_field<std::string>(part, "file", file)).string();
    (decoder ? im.decoder_file : im.encoder_file) = path;
    if (fmt == "torchscript") {
      auto m = load_torchscript(path, im.device);
      freeze(m);
      (decoder ? im.ts_decoder : im.ts_encoder) = std::move(m);
    } else if (fmt == "libtorch") {
      if (!fs::is_regular_file(path)) throw IoError(path + ": no such file");
      check_pt_archive(path);
      const nets::Arch a = nets::Arch::from_json(require_field<nlohmann::json>(part, "arch", file), file);
      if (a.latent != im.D || a.channels != im.C || a.size != im.H || a.size != im.W)
        throw FormatError(file + ": arch (" + a.to_json().dump() + ") does not match latent_dim and observation");
      if (decoder && a.type == "dcgan-generator") {
        im.own_generator = nets::DcganGenerator(a);
        nets::load_weights(*im.own_generator, path, half);
        freeze(*im.own_generator);
        im.own_generator->to(im.device);
      } else if (decoder && a.type == "vae-decoder") {
        im.own_decoder = nets::VaeDecoder(a);
        nets::load_weights(*im.own_decoder, path, half);
        freeze(*im.own_decoder);
        im.own_decoder->to(im.device);
      } else if (!decoder && a.type == "vae-encoder") {
        im.own_encoder = nets::VaeEncoder(a);
        nets::load_weights(*im.own_encoder, path, half);
        freeze(*im.own_encoder);
        im.own_encoder->to(im.device);
      } else {
        throw FormatError(file + ": arch.type \"" + a.type + "\" cannot be the " + (decoder ? "decoder" : "encoder"));
      }
    } else {
      throw FormatError(file + ": format \"" + fmt + "\" is neither \"torchscript\" nor \"libtorch\"");
    }
  };
  open_part(require_field<nlohmann::json>(torch_j, "decoder", file), true);
  if (torch_j.contains("encoder") && !torch_j["encoder"].is_null())
    open_part(require_field<nlohmann::json>(torch_j, "encoder", file), false);

  // One decode of the prior mean checks the shape and the values now, not mid-show.
  try {
    c10::InferenceMode guard;
    auto out = im.decode(torch::zeros({1, im.D}, torch::kFloat).to(im.device));
    im.check_output(out, 1);
    if (im.has_encoder()) {
      auto mu = im.encode(out);
      if (mu.size(0) != 1 || mu.size(1) != im.D)
        throw FormatError(im.encoder_file + ": the encoder gives " + std::to_string(mu.size(1)) +
                          " values per image, but latent_dim is " + std::to_string(im.D));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw FormatError(im.decoder_file + ": running the model on one latent point failed (" + short_what(e) + ")");
  }

  SpaceInfo& info = s->info_;
  info.name = header.value("name", fs::path(dir).filename().string());
  info.kind = "torch-image";
  info.dim = im.D;
  info.modality = Modality::Image;
  info.observation = {im.W, im.H, im.C, 0.f, 1.f};
  info.can_decode = true;
  info.can_encode = im.has_encoder();
  info.can_sample = true;
  info.device = s->device_.used;
  info.source = dir;
  return s;
}

std::vector<Image> TorchImageSpace::decode_batch(const std::vector<Latent>& zs) const {
  for (const auto& z : zs) check_latent(z);
  if (zs.empty()) return {};
  try {
    c10::InferenceMode guard;
    auto out = impl_->decode(impl_->to_tensor(zs));
    impl_->check_output(out, static_cast<long>(zs.size()));
    return impl_->to_images(out);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw FormatError(impl_->decoder_file + ": decoding failed (" + short_what(e) + ")");
  }
}

Image TorchImageSpace::decode(const Latent& z) const { return decode_batch({z}).front(); }

RowMatrixXf TorchImageSpace::first_layer_weight() const {
  const long d = info_.dim;
  std::vector<std::pair<std::string, torch::Tensor>> params;
  if (impl_->ts_decoder) {
    for (const auto& p : impl_->ts_decoder->named_parameters(true)) params.emplace_back(p.name, p.value);
  } else {
    const torch::nn::Module& m = !impl_->own_generator.is_empty() ? static_cast<const torch::nn::Module&>(*impl_->own_generator)
                                                                   : static_cast<const torch::nn::Module&>(*impl_->own_decoder);
    for (const auto& p : m.named_parameters(true)) params.emplace_back(p.key(), p.value());
  }
  for (const auto& [name, t] : params) {
    if (t.dim() < 2) continue;
    torch::Tensor w;
    if (t.dim() >= 3 && t.size(0) == d) w = t.reshape({d, -1});          // ConvTranspose [D, C, k, k]
    else if (t.dim() == 2 && t.size(1) == d) w = t.t();                  // Linear [m, D]
    else if (t.dim() == 2 && t.size(0) == d) w = t;                      // a matmul's [D, m]
    else continue;
    w = w.to(torch::kCPU, torch::kFloat).contiguous();
    RowMatrixXf out(d, w.size(1));
    std::copy(w.data_ptr<float>(), w.data_ptr<float>() + out.size(), out.data());
    return out;
  }
  throw UnsupportedError(info_.name + ": no weight of its decoder reads the " + std::to_string(d) +
                         "-d latent directly (SeFa needs a first layer that is a linear map of z)");
}

nets::SpaceDecoder nets::space_decoder(const TorchImageSpace& space) {
  const TorchImageSpace::Impl& im = space.impl();
  SpaceDecoder d;
  d.decode = [&im](const torch::Tensor& z) { return im.decode(z); };
  d.device = im.device;
  d.lo = im.lo;
  d.hi = im.hi;
  d.channels = im.C;
  d.height = im.H;
  d.width = im.W;
  d.latent = im.D;
  d.file = im.decoder_file;
  return d;
}

Latent TorchImageSpace::encode(const Image& image) const {
  if (!impl_->has_encoder()) return Space::encode(image);
  return encode_batch({image}).front();
}

std::vector<Latent> TorchImageSpace::encode_batch(const std::vector<Image>& images) const {
  if (!impl_->has_encoder()) return Space::encode_batch(images);
  const Impl& im = *impl_;
  for (const Image& image : images)
    if (image.width != im.W || image.height != im.H || image.channels != im.C)
      throw UnsupportedError("the encoder takes " + std::to_string(im.W) + "x" + std::to_string(im.H) + "x" +
                             std::to_string(im.C) + " images, not " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) + "x" + std::to_string(image.channels));
  if (images.empty()) return {};
  try {
    c10::InferenceMode guard;
    std::vector<torch::Tensor> xs;
    xs.reserve(images.size());
    for (const Image& image : images) xs.push_back(im.image_tensor(image));
    auto mu = im.encode(torch::cat(xs, 0)).to(torch::kCPU, torch::kFloat).contiguous();
    if (mu.size(0) != static_cast<long>(images.size()) || mu.size(1) != im.D)
      throw FormatError(im.encoder_file + ": the encoder gives [" + std::to_string(mu.size(0)) + "," +
                        std::to_string(mu.size(1)) + "] for " + std::to_string(images.size()) + " images of a " +
                        std::to_string(im.D) + "-d space");
    if (!torch::isfinite(mu).all().item<bool>())
      throw FormatError(im.encoder_file + ": the encoder's output has NaN or Inf values");
    std::vector<Latent> out(images.size());
    for (size_t i = 0; i < images.size(); ++i)
      out[i].assign(mu.data_ptr<float>() + i * im.D, mu.data_ptr<float>() + (i + 1) * im.D);
    return out;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw FormatError(im.encoder_file + ": encoding failed (" + short_what(e) + ")");
  }
}

std::vector<Latent> TorchImageSpace::sample(int n, uint64_t seed) const {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<Latent> out(std::max(0, n), Latent(impl_->D));
  for (auto& z : out)
    for (auto& v : z) v = impl_->uniform_prior ? uniform(rng) : normal(rng);
  return out;
}

std::vector<float> TorchImageSpace::scale() const {
  return std::vector<float>(impl_->D, impl_->uniform_prior ? 1.f / 3.f : 1.f);
}

DecodeBench bench_decode(const Space& space, int batch, int iters, int warmup) {
  const auto zs = space.sample(std::max(1, batch), 1234);
  const auto* t = dynamic_cast<const TorchImageSpace*>(&space);
  // decode_batch copies its result to the CPU, so a CUDA decode has finished when it returns.
  auto decode_all = [&] {
    if (t) {
      t->decode_batch(zs);
    } else {
      for (const auto& z : zs) space.decode(z);
    }
  };
  for (int i = 0; i < warmup; ++i) decode_all();
  DecodeBench r;
  for (int i = 0; i < std::max(1, iters); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    decode_all();
    r.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  auto sorted = r.ms;
  std::sort(sorted.begin(), sorted.end());
  r.median_ms = sorted[sorted.size() / 2];
  r.p90_ms = sorted[std::min(sorted.size() - 1, static_cast<size_t>(std::ceil(0.9 * sorted.size())) - 1)];
  r.images_per_s = static_cast<double>(zs.size()) * 1000.0 / r.median_ms;
  return r;
}

TorchImageSpace::InvertResult TorchImageSpace::invert(const Image& target, const InvertOptions& o,
                                                      const ProgressFn& progress) const {
  const Impl& im = *impl_;
  if (target.width != im.W || target.height != im.H || target.channels != im.C)
    throw UnsupportedError("invert: the image must be " + std::to_string(im.W) + "x" + std::to_string(im.H) + "x" +
                           std::to_string(im.C) + " (convert it to the model's shape first)");
  const int R = std::max(1, o.restarts);
  const double unit = static_cast<double>(im.hi - im.lo) * (im.hi - im.lo);
  InvertResult res;
  try {
    const auto x = im.image_tensor(target);
    std::vector<Latent> starts = sample(R, o.seed);
    if (o.use_encoder && im.has_encoder()) starts[0] = encode(target);
    auto z = im.to_tensor(starts);
    auto per_image = [&](const torch::Tensor& out) { return (out - x).pow(2).mean({1, 2, 3}); };
    torch::Tensor best_out;
    {
      torch::NoGradGuard ng;
      auto out = im.decode(z);
      auto mse = per_image(out) / unit;
      res.start_mse = mse.min().item<double>();
    }
    if (o.steps > 0) {
      z.requires_grad_(true);
      torch::optim::Adam opt({z}, torch::optim::AdamOptions(o.learning_rate));
      for (int step = 0; step < o.steps; ++step) {
        opt.zero_grad();
        auto out = im.decode(z);
        auto loss = per_image(out).sum() + o.prior_weight * z.pow(2).mean(1).sum();
        loss.backward();
        opt.step();
        if (progress && (step % 10 == 9 || step + 1 == o.steps)) {
          torch::NoGradGuard ng;
          const double m = (per_image(out) / unit).min().item<double>();
          char buf[96];
          std::snprintf(buf, sizeof buf, "step %d/%d, best mse %.5f", step + 1, o.steps, m);
          if (!progress(static_cast<float>(step + 1) / o.steps, buf)) throw Cancelled();
        }
      }
    }
    torch::NoGradGuard ng;
    auto zd = z.detach();
    auto out = im.decode(zd);
    auto mse = per_image(out) / unit;
    const long best = mse.argmin().item<long>();
    res.best_restart = static_cast<int>(best);
    res.mse = mse[best].item<double>();
    auto zb = zd[best].to(torch::kCPU).contiguous();
    res.z.assign(zb.data_ptr<float>(), zb.data_ptr<float>() + im.D);
    res.reconstruction = im.to_images(out.index({torch::indexing::Slice(best, best + 1)})).front();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw FormatError(im.decoder_file + ": inversion failed (" + short_what(e) + ")");
  }
  return res;
}

// --------------------------------------------------------------- import

void import_torchscript(const TorchScriptImport& spec) {
  if (spec.latent < 1) throw UnsupportedError("--latent must be at least 1");
  if (spec.channels != 1 && spec.channels != 3) throw UnsupportedError("--shape: channels must be 1 or 3");
  if (spec.width < 1 || spec.height < 1 || spec.width > 4096 || spec.height > 4096)
    throw UnsupportedError("--shape: height and width must be 1..4096");
  if (!(spec.range_hi > spec.range_lo)) throw UnsupportedError("--range: lo must be below hi (e.g. -1,1)");
  if (spec.z_shape != "flat" && spec.z_shape != "4d") throw UnsupportedError("--z-shape must be flat or 4d");
  if (spec.prior != "normal" && spec.prior != "uniform") throw UnsupportedError("--prior must be normal or uniform");
  if (!fs::is_regular_file(spec.generator)) throw IoError(spec.generator + ": no such file");
  if (!spec.encoder.empty() && !fs::is_regular_file(spec.encoder)) throw IoError(spec.encoder + ": no such file");
  if (spec.replace && fs::exists(spec.out_dir) && fs::exists(fs::path(spec.out_dir) / "model.json")) fs::remove_all(spec.out_dir);
  if (fs::exists(spec.out_dir) && !fs::is_empty(spec.out_dir))
    throw IoError(spec.out_dir + ": already exists and is not empty (choose a new --out folder)");
  fs::create_directories(spec.out_dir);
  try {
    fs::copy_file(spec.generator, fs::path(spec.out_dir) / "generator.pt");
    nlohmann::json torch_j = {
        {"decoder", {{"file", "generator.pt"}, {"format", "torchscript"}}},
        {"output_range", {spec.range_lo, spec.range_hi}},
        {"z_shape", spec.z_shape},
        {"prior", spec.prior},
    };
    if (!spec.encoder.empty()) {
      fs::copy_file(spec.encoder, fs::path(spec.out_dir) / "encoder.pt");
      torch_j["encoder"] = {{"file", "encoder.pt"}, {"format", "torchscript"}};
    }
    ObservationShape obs{spec.width, spec.height, spec.channels, 0.f, 1.f};
    nlohmann::json header = {
        {"format", "latent-studio-model"},
        {"format_version", kModelFormatVersion},
        {"kind", "torch-image"},
        {"name", spec.name.empty() ? fs::path(spec.out_dir).filename().string() : spec.name},
        {"latent_dim", spec.latent},
        {"observation", observation_json(obs, Modality::Image)},
        {"torch", torch_j},
        {"imported_from", {{"generator", fs::absolute(spec.generator).string()},
                           {"encoder", spec.encoder.empty() ? "" : fs::absolute(spec.encoder).string()}}},
    };
    write_file_atomic((fs::path(spec.out_dir) / "model.json").string(), header.dump(2) + "\n");
    if (spec.verify) {
      TorchImageSpaceOptions o;
      o.device = "cpu";
      TorchImageSpace::load(spec.out_dir, header, o);
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(spec.out_dir, ec);
    throw;
  }
}

// --------------------------------------------------------------- probing a bare generator

nlohmann::json TorchScriptProbe::to_json() const {
  return {{"latent", latent},       {"z_shape", z_shape},       {"channels", channels},     {"height", height},
          {"width", width},         {"range", {range_lo, range_hi}}, {"sample_min", sample_min},
          {"sample_max", sample_max}, {"range_guess", range_guess}, {"declared", declared},   {"tried", tried}};
}

TorchScriptProbe TorchScriptProbe::from_json(const nlohmann::json& j) {
  TorchScriptProbe p;
  p.latent = j.value("latent", 0);
  p.z_shape = j.value("z_shape", std::string("flat"));
  p.channels = j.value("channels", 0);
  p.height = j.value("height", 0);
  p.width = j.value("width", 0);
  const auto r = j.value("range", std::vector<float>{-1.f, 1.f});
  if (r.size() == 2) p.range_lo = r[0], p.range_hi = r[1];
  p.sample_min = j.value("sample_min", 0.f);
  p.sample_max = j.value("sample_max", 0.f);
  p.range_guess = j.value("range_guess", std::string());
  p.declared = j.value("declared", false);
  p.tried = j.value("tried", std::vector<std::string>{});
  return p;
}

namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

}  // namespace

TorchScriptProbe probe_torchscript(const std::string& file) {
  if (!fs::is_regular_file(file)) throw IoError(file + ": no such file");
  torch::NoGradGuard ng;
  torch::jit::Module m = nets::load_script(file, "TorchScript generator");
  m.eval();
  TorchScriptProbe p;
  // A traced module records its input's shape: try that first.
  std::vector<std::pair<int, bool>> tries;  // latent, 4d
  try {
    const auto graph = m.get_method("forward").graph();
    if (graph->inputs().size() >= 2)
      if (auto tt = graph->inputs()[1]->type()->cast<c10::TensorType>())
        if (auto sizes = tt->sizes().concrete_sizes(); sizes && sizes->size() >= 2 && (*sizes)[1] > 0 &&
                                                       (*sizes)[1] <= 65536) {
          const bool four = sizes->size() == 4;
          tries.emplace_back(static_cast<int>((*sizes)[1]), four);
          tries.emplace_back(static_cast<int>((*sizes)[1]), !four);
        }
  } catch (const std::exception&) {
  }
  const size_t declared_tries = tries.size();
  for (int d : {100, 128, 512, 64, 256, 32, 16, 20, 10, 2, 8, 50, 120, 200, 300, 1024, 4, 3, 5, 6, 12, 24, 40, 48, 62,
                80, 96, 150, 160, 192, 384, 768, 1000, 1})
    for (bool four : {false, true}) tries.emplace_back(d, four);
  torch::manual_seed(0);
  for (size_t t = 0; t < tries.size() && p.latent == 0; ++t) {
    const auto [d, four] = tries[t];
    const std::vector<int64_t> in_shape = four ? std::vector<int64_t>{2, d, 1, 1} : std::vector<int64_t>{2, d};
    try {
      const auto out = m.forward({torch::randn(in_shape)});
      if (!out.isTensor()) {
        p.tried.push_back(shape_text(in_shape) + ": forward returned " + out.tagKind() + ", not a tensor");
        continue;
      }
      const auto o = out.toTensor();
      const auto os = o.sizes().vec();
      if (o.dim() != 4 || os[0] != 2 || os[1] < 1 || os[1] > 4 || os[2] < 4 || os[3] < 4 || os[2] > 4096 ||
          os[3] > 4096) {
        p.tried.push_back(shape_text(in_shape) + ": gives " + shape_text(os) + ", not an image batch [B,C,H,W]");
        continue;
      }
      p.latent = d;
      p.z_shape = four ? "4d" : "flat";
      p.channels = static_cast<int>(os[1]);
      p.height = static_cast<int>(os[2]);
      p.width = static_cast<int>(os[3]);
      p.declared = t < declared_tries;
      p.tried.push_back(shape_text(in_shape) + ": gives " + shape_text(os));
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      if (why.size() > 160) why = why.substr(0, 160) + "...";
      p.tried.push_back(shape_text(in_shape) + ": " + why);
    }
  }
  if (p.latent == 0) {
    std::string sample;
    for (size_t i = 0; i < std::min<size_t>(4, p.tried.size()); ++i) sample += "; " + p.tried[i];
    throw UnsupportedError(file + ": no latent size made it give images: tried " + std::to_string(tries.size()) +
                           " inputs (latent sizes 1 to 1024, as [B,D] and [B,D,1,1])" + sample +
                           ". If it takes something else, import it by hand: latent import-torchscript FILE --latent D --shape C,H,W --range LO,HI --out DIR");
  }
  const std::vector<int64_t> in = p.z_shape == "4d" ? std::vector<int64_t>{32, p.latent, 1, 1}
                                                    : std::vector<int64_t>{32, p.latent};
  const auto o = m.forward({torch::randn(in)}).toTensor().to(torch::kFloat);
  if (!torch::isfinite(o).all().item<bool>()) throw UnsupportedError(file + ": its output holds NaN or Inf values");
  p.sample_min = o.min().item<float>();
  p.sample_max = o.max().item<float>();
  const float lo = p.sample_min, hi = p.sample_max;
  if (lo >= -1.02f && hi <= 1.02f && lo < -0.05f) {
    p.range_lo = -1, p.range_hi = 1, p.range_guess = "tanh-like: [-1, 1]";
  } else if (lo >= -0.02f && hi <= 1.02f) {
    p.range_lo = 0, p.range_hi = 1, p.range_guess = "sigmoid-like: [0, 1]";
  } else if (lo >= -0.5f && hi <= 255.5f && hi > 2.f) {
    p.range_lo = 0, p.range_hi = 255, p.range_guess = "8-bit: [0, 255]";
  } else {
    p.range_lo = std::floor(lo), p.range_hi = std::ceil(hi);
    if (!(p.range_hi > p.range_lo)) p.range_hi = p.range_lo + 1;
    p.range_guess = "unbounded: the span of 32 samples";
  }
  return p;
}

std::string encoder_shape(const TorchScriptImport& g) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%d,%d,%d,%d,%g,%g", g.channels, g.height, g.width, g.latent, g.range_lo, g.range_hi);
  return buf;
}

nlohmann::json probe_torchscript_encoder(const std::string& file, const std::string& shape) {
  int c = 0, h = 0, w = 0, d = 0;
  float lo = 0, hi = 1;
  if (std::sscanf(shape.c_str(), "%d,%d,%d,%d,%f,%f", &c, &h, &w, &d, &lo, &hi) != 6 || c < 1 || h < 1 || w < 1 ||
      d < 1 || c > 4 || h > 4096 || w > 4096 || !(hi > lo))
    throw UnsupportedError("an encoder check needs C,H,W,D,LO,HI, not '" + shape + "'");
  if (!fs::is_regular_file(file)) throw IoError(file + ": no such file");
  torch::NoGradGuard ng;
  torch::jit::Module m = nets::load_script(file, "TorchScript encoder");
  m.eval();
  torch::manual_seed(0);
  const auto x = torch::rand({2, c, h, w}) * (hi - lo) + lo;
  c10::IValue out;
  try {
    out = m.forward({x});
  } catch (const std::exception& e) {
    std::string why = e.what();
    why = why.substr(0, why.find('\n'));
    throw UnsupportedError(file + " is not an encoder for " + std::to_string(c) + "x" + std::to_string(h) + "x" +
                           std::to_string(w) + " images: " + why);
  }
  auto is_z = [&](const c10::IValue& v) {
    return v.isTensor() && v.toTensor().dim() == 2 && v.toTensor().size(0) == 2 && v.toTensor().size(1) == d;
  };
  if (is_z(out)) return {{"latent", d}, {"output", "mean"}};
  if (out.isTuple()) {
    const auto& el = out.toTupleRef().elements();
    if (el.size() == 2 && is_z(el[0]) && is_z(el[1])) return {{"latent", d}, {"output", "(mu, logvar)"}};
  }
  std::string got = out.isTensor() ? shape_text(out.toTensor().sizes().vec()) : std::string(out.tagKind());
  throw UnsupportedError(file + " is not an encoder for this generator: given [2," + std::to_string(c) + "," +
                         std::to_string(h) + "," + std::to_string(w) + "] it gives " + got + ", not [2," +
                         std::to_string(d) + "] or a (mu, logvar) pair");
}

TorchScriptImport import_from_probe(const TorchScriptProbe& probe, const std::string& generator,
                                    const std::string& out_dir) {
  TorchScriptImport spec;
  spec.generator = generator;
  spec.latent = probe.latent;
  spec.channels = probe.channels;
  spec.height = probe.height;
  spec.width = probe.width;
  spec.range_lo = probe.range_lo;
  spec.range_hi = probe.range_hi;
  spec.z_shape = probe.z_shape;
  spec.out_dir = out_dir;
  return spec;
}

}  // namespace latent
