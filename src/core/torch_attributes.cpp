// The face attribute classifier: training (`latent train attributes`) and inference
// (attribute_classifier.h).
#include "latent/attribute_classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/labels.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "torch_nets.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace latent {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kFormat = "latent-studio-attribute-classifier";

struct NetArch {
  int size = 64, channels = 3, outputs = 40, width = 32;
  nlohmann::json to_json() const {
    return {{"type", "attribute-classifier"}, {"size", size}, {"channels", channels}, {"outputs", outputs},
            {"width", width}};
  }
  static NetArch from_json(const nlohmann::json& j, const std::string& file) {
    NetArch a;
    if (require_field<std::string>(j, "type", file) != "attribute-classifier")
      throw FormatError(file + ": arch.type must be \"attribute-classifier\"");
    a.size = require_field<int>(j, "size", file);
    a.channels = require_field<int>(j, "channels", file);
    a.outputs = require_field<int>(j, "outputs", file);
    a.width = require_field<int>(j, "width", file);
    if (a.size != 32 && a.size != 64) throw FormatError(file + ": arch.size must be 32 or 64");
    if (a.channels != 1 && a.channels != 3) throw FormatError(file + ": arch.channels must be 1 or 3");
    if (a.outputs < 1 || a.outputs > 1000) throw FormatError(file + ": arch.outputs out of range (1..1000)");
    if (a.width < 1 || a.width > 256) throw FormatError(file + ": arch.width out of range (1..256)");
    return a;
  }
};

// Strided 4x4 convolutions halve the side down to 4x4, each followed (below 32 pixels) by
// a 3x3 convolution at the same side; batch norm and ReLU throughout; then dropout and
// one linear layer to the logits. About 45 M multiply-adds per 64x64 image at width 32.
struct AttributeNetImpl : nn::Module {
  explicit AttributeNetImpl(const NetArch& a) : arch(a) {
    body = register_module("body", nn::Sequential());
    int in = a.channels, ch = a.width;
    const int stages = a.size == 64 ? 4 : 3;
    for (int s = 0; s < stages; ++s) {
      body->push_back(nn::Conv2d(nn::Conv2dOptions(in, ch, 4).stride(2).padding(1).bias(false)));
      body->push_back(nn::BatchNorm2d(ch));
      body->push_back(nn::ReLU(true));
      if (s > 0 && s + 1 < stages) {
        body->push_back(nn::Conv2d(nn::Conv2dOptions(ch, ch, 3).padding(1).bias(false)));
        body->push_back(nn::BatchNorm2d(ch));
        body->push_back(nn::ReLU(true));
      }
      in = ch;
      ch *= 2;
    }
    drop = register_module("drop", nn::Dropout(0.3));
    head = register_module("head", nn::Linear(in * 4 * 4, a.outputs));
  }
  // x: [B, C, S, S] in [0, 1] -> logits [B, outputs].
  torch::Tensor forward(torch::Tensor x) {
    auto h = body->forward(x * 2 - 1);
    return head->forward(drop->forward(h.flatten(1)));
  }
  NetArch arch;
  nn::Sequential body{nullptr};
  nn::Dropout drop{nullptr};
  nn::Linear head{nullptr};
};
TORCH_MODULE(AttributeNet);

// The label matrix [N, A] in {0, 1}, row i for dataset item i (binary_labels).
torch::Tensor label_tensor(const LabelTable& table, const std::string& labels_path, const ImageDataset& ds,
                           std::vector<std::string>& attributes) {
  const auto rows = binary_labels(table, labels_path, ds.format == "folder" ? ds.names : std::vector<std::string>(),
                                  ds.count(), attributes);
  auto y = torch::empty({ds.count(), static_cast<long>(attributes.size())}, torch::kFloat);
  auto acc = y.accessor<float, 2>();
  for (long i = 0; i < ds.count(); ++i)
    for (size_t a = 0; a < attributes.size(); ++a) acc[i][static_cast<long>(a)] = static_cast<float>(rows[static_cast<size_t>(i)][a]);
  return y;
}

