// `latent train encoder`: an encoder learned through a frozen generator, first on the
// generator's own pairs (z, G(z)), then on real images through it (torch_train.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/torch_train.h"
#include "torch_nets.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

using Clock = std::chrono::steady_clock;

// Mean square per image pixel in [0,1] units, of two batches in the model's range.
torch::Tensor pixel_mse(const torch::Tensor& a, const torch::Tensor& b, double unit) {
  return (a - b).pow(2).mean() / unit;
}

struct EncoderMetrics {
  double z_rmse = 0, z_cosine = 0, synthetic_rmse = 0, heldout_rmse = 0;
  long heldout = 0;
  nlohmann::json to_json() const {
    nlohmann::json j = {{"synthetic_z_rmse", z_rmse},
                        {"synthetic_z_cosine", z_cosine},
                        {"synthetic_image_rmse", synthetic_rmse}};
    if (heldout > 0) {
      j["heldout_image_rmse"] = heldout_rmse;
      j["heldout_images"] = heldout;
    }
    return j;
  }
};

// Copies a package's files (not its checkpoints or sample folders) to a new folder.
void copy_package(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) {
    if (!e.is_regular_file()) continue;
    const fs::path dest = to / e.path().filename();
    fs::copy_file(e.path(), dest, fs::copy_options::overwrite_existing);
  }
}

}  // namespace

