// `latent train attributes`, `latent attributes`, `latent directions`.
#include "attribute_commands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "latent/attribute_classifier.h"
#include "latent/dataset.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/json_file.h"
#include "latent/labels.h"
#include "latent/model_package.h"
#include "latent/registry.h"
#include "latent/torch_module.h"
#include "latent/torch_space.h"
#include "progress.h"
#include "torch_commands.h"
#include "cli_options.h"

namespace fs = std::filesystem;

namespace latent::cli {

namespace {

constexpr const char* kDefaultClassifier = "models/celeba-attributes";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::unique_ptr<AttributeClassifier> open_classifier(const std::string& path) {
  return AttributeClassifier::open(shipped_or_given(path, kDefaultClassifier, "classifier", "--classifier"),
                                   open_options().device);
}

// Decodes the points in batches, labels the images; progress on stderr.
RowMatrixXf label_points(const Space& space, const AttributeClassifier& clf, const std::vector<Latent>& zs,
                         const ProgressFn& progress, const std::string& stage) {
  RowMatrixXf out(static_cast<long>(zs.size()), static_cast<long>(clf.attributes().size()));
  const size_t chunk = 128;
  for (size_t i = 0; i < zs.size(); i += chunk) {
    const std::vector<Latent> part(zs.begin() + static_cast<long>(i),
                                   zs.begin() + static_cast<long>(std::min(zs.size(), i + chunk)));
    const RowMatrixXf p = clf.predict(space.decode_batch(part));
    out.middleRows(static_cast<long>(i), p.rows()) = p;
    if (progress && !progress(static_cast<float>(i + part.size()) / zs.size(), stage)) throw Cancelled();
  }
  return out;
}

// Each point moved `sigmas` x the direction's sigma along its unit vector (the check
// of `latent directions`).
std::vector<Latent> moved_along(const std::vector<Latent>& base, const AttributeDirection& dir, double sigmas) {
  std::vector<Latent> moved = base;
  const float step = static_cast<float>(sigmas * dir.sigma);
  for (Latent& m : moved)
    for (size_t j = 0; j < m.size() && j < dir.unit.size(); ++j) m[j] += step * dir.unit[j];
  return moved;
}

}  // namespace

struct AttributeCommands::State {
  AttributeTrainOptions train;
  std::string attributes_list;
  // attributes
  std::vector<std::string> images;
  std::string classifier = kDefaultClassifier;
  bool json = false;
  // directions
  std::string model, out, keep, only;
  int samples = 5000, check = 100, unsupervised = 0;
  double sigma = 3;
  uint64_t seed = 0;
  std::string check_keep;
  std::string data, labels;  // --data: boundaries on encoded real faces with their labels