torch::Tensor flip_some(torch::Tensor x) {
  auto mask = (torch::rand({x.size(0), 1, 1, 1}) < 0.5).to(x.device());
  return torch::where(mask, x.flip({3}), x);
}

// Random shifts of up to `pad` pixels (edge-replicated), per batch.
torch::Tensor shift(torch::Tensor x, int pad) {
  const auto padded = torch::nn::functional::pad(
      x, torch::nn::functional::PadFuncOptions({pad, pad, pad, pad}).mode(torch::kReplicate));
  const long dx = torch::randint(0, 2 * pad + 1, {1}).item<long>(), dy = torch::randint(0, 2 * pad + 1, {1}).item<long>();
  return padded.narrow(2, dy, x.size(2)).narrow(3, dx, x.size(3));
}

nlohmann::json heldout_metrics(AttributeNet& net, const torch::Tensor& x, const torch::Tensor& y,
                               const std::vector<std::string>& names, torch::Device device) {
  torch::NoGradGuard ng;
  net->eval();
  std::vector<torch::Tensor> outs;
  for (long i = 0; i < x.size(0); i += 256)
    outs.push_back(net->forward(x.narrow(0, i, std::min<long>(256, x.size(0) - i)).to(device)).cpu());
  net->train();
  const auto pred = torch::cat(outs) > 0;
  const auto truth = y > 0.5;
  nlohmann::json per = nlohmann::json::object();
  double sum_acc = 0, sum_bal = 0, sum_major = 0;
  for (size_t a = 0; a < names.size(); ++a) {
    const auto p = pred.select(1, static_cast<long>(a)), t = truth.select(1, static_cast<long>(a));
    const double n = static_cast<double>(x.size(0));
    const double pos = t.sum().item<double>(), neg = n - pos;
    const double tp = (p & t).sum().item<double>(), tn = ((~p) & (~t)).sum().item<double>();
    const double acc = (tp + tn) / n;
    const double base = pos / n;
    const double major = std::max(base, 1 - base);
    const double bal = 0.5 * ((pos > 0 ? tp / pos : 1.0) + (neg > 0 ? tn / neg : 1.0));
    per[names[a]] = {{"accuracy", acc}, {"balanced_accuracy", bal}, {"positive_rate", base}, {"majority_accuracy", major}};
    sum_acc += acc;
    sum_bal += bal;
    sum_major += major;
  }
  const double k = static_cast<double>(names.size());
  return {{"heldout_images", x.size(0)},
          {"mean_accuracy", sum_acc / k},
          {"mean_balanced_accuracy", sum_bal / k},
          {"mean_majority_accuracy", sum_major / k},
          {"per_attribute", per}};
}

}  // namespace