TrainResult train_encoder(const TrainEncoderOptions& o, const TrainProgressFn& progress) {
  if (o.width < 4 || o.width > 256) throw UnsupportedError("--width must be 4..256");
  if (o.batch < 2) throw UnsupportedError("--batch must be at least 2 (batch norm needs two images)");
  if (o.synthetic_rounds < 0 || o.round_steps < 1) throw UnsupportedError("--rounds must be 0 or more, --round-steps 1 or more");
  if (o.epochs < 0) throw UnsupportedError("--epochs must be 0 or more");
  if (o.epochs > 0 && o.data.empty()) throw UnsupportedError("--epochs on real images needs DATA (or give --epochs 0)");
  if (o.synthetic_rounds + o.epochs == 0) throw UnsupportedError("nothing to train: --rounds and --epochs are both 0");
  if (!(o.learning_rate > 0)) throw UnsupportedError("--lr must be above 0");
  if (o.image_weight < 0 || o.prior_weight < 0 || o.synthetic_image_weight < 0)
    throw UnsupportedError("--image-weight, --prior-weight and --synthetic-image-weight must be 0 or more");
  if (o.flip != "auto" && o.flip != "on" && o.flip != "off") throw UnsupportedError("--flip must be on, off or auto");

  const fs::path model_dir(o.model);
  const fs::path model_json = model_dir / "model.json";
  if (!fs::is_regular_file(model_json)) throw IoError(model_json.string() + ": no such file (MODEL is a package folder)");
  nlohmann::json header = read_json_file(model_json.string(), "the model's header");
  if (header.value("kind", "") != "torch-image")
    throw UnsupportedError(o.model + " is a \"" + header.value("kind", "?") +
                           "\" model; an encoder is trained for a neural image generator (kind torch-image)");
  TorchImageSpaceOptions so;
  so.device = o.device;
  const auto space = TorchImageSpace::load(model_dir.string(), header, so);
  const nets::SpaceDecoder G = nets::space_decoder(*space);
  if (G.height != G.width || (G.height != 32 && G.height != 64))
    throw UnsupportedError(o.model + ": the encoder is built for square 32 or 64 pixel images, not " +
                           std::to_string(G.width) + "x" + std::to_string(G.height));
  const torch::Device device = G.device;
  const double unit = static_cast<double>(G.hi - G.lo) * (G.hi - G.lo);
  const int D = G.latent;

  // Real images in the model's range, the last `holdout` kept out.
  torch::Tensor train, held;
  bool flip = false;
  long holdout = 0;
  if (!o.data.empty()) {
    DatasetOptions dopt;
    dopt.limit = o.limit;
    const ImageDataset ds = load_image_dataset(o.data, dopt);
    if (ds.count() == 0) throw FormatError(o.data + ": the dataset has no images");
    const torch::Tensor all = nets::dataset_tensor(ds, G.height, G.channels) * (G.hi - G.lo) + G.lo;
    const long count = all.size(0);
    holdout = o.holdout >= 0 ? o.holdout : std::min<long>(500, count / 20);
    holdout = std::max(0L, std::min(holdout, count - o.batch));
    if (count - holdout < o.batch)
      throw UnsupportedError(o.data + ": " + std::to_string(count) + " images are fewer than one batch of " +
                             std::to_string(o.batch));
    train = all.narrow(0, 0, count - holdout);
    if (holdout > 0) held = all.narrow(0, count - holdout, holdout);
    flip = o.flip == "on" || (o.flip == "auto" && train.size(0) < 50000);
  }

  torch::manual_seed(o.seed);
  const nets::Arch ea{"vae-encoder", G.height, G.channels, D, o.width};
  nets::VaeEncoder E(ea);
  E->to(device);
  torch::optim::Adam opt(E->parameters(), torch::optim::AdamOptions(o.learning_rate));

  const fs::path out = o.out_dir.empty() ? model_dir : fs::path(o.out_dir);
  const fs::path ck = out / "checkpoint-encoder";
  fs::create_directories(ck);
  const nlohmann::json run_args = {{"model", fs::absolute(model_dir).lexically_normal().string()},
                                   {"data", o.data}, {"width", o.width}, {"batch", o.batch},
                                   {"round_steps", o.round_steps}, {"learning_rate", o.learning_rate},
                                   {"image_weight", o.image_weight}, {"prior_weight", o.prior_weight},
                                   {"synthetic_image_weight", o.synthetic_image_weight}, {"holdout", holdout}, {"flip", flip}, {"seed", o.seed}, {"limit", o.limit}};
  nlohmann::json state = nlohmann::json::object();
  int done_rounds = 0;
  if (o.resume) {
    state = nets::read_checkpoint_state(ck.string(), run_args, "settings");
    nets::load_weights(*E, (ck / "encoder.pt").string());
    E->to(device);
    nets::load_optimizer(opt, (ck / "opt.pt").string());
    done_rounds = state["epoch"].get<int>();
  }

  // The same prior samples for every round's metrics.
  torch::manual_seed(o.seed + 1);
  const torch::Tensor probe_z = torch::randn({256, D}).to(device);
  auto measure = [&]() {
    torch::NoGradGuard ng;
    E->eval();
    EncoderMetrics m;
    const auto x = G.decode(probe_z);
    const auto zh = E->forward(x).first;
    m.z_rmse = std::sqrt((zh - probe_z).pow(2).mean().item<double>());
    m.z_cosine = torch::cosine_similarity(zh, probe_z, 1).mean().item<double>();
    m.synthetic_rmse = std::sqrt(pixel_mse(G.decode(zh), x, unit).item<double>());
    if (holdout > 0) {
      double se = 0;
      for (long i = 0; i < holdout; i += 100) {
        const auto xb = held.narrow(0, i, std::min<long>(100, holdout - i)).to(device);
        se += (G.decode(E->forward(xb).first) - xb).pow(2).sum().item<double>() / unit;
      }
      m.heldout_rmse = std::sqrt(se / (static_cast<double>(holdout) * G.channels * G.height * G.width));
      m.heldout = holdout;
    }
    E->train();
    return m;
  };

  const int rounds = o.synthetic_rounds + (train.defined() ? o.epochs : 0);
  const long real_steps = train.defined() ? train.size(0) / (o.batch / 2) : 0;
  const auto t_start = Clock::now();
  double train_seconds = state.value("train_seconds", 0.0);
  long images_done = 0;
  double last_report = 0;
  TrainResult result;
  result.model_dir = out.string();
  EncoderMetrics metrics;

  // n generated pairs: the code loss, and the image loss where weighed (each costs a
  // backward pass through the generator).
  auto synthetic_loss = [&](long n, double image_weight, std::map<std::string, double>& l) {
    torch::Tensor z, x;
    {
      torch::NoGradGuard ng;
      z = torch::randn({n, D}).to(device);
      x = G.decode(z);
    }
    const auto zh = E->forward(x).first;
    const auto code = (zh - z).pow(2).mean();
    auto loss = code;
    l["code"] += code.item<double>();
    if (image_weight > 0) {
      const auto img = pixel_mse(G.decode(zh), x, unit);
      loss = loss + image_weight * img;
      l["synthetic_mse"] += img.item<double>();
    }
    return loss;
  };

  for (int round = done_rounds + 1; round <= rounds; ++round) {
    torch::manual_seed(o.seed * 1000003ull + static_cast<uint64_t>(round));
    const bool real_stage = round > o.synthetic_rounds;
    const long steps = real_stage ? real_steps : o.round_steps;
    torch::Tensor index;
    if (real_stage) {
      std::vector<long> order(static_cast<size_t>(train.size(0)));
      std::iota(order.begin(), order.end(), 0L);
      std::mt19937_64 rng(o.seed * 7919ull + static_cast<uint64_t>(round));
      std::shuffle(order.begin(), order.end(), rng);
      index = torch::from_blob(order.data(), {static_cast<long>(order.size())}, torch::kLong).clone();
    }
    std::map<std::string, double> sums;
    const auto t_round = Clock::now();
    E->train();
    for (long step = 0; step < steps; ++step) {
      opt.zero_grad();
      torch::Tensor loss;
      if (!real_stage) {
        loss = synthetic_loss(o.batch, o.synthetic_image_weight, sums);
      } else {
        const long half = o.batch / 2;
        auto x = train.index_select(0, index.narrow(0, step * half, half)).to(device);
        if (flip) {
          const auto mask = (torch::rand({half, 1, 1, 1}) < 0.5).to(device);
          x = torch::where(mask, x.flip({3}), x);
        }
        const auto zh = E->forward(x).first;
        const auto img = pixel_mse(G.decode(zh), x, unit);
        const auto shell = (zh.pow(2).mean(1) - 1).pow(2).mean();
        loss = o.image_weight * img + o.prior_weight * shell + synthetic_loss(o.batch - half, 0.0, sums);
        sums["real_mse"] += img.item<double>();
        sums["shell"] += shell.item<double>();
      }
      loss.backward();
      opt.step();
      images_done += o.batch;
      const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
      nets::report_step(progress, elapsed, last_report, round, rounds, step, steps, o.batch, images_done, [&] {
        std::map<std::string, double> m;
        for (const auto& [k, v] : sums) m[k] = v / static_cast<double>(step + 1);
        return m;
      });
    }
    train_seconds += std::chrono::duration<double>(Clock::now() - t_round).count();
    metrics = measure();

    // The package: the generator's files with this encoder beside them.
    if (out != model_dir) copy_package(model_dir, out);
    const bool half = header["torch"].value("weights_dtype", "float32") == "float16";
    nets::save_weights(*E, (out / "encoder.pt").string(), half);
    nlohmann::json h = header;
    h["torch"]["encoder"] = {{"file", "encoder.pt"}, {"format", "libtorch"}, {"arch", ea.to_json()}};
    h["metrics"]["encoder"] = metrics.to_json();
    h["encoder_training"] = {{"command", o.command}, {"data", o.data}, {"seed", o.seed}, {"width", o.width},
                             {"batch", o.batch}, {"synthetic_steps", std::min(round, o.synthetic_rounds) * o.round_steps},
                             {"real_epochs", std::max(0, round - o.synthetic_rounds)},
                             {"learning_rate", o.learning_rate}, {"image_weight", o.image_weight},
                             {"prior_weight", o.prior_weight}, {"synthetic_image_weight", o.synthetic_image_weight}, {"holdout", holdout}, {"flip", flip},
                             {"train_seconds", train_seconds}, {"device", space->device().used},
                             {"library", torch_build_summary()}, {"finished_utc", utc_timestamp()}};
    write_file_atomic((out / "model.json").string(), h.dump(2) + "\n");

    nets::save_weights(*E, (ck / "encoder.pt").string(), false);
    nets::save_optimizer(opt, (ck / "opt.pt").string());
    state = {{"epoch", round}, {"args", run_args}, {"train_seconds", train_seconds}};
    write_file_atomic((ck / "state.json").string(), state.dump(2) + "\n");
    result.epochs_done = round;
    result.metrics = metrics.to_json();
    if (progress) {
      TrainProgress p;
      p.epoch = round;
      p.epochs = rounds;
      p.step = p.steps = steps;
      for (const auto& [k, v] : sums) p.losses[k] = v / static_cast<double>(std::max<long>(1, steps));
      for (const auto& [k, v] : result.metrics.items())
        if (v.is_number()) p.losses[k] = v.get<double>();
      p.epoch_end = true;
      p.images_per_s = images_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
      if (!progress(p)) throw Cancelled();
    }
  }
  result.images_per_s = images_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
  if (done_rounds >= rounds) result.epochs_done = done_rounds;
  return result;
}

}  // namespace latent