  CLI::App *train_cmd = nullptr, *attributes = nullptr, *directions = nullptr;
};

AttributeCommands::AttributeCommands(CLI::App& app, CLI::App& train_cmd) : s_(std::make_unique<State>()) {
  State& s = *s_;
  auto* t = train_cmd.add_subcommand("attributes", "Train a face attribute classifier (CelebA's 40) into a package");
  s.train_cmd = t;
  t->add_option("DATA", s.train.data, "Image folder, IDX file or raw-array JSON header")->required();
  t->add_option("--out,-o", s.train.out_dir, "Package folder to write (with checkpoint/)")->required();
  t->add_option("--labels", s.train.labels,
                "CSV with a row per image (matched by its \"file\" column, else in order); default: labels.csv "
                "beside DATA");
  t->add_option("--attributes", s.attributes_list, "Columns to learn, comma-separated (default: every 0/1 column)");
  t->add_option("--epochs", s.train.epochs, "Passes over the data")->capture_default_str();
  t->add_option("--batch", s.train.batch, "Images per step")->capture_default_str();
  t->add_option("--size", s.train.size, "Input side, 32 or 64")->capture_default_str();
  t->add_option("--width", s.train.width, "Channels of the first stage")->capture_default_str();
  t->add_option("--lr", s.train.learning_rate, "Adam's learning rate (cosine-decayed)")->capture_default_str();
  t->add_option("--holdout", s.train.holdout, "The last N images, kept out for per-attribute accuracy")
      ->capture_default_str();
  t->add_option("--limit", s.train.limit, "Use only the first N images");
  t->add_option("--seed", s.train.seed, "Random seed")->capture_default_str();
  t->add_option("--name", s.train.name, "Classifier name (default: the folder's name)");
  t->add_flag("--resume", s.train.resume, "Continue from OUT/checkpoint");

  s.attributes = app.add_subcommand("attributes", "Label face images with an attribute classifier (probabilities)");
  s.attributes->add_option("IMAGE", s.images, "Image file(s)")->required();
  s.attributes->add_option("--classifier", s.classifier, "Classifier package")->capture_default_str();
  s.attributes->add_flag("--json", s.json, "Print one JSON object per image instead of text");

  s.directions = app.add_subcommand(
      "directions", "Find a named direction in a face model's latent space for each attribute the classifier knows");
  s.directions->add_option("MODEL", s.model, "Face model package (PCA, VAE, DCGAN, imported TorchScript)")->required();
  s.directions->add_option("--classifier", s.classifier, "Classifier package")->capture_default_str();
  s.directions->add_option("--samples", s.samples, "Prior samples to decode and label")->capture_default_str();
  s.directions->add_option("--seed", s.seed, "Seed of the samples")->capture_default_str();
  s.directions->add_option("--attributes", s.only, "Only these attributes, comma-separated (default: all)");
  s.directions->add_option("--keep", s.keep,
                           "Make every other direction orthogonal to these, e.g. Male,Young (\"smile, keeping sex and "
                           "age\")");
  s.directions->add_option("--check", s.check,
                           "Fresh samples moved +SIGMA along each direction and labelled again (0: no check)")
      ->capture_default_str();
  s.directions->add_option("--sigma", s.sigma, "How far the check moves, in sigma")->capture_default_str();
  s.directions->add_option("--check-keep", s.check_keep,
                           "Attributes whose flips the check counts (default: --keep, else Male)");
  s.directions->add_option("--unsupervised", s.unsupervised,
                           "Instead: K directions without labels (SeFa: the top eigenvectors of the generator's "
                           "first layer), named sefa-1..sefa-K and added to MODEL/directions.json; the classifier, if "
                           "it fits, says what each changes");
  s.directions->add_option("--data", s.data,
                           "Instead of labelled samples: fit each boundary on this dataset's faces, encoded (the model "
                           "needs an encoder), with their labels (--labels); the classifier still checks");
  s.directions->add_option("--labels", s.labels, "With --data: CSV, one row per image, 0/1 attribute columns "
                                                 "(default: labels.csv beside DATA)");
  s.directions->add_option("--out,-o", s.out, "Where to write (default: MODEL/directions.json)");
  s.directions->add_flag("--json", s.json, "Print the result as JSON instead of a table");
}

AttributeCommands::~AttributeCommands() = default;

bool AttributeCommands::run(const std::string& command_line) {
  State& s = *s_;
  if (*s.train_cmd) {
    AttributeTrainOptions o = s.train;
    o.attributes = split_list(s.attributes_list);
    o.device = open_options().device;
    o.command = command_line;
    const DeviceChoice d = resolve_device(o.device);
    std::fprintf(stderr, "training an attribute classifier on %s (%s)\n", d.used.c_str(), torch_build_summary().c_str());
    const TrainResult r = train_attribute_classifier(o, stderr_train_progress("checkpoint written"));
    if (r.metrics.contains("per_attribute")) {
      std::fprintf(stderr, "%-20s %8s %8s %9s %8s\n", "held-out", "accuracy", "balanced", "majority", "positive");
      for (const auto& [name, m] : r.metrics["per_attribute"].items())
        std::fprintf(stderr, "%-20s %8.3f %8.3f %9.3f %8.3f\n", name.c_str(), m["accuracy"].get<double>(),
                     m["balanced_accuracy"].get<double>(), m["majority_accuracy"].get<double>(),
                     m["positive_rate"].get<double>());
      std::fprintf(stderr, "%-20s %8.3f %8.3f %9.3f\n", "mean", r.metrics["mean_accuracy"].get<double>(),
                   r.metrics["mean_balanced_accuracy"].get<double>(), r.metrics["mean_majority_accuracy"].get<double>());
    }
    std::printf("%s\n", r.model_dir.c_str());
    return true;
  }
  if (*s.attributes) {
    const auto clf = open_classifier(s.classifier);
    std::vector<Image> imgs;
    for (const auto& path : s.images) imgs.push_back(load_image(path));
    const RowMatrixXf p = clf->predict(imgs);
    const auto& names = clf->attributes();
    for (size_t i = 0; i < s.images.size(); ++i) {
      if (s.json) {
        nlohmann::json probs = nlohmann::json::object();
        for (size_t a = 0; a < names.size(); ++a) probs[names[a]] = p(static_cast<long>(i), static_cast<long>(a));
        std::printf("%s\n", nlohmann::json({{"image", s.images[i]}, {"classifier", clf->name()}, {"probabilities", probs}})
                                .dump()
                                .c_str());
        continue;
      }
      std::printf("%s\n", s.images[i].c_str());
      std::vector<size_t> order(names.size());
      for (size_t a = 0; a < order.size(); ++a) order[a] = a;
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return p(static_cast<long>(i), static_cast<long>(x)) > p(static_cast<long>(i), static_cast<long>(y));
      });
      for (size_t a : order) {
        const float v = p(static_cast<long>(i), static_cast<long>(a));
        std::printf("  %-20s %.3f%s\n", names[a].c_str(), v, v > 0.5f ? "  yes" : "");
      }
    }
    return true;
  }
  if (*s.directions && s.unsupervised != 0) return run_unsupervised();
  if (*s.directions) {
    if (s.samples < 10) throw UnsupportedError("--samples must be at least 10");
    if (s.check < 0) throw UnsupportedError("--check must be 0 or more");
    auto space = open_model(s.model);
    const SpaceInfo& info = space->info();
    const auto clf = open_classifier(s.classifier);
    clf->check_model(info);
    if (!info.can_decode) throw UnsupportedError(info.name + " cannot decode, so its samples cannot be labelled");
    std::vector<std::string> names = clf->attributes();
    std::vector<long> columns;
    if (!s.only.empty()) {
      names = split_list(s.only);
      for (const auto& n : names)
        if (clf->index_of(n) < 0)
          throw UnsupportedError(clf->name() + " knows no attribute \"" + n + "\"; it knows " + joined(clf->attributes()));
    }
    for (const auto& n : names) columns.push_back(clf->index_of(n));
    const std::vector<std::string> keep = split_list(s.keep);
    for (const auto& k : keep)
      if (std::find(names.begin(), names.end(), k) == names.end())
        throw UnsupportedError("--keep " + k + ": not among the attributes (" + joined(names) + ")");

    RowMatrixXf z, p;
    std::string source;
    if (!s.data.empty()) {
      // Real faces, put into the space by the encoder, labelled by the CSV.
      if (!info.can_encode)
        throw UnsupportedError(info.name + " has no encoder, so --data cannot put faces into it (latent train encoder "
                               "gives a generator one)");
      const std::string labels_path =
          s.labels.empty() ? (fs::path(s.data).parent_path() / "labels.csv").string() : s.labels;
      const LabelTable table = LabelTable::read_csv(labels_path);
      std::fprintf(stderr, "encoding %s with %s\n", s.data.c_str(), info.name.c_str());
      const ImageDataset faces = load_dataset_for(*space, s.data);
      const std::vector<long> rows =
          rows_for_items(table, labels_path, faces.format == "folder" ? faces.names : std::vector<std::string>(),
                         faces.count());
      std::vector<int> cols;
      for (const auto& n : names) {
        const int c = table.column(n);
        if (c < 0) throw UnsupportedError(labels_path + " has no column \"" + n + "\" (use --attributes)");
        if (!is_binary_column(table, c))
          throw UnsupportedError(labels_path + ": column \"" + n + "\" is not all 0/1 (or -1/1)");
        cols.push_back(c);
      }
      z = encode_dataset(*space, faces, stderr_progress("directions"));
      p.resize(z.rows(), static_cast<long>(names.size()));
      for (long i = 0; i < z.rows(); ++i)
        for (size_t c = 0; c < cols.size(); ++c)
          p(i, static_cast<long>(c)) = table.cell(rows[static_cast<size_t>(i)], cols[c]) == "1" ? 1.f : 0.f;
      source = "the labels of " + std::to_string(z.rows()) + " encoded faces (" + labels_path + ")";
    } else {
      std::fprintf(stderr, "labelling %d samples of %s with %s\n", s.samples, info.name.c_str(), clf->name().c_str());
      const std::vector<Latent> zs = space->sample(s.samples, s.seed);
      const RowMatrixXf all_p = label_points(*space, *clf, zs, stderr_progress("directions"), "decoding and labelling");
      p.resize(all_p.rows(), static_cast<long>(columns.size()));
      for (size_t c = 0; c < columns.size(); ++c) p.col(static_cast<long>(c)) = all_p.col(columns[c]);
      z.resize(static_cast<long>(zs.size()), info.dim);
      for (size_t i = 0; i < zs.size(); ++i)
        z.row(static_cast<long>(i)) = Eigen::Map<const Eigen::RowVectorXf>(zs[i].data(), info.dim);
    }
    DirectionFitOptions fo;
    fo.seed = s.seed;
    DirectionSet set = fit_directions(z, p, names, fo);
    if (source.empty()) {
      make_orthogonal(set, keep, &z);
    } else {
      // Sigma is the prior's spread along each direction, not the encoded faces'.
      const std::vector<Latent> prior = space->sample(2000, s.seed + 7);
      RowMatrixXf prior_z(static_cast<long>(prior.size()), info.dim);
      for (size_t i = 0; i < prior.size(); ++i)
        prior_z.row(static_cast<long>(i)) = Eigen::Map<const Eigen::RowVectorXf>(prior[i].data(), info.dim);
      make_orthogonal(set, keep, &prior_z);
      for (auto& d : set.directions) {
        const Eigen::VectorXf proj = prior_z * Eigen::Map<const Eigen::VectorXf>(d.unit.data(), info.dim);
        const double mean = proj.mean();
        d.sigma = std::sqrt((proj.array() - mean).square().sum() / static_cast<double>(proj.size() - 1));
      }
    }
    set.model = info.name;
    set.classifier = source.empty() ? clf->name() : source;

    // The check: fresh samples, each moved +sigma along each direction.
    std::vector<std::string> watch = s.check_keep.empty() ? keep : split_list(s.check_keep);
    if (watch.empty() && clf->index_of("Male") >= 0) watch = {"Male"};
    for (const auto& w : watch)
      if (clf->index_of(w) < 0)
        throw UnsupportedError("--check-keep " + w + ": " + clf->name() + " knows no such attribute");
    nlohmann::json checks = nlohmann::json::object();
    if (s.check > 0) {
      const std::vector<Latent> base = space->sample(s.check, s.seed + 1000003);
      const RowMatrixXf before = label_points(*space, *clf, base, {}, "");
      auto progress = stderr_progress("checking");
      for (size_t d = 0; d < set.directions.size(); ++d) {
        const AttributeDirection& dir = set.directions[d];
        const RowMatrixXf after = label_points(*space, *clf, moved_along(base, dir, s.sigma), {}, "");
        const long a = columns[d];
        long pos_before = 0, pos_after = 0;
        for (long i = 0; i < s.check; ++i) {
          pos_before += before(i, a) > 0.5f;
          pos_after += after(i, a) > 0.5f;
        }
        nlohmann::json c = {{"sigma", s.sigma}, {"samples", s.check},
                            {"positive_before", static_cast<double>(pos_before) / s.check},
                            {"positive_after", static_cast<double>(pos_after) / s.check}};
        for (const auto& w : watch) {
          if (w == dir.name) continue;
          const long wc = clf->index_of(w);
          long flips = 0;
          for (long i = 0; i < s.check; ++i) flips += (before(i, wc) > 0.5f) != (after(i, wc) > 0.5f);
          c["flips"][w] = static_cast<double>(flips) / s.check;
        }
        checks[dir.name] = c;
        if (!progress(static_cast<float>(d + 1) / set.directions.size(), "moving along each direction"))
          throw Cancelled();
      }
    }
    nlohmann::json doc = to_json(set);
    for (auto& d : doc["directions"])
      if (checks.contains(d["name"].get<std::string>())) d["check"] = checks[d["name"].get<std::string>()];
    const std::string out = s.out.empty() ? directions_path(info) : s.out;
    if (out.empty()) throw UnsupportedError(info.name + " has no package folder: give --out FILE");
    write_file_atomic(out, doc.dump(1) + "\n");

    if (s.json) {
      std::printf("%s\n", doc.dump().c_str());
    } else {
      std::printf("%-20s %8s %8s %8s %6s", "direction", "positive", "boundary", "balanced", "sigma");
      if (s.check > 0) std::printf("   %+.0fsigma: before -> after", s.sigma);
      for (const auto& w : watch) std::printf("  %s flips", w.c_str());
      std::printf("\n");
      for (const auto& d : set.directions) {
        std::printf("%-20s %8.3f %8.3f %8.3f %6.2f", d.name.c_str(), d.positive_rate, d.boundary_accuracy,
                    d.balanced_accuracy, d.sigma);
        if (s.check > 0) {
          const auto& c = checks[d.name];
          std::printf("   %15.2f -> %.2f", c["positive_before"].get<double>(), c["positive_after"].get<double>());
          for (const auto& w : watch)
            if (c.contains("flips") && c["flips"].contains(w)) std::printf("  %*.2f", static_cast<int>(w.size() + 6),
                                                                          c["flips"][w].get<double>());
            else std::printf("  %*s", static_cast<int>(w.size() + 6), "-");
        }
        std::printf("\n");
      }
      if (!keep.empty()) std::printf("(every direction but %s is orthogonal to %s)\n", joined(keep).c_str(), joined(keep).c_str());
    }
    std::fprintf(stderr, "wrote %s (%zu directions; use them as dir(\"NAME\") in expressions)\n", out.c_str(),
                 set.directions.size());
    return true;
  }
  return false;
}

