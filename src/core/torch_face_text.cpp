// The shared space of faces and words (face_text.h): training, the model, and maps to
// face models.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <unordered_map>

#include <Eigen/Cholesky>
#include <torch/torch.h>

#include "latent/attribute_classifier.h"
#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/face_text.h"
#include "latent/json_file.h"
#include "latent/labels.h"
#include "latent/model_package.h"
#include "latent/text.h"
#include "latent/torch_module.h"
#include "latent/torch_space.h"
#include "torch_nets.h"
#include "torch_text_net.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace latent {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kFormat = "latent-studio-faces-vse";
constexpr int kMaxTokens = 40;

struct NetArch {
  int features = 4096, vocab = 0, word_embed = 128, embed = 256;
  nlohmann::json to_json() const {
    return {{"type", "faces-vse"}, {"features", features}, {"vocab", vocab}, {"word_embed", word_embed}, {"embed", embed}};
  }
  static NetArch from_json(const nlohmann::json& j, const std::string& file) {
    if (require_field<std::string>(j, "type", file) != "faces-vse") throw FormatError(file + ": arch.type must be \"faces-vse\"");
    NetArch a;
    a.features = require_field<int>(j, "features", file);
    a.vocab = require_field<int>(j, "vocab", file);
    a.word_embed = require_field<int>(j, "word_embed", file);
    a.embed = require_field<int>(j, "embed", file);
    auto in = [&](int v, int lo, int hi, const char* what) {
      if (v < lo || v > hi)
        throw FormatError(file + ": arch." + what + " out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
    };
    in(a.features, 1, 1 << 20, "features");
    in(a.vocab, Vocabulary::kSpecials + 1, 1 << 20, "vocab");
    in(a.word_embed, 1, 4096, "word_embed");
    in(a.embed, 1, 4096, "embed");
    return a;
  }
};

// Image side: a linear projection of the classifier's trunk features. Text side: word
// embeddings and a GRU whose state after the last word is projected the same way.
struct FaceTextNetImpl : nn::Module {
  explicit FaceTextNetImpl(const NetArch& a) : arch(a) {
    image_proj = register_module("image_proj", nn::Linear(a.features, a.embed));
    words = register_module("words", nn::Embedding(nn::EmbeddingOptions(a.vocab, a.word_embed).padding_idx(0)));
    gru = register_module("gru", nn::GRU(nn::GRUOptions(a.word_embed, a.embed).batch_first(true)));
  }
  torch::Tensor images(const torch::Tensor& features) {
    return nn::functional::normalize(image_proj->forward(features), nn::functional::NormalizeFuncOptions().dim(1));
  }
  // ids [B, T] (padding after the end), lengths [B] >= 1 -> unit rows [B, embed]
  torch::Tensor texts(const torch::Tensor& ids, const torch::Tensor& lengths) {
    auto out = std::get<0>(gru->forward(words->forward(ids)));  // [B, T, E]
    auto last = (lengths - 1).clamp_min(0).view({-1, 1, 1}).expand({-1, 1, out.size(2)}).to(out.device());
    auto h = out.gather(1, last).squeeze(1);
    return nn::functional::normalize(h, nn::functional::NormalizeFuncOptions().dim(1));
  }
  NetArch arch;
  nn::Linear image_proj{nullptr};
  nn::Embedding words{nullptr};
  nn::GRU gru{nullptr};
};
TORCH_MODULE(FaceTextNet);

// CelebA's attributes of every dataset item (binary_labels: every 0/1 column), in `names`.
std::vector<std::vector<int>> read_attributes(const LabelTable& table, const std::string& labels_path,
                                              const ImageDataset& ds, std::vector<std::string>& names) {
  const int male = table.column("Male");
  if (male < 0 || !is_binary_column(table, male))
    throw UnsupportedError(labels_path + " has no 0/1 column \"Male\": descriptions are made from CelebA's 40 attributes");
  names.clear();
  return binary_labels(table, labels_path, ds.format == "folder" ? ds.names : std::vector<std::string>(), ds.count(),
                       names);
}

std::vector<Image> dataset_images(const ImageDataset& ds, long from, long to) {
  std::vector<Image> out;
  out.reserve(static_cast<size_t>(to - from));
  for (long i = from; i < to; ++i) out.push_back(ds.image(i));
  return out;
}

Image mirrored(const Image& img) {
  Image m = img;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      for (int c = 0; c < img.channels; ++c)
        m.pixels[(static_cast<size_t>(y) * img.width + x) * img.channels + c] =
            img.pixels[(static_cast<size_t>(y) * img.width + (img.width - 1 - x)) * img.channels + c];
  return m;
}

// The classifier's features of every item (and of its mirror image), as [N, F] tensors.
std::pair<torch::Tensor, torch::Tensor> all_features(const AttributeClassifier& clf, const ImageDataset& ds,
                                                     const TrainProgressFn& progress) {
  const long n = ds.count();
  torch::Tensor plain, flipped;
  for (long i = 0; i < n; i += 512) {
    const long to = std::min(n, i + 512);
    std::vector<Image> imgs = dataset_images(ds, i, to);
    const RowMatrixXf f = clf.features(imgs);
    for (auto& im : imgs) im = mirrored(im);
    const RowMatrixXf g = clf.features(imgs);
    if (!plain.defined()) {
      plain = torch::empty({n, f.cols()}, torch::kFloat);
      flipped = torch::empty({n, f.cols()}, torch::kFloat);
    }
    std::memcpy(plain[i].data_ptr<float>(), f.data(), sizeof(float) * static_cast<size_t>(f.size()));
    std::memcpy(flipped[i].data_ptr<float>(), g.data(), sizeof(float) * static_cast<size_t>(g.size()));
    if (progress) {
      TrainProgress p;
      p.stage = "image features";
      p.step = to, p.steps = n;
      if (!progress(p)) throw Cancelled();
    }
  }
  return {plain, flipped};
}

std::vector<int> caption_ids(const Vocabulary& vocab, const std::string& text) {
  return vocab.encode(tokenize_sentence(text));
}

// The similarity loss of VSE++: hinge on every violating negative (warm-up) or on the
// hardest one per query, both directions; pairs where the other face also fits the
// description (its assertions hold) are not negatives.
torch::Tensor contrastive_loss(const torch::Tensor& im, const torch::Tensor& tx, const torch::Tensor& fits,
                               double margin, bool hardest) {
  auto s = torch::matmul(im, tx.t());  // [B images, B captions]
  auto d = s.diag();
  auto mask = fits | torch::eye(s.size(0), torch::TensorOptions().dtype(torch::kBool).device(s.device()));
  auto cost_tx = (margin + s - d.view({-1, 1})).clamp_min(0).masked_fill(mask, 0);  // captions for image i
  auto cost_im = (margin + s - d.view({1, -1})).clamp_min(0).masked_fill(mask, 0);  // images for caption j
  if (hardest) return std::get<0>(cost_tx.max(1)).mean() + std::get<0>(cost_im.max(0)).mean();
  return cost_tx.sum(1).mean() + cost_im.sum(0).mean();
}

// fits[i][j]: caption j's assertions hold for face i. attrs [B, A] int8, asserts [B, A] int8.
torch::Tensor fits_matrix(const torch::Tensor& attrs, const torch::Tensor& asserts) {
  auto a = asserts.unsqueeze(0);  // [1, B, A]
  auto l = attrs.unsqueeze(1);    // [B, 1, A]
  return ((a == -1) | (a == l)).all(2);
}

// Recall@1/5/10 both ways over held-out faces and one description each; "fits" counts a
// retrieved face (or description) whose assertions hold, the exact pair or not.
// `generic`, `spread` [n]: each description's mean and standard deviation of similarity
// to the training faces; image -> text ranks by the standardised similarity, as the
// studio does. `asserts` [n, A]: what each says.
nlohmann::json recall_metrics(const torch::Tensor& im, const torch::Tensor& tx, const torch::Tensor& fits,
                              const torch::Tensor& generic, const torch::Tensor& spread, const torch::Tensor& asserts) {
  const long n = im.size(0);
  auto s = torch::matmul(im, tx.t());
  auto s_corrected = (s - generic.view({1, -1})) / spread.view({1, -1});
  const int ks[3] = {1, 5, 10};
  double i2t[3] = {0, 0, 0}, t2i[3] = {0, 0, 0}, i2t_fit = 0, t2i_fit = 0;
  auto top_tx = std::get<1>(s_corrected.topk(10, 1));  // per image: captions
  auto top_im = std::get<1>(s.t().topk(10, 1));  // per caption: images
  auto fa = fits.accessor<bool, 2>();
  auto ta = top_tx.accessor<int64_t, 2>();
  auto ia = top_im.accessor<int64_t, 2>();
  double chance_fit = fits.to(torch::kFloat).mean().item<double>();
  // How much the description chosen for each face says (attributes asserted), against
  // the descriptions' own mean: a method that always picks "a person" fits every face.
  auto said = (asserts != -1).sum(1).to(torch::kFloat);
  const double said_mean = said.mean().item<double>();
  double said_top1 = 0;
  auto said_a = said.accessor<float, 1>();
  for (long q = 0; q < n; ++q)
    for (int k = 0; k < 3; ++k) {
      bool own_t = false, own_i = false;
      for (int r = 0; r < ks[k]; ++r) {
        own_t |= ta[q][r] == q;
        own_i |= ia[q][r] == q;
      }
      i2t[k] += own_t;
      t2i[k] += own_i;
      if (k == 0) {
        i2t_fit += fa[q][ta[q][0]];  // the best description fits face q
        said_top1 += said_a[ta[q][0]];
        t2i_fit += fa[ia[q][0]][q];  // the best face fits description q
      }
    }
  nlohmann::json j = {{"queries", n}, {"chance_at_k", {1.0 / n, 5.0 / n, 10.0 / n}}};
  j["image_to_text"] = {{"recall_at_1", i2t[0] / n}, {"recall_at_5", i2t[1] / n}, {"recall_at_10", i2t[2] / n}};
  j["text_to_image"] = {{"recall_at_1", t2i[0] / n}, {"recall_at_5", t2i[1] / n}, {"recall_at_10", t2i[2] / n}};
  j["top1_fits"] = {{"image_to_text", i2t_fit / n}, {"text_to_image", t2i_fit / n},
                    {"chance", chance_fit}};
  j["image_to_text_attributes_said"] = {{"top1", said_top1 / n}, {"all_descriptions", said_mean}};
  j["image_to_text_ranking"] = "similarity standardised by the description's mean and spread over the training faces";
  return j;
}

// Ids of sentences as a padded batch, refusing none (an empty one is <unk>).
std::pair<torch::Tensor, torch::Tensor> batch_ids(const std::vector<std::vector<int>>& ids) {
  return textnet::pad_batch(ids, kMaxTokens);
}

// The matrices one after another, each row-major, as one float32 file (write_f32_file).
void write_floats(const std::string& path, const std::vector<const Eigen::MatrixXf*>& parts) {
  std::vector<float> all;
  for (const auto* m : parts) {
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = *m;
    all.insert(all.end(), r.data(), r.data() + r.size());
  }
  write_f32_file(path, all.data(), all.size());
}

}  // namespace

