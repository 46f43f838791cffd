#pragma once
// A shared space of faces and words (VSE++, Faghri et al. 2018): an image encoder and a
// text encoder trained so that a face and a description of it land close together
// (cosine similarity), with a hinge ranking loss on the hardest negatives of each batch.
//
// The descriptions are *generated from labels*: compose_face_caption() writes them from
// a face's 40 CelebA attributes with varied templates and synonyms. No human wrote them.
//
// - The image side is the attribute classifier's convolutional trunk (frozen; its
//   package is copied into the VSE's) followed by a learned linear projection, as VSE++
//   projects frozen CNN features.
// - The text side is a word embedding and a GRU whose last state is the embedding.
// - Text to face: a ridge regression from the shared space to a face model's latent
//   (a "map", fitted by fit_face_text_map on encoded faces and their descriptions) turns
//   a description into points of that model: the regression's answer, plus draws of its
//   residual spread for variety.
// - Face to text: the nearest descriptions of a bank of generated ones.
//
// Package (kind "faces-vse"): model.json, vse.pt (projection + text encoder),
// vocab.tsv, bank.tsv, image-features/ (an attribute classifier package), maps/NAME.json
// with maps/NAME.f32. No LibTorch header leaks out of here.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/image.h"
#include "latent/space.h"
#include "latent/torch_train.h"
#include "latent/types.h"

namespace latent {

class AttributeClassifier;

// ---------------------------------------------------------------- descriptions

// What a description asserts about a face: per attribute -1 (not said), 0 (said absent)
// or 1 (said present). Two faces that satisfy a description's assertions both fit it,
// so the trainer never treats one as the other's negative.
struct FaceCaption {
  std::string text;
  std::vector<int8_t> asserts;
};

// A description of a face from its attribute values (`names[i]` is 1 in `on[i]` when the
// face has it; CelebA's names), drawn with `rng`: a subject (man, woman, person; young or
// older), 0 to `max_features` of its features in varied words, in one of several
// templates. Attributes not among CelebA's 40 are ignored.
// `plain`: the noun phrase alone ("a smiling man with glasses"), no template.
FaceCaption compose_face_caption(const std::vector<std::string>& names, const std::vector<int>& on, std::mt19937& rng,
                                 int max_features = 4, bool plain = false);

// The attributes a description names, read by key words ("a smiling man with a beard"
// -> Smiling 1, Male 1, No_Beard 0), in CelebA's names: what a check of the faces made
// from it should find. Words it does not know are skipped.
std::vector<std::pair<std::string, int>> attributes_named(const std::string& text);

// ---------------------------------------------------------------- training

struct FaceTextTrainOptions {
  std::string data;             // face images (the classifier's data: the last `holdout` are held out)
  std::string labels;           // CSV with the 40 attributes; "" -> labels.csv beside the data folder
  std::string classifier;       // attribute classifier package whose trunk encodes the images
  std::string out_dir;
  std::string name;             // "" -> out_dir's folder name
  int embed = 256;              // shared space size (the GRU's width)
  int word_embed = 128;
  int epochs = 30;
  int batch = 128;
  double learning_rate = 2e-4;  // Adam
  double margin = 0.2;
  int warmup_epochs = 2;        // epochs summing all violations before the hardest negative only
  long holdout = 1000;          // the last images: recall is measured on them
  uint64_t seed = 0;
  std::string device = "auto";
  bool resume = false;
  std::string command;
};

TrainResult train_face_text(const FaceTextTrainOptions& options, const TrainProgressFn& progress = {});

// ---------------------------------------------------------------- the model

struct NearestDescription {
  std::string text;
  float score = 0;  // the similarity in standard deviations of the description's similarities to the training faces
};

// A fitted map from the shared space to one face model's latent.
struct FaceTextMapInfo {
  std::string model;  // the face model's name (SpaceInfo::name)
  std::string kind;
  int dim = 0;
  std::string file;   // maps/NAME.json
  nlohmann::json metrics;
  float strength = 1.f, spread = 0.7f;  // text_to_latents' defaults for this model
};

class FaceText {
 public:
  // A package folder (or its model.json). FormatError / IoError name the file.
  static std::unique_ptr<FaceText> open(const std::string& path, const std::string& device = "auto");
  ~FaceText();