TrainResult train_attribute_classifier(const AttributeTrainOptions& o, const TrainProgressFn& progress) {
  if (o.size != 32 && o.size != 64) throw UnsupportedError("--size must be 32 or 64");
  if (o.width < 4 || o.width > 256) throw UnsupportedError("--width must be 4..256");
  if (o.epochs < 1) throw UnsupportedError("--epochs must be at least 1");
  if (o.batch < 2) throw UnsupportedError("--batch must be at least 2 (batch norm needs two images)");
  if (!(o.learning_rate > 0)) throw UnsupportedError("--lr must be above 0");
  if (o.holdout < 0) throw UnsupportedError("--holdout must be 0 or more");
  const DeviceChoice dev = resolve_device(o.device);
  const torch::Device device = dev.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

  const std::string labels_path = labels_path_for(o.data, o.labels);
  DatasetOptions dopt;
  dopt.limit = o.limit;
  const ImageDataset ds = load_image_dataset(o.data, dopt);
  const long count = ds.count();
  const LabelTable table = LabelTable::read_csv(labels_path);
  std::vector<std::string> names = o.attributes;
  const torch::Tensor y_all = label_tensor(table, labels_path, ds, names);
  const int channels = 3;
  const torch::Tensor x_all = nets::dataset_tensor(ds, o.size, channels);
  const long holdout = std::min(o.holdout, count / 2);
  const long n_train = count - holdout;
  if (n_train < o.batch)
    throw UnsupportedError(o.data + ": " + std::to_string(n_train) + " training images are fewer than one batch of " +
                           std::to_string(o.batch));
  const auto x_train = x_all.narrow(0, 0, n_train), y_train = y_all.narrow(0, 0, n_train);
  const auto x_held = x_all.narrow(0, n_train, holdout), y_held = y_all.narrow(0, n_train, holdout);

  torch::manual_seed(o.seed);
  const NetArch arch{o.size, channels, static_cast<int>(names.size()), o.width};
  AttributeNet net(arch);
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.learning_rate).weight_decay(1e-5));
  // Positive examples of rare attributes weigh more (up to 10x), so that the network does
  // not learn to answer "no" to Eyeglasses (6% of CelebA) and be right 94% of the time.
  const auto rate = y_train.mean(0).clamp(1e-3, 1 - 1e-3);
  const auto pos_weight = ((1 - rate) / rate).sqrt().clamp(1.0, 10.0).to(device);

  const fs::path out(o.out_dir);
  const fs::path ck = out / "checkpoint";
  fs::create_directories(ck);
  const nlohmann::json run_args = {{"data", o.data}, {"labels", labels_path}, {"attributes", names},
                                   {"arch", arch.to_json()}, {"batch", o.batch}, {"epochs", o.epochs},
                                   {"learning_rate", o.learning_rate}, {"holdout", holdout}, {"limit", o.limit},
                                   {"seed", o.seed}};
  int start_epoch = 1;
  double train_seconds = 0;
  if (o.resume) {
    const nlohmann::json state = nets::read_checkpoint_state(ck.string(), run_args, "settings");
    nets::load_weights(*net, (ck / "net.pt").string());
    net->to(device);
    nets::load_optimizer(opt, (ck / "opt.pt").string());
    start_epoch = state["epoch"].get<int>() + 1;
    train_seconds = state.value("train_seconds", 0.0);
  }

  const long steps = n_train / o.batch;
  const long total_steps = steps * o.epochs;
  const auto t_start = Clock::now();
  long images_done = 0;
  double last_report = 0;
  TrainResult result;
  result.model_dir = o.out_dir;
  for (int epoch = start_epoch; epoch <= o.epochs; ++epoch) {
    torch::manual_seed(o.seed * 1000003ull + static_cast<uint64_t>(epoch));
    std::vector<long> order(static_cast<size_t>(n_train));
    std::iota(order.begin(), order.end(), 0L);
    std::mt19937_64 rng(o.seed * 7919ull + static_cast<uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    const auto index = torch::from_blob(order.data(), {n_train}, torch::kLong).clone();
    const auto t_epoch = Clock::now();
    double loss_sum = 0;
    long loss_n = 0;
    net->train();
    for (long step = 0; step < steps; ++step) {
      // Cosine decay of the learning rate over the whole run (resumes land on the same curve).
      const long global = static_cast<long>(epoch - 1) * steps + step;
      const double lr = o.learning_rate * 0.5 * (1 + std::cos(M_PI * static_cast<double>(global) / total_steps));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
      const auto idx = index.narrow(0, step * o.batch, o.batch);
      auto x = shift(flip_some(x_train.index_select(0, idx)), o.size / 16).to(device);
      auto y = y_train.index_select(0, idx).to(device);
      opt.zero_grad();
      auto loss = torch::nn::functional::binary_cross_entropy_with_logits(
          net->forward(x), y, torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pos_weight));
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      ++loss_n;
      images_done += o.batch;
      const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
      nets::report_step(progress, elapsed, last_report, epoch, o.epochs, step, steps, o.batch, images_done, [&] {
        return std::map<std::string, double>{{"loss", loss_sum / loss_n}};
      });
    }
    train_seconds += std::chrono::duration<double>(Clock::now() - t_epoch).count();
    nlohmann::json metrics =
        holdout > 0 ? heldout_metrics(net, x_held, y_held, names, device) : nlohmann::json::object();
    metrics["final_epoch_loss"] = loss_sum / std::max<long>(1, loss_n);

    nets::save_weights(*net, (out / "classifier.pt").string(), false);
    const nlohmann::json header = {
        {"format", kFormat},
        {"format_version", 1},
        {"name", o.name.empty() ? out.filename().string() : o.name},
        {"attributes", names},
        {"input", observation_json(ObservationShape{o.size, o.size, channels, 0.f, 1.f}, Modality::Image)},
        {"network", {{"file", "classifier.pt"}, {"format", "libtorch"}, {"arch", arch.to_json()}}},
        {"training",
         {{"data", o.data}, {"labels", labels_path}, {"images", n_train}, {"holdout", holdout},
          {"holdout_rule", "the last images of the data"}, {"command", o.command}, {"seed", o.seed},
          {"epochs", epoch}, {"batch", o.batch}, {"learning_rate", o.learning_rate},
          {"augment", "horizontal flip, shifts up to 1/16 of the side"}, {"device", dev.used},
          {"train_seconds", train_seconds}, {"library", torch_build_summary()}, {"finished_utc", utc_timestamp()}}},
        {"metrics", metrics},
    };
    write_file_atomic((out / "model.json").string(), header.dump(2) + "\n");
    nets::save_checkpoint(ck.string(), *net, "net.pt", opt,
                          {{"epoch", epoch}, {"args", run_args}, {"train_seconds", train_seconds}});
    result.epochs_done = epoch;
    result.metrics = metrics;
    if (progress) {
      TrainProgress p;
      p.epoch = epoch;
      p.epochs = o.epochs;
      p.step = p.steps = steps;
      p.epoch_end = true;
      p.images_per_s = images_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
      p.losses = {{"loss", loss_sum / std::max<long>(1, loss_n)}};
      if (metrics.contains("mean_accuracy")) {
        p.losses["heldout_accuracy"] = metrics["mean_accuracy"].get<double>();
        p.losses["heldout_balanced"] = metrics["mean_balanced_accuracy"].get<double>();
      }
      if (!progress(p)) throw Cancelled();
    }
  }
  result.images_per_s = images_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
  return result;
}