// ---------------------------------------------------------------- training

TrainResult train_face_text(const FaceTextTrainOptions& o, const TrainProgressFn& progress) {
  if (o.epochs < 1) throw UnsupportedError("--epochs must be at least 1");
  if (o.batch < 8) throw UnsupportedError("--batch must be at least 8 (negatives come from the batch)");
  if (o.embed < 8 || o.embed > 2048) throw UnsupportedError("--embed must be 8..2048");
  if (!(o.learning_rate > 0)) throw UnsupportedError("--lr must be above 0");
  if (o.classifier.empty()) throw UnsupportedError("give --classifier: the attribute classifier whose trunk reads the faces");
  const DeviceChoice dev = resolve_device(o.device);
  const torch::Device device = dev.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

  const std::string labels_path = labels_path_for(o.data, o.labels);
  const auto clf = AttributeClassifier::open(o.classifier, o.device);
  DatasetOptions dopt;
  const ImageDataset ds = load_image_dataset(o.data, dopt);
  const LabelTable table = LabelTable::read_csv(labels_path);
  std::vector<std::string> names;
  const auto attrs = read_attributes(table, labels_path, ds, names);
  const long count = ds.count();
  const long holdout = std::min(o.holdout, count / 2);
  const long n_train = count - holdout;
  if (n_train < o.batch)
    throw UnsupportedError(o.data + ": " + std::to_string(n_train) + " training faces are fewer than one batch");

  const fs::path out(o.out_dir);
  const fs::path ck = out / "checkpoint";
  fs::create_directories(ck);

  // The vocabulary: every word of many drawn descriptions (they are all there is to read).
  std::mt19937 vocab_rng(static_cast<uint32_t>(o.seed * 31 + 5));
  Vocabulary::Counts counts;
  for (int pass = 0; pass < 6; ++pass)
    for (long i = 0; i < n_train; ++i) {
      std::vector<bool> caps;
      const auto toks = tokenize_sentence(compose_face_caption(names, attrs[static_cast<size_t>(i)], vocab_rng).text, &caps);
      counts.add(toks, caps);
    }
  // Words a person may type for the same things; they share the embedding space only
  // through training, so they are drawn by the composer above or not at all.
  const Vocabulary vocab = Vocabulary::build(counts, Vocabulary::Counts{},
                                             static_cast<int>(counts.count.size()) + Vocabulary::kSpecials, 1);
  vocab.save((out / "vocab.tsv").string());

  // The bank of descriptions for face -> text: plain descriptions of training faces with
  // one to three features, unique, at most 4,000.
  std::vector<std::string> bank;
  {
    std::set<std::string> seen;
    std::mt19937 bank_rng(static_cast<uint32_t>(o.seed * 17 + 3));
    for (int pass = 0; pass < 3 && bank.size() < 4000; ++pass)
      for (long i = 0; i < n_train && bank.size() < 4000; ++i) {
        FaceCaption c = compose_face_caption(names, attrs[static_cast<size_t>(i)], bank_rng, 3, true);
        if (c.text.find(" with ") == std::string::npos && c.text.find("smiling") == std::string::npos &&
            c.text.find("bald") == std::string::npos)
          continue;  // one feature at least: "a woman" describes half the faces
        if (seen.insert(c.text).second) bank.push_back(c.text);
      }
  }

  // Copy the classifier package in: the VSE's image side is its trunk.
  const fs::path feat_dir = out / "image-features";
  fs::create_directories(feat_dir);
  {
    fs::path cdir(o.classifier);
    if (fs::is_regular_file(cdir)) cdir = cdir.parent_path();
    const nlohmann::json cj = read_json_file((cdir / "model.json").string(), "the classifier's header");
    const std::string file = cj.at("network").at("file").get<std::string>();
    fs::copy_file(cdir / file, feat_dir / file, fs::copy_options::overwrite_existing);
    fs::copy_file(cdir / "model.json", feat_dir / "model.json", fs::copy_options::overwrite_existing);
  }

  auto [feats, feats_flip] = all_features(*clf, ds, progress);
  const int n_attr = static_cast<int>(names.size());
  auto attr_t = torch::empty({count, n_attr}, torch::kInt8);
  for (long i = 0; i < count; ++i)
    for (int a = 0; a < n_attr; ++a) attr_t[i][a] = static_cast<int8_t>(attrs[static_cast<size_t>(i)][static_cast<size_t>(a)]);

  const NetArch arch{static_cast<int>(feats.size(1)), vocab.size(), o.word_embed, o.embed};
  torch::manual_seed(o.seed);
  FaceTextNet net(arch);
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.learning_rate));
  const nlohmann::json run_args = {{"data", o.data}, {"labels", labels_path}, {"arch", arch.to_json()},
                                   {"batch", o.batch}, {"margin", o.margin}, {"warmup_epochs", o.warmup_epochs},
                                   {"holdout", holdout}, {"seed", o.seed}};
  int start_epoch = 1;
  double train_seconds = 0;
  if (o.resume) {
    const nlohmann::json state = nets::read_checkpoint_state(ck.string(), run_args, "settings", {"learning_rate", "epochs"});
    nets::load_weights(*net, (ck / "vse.pt").string());
    net->to(device);
    nets::load_optimizer(opt, (ck / "opt.pt").string());
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(o.learning_rate);
    start_epoch = state["epoch"].get<int>() + 1;
    train_seconds = state.value("train_seconds", 0.0);
  }

  // Held-out descriptions: one per face, fixed.
  std::vector<std::vector<int>> held_ids;
  std::vector<FaceCaption> held_caps;
  {
    std::mt19937 rng(static_cast<uint32_t>(o.seed * 101 + 7));
    for (long i = n_train; i < count; ++i) {
      held_caps.push_back(compose_face_caption(names, attrs[static_cast<size_t>(i)], rng));
      held_ids.push_back(caption_ids(vocab, held_caps.back().text));
    }
  }
  auto held_asserts = torch::empty({holdout, n_attr}, torch::kInt8);
  for (long i = 0; i < holdout; ++i)
    for (int a = 0; a < n_attr; ++a) held_asserts[i][a] = held_caps[static_cast<size_t>(i)].asserts[static_cast<size_t>(a)];

  const long steps = n_train / o.batch;
  const auto t_start = Clock::now();
  long done = 0;
  double last_report = 0;
  TrainResult result;
  result.model_dir = o.out_dir;
  for (int epoch = start_epoch; epoch <= o.epochs; ++epoch) {
    std::mt19937 rng(static_cast<uint32_t>(o.seed * 7919 + static_cast<uint64_t>(epoch)));
    std::vector<long> order(static_cast<size_t>(n_train));
    std::iota(order.begin(), order.end(), 0L);
    std::shuffle(order.begin(), order.end(), rng);
    const auto t_epoch = Clock::now();
    double loss_sum = 0;
    long loss_n = 0;
    net->train();
    const bool hardest = epoch > o.warmup_epochs;
    for (long step = 0; step < steps; ++step) {
      std::vector<long> idx(order.begin() + step * o.batch, order.begin() + (step + 1) * o.batch);
      std::vector<std::vector<int>> ids;
      auto asserts = torch::empty({o.batch, n_attr}, torch::kInt8);
      auto flip = torch::empty({o.batch, 1}, torch::kBool);
      for (long b = 0; b < o.batch; ++b) {
        const FaceCaption c = compose_face_caption(names, attrs[static_cast<size_t>(idx[static_cast<size_t>(b)])], rng);
        ids.push_back(caption_ids(vocab, c.text));
        for (int a = 0; a < n_attr; ++a) asserts[b][a] = c.asserts[static_cast<size_t>(a)];
        flip[b][0] = (rng() & 1) != 0;
      }
      const auto index = torch::from_blob(idx.data(), {o.batch}, torch::kLong).clone();
      auto f = torch::where(flip, feats_flip.index_select(0, index), feats.index_select(0, index)).to(device);
      auto [x, len] = batch_ids(ids);
      auto fits = fits_matrix(attr_t.index_select(0, index), asserts).to(device);
      opt.zero_grad();
      auto loss = contrastive_loss(net->images(f), net->texts(x.to(device), len.to(device)), fits, o.margin, hardest);
      loss.backward();
      nn::utils::clip_grad_norm_(net->parameters(), 2.0);
      opt.step();
      loss_sum += loss.item<double>();
      ++loss_n;
      done += o.batch;
      const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
      nets::report_step(progress, elapsed, last_report, epoch, o.epochs, step, steps, o.batch, done, [&] {
        return std::map<std::string, double>{{hardest ? "hardest" : "sum", loss_sum / loss_n}};
      });
    }
    train_seconds += std::chrono::duration<double>(Clock::now() - t_epoch).count();

    nlohmann::json metrics = {{"final_epoch_loss", loss_sum / std::max<long>(1, loss_n)}};
    {
      torch::NoGradGuard ng;
      net->eval();
      // Every description's mean similarity to the training faces: how generic it is
      // ("a person" is near every face). Face -> text ranks by similarity minus it.
      const auto train_im = net->images(feats.narrow(0, 0, n_train).to(device)).cpu();
      // Each description's similarities to the training faces: their mean and standard deviation.
      auto sim_stats = [&](const torch::Tensor& tx) {
        const auto sim = torch::matmul(tx, train_im.t());
        return std::make_pair(sim.mean(1), sim.std(1).clamp_min(1e-4));
      };
      auto texts_of = [&](const std::vector<std::vector<int>>& ids) {
        std::vector<torch::Tensor> parts;
        for (size_t i = 0; i < ids.size(); i += 512) {
          auto [x, len] = batch_ids({ids.begin() + static_cast<long>(i), ids.begin() + static_cast<long>(std::min(ids.size(), i + 512))});
          parts.push_back(net->texts(x.to(device), len.to(device)).cpu());
        }
        return torch::cat(parts);
      };
      std::vector<std::vector<int>> bank_ids;
      for (const auto& b : bank) bank_ids.push_back(caption_ids(vocab, b));
      const auto bank_tx = texts_of(bank_ids);
      const auto [bank_mean, bank_std] = sim_stats(bank_tx);
      std::string text = "description\tmean_similarity\tsd_similarity\n";
      for (size_t i = 0; i < bank.size(); ++i) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "\t%.5f\t%.5f\n", bank_mean[static_cast<long>(i)].item<float>(),
                      bank_std[static_cast<long>(i)].item<float>());
        text += bank[i] + buf;
      }
      write_file_atomic((out / "bank.tsv").string(), text);
      if (holdout >= 10) {
        const auto held_index = torch::arange(n_train, count, torch::kLong);
        auto im = net->images(feats.index_select(0, held_index).to(device)).cpu();
        auto tx = texts_of(held_ids);
        const auto [held_mean, held_std] = sim_stats(tx);
        metrics["recall"] = recall_metrics(im, tx, fits_matrix(attr_t.index_select(0, held_index), held_asserts),
                                           held_mean, held_std, held_asserts);
      }
    }

    nets::save_weights(*net, (out / "vse.pt").string(), false);
    const nlohmann::json header = {
        {"format", kFormat},
        {"format_version", 1},
        {"kind", "faces-vse"},
        {"name", o.name.empty() ? out.filename().string() : o.name},
        {"attributes", names},
        {"network", {{"file", "vse.pt"}, {"format", "libtorch"}, {"arch", arch.to_json()}}},
        {"image_features", "image-features"},
        {"vocabulary", "vocab.tsv"},
        {"bank", "bank.tsv"},
        {"captions", "generated from each face's 40 attribute labels by compose_face_caption (templates and "
                     "synonyms); no person wrote them"},
        {"training",
         {{"data", o.data}, {"labels", labels_path}, {"faces", n_train}, {"holdout", holdout},
          {"holdout_rule", "the last faces of the data (the classifier's held-out faces too)"},
          {"command", o.command}, {"seed", o.seed}, {"epochs", epoch}, {"batch", o.batch},
          {"learning_rate", o.learning_rate}, {"margin", o.margin}, {"warmup_epochs", o.warmup_epochs},
          {"loss", "VSE++ hinge: every violation during warm-up, then the hardest negative per query, both ways; "
                   "faces that fit a description are not its negatives"},
          {"augment", "a fresh description per face per epoch; mirrored faces"}, {"device", dev.used},
          {"train_seconds", train_seconds}, {"library", torch_build_summary()}, {"finished_utc", utc_timestamp()}}},
        {"metrics", metrics},
    };
    write_file_atomic((out / "model.json").string(), header.dump(2) + "\n");
    nets::save_checkpoint(ck.string(), *net, "vse.pt", opt,
                          {{"epoch", epoch}, {"args", run_args}, {"train_seconds", train_seconds}});
    result.epochs_done = epoch;
    result.metrics = metrics;
    if (progress) {
      TrainProgress p;
      p.epoch = epoch;
      p.epochs = o.epochs;
      p.step = p.steps = steps;
      p.epoch_end = true;
      p.images_per_s = done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
      p.losses["loss"] = loss_sum / std::max<long>(1, loss_n);
      if (metrics.contains("recall")) {
        p.losses["heldout_i2t_r10"] = metrics["recall"]["image_to_text"]["recall_at_10"].get<double>();
        p.losses["heldout_t2i_r10"] = metrics["recall"]["text_to_image"]["recall_at_10"].get<double>();
        p.losses["heldout_t2i_top1_fits"] = metrics["recall"]["top1_fits"]["text_to_image"].get<double>();
      }
      if (!progress(p)) throw Cancelled();
    }
  }
  return result;
}