  const std::string& name() const;
  const std::string& folder() const;
  int dim() const;  // the shared space's size
  const nlohmann::json& metrics() const;

  // Unit rows in the shared space. A description with no known word throws
  // UnsupportedError naming it; an empty one too.
  RowMatrixXf embed_texts(const std::vector<std::string>& texts) const;
  RowMatrixXf embed_images(const std::vector<Image>& images) const;
  // Words of `text` the model does not know (they are read as <unk>).
  std::vector<std::string> unknown_words(const std::string& text) const;

  // The k bank descriptions nearest the image, best first, each similarity standardised
  // by that description's mean and spread over the training faces (else "a man", near
  // every man, would win for every man).
  std::vector<NearestDescription> describe(const Image& image, int k) const;
  const std::vector<std::string>& bank() const;

  // The image side's attribute classifier (the package's image-features/).
  const AttributeClassifier& classifier() const;

  // The face models the package at `path` has maps to, read from the maps' headers alone
  // (no network is opened; broken headers are skipped).
  static std::vector<std::string> mapped_models(const std::string& path);

  // Maps to face models this package holds.
  const std::vector<FaceTextMapInfo>& maps() const;
  // The map for `model`, or UnsupportedError saying which models it has maps for and
  // how to fit one (also when the latent sizes differ).
  const FaceTextMapInfo& map_for(const SpaceInfo& model) const;
  // `n` points of `model` for a description: the regression's answer plus draws of the
  // residual spread (what the description leaves open: identity, pose) times `spread`,
  // seeded; `spread` 0 gives the bare answer (for a GAN, an average that is no face).
  // `strength` scales what the description adds to the answer at the mean embedding
  // (1: the regression). Negative values: the map's defaults.
  std::vector<Latent> text_to_latents(const std::string& text, const SpaceInfo& model, int n, uint64_t seed,
                                      float spread = -1.f, float strength = -1.f) const;
  // Faces for a description, chosen: `n` x `best_of` points from text_to_latents are
  // decoded by `model`, and the `n` whose faces the image side puts nearest the
  // description in the shared space are kept, best first (as DALL-E kept the samples CLIP
  // ranked first). `best_of` 1: text_to_latents' first `n`, unchosen.
  std::vector<Latent> text_to_faces(const std::string& text, const Space& model, int n, uint64_t seed, int best_of,
                                    float spread = -1.f, float strength = -1.f) const;
  static constexpr int kDefaultBestOf = 8;  // `text2img --best-of` and the studio's description box

  struct Impl;

 private:
  FaceText();
  std::unique_ptr<Impl> impl_;
};

// Fits (or replaces) the map from `vse`'s shared space to `model`'s latent: the faces of
// `data` are encoded by the model (it needs an encoder: PCA, a VAE, the GAN's encoder)
// and by the VSE's image side (or, with `samples`, the model's own samples are decoded
// and labelled by the VSE's attribute classifier), and each gets `captions_per_face` generated descriptions;
// a ridge regression with `ridge` x the mean diagonal as penalty maps both kinds of
// embedding to the face's latent. The last `holdout` faces are left out and measured.
// Writes VSE/maps/NAME.json and .f32; returns the map's metrics.
struct FaceTextMapOptions {
  std::string data, labels;
  long samples = 0;  // > 0: instead of data, this many of the model's own samples, labelled by the classifier
  int captions_per_face = 4;
  bool image_rows = false;  // also regress from the faces' own embeddings (else descriptions only)
  float strength = 2.f, spread = 1.f;  // stored as the map's defaults for text_to_latents
  double ridge = 1e-3;
  long holdout = 1000;
  long limit = 0;
  uint64_t seed = 0;
};
nlohmann::json fit_face_text_map(const std::string& vse_dir, const Space& model, const FaceTextMapOptions& options,
                                 const ProgressFn& progress = {});

}  // namespace latent