bool AttributeCommands::run_unsupervised() {
  State& s = *s_;
  if (s.unsupervised < 1) throw UnsupportedError("--unsupervised must be 1 or more");
  if (s.samples < 10) throw UnsupportedError("--samples must be at least 10");
  if (s.check < 0) throw UnsupportedError("--check must be 0 or more");
  auto space = open_model(s.model);
  const SpaceInfo& info = space->info();
  if (space->basis())
    throw UnsupportedError(info.name + " is a " + info.kind + " model; --unsupervised (SeFa) reads a neural "
                           "generator's first layer (a PCA model's dimensions are already its principal directions)");
  const std::vector<Latent> zs = space->sample(s.samples, s.seed);
  RowMatrixXf z(static_cast<long>(zs.size()), info.dim);
  for (size_t i = 0; i < zs.size(); ++i)
    z.row(static_cast<long>(i)) = Eigen::Map<const Eigen::RowVectorXf>(zs[i].data(), info.dim);
  DirectionSet set = sefa_directions(space->first_layer_weight(), s.unsupervised, &z);
  set.model = info.name;

  // What each direction changes, by the classifier where it fits the model: the mean
  // change of every attribute's probability when fresh samples move +SIGMA along it.
  nlohmann::json checks = nlohmann::json::object();
  std::unique_ptr<AttributeClassifier> clf;
  if (s.check > 0) {
    try {
      clf = open_classifier(s.classifier);
      clf->check_model(info);
    } catch (const Error& e) {
      std::fprintf(stderr, "note: no attribute check (%s)\n", e.what());
      clf.reset();
    }
  }
  if (clf) {
    const std::vector<Latent> base = space->sample(s.check, s.seed + 1000003);
    const RowMatrixXf before = label_points(*space, *clf, base, {}, "");
    const Eigen::RowVectorXf mean_before = before.colwise().mean();
    auto progress = stderr_progress("checking");
    for (size_t d = 0; d < set.directions.size(); ++d) {
      const AttributeDirection& dir = set.directions[d];
      const Eigen::RowVectorXf delta =
          label_points(*space, *clf, moved_along(base, dir, s.sigma), {}, "").colwise().mean() - mean_before;
      std::vector<long> order(static_cast<size_t>(delta.size()));
      std::iota(order.begin(), order.end(), 0L);
      std::sort(order.begin(), order.end(), [&](long a, long b) { return std::abs(delta(a)) > std::abs(delta(b)); });
      nlohmann::json changes = nlohmann::json::array();
      for (size_t k = 0; k < std::min<size_t>(5, order.size()); ++k)
        changes.push_back({{"attribute", clf->attributes()[static_cast<size_t>(order[k])]},
                           {"change", delta(order[k])}});
      checks[dir.name] = {{"sigma", s.sigma}, {"samples", s.check}, {"classifier", clf->name()}, {"changes", changes}};
      if (!progress(static_cast<float>(d + 1) / set.directions.size(), "moving along each direction")) throw Cancelled();
    }
  }
  // Added to the package's directions: earlier sefa-* are replaced, named ones kept.
  const std::string out = s.out.empty() ? directions_path(info) : s.out;
  if (out.empty()) throw UnsupportedError(info.name + " has no package folder: give --out FILE");
  nlohmann::json doc = to_json(set);
  for (auto& d : doc["directions"])
    if (checks.contains(d["name"].get<std::string>())) d["check"] = checks[d["name"].get<std::string>()];
  if (fs::exists(out)) {
    const nlohmann::json old = read_json_file(out, "directions");
    const DirectionSet existing = directions_from_json(old, out);
    check_directions(existing, info, out);
    nlohmann::json merged = old;
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& d : old["directions"])
      if (d.value("name", "").rfind("sefa-", 0) != 0) kept.push_back(d);
    for (const auto& d : doc["directions"]) kept.push_back(d);
    merged["directions"] = kept;
    doc = merged;
  }
  write_file_atomic(out, doc.dump(1) + "\n");
  if (s.json) {
    std::printf("%s\n", doc.dump().c_str());
  } else {
    std::printf("%-10s %8s %6s  %s\n", "direction", "energy", "sigma",
                clf ? ("what +" + std::to_string(static_cast<int>(s.sigma)) + " sigma changes most (" + clf->name() + ")").c_str()
                    : "");
    for (const auto& d : set.directions) {
      std::printf("%-10s %8.3f %6.2f ", d.name.c_str(), d.energy_share, d.sigma);
      if (checks.contains(d.name))
        for (const auto& c : checks[d.name]["changes"])
          std::printf(" %s %+.2f", c["attribute"].get<std::string>().c_str(), c["change"].get<double>());
      std::printf("\n");
    }
  }
  std::fprintf(stderr, "wrote %s (%zu unsupervised directions; use them as dir(\"sefa-1\") in expressions)\n",
               out.c_str(), set.directions.size());
  return true;
}

}  // namespace latent::cli
