// `latent train vse`, `latent vse-map`, `latent text2img`, `latent caption`.
#include "face_text_commands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "latent/attribute_classifier.h"
#include "latent/errors.h"
#include "latent/face_text.h"
#include "latent/image.h"
#include "latent/image_io.h"
#include "latent/torch_module.h"
#include "latent/torch_space.h"
#include "cli_options.h"
#include "progress.h"
#include "torch_commands.h"

namespace fs = std::filesystem;

namespace latent::cli {

namespace {
constexpr const char* kDefaultVse = "models/faces-vse";
constexpr const char* kDefaultClassifier = "models/celeba-attributes";

std::unique_ptr<FaceText> open_vse(const std::string& path) {
  return FaceText::open(shipped_or_given(path, kDefaultVse, "face-text model", "--vse"), open_options().device);
}
}  // namespace

struct FaceTextCommands::State {
  FaceTextTrainOptions train;
  FaceTextMapOptions map;
  std::string model, vse = kDefaultVse, text, out, out_dir, classifier = kDefaultClassifier;
  std::vector<std::string> images;
  int n = 4, k = 5, best_of = FaceText::kDefaultBestOf;
  uint64_t seed = 0;
  float spread = -1.f, strength = -1.f;
  bool check = false, json = false;
  CLI::App *train_cmd = nullptr, *map_cmd = nullptr, *text2img = nullptr, *caption = nullptr;
};

FaceTextCommands::FaceTextCommands(CLI::App& app, CLI::App& train_cmd) : s_(std::make_unique<State>()) {
  State& s = *s_;
  auto* t = train_cmd.add_subcommand(
      "vse", "Train a shared space of faces and descriptions (VSE++; descriptions generated from attribute labels)");
  s.train_cmd = t;
  t->add_option("DATA", s.train.data, "Face images (e.g. CelebA images64)")->required();
  t->add_option("--out,-o", s.train.out_dir, "Package folder to write (with checkpoint/)")->required();
  t->add_option("--labels", s.train.labels, "CSV with the 40 CelebA attributes (default: labels.csv beside DATA)");
  t->add_option("--classifier", s.train.classifier, "Attribute classifier whose trunk reads the faces (copied in)")
      ->default_val(kDefaultClassifier);
  t->add_option("--epochs", s.train.epochs, "Passes over the faces")->capture_default_str();
  t->add_option("--batch", s.train.batch, "Faces per step (negatives come from the batch)")->capture_default_str();
  t->add_option("--embed", s.train.embed, "Size of the shared space")->capture_default_str();
  t->add_option("--word-embed", s.train.word_embed, "Word embedding size")->capture_default_str();
  t->add_option("--lr", s.train.learning_rate, "Adam's learning rate")->capture_default_str();
  t->add_option("--margin", s.train.margin, "Hinge margin")->capture_default_str();
  t->add_option("--warmup", s.train.warmup_epochs, "Epochs on every violation before the hardest negative only")
      ->capture_default_str();
  t->add_option("--holdout", s.train.holdout, "The last N faces, kept out for recall")->capture_default_str();
  t->add_option("--seed", s.train.seed, "Random seed")->capture_default_str();
  t->add_option("--name", s.train.name, "Model name (default: the folder's name)");
  t->add_flag("--resume", s.train.resume, "Continue from OUT/checkpoint (--epochs and --lr may change)");

  s.map_cmd = app.add_subcommand("vse-map", "Fit the map from a face-text space to a face model's latent (text -> face)");
  s.map_cmd->add_option("MODEL", s.model, "Face model with an encoder (PCA, VAE, a GAN with encoder.pt)")->required();
  s.map_cmd->add_option("--vse", s.vse, "Face-text package (the map is written into its maps/)")->capture_default_str();
  s.map_cmd->add_option("--data", s.map.data, "Labelled face images (the VSE's training data), encoded by the model");
  s.map_cmd->add_option("--samples", s.map.samples,
                        "Instead of --data: this many of the model's own samples, labelled by the VSE's attribute "
                        "classifier (for generators, whose encoders are approximate)");
  s.map_cmd->add_option("--labels", s.map.labels, "CSV of attributes (default: labels.csv beside DATA)");
  s.map_cmd->add_option("--captions", s.map.captions_per_face, "Generated descriptions per face")->capture_default_str();
  s.map_cmd->add_flag("--image-rows", s.map.image_rows,
                      "Also fit on the faces' own embeddings (default: on their descriptions only, as text comes in)");
  s.map_cmd->add_option("--strength", s.map.strength, "The map's default strength for text2img and the studio")
      ->capture_default_str();
  s.map_cmd->add_option("--spread", s.map.spread, "The map's default spread of the draws")->capture_default_str();
  s.map_cmd->add_option("--ridge", s.map.ridge, "Ridge penalty, times the mean diagonal")->capture_default_str();
  s.map_cmd->add_option("--holdout", s.map.holdout, "The last N faces, kept out and measured")->capture_default_str();
  s.map_cmd->add_option("--limit", s.map.limit, "Use only the first N faces");
  s.map_cmd->add_option("--seed", s.map.seed, "Seed of the descriptions")->capture_default_str();
  s.map_cmd->add_flag("--json", s.json, "Print the map's header as JSON");

  s.text2img = app.add_subcommand("text2img", "A description -> faces of a model, through a face-text space");
  s.text2img->add_option("MODEL", s.model, "Face model (one the VSE has a map to)")->required();
  s.text2img->add_option("TEXT", s.text, "The description, e.g. \"a smiling man with a beard\"")->required();
  s.text2img->add_option("--vse", s.vse, "Face-text package")->capture_default_str();
  s.text2img->add_option("--n", s.n, "Faces: draws around the description's point (--spread 0: the point itself)")->capture_default_str();
  s.text2img->add_option("--seed", s.seed, "Seed of the draws")->capture_default_str();
  s.text2img->add_option("--spread", s.spread,
                         "How far the draws go, in the spread the description leaves open (0: the bare answer; "
                         "default: the map's)");
  s.text2img->add_option("--strength", s.strength,
                         "How far the description moves the face (1: the regression; default: the map's)");
  s.text2img->add_option("--best-of", s.best_of,
                         "Faces drawn for each one kept: the kept ones are those the face-text space puts nearest "
                         "the description (1: no choice)")
      ->capture_default_str();
  s.text2img->add_option("--out,-o", s.out, "Grid PNG to write");
  s.text2img->add_option("--out-dir", s.out_dir, "Also write each face as DIR/face-K.png");
  s.text2img->add_flag("--check", s.check,
                       "Label the faces with the attribute classifier and say whether each carries the attributes the "
                       "description names");
  s.text2img->add_option("--classifier", s.classifier, "Classifier for --check")->capture_default_str();
  s.text2img->add_flag("--json", s.json, "Print the latents (and the check) as JSON");

  s.caption = app.add_subcommand("caption", "A face photo -> the nearest descriptions in a face-text space");
  s.caption->add_option("IMAGE", s.images, "Face image(s)")->required();
  s.caption->add_option("--vse", s.vse, "Face-text package")->capture_default_str();
  s.caption->add_option("--k", s.k, "Descriptions per image")->capture_default_str();
  s.caption->add_flag("--json", s.json, "Print JSON, one object per image");
}

FaceTextCommands::~FaceTextCommands() = default;

bool FaceTextCommands::run(const std::string& command_line) {
  State& s = *s_;
  if (*s.train_cmd) {
    FaceTextTrainOptions o = s.train;
    o.device = open_options().device;
    o.command = command_line;
    const DeviceChoice d = resolve_device(o.device);
    std::fprintf(stderr, "training a face-text space on %s (%s)\n", d.used.c_str(), torch_build_summary().c_str());
    const TrainResult r = train_face_text(o, stderr_train_progress("checkpoint written"));
    if (r.metrics.contains("recall")) std::fprintf(stderr, "held-out recall: %s\n", r.metrics["recall"].dump().c_str());
    std::printf("%s\n", r.model_dir.c_str());
    return true;
  }
  if (*s.map_cmd) {
    auto space = open_model(s.model);
    const nlohmann::json h = fit_face_text_map(s.vse, *space, s.map, stderr_progress("vse-map"));
    if (s.json) {
      std::printf("%s\n", h.dump().c_str());
    } else {
      const auto& m = h["metrics"];
      std::printf("map %s -> %s (%d values, from %s): the descriptions explain %.3f of the latent's variance on the "
                  "training faces, %.3f on held-out ones; defaults strength %g, spread %g\n",
                  s.vse.c_str(), h["model"].get<std::string>().c_str(), h["dim"].get<int>(),
                  h["source"].get<std::string>().c_str(), m["r2_train_descriptions"].get<double>(),
                  m["r2_heldout_descriptions"].get<double>(), h["defaults"]["strength"].get<double>(),
                  h["defaults"]["spread"].get<double>());
    }
    return true;
  }
  if (*s.text2img) {
    if (s.n < 1 || s.n > 256) throw UnsupportedError("--n must be 1..256");
    if (std::isnan(s.spread) || std::isnan(s.strength)) throw UnsupportedError("--spread and --strength must be numbers");
    if (s.out.empty() && s.out_dir.empty() && !s.json && !s.check)
      throw UnsupportedError("say where the faces go: --out GRID.png and/or --out-dir DIR (or --json / --check)");
    auto space = open_model(s.model);
    const SpaceInfo& info = space->info();
    if (!info.can_decode) throw UnsupportedError(info.name + " cannot decode, so it cannot show faces");
    const auto vse = open_vse(s.vse);
    const auto unknown = vse->unknown_words(s.text);
    if (!unknown.empty()) {
      std::string u;
      for (const auto& w : unknown) u += (u.empty() ? "" : ", ") + w;
      std::fprintf(stderr, "note: %s does not know %s (read as unknown)\n", vse->name().c_str(), u.c_str());
    }
    const std::vector<Latent> zs = vse->text_to_faces(s.text, *space, s.n, s.seed, s.best_of, s.spread, s.strength);
    const std::vector<Image> faces = space->decode_batch(zs);
    if (!s.out.empty()) {
      save_png(make_grid(faces, std::min(s.n, 8)), s.out);
      std::fprintf(stderr, "wrote %s (%d faces)\n", s.out.c_str(), s.n);
    }
    if (!s.out_dir.empty()) {
      fs::create_directories(s.out_dir);
      for (size_t i = 0; i < faces.size(); ++i)
        save_png(faces[i], (fs::path(s.out_dir) / ("face-" + std::to_string(i) + ".png")).string());
    }
    nlohmann::json doc = {{"text", s.text}, {"model", info.name}, {"vse", vse->name()}, {"best_of", s.best_of},
                          {"latents", zs}};
    if (s.check) {
      const auto named = attributes_named(s.text);
      if (named.empty())
        throw UnsupportedError("--check: \"" + s.text + "\" names no attribute the check knows (glasses, smiling, "
                               "beard, hair colours, man, woman, young, old, ...)");
      const auto clf = AttributeClassifier::open(
          shipped_or_given(s.classifier, kDefaultClassifier, "classifier", "--classifier"), open_options().device);
      clf->check_model(info);
      const RowMatrixXf p = clf->predict(faces);
      long carried = 0;
      nlohmann::json per = nlohmann::json::array();
      for (long i = 0; i < p.rows(); ++i) {
        bool all = true;
        nlohmann::json probs = nlohmann::json::object();
        for (const auto& [name, value] : named) {
          const int c = clf->index_of(name);
          if (c < 0) continue;
          probs[name] = p(i, c);
          all = all && ((p(i, c) > 0.5f) == (value != 0));
        }
        carried += all;
        per.push_back({{"probabilities", probs}, {"carries_all", all}});
      }
      nlohmann::json want = nlohmann::json::object();
      for (const auto& [name, value] : named) want[name] = value;
      doc["check"] = {{"named", want}, {"classifier", clf->name()}, {"faces", per},
                      {"carried", static_cast<double>(carried) / p.rows()}};
      if (!s.json) {
        std::printf("\"%s\" on %s: ", s.text.c_str(), info.name.c_str());
        for (const auto& [name, value] : named) std::printf("%s%s ", value ? "+" : "-", name.c_str());
        std::printf("\n");
        for (long i = 0; i < p.rows(); ++i) {
          std::printf("  face %ld:", i);
          for (const auto& [name, value] : named)
            if (clf->index_of(name) >= 0) std::printf(" %s %.2f", name.c_str(), p(i, clf->index_of(name)));
          std::printf("  %s\n", per[static_cast<size_t>(i)]["carries_all"].get<bool>() ? "yes" : "no");
        }
        std::printf("carried by %ld of %ld faces\n", carried, static_cast<long>(p.rows()));
      }
    }
    if (s.json) std::printf("%s\n", doc.dump().c_str());
    return true;
  }
  if (*s.caption) {
    if (s.k < 1) throw UnsupportedError("--k must be 1 or more");
    const auto vse = open_vse(s.vse);
    for (const auto& path : s.images) {
      const auto near = vse->describe(load_image(path), s.k);
      if (s.json) {
        nlohmann::json d = nlohmann::json::array();
        for (const auto& n : near) d.push_back({{"text", n.text}, {"score", n.score}});
        std::printf("%s\n", nlohmann::json({{"image", path}, {"vse", vse->name()}, {"descriptions", d}}).dump().c_str());
      } else {
        std::printf("%s\n", path.c_str());
        for (const auto& n : near) std::printf("  %.3f  %s\n", n.score, n.text.c_str());
      }
    }
    return true;
  }
  return false;
}

}  // namespace latent::cli
