// The CLI's neural-image commands: train vae|dcgan|encoder, import-torchscript, bench, invert.
#include "torch_commands.h"

#include "progress.h"
#include "cli_options.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "latent/errors.h"
#include "latent/model_sandbox.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/registry.h"
#include "latent/torch_space.h"
#include "latent/torch_train.h"

namespace fs = std::filesystem;

namespace latent::cli {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

double parse_number(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument("");
    return v;
  } catch (const std::exception&) {
    throw UnsupportedError(what + ": '" + s + "' is not a number");
  }
}

}  // namespace

TrainProgressFn stderr_train_progress(const std::string& written) {
  return [written](const TrainProgress& p) {
    std::string losses;
    char buf[64];
    for (const auto& [k, v] : p.losses) {
      std::snprintf(buf, sizeof buf, " %s %.4g", k.c_str(), v);
      losses += buf;
    }
    if (!p.stage.empty())
      std::fprintf(stderr, "%s %ld/%ld%s", p.stage.c_str(), p.step, p.steps, p.step < p.steps ? "\r" : "\n");
    else if (p.epoch_end)
      std::fprintf(stderr, "epoch %d/%d done |%s | %.1f img/s | %s\n", p.epoch, p.epochs, losses.c_str(),
                   p.images_per_s, written.c_str());
    else
      std::fprintf(stderr, "epoch %d/%d step %ld/%ld |%s | %.1f img/s | ETA %s\n", p.epoch, p.epochs, p.step, p.steps,
                   losses.c_str(), p.images_per_s, duration_text(p.eta_s).c_str());
    return true;
  };
}

struct TorchCommands::State {
  // shared
  std::string model, out_dir, out_file, device = "auto";
  // train
  std::string data;
  TrainImageOptions train;
  TrainEncoderOptions enc;
  // import
  std::string generator, encoder, shape, range, z_shape, prior = "normal", name;
  int latent = 0;
  // bench
  int batch = 1, iters = 50, warmup = 5;
  bool json = false;
  // invert
  std::vector<std::string> images;
  std::string recon_out, each_dir;
  TorchImageSpace::InvertOptions inv;
  bool no_encoder = false;

  CLI::App *train_vae = nullptr, *train_dcgan = nullptr, *train_encoder = nullptr, *import = nullptr, *bench = nullptr, *invert = nullptr;
};