// ---------------------------------------------------------------- the model

struct MapData {
  FaceTextMapInfo info;
  Eigen::MatrixXf w;  // [embed, dim]
  Eigen::VectorXf b;  // [dim]
  Eigen::MatrixXf l;  // [dim, dim]: residual covariance = l l^T
  Eigen::VectorXf x_mean;  // [embed]: the mean embedding the regression was centred on
};

struct FaceText::Impl {
  std::string name, folder, file;
  nlohmann::json metrics;
  std::vector<std::string> attributes;
  std::unique_ptr<AttributeClassifier> classifier;
  Vocabulary vocab;
  FaceTextNet net{nullptr};
  torch::Device device{torch::kCPU};
  std::vector<std::string> bank;
  std::vector<float> bank_mean, bank_sd;  // each description's similarity to the training faces
  RowMatrixXf bank_embeddings;  // [N, E], filled on first use
  std::vector<MapData> maps;
  std::vector<FaceTextMapInfo> map_infos;
  mutable std::mutex mutex;
};

FaceText::FaceText() : impl_(std::make_unique<Impl>()) {}
FaceText::~FaceText() = default;

namespace {

// The maps' headers of the package in `dir` (maps/*.json), in name order.
std::vector<fs::path> map_headers(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "maps", ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

MapData read_map(const fs::path& json_file, int embed) {
  const std::string file = json_file.string();
  const nlohmann::json j = read_json_file(file, "a face-text map");
  MapData m;
  try {
    m.info.model = require_field<std::string>(j, "model", file);
    m.info.kind = j.value("kind", "");
    m.info.dim = require_field<int>(j, "dim", file);
    m.info.metrics = j.value("metrics", nlohmann::json::object());
    if (j.contains("defaults")) {
      m.info.strength = j["defaults"].value("strength", 1.f);
      m.info.spread = j["defaults"].value("spread", 0.7f);
      if (!std::isfinite(m.info.strength) || !std::isfinite(m.info.spread) || m.info.spread < 0)
        throw FormatError(file + ": defaults.strength and defaults.spread must be numbers (spread 0 or more)");
    }
    m.info.file = file;
    const int e = require_field<int>(j, "embed", file);
    if (e != embed)
      throw FormatError(file + ": made for a shared space of " + std::to_string(e) + " values; this one has " +
                        std::to_string(embed));
    if (m.info.dim < 1 || m.info.dim > 100000) throw FormatError(file + ": dim out of range");
    const std::string weights = require_field<std::string>(j, "weights", file);
    if (weights.find('/') != std::string::npos || weights.find("..") != std::string::npos)
      throw FormatError(file + ": weights must be a file name beside it");
    const fs::path wf = json_file.parent_path() / weights;
    const size_t d = static_cast<size_t>(m.info.dim), E = static_cast<size_t>(embed);
    const std::vector<float> v =
        read_f32_file(wf.string(), E * d + d + d * d + E,
                      std::to_string(E) + "x" + std::to_string(d) + " weights, a bias, a " + std::to_string(d) + "x" +
                          std::to_string(d) + " factor and the mean embedding, named in " + file);
    using RM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    m.w = Eigen::Map<const RM>(v.data(), static_cast<long>(E), static_cast<long>(d));
    m.b = Eigen::Map<const Eigen::VectorXf>(v.data() + E * d, static_cast<long>(d));
    m.l = Eigen::Map<const RM>(v.data() + E * d + d, static_cast<long>(d), static_cast<long>(d));
    m.x_mean = Eigen::Map<const Eigen::VectorXf>(v.data() + E * d + d + d * d, static_cast<long>(E));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file + ": " + e.what());
  }
  return m;
}

}  // namespace

