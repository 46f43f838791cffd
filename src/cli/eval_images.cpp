// `latent eval-images`: the model's prior samples against the data, and the data's floor.
#include "eval_images.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/image_quality.h"
#include "latent/registry.h"
#include "progress.h"
#include "cli_options.h"

namespace latent::cli {

namespace {

struct EvalImagesArgs {
  std::string model, data;
  int n = 2000;
  uint64_t seed = 0;
  bool json = false;
  SwdOptions swd;
};

// The model's samples clamped to [0,1], as they are shown.
std::vector<Image> model_samples(const Space& space, int n, uint64_t seed) {
  const auto zs = space.sample(n, seed);
  std::vector<Image> out;
  out.reserve(zs.size());
  const auto& obs = space.info().observation;
  const float lo = obs.min_value, span = obs.max_value - obs.min_value;
  for (size_t i = 0; i < zs.size(); i += 64) {
    const std::vector<Latent> batch(zs.begin() + static_cast<long>(i), zs.begin() + static_cast<long>(std::min(zs.size(), i + 64)));
    for (Image& img : space.decode_batch(batch)) {
      for (float& v : img.pixels) v = std::clamp(span > 0 ? (v - lo) / span : v, 0.f, 1.f);
      out.push_back(std::move(img));
    }
  }
  return out;
}

void run(const EvalImagesArgs& a) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (a.n < 2 || a.n > 100000) throw UnsupportedError("--n must be between 2 and 100000");
  auto space = open_model(a.model);
  const SpaceInfo& info = space->info();
  if (info.modality != Modality::Image || !info.can_decode)
    throw UnsupportedError(a.model + ": '" + info.name + "' (" + info.kind + ") does not make images");
  if (!info.can_sample) throw UnsupportedError(a.model + ": '" + info.name + "' has no prior to sample from");

  DatasetOptions dopt;
  dopt.progress = stderr_progress("reading");
  const ImageDataset ds = load_dataset_for(*space, a.data, dopt);
  // Two disjoint random halves of the data: the reference, and the floor's second set.
  const long need = 2L * a.n;
  if (ds.count() < need)
    throw UnsupportedError(a.data + " holds " + std::to_string(ds.count()) + " images; --n " + std::to_string(a.n) +
                           " needs " + std::to_string(need) + " (two halves of the data make the floor): use --n " +
                           std::to_string(std::max<long>(2, ds.count() / 2)) + " or less");
  std::vector<long> order(static_cast<size_t>(ds.count()));
  std::iota(order.begin(), order.end(), 0L);
  std::mt19937_64 rng(a.seed * 2654435761ull + 17);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Image> reference, second;
  for (long i = 0; i < a.n; ++i) reference.push_back(ds.image(order[static_cast<size_t>(i)]));
  for (long i = a.n; i < need; ++i) second.push_back(ds.image(order[static_cast<size_t>(i)]));
  const double read_s = std::chrono::duration<double>(Clock::now() - t0).count();

  const auto t_sample = Clock::now();
  const std::vector<Image> samples = model_samples(*space, a.n, a.seed);
  const double sample_s = std::chrono::duration<double>(Clock::now() - t_sample).count();

  const auto t_swd = Clock::now();
  SwdOptions o = a.swd;
  o.seed = a.seed;
  const auto r = sliced_wasserstein_sets({&samples, &second}, reference, o, stderr_progress("comparing"));
  const double swd_s = std::chrono::duration<double>(Clock::now() - t_swd).count();
  const SwdResult &m = r[0], &f = r[1];
  const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();

  if (a.json) {
    nlohmann::json j = {{"model", a.model}, {"data", a.data}, {"n", a.n}, {"seed", a.seed},
                        {"descriptors_per_level", m.descriptors}, {"swd_x1e3_mean", m.mean},
                        {"floor_x1e3_mean", f.mean}, {"ratio", f.mean > 0 ? m.mean / f.mean : 0.0},
                        {"seconds", {{"read", read_s}, {"sample", sample_s}, {"swd", swd_s}, {"total", total_s}}}};
    for (size_t l = 0; l < m.levels.size(); ++l)
      j["levels"].push_back({{"resolution", m.levels[l].resolution}, {"swd_x1e3", m.levels[l].swd},
                             {"floor_x1e3", f.levels[l].swd}});
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s: %d samples against %d images of %s (seed %llu, %ld patches per level)\n", info.name.c_str(), a.n,
              a.n, a.data.c_str(), static_cast<unsigned long long>(a.seed), m.descriptors);
  for (size_t l = 0; l < m.levels.size(); ++l)
    std::printf("level %3dpx  SWD x1e3 %8.2f  floor %8.2f  (%.2fx)\n", m.levels[l].resolution, m.levels[l].swd,
                f.levels[l].swd, f.levels[l].swd > 0 ? m.levels[l].swd / f.levels[l].swd : 0.0);
  std::fprintf(stderr, "read %.1f s, sampled %.1f s, compared %.1f s; %.1f s in all\n", read_s, sample_s, swd_s,
               total_s);
  std::printf("SWD x1e3 mean %.2f (floor %.2f)\n", m.mean, f.mean);
}

}  // namespace

void add_eval_images_command(CLI::App& app) {
  auto a = std::make_shared<EvalImagesArgs>();
  auto* c = app.add_subcommand("eval-images",
                               "Image quality: multi-scale sliced Wasserstein distance of N samples to N images of DATA,"
                               " beside two halves of DATA (the floor)");
  c->add_option("MODEL", a->model, "Model package that makes images (PCA, VAE, DCGAN, imported TorchScript)")
      ->required();
  c->add_option("DATA", a->data, "Image folder, IDX file (.gz ok) or raw-array JSON header; at least 2N images")
      ->required();
  c->add_option("--n", a->n, "Samples, and images in each half of the data")->capture_default_str();
  c->add_option("--seed", a->seed, "Samples, the halves, patches and directions")->capture_default_str();
  c->add_option("--patches", a->swd.patches_per_image, "Random 7x7 patches per image and level")->capture_default_str();
  c->add_option("--directions", a->swd.directions, "Random projections per level")->capture_default_str();
  c->add_flag("--json", a->json, "Print one JSON object");
  c->callback([a] {
    try {
      run(*a);
    } catch (const Cancelled&) {
      std::fprintf(stderr, "latent: cancelled\n");
      std::exit(130);
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::string msg = e.what();
      for (char& ch : msg)
        if (ch == '\n') ch = ' ';
      std::fprintf(stderr, "latent: error: %s\n", msg.c_str());
      std::exit(1);
    }
    std::fflush(stdout);
    std::exit(0);
  });
}

}  // namespace latent::cli