TorchCommands::TorchCommands(CLI::App& app, CLI::App& train_cmd) : s_(std::make_unique<State>()) {
  State& s = *s_;
  auto add_train = [&](const char* kind, const char* help) {
    auto* c = train_cmd.add_subcommand(kind, help);
    c->add_option("DATA", s.train.data, "Image folder, IDX file (.gz ok) or raw-array JSON header")->required();
    c->add_option("--out,-o", s.train.out_dir, "Package folder to write (with checkpoint/ and samples/)")->required();
    c->add_option("--latent", s.train.latent, "Latent size")->capture_default_str();
    c->add_option("--epochs", s.train.epochs, "Passes over the data")->capture_default_str();
    c->add_option("--batch", s.train.batch, "Images per step")->capture_default_str();
    c->add_option("--size", s.train.size, "Image side, 32 or 64 (default: 32 for data up to 32 pixels, else 64)");
    c->add_option("--channels", s.train.channels, "1 (gray) or 3 (RGB) (default: the data's)");
    c->add_option("--width", s.train.width,
                  std::string("Network width: ") + (std::string(kind) == "vae" ? "base channels (default 32)"
                                                                                 : "ngf = ndf (default 64)"));
    if (std::string(kind) == "vae") {
      c->add_option("--beta", s.train.beta, "Weight of the KL term")->capture_default_str();
      c->add_flag("--whiten", s.train.whiten,
                  "Ship an ex-post Gaussian prior: the training codes' mean and covariance folded into the encoder's "
                  "and decoder's linear heads, so N(0,I) samples where the codes are (Ghosh et al. 2020)");
    }
    c->add_option("--lr", s.train.learning_rate,
                  "Learning rate (default: 2e-4 DCGAN, 1e-3 VAE); with --resume it may differ from the run's (lowered for the last epochs: model.json records the schedule)");
    c->add_option("--flip", s.train.flip, "Horizontal-flip augmentation: on, off, auto (on under 50,000 images)")
        ->capture_default_str();
    c->add_option("--seed", s.train.seed, "Random seed (the same seed gives the same model on the CPU)")
        ->capture_default_str();
    c->add_option("--limit", s.train.limit, "Use only the first N images");
    c->add_option("--holdout", s.train.holdout, "Images kept out of training for metrics (default: VAE 5% up to 500)");
    c->add_flag("--resume", s.train.resume, "Continue from OUT/checkpoint");
    c->add_flag("--half", s.train.half_weights, "Store the package's weights as float16 (half the size)");
    c->add_option("--name", s.train.name, "Model name (default: the folder's name)");
    c->add_option("--swd-n", s.train.swd_images,
                  "At each epoch's end, log the image-quality SWD of N samples against N training images (0: off)")
        ->capture_default_str();
    if (std::string(kind) == "dcgan") {
      c->add_option("--ema", s.train.ema,
                    "Ship a moving average of the generator's weights with this decay (0.999 is usual; 0: off)")
          ->capture_default_str();
      c->add_option("--augment", s.train.augment,
                    "DiffAugment for every image the discriminator sees: color,translation,cutout or a subset");
      c->add_flag("--spectral-norm", s.train.spectral_norm,
                  "Spectral normalisation in the discriminator instead of batch norm");
    }
    return c;
  };
  s.train_vae = add_train("vae", "Train a convolutional VAE (32x32 or 64x64, gray or RGB) into a model package");
  s.train_dcgan = add_train("dcgan", "Train a DCGAN generator (Radford et al.) into a model package");

  s.train_encoder = train_cmd.add_subcommand(
      "encoder", "Train an encoder for a generator (a GAN) through it: first on its own (z, G(z)) pairs, then on "
                 "real images; the package gains an encoder (latent encode, invert's start, datasets in one pass)");
  {
    auto* c = s.train_encoder;
    auto& e = s.enc;
    c->add_option("MODEL", e.model, "Model package with a neural image generator")->required();
    c->add_option("DATA", e.data, "Real images for the second stage (folder, IDX or raw-array JSON); none: pairs only");
    c->add_option("--out,-o", e.out_dir, "Package folder to write (a copy of MODEL with the encoder; default: MODEL itself)");
    c->add_option("--width", e.width, "The encoder's base width (channels of its first convolution)")->capture_default_str();
    c->add_option("--batch", e.batch, "Images per step (half real, half generated in the second stage)")->capture_default_str();
    c->add_option("--rounds", e.synthetic_rounds, "First stage: rounds on generated pairs")->capture_default_str();
    c->add_option("--round-steps", e.round_steps, "Steps per first-stage round")->capture_default_str();
    c->add_option("--epochs", e.epochs, "Second stage: passes over the real images")->capture_default_str();
    c->add_option("--lr", e.learning_rate, "Adam learning rate")->capture_default_str();
    c->add_option("--image-weight", e.image_weight, "Second stage: weight of the pixel error |G(E(x)) - x|^2 on real images")->capture_default_str();
    c->add_option("--prior-weight", e.prior_weight, "Weight of (mean(E(x)^2) - 1)^2 on real images' codes")
        ->capture_default_str();
    c->add_option("--synthetic-image-weight", e.synthetic_image_weight,
                  "First stage: weight of the pixel error |G(E(G(z))) - G(z)|^2 (slower steps)")
        ->capture_default_str();
    c->add_option("--holdout", e.holdout, "Real images kept out for metrics (default: 5% up to 500)");
    c->add_option("--flip", e.flip, "Horizontal flips of real images: on, off, auto")->capture_default_str();
    c->add_option("--seed", e.seed, "Random seed")->capture_default_str();
    c->add_option("--limit", e.limit, "Use only the first N real images");
    c->add_flag("--resume", e.resume, "Continue from OUT/checkpoint-encoder");
  }

  s.import = app.add_subcommand("import-torchscript", "Make a model package from TorchScript files saved by PyTorch");
  s.import->add_option("GENERATOR", s.generator, "TorchScript decoder/generator: z [B,D] (or [B,D,1,1]) -> [B,C,H,W]")
      ->required();
  s.import->add_option("--latent", s.latent, "Latent size D (default: found by running the generator in a checking process)");
  s.import->add_option("--shape", s.shape, "Output shape C,H,W, e.g. 3,64,64 (default: found by running it)");
  s.import->add_option("--range", s.range,
                       "Output value range lo,hi: -1,1 (tanh) or 0,1 (sigmoid) (default: guessed from 32 samples when probing, else -1,1)");
  s.import->add_option("--z-shape", s.z_shape, "flat: z is [B,D]; 4d: z is [B,D,1,1] (DCGAN style) (default: found when probing, else flat)");
  s.import->add_option("--prior", s.prior, "The latent prior: normal, or uniform in [-1,1]")->capture_default_str();
  s.import->add_option("--encoder", s.encoder, "TorchScript encoder: images -> mean, or (mu, logvar)");
  s.import->add_option("--name", s.name, "Model name (default: the folder's name)");
  s.import->add_option("--out,-o", s.out_dir, "New package folder")->required();

  s.bench = app.add_subcommand("bench", "Time a model's decoding: latency (median, p90) and images/s");
  s.bench->add_option("MODEL", s.model, "Model package")->required();
  s.bench->add_option("--batch", s.batch, "Points decoded per call")->capture_default_str();
  s.bench->add_option("--iters", s.iters, "Timed calls")->capture_default_str();
  s.bench->add_option("--warmup", s.warmup, "Untimed calls first")->capture_default_str();
  s.bench->add_flag("--json", s.json, "Print one JSON object instead of text");

  s.invert = app.add_subcommand("invert", "Find the latent point of a real image (encoder and/or gradient descent)");
  s.invert->add_option("MODEL", s.model, "Model package")->required();
  s.invert->add_option("IMAGE", s.images, "Image file(s), resized to the model's shape; several: --out gets their mean")
      ->required();
  s.invert->add_option("--steps", s.inv.steps, "Adam steps (0 with an encoder: the encoder's mean only)")
      ->capture_default_str();
  s.invert->add_option("--restarts", s.inv.restarts, "Starting points optimised together (batch)")
      ->capture_default_str();
  s.invert->add_option("--lr", s.inv.learning_rate, "Adam learning rate")->capture_default_str();
  s.invert->add_option("--prior-weight", s.inv.prior_weight, "Weight of the prior penalty mean(z^2)")
      ->capture_default_str();
  s.invert->add_option("--seed", s.inv.seed, "Seed of the random starting points")->capture_default_str();
  s.invert->add_flag("--no-encoder", s.no_encoder, "Start from random points even where there is an encoder");
  s.invert->add_option("--out,-o", s.out_file, "JSON file for z (the mean z when several images are given)")->required();
  s.invert->add_option("--each", s.each_dir, "Several images: also write each one's z here (NAME.json)");
  s.invert->add_option("--recon", s.recon_out, "Also write originals | reconstructions side by side (PNG)");
}

