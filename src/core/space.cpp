#include "latent/space.h"

#include <utility>

#include "latent/errors.h"

namespace latent {

const char* to_string(Modality m) {
  switch (m) {
    case Modality::Image: return "image";
    case Modality::Words: return "words";
    case Modality::Text: return "text";
  }
  return "unknown";
}

Latent Space::encode(const Image&) const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind + ") has no encoder");
}

Image Space::decode(const Latent&) const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind + ") has no decoder");
}

std::vector<Latent> Space::encode_batch(const std::vector<Image>& images) const {
  std::vector<Latent> out;
  out.reserve(images.size());
  for (const auto& img : images) out.push_back(encode(img));
  return out;
}

std::vector<Image> Space::decode_batch(const std::vector<Latent>& zs) const {
  std::vector<Image> out;
  out.reserve(zs.size());
  for (const Latent& z : zs) out.push_back(decode(z));
  return out;
}

Latent Space::encode_text(const std::string&) const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind + ") does not read sentences");
}

std::string Space::decode_text(const Latent&) const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind + ") does not write sentences");
}

std::vector<Latent> Space::sample(int, uint64_t) const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind + ") has no prior to sample from");
}

void Space::check_latent(const Latent& z) const {
  if (static_cast<int>(z.size()) != info().dim)
    throw UnsupportedError("latent has " + std::to_string(z.size()) + " values but model '" + info().name +
                           "' has " + std::to_string(info().dim) + " dimensions");
}

WordVectors* Space::words() { return const_cast<WordVectors*>(std::as_const(*this).words()); }

StorytellerSpace* Space::sentences() { return const_cast<StorytellerSpace*>(std::as_const(*this).sentences()); }

InvertResult Space::invert(const Image&, const InvertOptions&, const ProgressFn&) const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind +
                         ") cannot search for a point by gradient descent");
}

RowMatrixXf Space::first_layer_weight() const {
  throw UnsupportedError("model '" + info().name + "' (" + info().kind +
                         ") is not a neural generator: it has no first layer reading z");
}

}  // namespace latent
