// `latent train vae|dcgan`: LibTorch training loops that end in a model package.
#include "latent/torch_train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/image.h"
#include "latent/image_quality.h"
#include "latent/image_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "torch_nets.h"

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace latent {

namespace {

using Clock = std::chrono::steady_clock;

// The dataset as one [N, C, S, S] float tensor in [0,1].
torch::Tensor load_tensor(const TrainImageOptions& o, int& size, int& channels, long& count) {
  DatasetOptions dopt;
  dopt.limit = o.limit;
  ImageDataset ds = load_image_dataset(o.data, dopt);
  if (ds.count() == 0) throw FormatError(o.data + ": the dataset has no images");
  size = o.size ? o.size : (std::max(ds.width, ds.height) <= 32 ? 32 : 64);
  if (size != 32 && size != 64) throw UnsupportedError("--size must be 32 or 64");
  channels = o.channels ? o.channels : ds.channels;
  if (channels != 1 && channels != 3) throw UnsupportedError("--channels must be 1 or 3");
  count = ds.count();
  return nets::dataset_tensor(ds, size, channels);
}

torch::Tensor maybe_flip(torch::Tensor x, bool flip) {
  if (!flip) return x;
  auto mask = (torch::rand({x.size(0), 1, 1, 1}) < 0.5).to(x.device());
  return torch::where(mask, x.flip({3}), x);
}

// [B,C,H,W] in [lo,hi] -> a grid image.
Image grid_of(const torch::Tensor& t, float lo, float hi, int cols) {
  return make_grid(nets::to_images(t, lo, hi, /*clamp=*/true), cols, 2, 1.f);
}

struct Meter {
  std::map<std::string, double> sum;
  long n = 0;
  void add(const std::map<std::string, double>& v) {
    for (const auto& [k, x] : v) sum[k] += x;
    ++n;
  }
  std::map<std::string, double> mean() const {
    std::map<std::string, double> m;
    for (const auto& [k, x] : sum) m[k] = n ? x / n : 0;
    return m;
  }
};

struct RealSets {
  std::vector<Image> reference, second;
};

RealSets pick_real_sets(const torch::Tensor& train, int n_wanted, uint64_t seed) {
  const long n = std::min<long>(n_wanted, train.size(0) / 2);
  std::vector<long> order(static_cast<size_t>(train.size(0)));
  std::iota(order.begin(), order.end(), 0L);
  std::mt19937_64 rng(seed * 2654435761ull + 99);
  std::shuffle(order.begin(), order.end(), rng);
  auto pick = [&](long from) {
    const auto idx = torch::from_blob(order.data() + from, {n}, torch::kLong).clone();
    return nets::to_images(train.index_select(0, idx), 0.f, 1.f);
  };
  return {pick(0), pick(n)};
}

struct SwdPair {
  SwdResult model, floor;
  long images = 0;
};

// The SWD of as many samples as reference images (fixed z per seed), and the floor.
template <class MakeImages>
SwdPair swd_of_samples(MakeImages&& make_images, const RealSets& real, int latent, float lo, uint64_t seed,
                       torch::Device device) {
  torch::NoGradGuard ng;
  const long n = static_cast<long>(real.reference.size());
  torch::manual_seed(seed * 7777ull + 5);
  std::vector<Image> fake;
  for (long i = 0; i < n; i += 64) {
    const auto z = torch::randn({std::min<long>(64, n - i), latent}).to(device);
    for (Image& img : nets::to_images(make_images(z), lo, 1.f, /*clamp=*/true)) fake.push_back(std::move(img));
  }
  SwdOptions so;
  so.patches_per_image = 64;
  so.directions = 256;
  so.seed = seed;
  const auto r = sliced_wasserstein_sets({&fake, &real.second}, real.reference, so);
  return {r[0], r[1], n};
}

// The VAE's pair with an ex-post Gaussian prior folded in (TrainImageOptions::whiten): copies
// of the encoder and decoder whose mean head and first layer read the whitened code.
struct Whitened {
  nets::VaeEncoder encoder{nullptr};
  nets::VaeDecoder decoder{nullptr};
  nlohmann::json info;
};

Whitened whiten_vae(nets::VaeEncoder& E, nets::VaeDecoder& Dec, const nets::Arch& encoder_arch,
                    const nets::Arch& decoder_arch, const torch::Tensor& images, torch::Device device) {
  torch::NoGradGuard ng;
  Whitened w;
  w.encoder = nets::VaeEncoder(encoder_arch);
  w.decoder = nets::VaeDecoder(decoder_arch);
  w.encoder->to(device);
  w.decoder->to(device);
  nets::ema_update(*w.encoder, *E, 0.0);  // copies
  nets::ema_update(*w.decoder, *Dec, 0.0);
  w.encoder->eval();
  w.decoder->eval();
  const bool was_training = E->is_training();
  E->eval();
  std::vector<torch::Tensor> codes;
  for (long i = 0; i < images.size(0); i += 256)
    codes.push_back(E->forward(images.narrow(0, i, std::min<long>(256, images.size(0) - i)).to(device)).first.to(torch::kDouble));
  if (was_training) E->train();
  const auto c = torch::cat(codes, 0);
  const auto mean = c.mean(0);
  const auto centred = c - mean;
  const auto cov = centred.t().mm(centred) / std::max<long>(1, c.size(0) - 1);
  auto [evals, evecs] = torch::linalg::eigh(cov, "L");  // ascending
  evals = evals.flip({0}).clamp_min(1e-8 * std::max(1e-30, evals.max().item<double>()));
  evecs = evecs.flip({1});
  const auto root = evals.sqrt();
  const auto lift = evecs * root.unsqueeze(0);          // V L^1/2: z' -> code offset
  const auto lower = evecs.t() / root.unsqueeze(1);     // L^-1/2 V^T: code offset -> z'
  auto& fc = w.decoder->fc;
  const auto W = fc->weight.to(torch::kDouble), b = fc->bias.to(torch::kDouble);
  fc->weight.copy_(W.mm(lift).to(torch::kFloat));
  fc->bias.copy_((W.mv(mean) + b).to(torch::kFloat));
  auto& mu = w.encoder->mu;
  const auto A = mu->weight.to(torch::kDouble), a = mu->bias.to(torch::kDouble);
  mu->weight.copy_(lower.mm(A).to(torch::kFloat));
  mu->bias.copy_(lower.mv(a - mean).to(torch::kFloat));
  const auto ev = evals.to(torch::kCPU);
  w.info = {{"method", "ex-post Gaussian prior (Ghosh et al. 2020): the codes' mean and covariance folded into the heads"},
            {"codes", c.size(0)},
            {"code_norm_mean", c.norm(2, 1).mean().item<double>()},
            {"variance_largest", ev[0].item<double>()},
            {"variance_smallest", ev[ev.size(0) - 1].item<double>()},
            {"variance_median", ev[ev.size(0) / 2].item<double>()}};
  return w;
}

}  // namespace

TrainResult train_image_model(const TrainImageOptions& o, const TrainProgressFn& progress) {
  if (o.kind != "vae" && o.kind != "dcgan") throw UnsupportedError("unknown model kind \"" + o.kind + "\" (vae or dcgan)");
  if (o.latent < 1 || o.latent > 4096) throw UnsupportedError("--latent must be 1..4096");
  if (o.epochs < 1) throw UnsupportedError("--epochs must be at least 1");
  if (o.batch < 2) throw UnsupportedError("--batch must be at least 2 (batch norm needs two images)");
  if (o.flip != "auto" && o.flip != "on" && o.flip != "off") throw UnsupportedError("--flip must be on, off or auto");
  const bool vae = o.kind == "vae";
  if (vae && (o.ema > 0 || !o.augment.empty() || o.spectral_norm))
    throw UnsupportedError("--ema, --augment and --spectral-norm are for `train dcgan`");
  if (!vae && o.whiten) throw UnsupportedError("--whiten is for `train vae` (a GAN has no codes to fit)");
  if (o.ema < 0 || o.ema >= 1) throw UnsupportedError("--ema must be in [0, 1) (0.999 is usual; 0: none)");
  nets::check_augment_policy(o.augment);
  if (o.swd_images < 0) throw UnsupportedError("--swd-n must be 0 (off) or more");
  const DeviceChoice dev = resolve_device(o.device);
  const torch::Device device = dev.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

  int size = 0, channels = 0;
  long count = 0;
  torch::Tensor all = load_tensor(o, size, channels, count);
  long holdout = o.holdout >= 0 ? o.holdout : (vae ? std::min<long>(500, count / 20) : 0);
  holdout = std::max(0L, std::min(holdout, count - o.batch));
  if (count - holdout < o.batch)
    throw UnsupportedError(o.data + ": " + std::to_string(count) + " images are fewer than one batch of " +
                           std::to_string(o.batch) + " (use a smaller --batch)");
  torch::Tensor train = all.narrow(0, 0, count - holdout);
  torch::Tensor held = holdout > 0 ? all.narrow(0, count - holdout, holdout) : torch::Tensor();
  const long n_train = train.size(0);
  const bool flip = o.flip == "on" || (o.flip == "auto" && n_train < 50000);
  const int width = o.width ? o.width : (vae ? 32 : 64);
  const double lr = o.learning_rate > 0 ? o.learning_rate : (vae ? 1e-3 : 2e-4);

  torch::manual_seed(o.seed);
  nets::Arch ga{vae ? "vae-decoder" : "dcgan-generator", size, channels, o.latent, width};
  nets::Arch da{vae ? "vae-encoder" : "dcgan-discriminator", size, channels, o.latent, width};
  nets::DcganGenerator G{nullptr}, G_avg{nullptr};  // G_avg: the moving average (--ema)
  nets::DcganDiscriminator Dn{nullptr};
  nets::VaeEncoder E{nullptr};
  nets::VaeDecoder Dec{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_a, opt_b;
  if (vae) {
    E = nets::VaeEncoder(da);
    Dec = nets::VaeDecoder(ga);
    E->to(device);
    Dec->to(device);
    std::vector<torch::Tensor> params = E->parameters();
    for (auto& p : Dec->parameters()) params.push_back(p);
    opt_a = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(lr));
  } else {
    G = nets::DcganGenerator(ga);
    Dn = nets::DcganDiscriminator(da, o.spectral_norm);
    nets::dcgan_init(*G);
    nets::dcgan_init(*Dn);
    G->to(device);
    Dn->to(device);
    if (o.ema > 0) {
      G_avg = nets::DcganGenerator(ga);
      G_avg->to(device);
      nets::ema_update(*G_avg, *G, 0.0);  // starts as a copy
    }
    opt_a = std::make_unique<torch::optim::Adam>(G->parameters(),
                                                 torch::optim::AdamOptions(lr).betas({0.5, 0.999}));
    opt_b = std::make_unique<torch::optim::Adam>(Dn->parameters(),
                                                 torch::optim::AdamOptions(lr).betas({0.5, 0.999}));
  }
  torch::nn::Module& net_a = vae ? static_cast<torch::nn::Module&>(*Dec) : static_cast<torch::nn::Module&>(*G);
  torch::nn::Module& net_b = vae ? static_cast<torch::nn::Module&>(*E) : static_cast<torch::nn::Module&>(*Dn);
  // The network the package ships: the decoder, the generator, or the generator's average.
  torch::nn::Module& shipped = G_avg ? static_cast<torch::nn::Module&>(*G_avg) : net_a;
  Whitened whitened;  // --whiten: the shipped pair, remade at each epoch's end
  auto make_images = [&](const torch::Tensor& z) {
    if (whitened.decoder) return whitened.decoder->forward(z);
    return vae ? Dec->forward(z) : (G_avg ? G_avg->forward(z) : G->forward(z));
  };

  const fs::path out(o.out_dir);
  const fs::path ck = out / "checkpoint";
  fs::create_directories(ck);
  fs::create_directories(out / "samples");

  // The same 64 points every epoch, so the sample grids show the model learning.
  torch::manual_seed(o.seed + 1);
  const torch::Tensor fixed_z = torch::randn({64, o.latent}).to(device);

  nlohmann::json state = nlohmann::json::object();
  int start_epoch = 1;
  nlohmann::json run_args = {{"kind", o.kind}, {"latent", o.latent}, {"size", size}, {"channels", channels},
                                   {"width", width}, {"batch", o.batch}, {"seed", o.seed}, {"beta", o.beta},
                                   {"learning_rate", lr}, {"flip", flip}, {"holdout", holdout}};
  nlohmann::json recipe = nlohmann::json::object();  // in run_args only when used: older checkpoints still resume
  if (o.ema > 0) recipe["ema"] = o.ema;
  if (!o.augment.empty()) recipe["augment"] = o.augment;
  if (o.spectral_norm) recipe["spectral_norm"] = true;
  if (!recipe.empty()) run_args["recipe"] = recipe;
  nlohmann::json lr_schedule = nlohmann::json::array();  // [{from_epoch, learning_rate}], when it changed
  if (o.resume) {
    // The learning rate may change on resume (lowered for the last epochs); the schedule
    // so far is kept in the state and the package.
    state = nets::read_checkpoint_state(ck.string(), run_args, "settings", {"learning_rate"});
    nets::load_weights(net_a, (ck / "net_a.pt").string());
    nets::load_weights(net_b, (ck / "net_b.pt").string());
    if (G_avg) nets::load_weights(*G_avg, (ck / "net_avg.pt").string());
    net_a.to(device);
    net_b.to(device);
    if (G_avg) G_avg->to(device);
    nets::load_optimizer(*opt_a, (ck / "opt_a.pt").string());
    if (opt_b) nets::load_optimizer(*opt_b, (ck / "opt_b.pt").string());
    start_epoch = state["epoch"].get<int>() + 1;
    lr_schedule = state.value("lr_schedule", nlohmann::json::array());
    const double was = state["args"].value("learning_rate", lr);
    if (lr_schedule.empty()) lr_schedule.push_back({{"from_epoch", 1}, {"learning_rate", was}});
    if (was != lr) {
      lr_schedule.push_back({{"from_epoch", start_epoch}, {"learning_rate", lr}});
      for (torch::optim::Adam* opt : {opt_a.get(), opt_b.get()}) {
        if (!opt) continue;
        for (auto& g : opt->param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
      }
    }
  }

  // For the per-epoch SWD: two disjoint random sets of training images (the reference, and
  // the floor's second half), the same every run.
  RealSets real_sets;
  if (o.swd_images > 0) real_sets = pick_real_sets(train, o.swd_images, o.seed);

  const long steps = n_train / o.batch;
  const auto t_start = Clock::now();
  double train_seconds = state.value("train_seconds", 0.0);
  long images_done = 0;
  double last_report = 0;
  TrainResult result;
  result.model_dir = o.out_dir;
  std::map<std::string, double> last_epoch_losses = state.value("losses", std::map<std::string, double>());

  auto write_package = [&](int epochs_done, const nlohmann::json& metrics) {
    const std::string a_file = vae ? "decoder.pt" : "generator.pt";
    nets::save_weights(whitened.decoder ? static_cast<torch::nn::Module&>(*whitened.decoder) : shipped,
                       (out / a_file).string(), o.half_weights);
    nlohmann::json torch_j = {
        {"decoder", {{"file", a_file}, {"format", "libtorch"}, {"arch", ga.to_json()}}},
        {"output_range", vae ? std::vector<float>{0.f, 1.f} : std::vector<float>{-1.f, 1.f}},
        {"z_shape", "flat"},
        {"prior", "normal"},
        {"weights_dtype", o.half_weights ? "float16" : "float32"},
    };
    if (vae) {
      nets::save_weights(whitened.encoder ? static_cast<torch::nn::Module&>(*whitened.encoder) : net_b,
                         (out / "encoder.pt").string(), o.half_weights);
      torch_j["encoder"] = {{"file", "encoder.pt"}, {"format", "libtorch"}, {"arch", da.to_json()}};
    }
    ObservationShape obs{size, size, channels, 0.f, 1.f};
    nlohmann::json header = {
        {"format", "latent-studio-model"},
        {"format_version", kModelFormatVersion},
        {"kind", "torch-image"},
        {"name", o.name.empty() ? out.filename().string() : o.name},
        {"latent_dim", o.latent},
        {"observation", observation_json(obs, Modality::Image)},
        {"torch", torch_j},
        {"training",
         {{"data", o.data}, {"images", n_train}, {"holdout", holdout}, {"command", o.command}, {"seed", o.seed},
          {"epochs", epochs_done}, {"batch", o.batch}, {"learning_rate", lr}, {"beta", o.beta}, {"flip", flip},
          {"width", width}, {"device", dev.used}, {"train_seconds", train_seconds}, {"recipe", recipe},
          {"whiten", o.whiten},
          {"library", torch_build_summary()}, {"finished_utc", utc_timestamp()}}},
        {"metrics", metrics},
    };
    if (lr_schedule.size() > 1) header["training"]["learning_rate_schedule"] = lr_schedule;
    write_file_atomic((out / "model.json").string(), header.dump(2) + "\n");
  };

  // VAE quality on the held-out images: RMSE of decode(mean(encode(x))) in [0,1] units.
  auto heldout_metrics = [&]() {
    nlohmann::json m;
    if (!vae || holdout == 0) return m;
    torch::NoGradGuard ng;
    E->eval();
    Dec->eval();
    double se = 0;
    for (long i = 0; i < holdout; i += 256) {
      auto x = held.narrow(0, i, std::min<long>(256, holdout - i)).to(device);
      auto r = Dec->forward(E->forward(x).first);
      se += (r - x).pow(2).sum().item<double>();
    }
    E->train();
    Dec->train();
    m["heldout_rmse"] = std::sqrt(se / (static_cast<double>(holdout) * size * size * channels));
    m["heldout_images"] = holdout;
    return m;
  };

  for (int epoch = start_epoch; epoch <= o.epochs; ++epoch) {
    // Re-seeded per epoch, so a resumed run matches an uninterrupted one.
    torch::manual_seed(o.seed * 1000003ull + static_cast<uint64_t>(epoch));
    std::vector<long> order(n_train);
    std::iota(order.begin(), order.end(), 0L);
    std::mt19937_64 rng(o.seed * 7919ull + static_cast<uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    const auto index = torch::from_blob(order.data(), {n_train}, torch::kLong).clone();
    Meter meter;
    const auto t_epoch = Clock::now();
    net_a.train();
    net_b.train();
    for (long step = 0; step < steps; ++step) {
      auto x = maybe_flip(train.index_select(0, index.narrow(0, step * o.batch, o.batch)), flip).to(device);
      std::map<std::string, double> losses;
      if (vae) {
        opt_a->zero_grad();
        auto [mu, logvar] = E->forward(x);
        auto z = mu + torch::exp(0.5 * logvar) * torch::randn_like(mu);
        auto xr = Dec->forward(z);
        auto recon = F::binary_cross_entropy(xr, x, F::BinaryCrossEntropyFuncOptions().reduction(torch::kSum)) / o.batch;
        auto kl = -0.5 * torch::sum(1 + logvar - mu.pow(2) - logvar.exp()) / o.batch;
        auto loss = recon + o.beta * kl;
        loss.backward();
        opt_a->step();
        losses = {{"loss", loss.item<double>()}, {"recon", recon.item<double>()}, {"kl", kl.item<double>()}};
      } else {
        const auto l = nets::gan_step(G, [&](const torch::Tensor& t) { return Dn->forward(t); }, *opt_a, *opt_b,
                                      x * 2 - 1, o.latent, o.augment);
        if (G_avg) nets::ema_update(*G_avg, *G, o.ema);
        losses = {{"loss_d", l.loss_d}, {"loss_g", l.loss_g}, {"d_real", l.d_real}, {"d_fake", l.d_fake}};
      }
      meter.add(losses);
      images_done += o.batch;
      const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
      nets::report_step(progress, elapsed, last_report, epoch, o.epochs, step, steps, o.batch, images_done,
                        [&] { return meter.mean(); });
    }
    train_seconds += std::chrono::duration<double>(Clock::now() - t_epoch).count();
    last_epoch_losses = meter.mean();

    // End of epoch: a sample grid, the package and a checkpoint.
    if (G_avg) {
      // The average's own batch statistics (a fixed seed: the next epoch re-seeds anyway).
      torch::manual_seed(o.seed * 1000003ull + 999983ull);
      nets::recompute_batch_norm(*G_avg, o.latent, 32, 64, device);
    }
    // The VAE's arches: ga is the decoder's, da the encoder's.
    if (o.whiten) whitened = whiten_vae(E, Dec, da, ga, train, device);
    {
      torch::NoGradGuard ng;
      net_a.eval();
      auto imgs = make_images(fixed_z);
      char name[64];
      std::snprintf(name, sizeof name, "epoch_%03d.png", epoch);
      const Image grid = grid_of(imgs, vae ? 0.f : -1.f, 1.f, 8);
      save_png(grid, (out / "samples" / name).string());
      save_png(grid, (out / "samples.png").string());
      net_a.train();
    }
    nlohmann::json metrics = heldout_metrics();
    if (whitened.encoder) metrics["prior"] = whitened.info;
    for (const auto& [k, v] : last_epoch_losses) metrics["final_epoch_" + k] = v;
    std::map<std::string, double> epoch_report = last_epoch_losses;
    if (o.swd_images > 0) {
      net_a.eval();
      const SwdPair q = swd_of_samples(make_images, real_sets, o.latent, vae ? 0.f : -1.f, o.seed, device);
      net_a.train();
      metrics["swd_x1e3"] = q.model.mean;
      metrics["swd_floor_x1e3"] = q.floor.mean;
      metrics["swd_images"] = q.images;
      for (const auto& l : q.model.levels) metrics["swd_levels_x1e3"].push_back({l.resolution, l.swd});
      epoch_report["swd_x1e3"] = q.model.mean;
      epoch_report["swd_floor"] = q.floor.mean;
    }
    metrics["train_images_per_s"] = images_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
    write_package(epoch, metrics);
    nets::save_weights(net_a, (ck / "net_a.pt").string(), false);
    nets::save_weights(net_b, (ck / "net_b.pt").string(), false);
    if (G_avg) nets::save_weights(*G_avg, (ck / "net_avg.pt").string(), false);
    nets::save_optimizer(*opt_a, (ck / "opt_a.pt").string());
    if (opt_b) nets::save_optimizer(*opt_b, (ck / "opt_b.pt").string());
    state = {{"epoch", epoch}, {"args", run_args}, {"train_seconds", train_seconds}, {"losses", last_epoch_losses}};
    if (lr_schedule.size() > 1) state["lr_schedule"] = lr_schedule;
    write_file_atomic((ck / "state.json").string(), state.dump(2) + "\n");
    result.epochs_done = epoch;
    result.metrics = metrics;
    if (progress) {
      TrainProgress p;
      p.epoch = epoch;
      p.epochs = o.epochs;
      p.step = p.steps = steps;
      p.losses = epoch_report;
      p.epoch_end = true;
      p.images_per_s = metrics["train_images_per_s"].get<double>();
      if (!progress(p)) throw Cancelled();
    }
  }
  result.images_per_s = images_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
  if (start_epoch > o.epochs) {
    result.epochs_done = state["epoch"].get<int>();
  }
  return result;
}

}  // namespace latent