std::unique_ptr<FaceText> FaceText::open(const std::string& path, const std::string& device) {
  fs::path dir(path);
  if (fs::is_regular_file(dir)) dir = dir.parent_path();
  const std::string header = (dir / "model.json").string();
  if (!fs::exists(header))
    throw IoError(path + ": no face-text model here (no model.json; train one with `latent train vse`)");
  const nlohmann::json j = read_json_file(header, "the face-text model's header");
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw FormatError(header + ": not a face-text model (\"format\": \"" + std::string(kFormat) + "\" is missing)");
  std::unique_ptr<FaceText> ft(new FaceText());
  Impl& m = *ft->impl_;
  m.folder = dir.string();
  m.file = header;
  auto inside = [&](const std::string& key) {
    const std::string f = require_field<std::string>(j, key, header);
    if (f.find("..") != std::string::npos || (!f.empty() && f[0] == '/'))
      throw FormatError(header + ": " + key + " must name a file in the package, not \"" + f + "\"");
    return dir / f;
  };
  try {
    m.name = j.value("name", dir.filename().string());
    m.metrics = j.value("metrics", nlohmann::json::object());
    m.attributes = j.value("attributes", std::vector<std::string>{});
    const NetArch arch = NetArch::from_json(j.at("network").at("arch"), header);
    m.vocab = Vocabulary::load(inside("vocabulary").string());
    if (m.vocab.size() != arch.vocab)
      throw FormatError(header + ": the vocabulary has " + std::to_string(m.vocab.size()) + " words, the network " +
                        std::to_string(arch.vocab));
    m.classifier = AttributeClassifier::open(inside("image_features").string(), device);
    m.net = FaceTextNet(arch);
    nets::load_weights(*m.net, (dir / require_field<std::string>(j.at("network"), "file", header)).string());
    if (j.contains("bank")) {
      // bank.tsv: a header, then "description<TAB>mean similarity<TAB>its standard deviation"
      // (missing numbers: 0 and 1).
      const fs::path bank_file = inside("bank");
      std::ifstream in(bank_file);
      if (!in) throw IoError(bank_file.string() + ": cannot open (named in " + header + ")");
      std::string line;
      bool first = true;
      while (std::getline(in, line)) {
        if (first && line.rfind("description\t", 0) == 0) {
          first = false;
          continue;
        }
        first = false;
        if (line.empty()) continue;
        const size_t tab = line.find('\t');
        float mean = 0, sd = 1;
        if (tab != std::string::npos) {
          try {
            size_t used = 0;
            const std::string rest = line.substr(tab + 1);
            mean = std::stof(rest, &used);
            const size_t tab2 = rest.find('\t');
            if (tab2 != std::string::npos) sd = std::stof(rest.substr(tab2 + 1));
          } catch (const std::exception&) {
            throw FormatError(bank_file.string() + ": \"" + line.substr(0, 80) + "\" has no number after its tab");
          }
        }
        m.bank.push_back(line.substr(0, tab));
        m.bank_mean.push_back(std::isfinite(mean) ? mean : 0.f);
        m.bank_sd.push_back(std::isfinite(sd) && sd > 1e-6f ? sd : 1.f);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(header + ": " + e.what());
  }
  const DeviceChoice dev = resolve_device(device);
  m.device = dev.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  m.net->to(m.device);
  m.net->eval();
  for (const auto& f : map_headers(dir)) {
    m.maps.push_back(read_map(f, m.net->arch.embed));
    m.map_infos.push_back(m.maps.back().info);
  }
  return ft;
}

std::vector<std::string> FaceText::mapped_models(const std::string& path) {
  fs::path dir(path);
  if (fs::is_regular_file(dir)) dir = dir.parent_path();
  std::vector<std::string> out;
  for (const auto& f : map_headers(dir)) {
    try {
      const nlohmann::json j = read_json_file(f.string(), "a face-text map");
      if (j.is_object() && j.contains("model") && j["model"].is_string()) out.push_back(j["model"].get<std::string>());
    } catch (const Error&) {
      // A broken map is reported when the package is opened.
    }
  }
  return out;
}

const std::string& FaceText::name() const { return impl_->name; }
const std::string& FaceText::folder() const { return impl_->folder; }
int FaceText::dim() const { return impl_->net->arch.embed; }
const nlohmann::json& FaceText::metrics() const { return impl_->metrics; }
const std::vector<std::string>& FaceText::bank() const { return impl_->bank; }
const std::vector<FaceTextMapInfo>& FaceText::maps() const { return impl_->map_infos; }
const AttributeClassifier& FaceText::classifier() const { return *impl_->classifier; }

std::vector<std::string> FaceText::unknown_words(const std::string& text) const {
  std::vector<std::string> out;
  for (const auto& t : tokenize_sentence(text)) {
    const bool word = std::any_of(t.begin(), t.end(), [](unsigned char c) { return std::isalnum(c); });
    if (word && impl_->vocab.id(t) == Vocabulary::kUnk) out.push_back(t);
  }
  return out;
}

RowMatrixXf FaceText::embed_texts(const std::vector<std::string>& texts) const {
  Impl& m = *impl_;
  std::vector<std::vector<int>> ids;
  for (const auto& t : texts) {
    const auto toks = tokenize_sentence(t);
    if (toks.empty()) throw UnsupportedError("the description is empty: type a few words, e.g. \"a smiling man with a beard\"");
    ids.push_back(m.vocab.encode(toks));
    if (std::all_of(ids.back().begin(), ids.back().end(), [](int id) { return id == Vocabulary::kUnk; }))
      throw UnsupportedError(m.name + " knows no word of \"" + t +
                             "\"; it reads descriptions of faces such as \"a smiling woman with blond hair\"");
  }
  RowMatrixXf out(static_cast<long>(texts.size()), dim());
  std::lock_guard<std::mutex> lock(m.mutex);
  torch::NoGradGuard ng;
  for (size_t i = 0; i < ids.size(); i += 512) {
    const std::vector<std::vector<int>> part(ids.begin() + static_cast<long>(i),
                                             ids.begin() + static_cast<long>(std::min(ids.size(), i + 512)));
    auto [x, len] = batch_ids(part);
    auto e = m.net->texts(x.to(m.device), len.to(m.device)).cpu().contiguous();
    std::memcpy(out.data() + static_cast<long>(i) * out.cols(), e.data_ptr<float>(), sizeof(float) * static_cast<size_t>(e.numel()));
  }
  return out;
}

RowMatrixXf FaceText::embed_images(const std::vector<Image>& images) const {
  Impl& m = *impl_;
  const RowMatrixXf f = m.classifier->features(images);
  std::lock_guard<std::mutex> lock(m.mutex);
  torch::NoGradGuard ng;
  auto t = torch::from_blob(const_cast<float*>(f.data()), {f.rows(), f.cols()}, torch::kFloat).to(m.device);
  auto e = m.net->images(t).cpu().contiguous();
  RowMatrixXf out(f.rows(), dim());
  std::memcpy(out.data(), e.data_ptr<float>(), sizeof(float) * static_cast<size_t>(e.numel()));
  return out;
}

std::vector<NearestDescription> FaceText::describe(const Image& image, int k) const {
  Impl& m = *impl_;
  if (m.bank.empty()) throw UnsupportedError(m.folder + ": the package has no bank of descriptions (bank.tsv)");
  {
    bool empty;
    {
      std::lock_guard<std::mutex> lock(m.mutex);
      empty = m.bank_embeddings.rows() == 0;
    }
    if (empty) {
      RowMatrixXf e = embed_texts(m.bank);
      std::lock_guard<std::mutex> lock(m.mutex);
      m.bank_embeddings = std::move(e);
    }
  }
  const RowMatrixXf q = embed_images({image});
  Eigen::VectorXf s;
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    s = m.bank_embeddings * q.row(0).transpose();
  }
  for (long i = 0; i < s.size(); ++i) s(i) = (s(i) - m.bank_mean[static_cast<size_t>(i)]) / m.bank_sd[static_cast<size_t>(i)];
  std::vector<int> order(static_cast<size_t>(s.size()));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return s(a) > s(b); });
  // Best first, one per meaning: "a young woman with lipstick" and "a youthful lady with
  // red lips" say the same, so only the first is listed. Descriptions that leave the sex
  // unsaid ("a person with ...") hedge, and come only after those that say it.
  std::vector<NearestDescription> out, hedged;
  std::set<std::vector<std::pair<std::string, int>>> said;
  const size_t want = static_cast<size_t>(std::max(1, k));
  for (int i : order) {
    if (out.size() >= want) break;
    auto named = attributes_named(m.bank[static_cast<size_t>(i)]);
    std::sort(named.begin(), named.end());
    if (!said.insert(named).second) continue;
    const bool says_sex = std::any_of(named.begin(), named.end(), [](const auto& p) { return p.first == "Male"; });
    (says_sex ? out : hedged).push_back({m.bank[static_cast<size_t>(i)], s(i)});
  }
  for (size_t i = 0; out.size() < want && i < hedged.size(); ++i) out.push_back(hedged[i]);
  return out;
}