TorchCommands::~TorchCommands() = default;

bool TorchCommands::run(const std::string& command_line) {
  State& s = *s_;
  if (*s.train_vae || *s.train_dcgan) {
    TrainImageOptions o = s.train;
    o.kind = *s.train_vae ? "vae" : "dcgan";
    o.device = open_options().device;
    o.command = command_line;
    const DeviceChoice d = resolve_device(o.device);
    std::fprintf(stderr, "training a %s on %s (%s)\n", o.kind.c_str(), d.used.c_str(), torch_build_summary().c_str());
    const TrainResult r = train_image_model(o, stderr_train_progress("checkpoint and samples written"));
    std::fprintf(stderr, "trained %d epochs at %.1f images/s; metrics %s\n", r.epochs_done, r.images_per_s,
                 r.metrics.dump().c_str());
    std::printf("%s\n", r.model_dir.c_str());
    return true;
  }
  if (*s.train_encoder) {
    TrainEncoderOptions o = s.enc;
    o.device = open_options().device;
    o.command = command_line;
    std::fprintf(stderr, "training an encoder for %s on %s (%s)\n", o.model.c_str(), resolve_device(o.device).used.c_str(),
                 torch_build_summary().c_str());
    const TrainResult r = train_encoder(o, stderr_train_progress("encoder and checkpoint written"));
    std::fprintf(stderr, "trained %d rounds at %.1f images/s; metrics %s\n", r.epochs_done, r.images_per_s,
                 r.metrics.dump().c_str());
    std::printf("%s\n", r.model_dir.c_str());
    return true;
  }
  if (*s.import) {
    TorchScriptImport spec;
    // What the person did not say is found by running the generator, in a checking
    // process (a TorchScript file is a program), and printed.
    if (s.latent <= 0 || s.shape.empty()) {
      std::fprintf(stderr, "probing %s in a checking process...\n", s.generator.c_str());
      const ModelCheckResult check = check_model_in_child(s.generator);
      if (!check.ok) throw UnsupportedError("could not probe " + s.generator + ": " + check.message);
      if (!check.report.contains("probe"))
        throw UnsupportedError(s.generator + " is not a bare TorchScript file (give --latent, --shape and --range)");
      const TorchScriptProbe p = TorchScriptProbe::from_json(check.report["probe"]);
      spec = import_from_probe(p, s.generator, s.out_dir);
      std::fprintf(stderr,
                   "found: latent %d as %s, images %d,%d,%d, range %g,%g (%s; 32 samples span %.3f..%.3f)%s; %zu "
                   "inputs tried\n",
                   p.latent, p.z_shape == "4d" ? "[B,D,1,1]" : "[B,D]", p.channels, p.height, p.width, p.range_lo,
                   p.range_hi, p.range_guess.c_str(), p.sample_min, p.sample_max,
                   p.declared ? " (the size the module records)" : "", p.tried.size());
    }
    spec.generator = s.generator;
    spec.encoder = s.encoder;
    spec.out_dir = s.out_dir;
    if (s.latent > 0) spec.latent = s.latent;
    if (!s.shape.empty()) {
      const auto dims = split(s.shape, ',');
      if (dims.size() != 3) throw UnsupportedError("--shape must be C,H,W, e.g. 3,64,64, not '" + s.shape + "'");
      spec.channels = static_cast<int>(parse_number(dims[0], "--shape"));
      spec.height = static_cast<int>(parse_number(dims[1], "--shape"));
      spec.width = static_cast<int>(parse_number(dims[2], "--shape"));
    }
    if (!s.range.empty()) {
      const auto r = split(s.range, ',');
      if (r.size() != 2) throw UnsupportedError("--range must be lo,hi, e.g. -1,1, not '" + s.range + "'");
      spec.range_lo = static_cast<float>(parse_number(r[0], "--range"));
      spec.range_hi = static_cast<float>(parse_number(r[1], "--range"));
    }
    if (!s.z_shape.empty()) spec.z_shape = s.z_shape;
    spec.prior = s.prior;
    spec.name = s.name;
    spec.out_dir = s.out_dir;
    import_torchscript(spec);
    std::fprintf(stderr, "imported %s%s: opens with `latent info %s` or latent-studio --model %s\n",
                 s.generator.c_str(), s.encoder.empty() ? "" : (" and " + s.encoder).c_str(), s.out_dir.c_str(),
                 s.out_dir.c_str());
    std::printf("%s\n", s.out_dir.c_str());
    return true;
  }
  if (*s.bench) {
    if (s.batch < 1 || s.batch > 4096) throw UnsupportedError("--batch must be 1..4096");
    if (s.iters < 1) throw UnsupportedError("--iters must be at least 1");
    auto space = open_model(s.model);
    const DecodeBench r = bench_decode(*space, s.batch, s.iters, s.warmup);
    const auto& i = space->info();
    if (s.json) {
      nlohmann::json j = {{"model", i.name}, {"kind", i.kind}, {"device", i.device}, {"batch", s.batch},
                          {"iters", s.iters}, {"median_ms", r.median_ms}, {"p90_ms", r.p90_ms},
                          {"images_per_s", r.images_per_s}, {"library", torch_build_summary()}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("model:       %s (%s, latent %d, %dx%dx%d)\ndevice:      %s (%s)\nbatch:       %d, %d timed calls\n"
                  "latency:     median %.3f ms, p90 %.3f ms per call\nthroughput:  %.1f images/s\n",
                  i.name.c_str(), i.kind.c_str(), i.dim, i.observation.width, i.observation.height,
                  i.observation.channels, i.device.c_str(), torch_build_summary().c_str(), s.batch, s.iters,
                  r.median_ms, r.p90_ms, r.images_per_s);
    }
    return true;
  }
  if (*s.invert) {
    auto space = open_model(s.model);
    const auto& sh = space->info().observation;
    const bool by_gradient = space->can_invert();
    if (!by_gradient && !space->info().can_encode)
      throw UnsupportedError(s.model + " can neither encode nor be inverted by gradient descent");
    if (by_gradient && s.inv.steps == 0 && !space->info().can_encode)
      throw UnsupportedError(s.model + " has no encoder: give --steps above 0 to search by gradient descent");
    if (!s.each_dir.empty()) fs::create_directories(s.each_dir);
    std::vector<Image> originals, recons;
    Latent sum;
    for (size_t n = 0; n < s.images.size(); ++n) {
      const std::string& path = s.images[n];
      const Image target = convert_image(load_image(path), sh.width, sh.height, sh.channels);
      Latent z;
      Image rec;
      if (by_gradient) {
        auto o = s.inv;
        o.use_encoder = !s.no_encoder;
        const std::string tag = s.images.size() > 1 ? "inverting " + std::to_string(n + 1) + "/" +
                                                          std::to_string(s.images.size())
                                                    : std::string("inverting");
        const auto res = space->invert(target, o, stderr_progress(tag, 25));
        std::fprintf(stderr, "%s: best of %d start(s): mse %.5f (start %.5f)\n", path.c_str(), std::max(1, o.restarts),
                     res.mse, res.start_mse);
        z = res.z;
        rec = res.reconstruction;
      } else {
        z = space->encode(target);
        rec = space->decode(z);
      }
      if (sum.empty()) sum.assign(z.size(), 0.f);
      for (size_t i = 0; i < z.size(); ++i) sum[i] += z[i];
      if (!s.each_dir.empty())
        write_latent_json(z, (fs::path(s.each_dir) / (fs::path(path).stem().string() + ".json")).string());
      originals.push_back(target);
      recons.push_back(rec);
    }
    for (float& v : sum) v /= static_cast<float>(s.images.size());
    write_latent_json(sum, s.out_file);
    if (!s.recon_out.empty()) {
      std::vector<Image> cells;  // row 1: originals, row 2: reconstructions
      for (const auto& o : originals) cells.push_back(o);
      for (const auto& r : recons) cells.push_back(r);
      save_png(make_grid(cells, static_cast<int>(originals.size()), 2, 1.f), s.recon_out);
    }
    if (s.images.size() > 1) std::fprintf(stderr, "wrote the mean of %zu points\n", s.images.size());
    std::printf("%s\n", s.out_file.c_str());
    return true;
  }
  return false;
}

}  // namespace latent::cli
