#pragma once
// Captions for pictures that come without any: a visual-semantic embedding (a
// TorchScript image encoder and caption encoder mapping into one space) ranks a bank of
// captions by cosine similarity to the picture. The storyteller then starts from the k
// nearest. No LibTorch header leaks out of here.
#include <memory>
#include <string>
#include <vector>

#include "latent/image.h"

namespace latent {

struct RetrievedCaption {
  std::string caption;
  float score = 0;  // cosine similarity
};

class CaptionModel {
 public:
  // A folder with caption-model.json (kind "caption-model", docs/model-format.md), or
  // that file. Opening encodes the bank named there, if any.
  static std::unique_ptr<CaptionModel> open(const std::string& path);
  ~CaptionModel();

  // Replaces the bank: the captions retrieval chooses from (encoded here, in batches).
  void set_bank(std::vector<std::string> captions);
  const std::vector<std::string>& bank() const;
  // The k bank captions nearest the picture, best first.
  std::vector<RetrievedCaption> retrieve(const Image& image, int k) const;
  const std::string& name() const;

  struct Impl;

 private:
  CaptionModel();
  std::unique_ptr<Impl> impl_;
};

}  // namespace latent