// ------------------------------------------------------------------ inference

struct AttributeClassifier::Impl {
  std::string name;
  std::vector<std::string> attributes;
  ObservationShape input;
  nlohmann::json metrics;
  AttributeNet net{nullptr};
  torch::Device device{torch::kCPU};
};

AttributeClassifier::AttributeClassifier() : impl_(std::make_unique<Impl>()) {}
AttributeClassifier::~AttributeClassifier() = default;

std::unique_ptr<AttributeClassifier> AttributeClassifier::open(const std::string& path, const std::string& device) {
  fs::path dir(path);
  if (fs::is_regular_file(dir)) dir = dir.parent_path();
  const std::string header_path = (dir / "model.json").string();
  if (!fs::exists(header_path))
    throw IoError(path + ": no attribute classifier here (no model.json; train one with `latent train attributes`)");
  const nlohmann::json j = read_json_file(header_path, "the classifier's header");
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw FormatError(header_path + ": not an attribute classifier (\"format\": \"" + std::string(kFormat) +
                      "\" is missing)");
  std::unique_ptr<AttributeClassifier> c(new AttributeClassifier());
  Impl& m = *c->impl_;
  try {
    m.name = j.value("name", dir.filename().string());
    if (!j.contains("attributes") || !j["attributes"].is_array())
      throw FormatError(header_path + ": \"attributes\" (a list of names) is missing");
    m.attributes = j["attributes"].get<std::vector<std::string>>();
    const auto& network = j.at("network");
    const NetArch arch = NetArch::from_json(network.at("arch"), header_path);
    if (arch.outputs != static_cast<int>(m.attributes.size()))
      throw FormatError(header_path + ": the network has " + std::to_string(arch.outputs) + " outputs but " +
                        std::to_string(m.attributes.size()) + " attributes are named");
    m.input = ObservationShape{arch.size, arch.size, arch.channels, 0.f, 1.f};
    m.metrics = j.value("metrics", nlohmann::json::object());
    const std::string file = require_field<std::string>(network, "file", header_path);
    if (file.find('/') != std::string::npos || file.find("..") != std::string::npos)
      throw FormatError(header_path + ": network.file must be a file name in the package, not \"" + file + "\"");
    m.net = AttributeNet(arch);
    nets::load_weights(*m.net, (dir / file).string());
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(header_path + ": " + e.what());
  }
  const DeviceChoice dev = resolve_device(device);
  m.device = dev.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  m.net->to(m.device);
  m.net->eval();
  return c;
}