const FaceTextMapInfo& FaceText::map_for(const SpaceInfo& model) const {
  const Impl& m = *impl_;
  std::string have;
  for (const auto& mp : m.maps) {
    if (mp.info.model == model.name) {
      if (mp.info.dim != model.dim)
        throw UnsupportedError(m.name + "'s map for " + model.name + " is for a latent of " + std::to_string(mp.info.dim) +
                               " values, but this " + model.name + " has " + std::to_string(model.dim) +
                               " (another model of the same name?); fit it again with `latent vse-map MODEL --vse " +
                               m.folder + " --data FACES`");
      return mp.info;
    }
    have += (have.empty() ? "" : ", ") + mp.info.model;
  }
  throw UnsupportedError(m.name + " has no map to " + model.name + "'s space (" +
                         (have.empty() ? std::string("it has none") : "it has maps to " + have) +
                         "); fit one with `latent vse-map MODEL --vse " + m.folder + " --data FACES`");
}

namespace {

// `n` draws for a description embedded as `e` (a unit row of the shared space), by the map
// `info` of `m`: the regression's answer at the mean embedding, plus `strength` x what
// this description adds to it, plus `spread` x draws of the residual spread.
std::vector<Latent> draws_for(const FaceText::Impl& m, const FaceTextMapInfo& info, const Eigen::VectorXf& e, int n,
                              uint64_t seed, float spread, float strength) {
  const MapData* mp = nullptr;
  for (const auto& x : m.maps)
    if (x.info.file == info.file) mp = &x;
  if (spread < 0) spread = info.spread;
  if (strength < 0) strength = info.strength;
  const Eigen::VectorXf centre = mp->w.transpose() * mp->x_mean + mp->b;
  const Eigen::VectorXf mean = centre + strength * (mp->w.transpose() * (e - mp->x_mean));
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<Latent> out;
  for (int i = 0; i < std::max(1, n); ++i) {
    Eigen::VectorXf z = mean;
    Eigen::VectorXf eps(z.size());
    for (long k = 0; k < eps.size(); ++k) eps(k) = g(rng);
    z += spread * (mp->l * eps);
    out.emplace_back(z.data(), z.data() + z.size());
  }
  return out;
}

}  // namespace

