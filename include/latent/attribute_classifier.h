#pragma once
// A face attribute classifier (the 40 CelebA attributes, or any 0/1 columns of a label
// table) on LibTorch: a small convolutional network trained by `latent train attributes`
// and shipped as a package (models/celeba-attributes). It labels real photos
// (`latent attributes IMAGE...`) and the samples of any face model, from which
// directions.h fits named latent directions (`latent directions MODEL`).
//
// Package: model.json ("format": "latent-studio-attribute-classifier"), classifier.pt.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/types.h"
#include "latent/space.h"
#include "latent/torch_train.h"

namespace latent {

struct AttributeTrainOptions {
  std::string data;              // image dataset (a folder, IDX, raw array)
  std::string labels;            // CSV; "" -> labels.csv beside the data folder
  std::vector<std::string> attributes;  // columns to learn; empty: every 0/1 (or -1/1) column
  std::string out_dir;
  std::string name;              // "" -> out_dir's folder name
  int size = 64;                 // input side: 32 or 64
  int width = 32;                // channels of the first stage (doubled at each of 4)
  int epochs = 12;
  int batch = 64;
  double learning_rate = 1e-3;   // Adam, cosine-decayed to zero over the run
  long holdout = 1000;           // the last images, kept out for the per-attribute metrics
  long limit = 0;                // use only the first images (0: all)
  uint64_t seed = 0;
  std::string device = "auto";
  bool resume = false;
  std::string command;
};

// Progress as in image training (epoch, step, images/s, running losses).
TrainResult train_attribute_classifier(const AttributeTrainOptions& options, const TrainProgressFn& progress = {});

class AttributeClassifier {
 public:
  // Opens a package folder (or its model.json). FormatError / IoError name the file.
  static std::unique_ptr<AttributeClassifier> open(const std::string& path, const std::string& device = "auto");
  ~AttributeClassifier();

  const std::string& name() const;
  const std::vector<std::string>& attributes() const;
  // The image shape the network takes (values in [0, 1]).
  const ObservationShape& input() const;
  // What model.json holds under "metrics" (held-out accuracy per attribute).
  const nlohmann::json& metrics() const;
  int index_of(const std::string& attribute) const;  // -1 if absent

  // Probabilities, one row per image, one column per attribute. Images of another size
  // are resized and gray ones made RGB (convert_image); values are taken as [0, 1].
  RowMatrixXf predict(const std::vector<Image>& images) const;
  // The network's convolutional trunk for each image, flattened (what the last layer
  // reads): features for other heads, such as the image side of a face-text space.
  RowMatrixXf features(const std::vector<Image>& images) const;

  // Refuses (UnsupportedError) a model whose images this classifier cannot label in
  // earnest: another aspect ratio, or smaller than half the classifier's side. The
  // message names both.
  void check_model(const SpaceInfo& model) const;

 private:
  AttributeClassifier();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latent