const std::string& AttributeClassifier::name() const { return impl_->name; }
const std::vector<std::string>& AttributeClassifier::attributes() const { return impl_->attributes; }
const ObservationShape& AttributeClassifier::input() const { return impl_->input; }
const nlohmann::json& AttributeClassifier::metrics() const { return impl_->metrics; }

int AttributeClassifier::index_of(const std::string& attribute) const {
  const auto& a = impl_->attributes;
  const auto it = std::find(a.begin(), a.end(), attribute);
  return it == a.end() ? -1 : static_cast<int>(it - a.begin());
}

namespace {

// The network in batches of 128 images (converted to its input shape): `head` turns the
// trunk's output [B, ...] into the rows wanted [B, cols].
RowMatrixXf run_batches(AttributeNet& net, const ObservationShape& in, torch::Device device,
                        const std::vector<Image>& images, long cols,
                        const std::function<torch::Tensor(const torch::Tensor&)>& head) {
  const int s = in.width, c = in.channels;
  const long per = static_cast<long>(s) * s * c;
  RowMatrixXf out(static_cast<long>(images.size()), cols);
  torch::NoGradGuard ng;
  for (size_t i = 0; i < images.size(); i += 128) {
    const long b = static_cast<long>(std::min<size_t>(128, images.size() - i));
    auto hwc = torch::empty({b, s, s, c}, torch::kFloat);
    float* dst = hwc.data_ptr<float>();
    for (long k = 0; k < b; ++k) {
      const Image& img = images[i + static_cast<size_t>(k)];
      if (img.empty()) throw UnsupportedError("the attribute classifier was given an empty image");
      const bool same = img.width == s && img.height == s && img.channels == c;
      const Image conv = same ? Image() : convert_image(img, s, s, c);
      const Image& src = same ? img : conv;
      std::copy(src.pixels.begin(), src.pixels.end(), dst + k * per);
    }
    const auto rows = head(hwc.permute({0, 3, 1, 2}).contiguous().to(device)).to(torch::kFloat).cpu().contiguous();
    std::copy(rows.data_ptr<float>(), rows.data_ptr<float>() + rows.numel(), out.data() + static_cast<long>(i) * out.cols());
  }
  return out;
}

}  // namespace

RowMatrixXf AttributeClassifier::predict(const std::vector<Image>& images) const {
  Impl& m = *impl_;  // forward() is not const in LibTorch; the network is in eval mode and not changed
  return run_batches(m.net, m.input, m.device, images, static_cast<long>(m.attributes.size()),
                     [&](const torch::Tensor& x) { return torch::sigmoid(m.net->forward(x)); });
}

RowMatrixXf AttributeClassifier::features(const std::vector<Image>& images) const {
  Impl& m = *impl_;
  return run_batches(m.net, m.input, m.device, images, m.net->head->options.in_features(),
                     [&](const torch::Tensor& x) { return m.net->body->forward(x * 2 - 1).flatten(1); });
}

void AttributeClassifier::check_model(const SpaceInfo& model) const {
  const auto& in = impl_->input;
  const auto& ob = model.observation;
  if (model.modality != Modality::Image)
    throw UnsupportedError(impl_->name + " labels images; " + model.name + " is a " + to_string(model.modality) + " model");
  auto shape = [](const ObservationShape& o) {
    return std::to_string(o.width) + "x" + std::to_string(o.height) + "x" + std::to_string(o.channels);
  };
  if (ob.width * in.height != ob.height * in.width || ob.width * 2 < in.width)
    throw UnsupportedError(impl_->name + " labels " + shape(in) + " images; " + model.name + " makes " + shape(ob) +
                           " images, which it cannot label in earnest");
}

}  // namespace latent