std::vector<Latent> FaceText::text_to_latents(const std::string& text, const SpaceInfo& model, int n, uint64_t seed,
                                              float spread, float strength) const {
  const FaceTextMapInfo& info = map_for(model);
  return draws_for(*impl_, info, embed_texts({text}).row(0).transpose(), n, seed, spread, strength);
}

std::vector<Latent> FaceText::text_to_faces(const std::string& text, const Space& model, int n, uint64_t seed,
                                            int best_of, float spread, float strength) const {
  n = std::max(1, n);
  if (best_of < 1 || best_of > 64) throw UnsupportedError("best-of must be 1..64 (faces drawn for each one kept)");
  const FaceTextMapInfo& info = map_for(model.info());
  const Eigen::VectorXf e = embed_texts({text}).row(0).transpose();
  std::vector<Latent> drawn = draws_for(*impl_, info, e, n * best_of, seed, spread, strength);
  if (best_of == 1) return drawn;
  const Eigen::VectorXf near = embed_images(model.decode_batch(drawn)) * e;
  std::vector<int> order(drawn.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return near(a) > near(b); });
  std::vector<Latent> kept;
  for (int i = 0; i < n; ++i) kept.push_back(std::move(drawn[static_cast<size_t>(order[static_cast<size_t>(i)])]));
  return kept;
}

