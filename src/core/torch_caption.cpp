// Caption retrieval with a visual-semantic embedding saved as TorchScript.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>

#include <torch/script.h>
#include <torch/torch.h>

#include "latent/caption_model.h"
#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"
#include "latent/text.h"
#include "torch_nets.h"
#include "torch_text_net.h"

namespace fs = std::filesystem;

namespace latent {

struct CaptionModel::Impl {
  torch::jit::Module image_encoder, caption_encoder;
  Vocabulary vocab;
  int channels = 3, height = 32, width = 32;
  std::string name, file;
  std::vector<std::string> bank;
  torch::Tensor bank_embeddings;  // [N, E], unit rows
  std::mutex mutex;
};

CaptionModel::CaptionModel() : impl_(std::make_unique<Impl>()) {}
CaptionModel::~CaptionModel() = default;

std::unique_ptr<CaptionModel> CaptionModel::open(const std::string& path) {
  const fs::path json_file = fs::is_directory(path) ? fs::path(path) / "caption-model.json" : fs::path(path);
  const fs::path dir = json_file.parent_path();
  if (!fs::is_regular_file(json_file))
    throw IoError(json_file.string() + ": cannot open (a caption model is a folder with caption-model.json)");
  const auto j = read_json_file(json_file.string(), "the caption model");
  const std::string file = json_file.string();
  if (!j.is_object()) throw FormatError(file + ": not a JSON object");
  if (j.value("kind", "") != "caption-model") throw FormatError(file + ": kind is not \"caption-model\"");
  std::unique_ptr<CaptionModel> m(new CaptionModel());
  auto& d = *m->impl_;
  d.file = file;
  d.name = j.value("name", dir.filename().string());
  auto part = [&](const char* key) { return (dir / require_field<std::string>(j, key, file)).string(); };
  d.image_encoder = nets::load_script(part("image_encoder"), "caption-model.json");
  d.caption_encoder = nets::load_script(part("caption_encoder"), "caption-model.json");
  d.image_encoder.eval();
  d.caption_encoder.eval();
  d.vocab = Vocabulary::load((dir / require_field<std::string>(j, "vocabulary", file)).string());
  const auto shape = require_field<std::vector<int64_t>>(j, "image_shape", file);
  if (shape.size() != 3 || (shape[0] != 1 && shape[0] != 3) || shape[1] < 1 || shape[1] > 4096 || shape[2] < 1 ||
      shape[2] > 4096)
    throw FormatError(file + ": image_shape must be [C, H, W] with C 1 or 3");
  d.channels = static_cast<int>(shape[0]);
  d.height = static_cast<int>(shape[1]);
  d.width = static_cast<int>(shape[2]);
  if (j.contains("bank")) m->set_bank(read_sentences((dir / require_field<std::string>(j, "bank", file)).string()));
  return m;
}

void CaptionModel::set_bank(std::vector<std::string> captions) {
  auto& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> parts;
  for (size_t i = 0; i < captions.size(); i += 256) {
    std::vector<std::vector<int>> ids;
    for (size_t k = i; k < std::min(captions.size(), i + 256); ++k) ids.push_back(d.vocab.encode(tokenize_sentence(captions[k])));
    auto [x, len] = textnet::pad_batch(ids, 64);
    try {
      parts.push_back(torch::nn::functional::normalize(d.caption_encoder.forward({x, len}).toTensor().to(torch::kFloat),
                                                       torch::nn::functional::NormalizeFuncOptions().dim(1)));
    } catch (const c10::Error& e) {
      throw FormatError(d.file + ": the caption encoder failed (" + std::string(e.what_without_backtrace()).substr(0, 300) + ")");
    }
  }
  d.bank = std::move(captions);
  d.bank_embeddings = parts.empty() ? torch::Tensor() : torch::cat(parts);
}

const std::vector<std::string>& CaptionModel::bank() const { return impl_->bank; }
const std::string& CaptionModel::name() const { return impl_->name; }

std::vector<RetrievedCaption> CaptionModel::retrieve(const Image& image, int k) const {
  auto& d = *impl_;
  if (d.bank.empty()) throw UnsupportedError(d.file + ": the caption bank is empty (give one with --bank)");
  const Image img = convert_image(image, d.width, d.height, d.channels);
  std::lock_guard<std::mutex> lock(d.mutex);
  torch::NoGradGuard ng;
  auto x = torch::from_blob(const_cast<float*>(img.pixels.data()), {1, d.height, d.width, d.channels}, torch::kFloat)
               .permute({0, 3, 1, 2})
               .contiguous();
  torch::Tensor e;
  try {
    e = d.image_encoder.forward({x}).toTensor().to(torch::kFloat);
  } catch (const c10::Error& err) {
    throw FormatError(d.file + ": the image encoder failed (" + std::string(err.what_without_backtrace()).substr(0, 300) + ")");
  }
  e = torch::nn::functional::normalize(e, torch::nn::functional::NormalizeFuncOptions().dim(1));
  if (e.size(1) != d.bank_embeddings.size(1))
    throw FormatError(d.file + ": the image encoder gives " + std::to_string(e.size(1)) + " values, the caption encoder " +
                      std::to_string(d.bank_embeddings.size(1)));
  auto sim = torch::matmul(d.bank_embeddings, e.view({-1})).contiguous();
  const long n = sim.size(0);
  const int take = static_cast<int>(std::min<long>(std::max(1, k), n));
  auto [vals, idx] = sim.topk(take);
  std::vector<RetrievedCaption> out;
  for (int i = 0; i < take; ++i) out.push_back({d.bank[idx[i].item<int64_t>()], vals[i].item<float>()});
  return out;
}

}  // namespace latent