// ---------------------------------------------------------------- maps

nlohmann::json fit_face_text_map(const std::string& vse_dir, const Space& model, const FaceTextMapOptions& o,
                                 const ProgressFn& progress) {
  const SpaceInfo& info = model.info();
  const bool from_samples = o.samples > 0;
  if (!from_samples && !info.can_encode)
    throw UnsupportedError(info.name + " cannot encode faces, so no map can be fitted to it from --data; use --samples N "
                           "(its own samples, labelled by the attribute classifier)");
  if (from_samples && !info.can_decode) throw UnsupportedError(info.name + " cannot decode, so its samples cannot be labelled");
  if (!from_samples && o.data.empty()) throw UnsupportedError("give --data FACES (labelled faces) or --samples N");
  if (o.captions_per_face < 1) throw UnsupportedError("--captions must be at least 1");
  if (!(o.ridge >= 0)) throw UnsupportedError("--ridge must be 0 or more");
  if (!(o.spread >= 0) || !std::isfinite(o.strength)) throw UnsupportedError("--spread must be 0 or more, --strength a number");
  const auto vse = FaceText::open(vse_dir);
  auto say = [&](float f, const std::string& stage) {
    if (progress && !progress(f, stage)) throw Cancelled();
  };

  // The faces: a dataset's, encoded by the model, with their labels; or the model's own
  // samples, labelled by the VSE's attribute classifier (as `latent directions` labels them).
  std::string labels_path;
  std::vector<std::string> names;
  std::vector<std::vector<int>> attrs;
  ImageDataset faces;
  RowMatrixXf z;
  long count = 0;
  if (from_samples) {
    vse->classifier().check_model(info);
    names = vse->classifier().attributes();
    count = o.samples;
    const std::vector<Latent> zs = model.sample(static_cast<int>(count), o.seed);
    z.resize(count, info.dim);
    for (long i = 0; i < count; ++i) z.row(i) = Eigen::Map<const Eigen::RowVectorXf>(zs[static_cast<size_t>(i)].data(), info.dim);
    attrs.resize(static_cast<size_t>(count));
  } else {
    labels_path = labels_path_for(o.data, o.labels);
    DatasetOptions dopt;
    dopt.limit = o.limit;
    faces = load_image_dataset(o.data, dopt);
    const LabelTable table = LabelTable::read_csv(labels_path);
    attrs = read_attributes(table, labels_path, faces, names);
    count = faces.count();
    const ImageDataset converted = load_dataset_for(model, o.data, dopt);
    z = encode_dataset(model, converted, [&](float f, const std::string&) {
      return !progress || progress(0.5f * f, "encoding the faces with " + info.name);
    });
  }
  const long holdout = std::min(o.holdout, count / 2);
  const long n_train = count - holdout;

  // Their embeddings: the image and `captions_per_face` descriptions each.
  const long rows = count * (1 + o.captions_per_face);
  Eigen::MatrixXf x(rows, vse->dim());
  Eigen::MatrixXf y(rows, info.dim);
  std::vector<long> face_of(static_cast<size_t>(rows));
  std::mt19937 rng(static_cast<uint32_t>(o.seed * 13 + 1));
  long r = 0;
  for (long i = 0; i < count; i += 256) {
    const long to = std::min(count, i + 256);
    std::vector<Image> imgs;
    if (from_samples) {
      std::vector<Latent> part;
      for (long k = i; k < to; ++k) part.emplace_back(z.row(k).data(), z.row(k).data() + info.dim);
      imgs = model.decode_batch(part);
      const RowMatrixXf p = vse->classifier().predict(imgs);
      for (long k = i; k < to; ++k) {
        attrs[static_cast<size_t>(k)].resize(names.size());
        for (size_t a = 0; a < names.size(); ++a) attrs[static_cast<size_t>(k)][a] = p(k - i, static_cast<long>(a)) > 0.5f;
      }
    } else {
      imgs = dataset_images(faces, i, to);
    }
    const RowMatrixXf im = vse->embed_images(imgs);
    std::vector<std::string> caps;
    for (long k = i; k < to; ++k)
      for (int c = 0; c < o.captions_per_face; ++c)
        caps.push_back(compose_face_caption(names, attrs[static_cast<size_t>(k)], rng).text);
    const RowMatrixXf tx = vse->embed_texts(caps);
    for (long k = i; k < to; ++k) {
      x.row(r) = im.row(k - i);
      y.row(r) = z.row(k);
      face_of[static_cast<size_t>(r++)] = k;
      for (int c = 0; c < o.captions_per_face; ++c) {
        x.row(r) = tx.row((k - i) * o.captions_per_face + c);
        y.row(r) = z.row(k);
        face_of[static_cast<size_t>(r++)] = k;
      }
    }
    say((from_samples ? 0.f : 0.5f) + (from_samples ? 0.9f : 0.4f) * static_cast<float>(to) / count,
        from_samples ? "decoding, labelling and embedding samples" : "embedding faces and their descriptions");
  }
  // Ridge regression on the training faces' rows, centred.
  std::vector<long> train_rows, held_rows;
  for (long i = 0; i < rows; ++i) {
    const bool image_row = i % (1 + o.captions_per_face) == 0;
    if (face_of[static_cast<size_t>(i)] >= n_train) held_rows.push_back(i);
    else if (!image_row || o.image_rows) train_rows.push_back(i);
  }
  auto take = [](const Eigen::MatrixXf& m, const std::vector<long>& idx) {
    Eigen::MatrixXf out(static_cast<long>(idx.size()), m.cols());
    for (size_t i = 0; i < idx.size(); ++i) out.row(static_cast<long>(i)) = m.row(idx[i]);
    return out;
  };
  const Eigen::MatrixXf xt = take(x, train_rows), yt = take(y, train_rows);
  const Eigen::RowVectorXf xm = xt.colwise().mean(), ym = yt.colwise().mean();
  const Eigen::MatrixXd xc = (xt.rowwise() - xm).cast<double>();
  const Eigen::MatrixXd yc = (yt.rowwise() - ym).cast<double>();
  Eigen::MatrixXd gram = xc.transpose() * xc;
  const double lambda = o.ridge * gram.diagonal().mean();
  gram.diagonal().array() += lambda;
  const Eigen::MatrixXd w = gram.ldlt().solve(xc.transpose() * yc);  // [E, D]
  const Eigen::VectorXd b = ym.transpose().cast<double>() - w.transpose() * xm.transpose().cast<double>();
  // Residual spread of the description rows (what a description leaves open).
  std::vector<long> cap_rows;
  for (long i : train_rows)
    if (i % (1 + o.captions_per_face) != 0) cap_rows.push_back(i);
  const Eigen::MatrixXd res = take(y, cap_rows).cast<double>() -
                              ((take(x, cap_rows).cast<double>() * w).rowwise() + b.transpose());
  Eigen::MatrixXd cov = res.transpose() * res / std::max<double>(1, static_cast<double>(res.rows() - 1));
  cov.diagonal().array() += 1e-6 * cov.diagonal().mean();
  const Eigen::MatrixXd l = Eigen::LLT<Eigen::MatrixXd>(cov).matrixL();

  // How much of the latent's variance the descriptions explain, on training and held-out faces.
  auto r2 = [&](const std::vector<long>& idx, bool captions) {
    double ss_res = 0, ss_tot = 0;
    for (long i : idx) {
      if ((i % (1 + o.captions_per_face) != 0) != captions) continue;
      const Eigen::VectorXd pred = w.transpose() * x.row(i).transpose().cast<double>() + b;
      ss_res += (y.row(i).transpose().cast<double>() - pred).squaredNorm();
      ss_tot += (y.row(i).cast<double>() - ym.cast<double>()).squaredNorm();
    }
    return ss_tot > 0 ? 1 - ss_res / ss_tot : 0.0;
  };
  nlohmann::json metrics = {{"faces", n_train}, {"holdout", holdout}, {"captions_per_face", o.captions_per_face},
                            {"ridge", o.ridge},
                            {"r2_train_descriptions", r2(train_rows, true)}, {"r2_train_images", r2(train_rows, false)},
                            {"r2_heldout_descriptions", r2(held_rows, true)},
                            {"r2_heldout_images", r2(held_rows, false)},
                            {"residual_rms", std::sqrt(cov.diagonal().mean())}};

  std::string stem;
  for (char c : info.name) stem += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  const fs::path maps = fs::path(vse->folder()) / "maps";
  fs::create_directories(maps);
  const Eigen::MatrixXf wf = w.cast<float>(), bf = b.cast<float>(), lf = l.cast<float>();
  const Eigen::MatrixXf xmf = xm.transpose();
  write_floats((maps / (stem + ".f32")).string(), {&wf, &bf, &lf, &xmf});
  const nlohmann::json header = {
      {"model", info.name}, {"kind", info.kind}, {"dim", info.dim}, {"embed", vse->dim()}, {"weights", stem + ".f32"},
      {"layout", "float32 little-endian, row-major: W [embed x dim], b [dim], L [dim x dim] (residual covariance = L L^T), "
                 "the mean embedding [embed]"},
      {"source", from_samples ? "the model's own samples, labelled by the attribute classifier" : "encoded labelled faces"},
      {"defaults", {{"strength", o.strength}, {"spread", o.spread}}},
      {"data", from_samples ? std::string() : o.data}, {"labels", labels_path}, {"samples", o.samples},
      {"seed", o.seed}, {"metrics", metrics}, {"made_utc", utc_timestamp()}};
  write_file_atomic((maps / (stem + ".json")).string(), header.dump(2) + "\n");
  say(1.f, "map written");
  return header;
}

}  // namespace latent
