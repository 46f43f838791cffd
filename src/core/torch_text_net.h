#pragma once
// The skip-thought network and the three calls every sentence backend answers
// (encode, init, step), for the project's own modules and for TorchScript ones.
// Private to latent_core (LibTorch headers stay out of include/).
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include "latent/storyteller.h"

namespace latent::textnet {

struct Arch {
  int vocab = 12000;
  int embed = 256;
  int dim = 512;
  std::vector<int64_t> cutoffs;  // adaptive softmax cluster boundaries
  float div_value = 4.f;
  float dropout = 0.1f;

  nlohmann::json to_json() const;
  static Arch from_json(const nlohmann::json& j, const std::string& file);
  // Cutoffs for a vocabulary: about 2,000 frequent words in the head, the rest in two tails.
  static std::vector<int64_t> default_cutoffs(int vocab);
};

// Encoder: shared embedding -> GRU(embed, dim); the thought is the GRU's state after
// the sentence's last token. Decoder: GRU(embed, dim) whose input at every step is the
// previous word's embedding + a projection of the thought + the role's embedding, and
// whose first state is tanh(W_role thought); an adaptive softmax over the vocabulary.
struct SkipThoughtNetImpl : torch::nn::Module {
  explicit SkipThoughtNetImpl(const Arch& a);
  // ids [B,T] (padding after the end), lengths [B] (>= 1) -> [B, dim]
  torch::Tensor encode(const torch::Tensor& ids, const torch::Tensor& lengths);
  // thought [B,dim], role [B] -> first decoder state [1,B,dim]
  torch::Tensor init(const torch::Tensor& thought, const torch::Tensor& role);
  // Teacher-forced decoder outputs: inputs [B,T] -> [B,T,dim] (before the softmax)
  torch::Tensor decode_states(const torch::Tensor& inputs, const torch::Tensor& thought, const torch::Tensor& role);
  // One step: token [B] -> (log-probabilities [B,vocab], state [1,B,dim])
  std::pair<torch::Tensor, torch::Tensor> step(const torch::Tensor& token, const torch::Tensor& h,
                                               const torch::Tensor& thought, const torch::Tensor& role);

  Arch arch;
  torch::nn::Embedding embedding{nullptr}, role_embedding{nullptr};
  torch::nn::GRU encoder{nullptr}, decoder{nullptr};
  torch::nn::Linear thought_in{nullptr}, init_state{nullptr};
  torch::nn::Dropout out_dropout{nullptr};
  torch::nn::AdaptiveLogSoftmaxWithLoss softmax{nullptr};
};
TORCH_MODULE(SkipThoughtNet);

// What decoding and evaluation need from a model, whoever made it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual torch::Tensor encode(const torch::Tensor& ids, const torch::Tensor& lengths) = 0;
  virtual torch::Tensor init(const torch::Tensor& thought, const torch::Tensor& role) = 0;
  virtual std::pair<torch::Tensor, torch::Tensor> step(const torch::Tensor& token, const torch::Tensor& h,
                                                       const torch::Tensor& thought, const torch::Tensor& role) = 0;
  virtual int dim() const = 0;
};

std::unique_ptr<Backend> native_backend(SkipThoughtNet net);
// TorchScript: encoder.forward(ids, lengths); decoder.init(thought, role) and
// decoder.step(token, h, thought, role) (docs/model-format.md).
std::unique_ptr<Backend> script_backend(const std::string& encoder_file, const std::string& decoder_file, int dim);

// Token ids of sentences as a padded batch [B, T] and lengths [B] (at least one token
// each: an empty sentence is "<unk>"), cut at max_tokens.
std::pair<torch::Tensor, torch::Tensor> pad_batch(const std::vector<std::vector<int>>& ids, int max_tokens);

// What a sentence inside a passage must respect beyond its own words (see PassageOptions).
struct PassageContext {
  std::vector<std::vector<int>> earlier;  // the passage's sentences so far, as ids
  int no_repeat_ngram = 0;                // never an n-gram (sentence start counted) that `earlier` holds
  bool distinct = false;                  // never end on a sentence that `earlier` holds
  std::set<std::vector<int>> stock;       // never end on these sentences (word ids only, punctuation dropped)
  const std::vector<char>* is_word = nullptr;  // per vocabulary id: a word, not punctuation (with `stock`)
  torch::Tensor generic_thought;          // [dim]: the unconditioned decoder's thought (undefined: none)
  float generic_penalty = 0;              // minus this x its log-probability ...
  int generic_tokens = 0;                 // ... for each of the first this many words
  std::vector<int> keep;                  // words to work in: those neither `earlier` nor the sentence holds ...
  float keep_bonus = 0;                   // ... get this added to their log-probability
  int keep_from = 0;                      // ... from this token of the sentence on
};

// Decoding over any backend; `thought` is [dim]; `passage` (may be null) adds the
// passage-wide rules.
std::vector<int> decode_one(Backend& b, const torch::Tensor& thought, const TextDecodeOptions& o, int vocab,
                            const PassageContext* passage = nullptr);
// Greedy decoding of many thoughts at once [B, dim].
std::vector<std::vector<int>> greedy_batch(Backend& b, const torch::Tensor& thoughts, SentenceRole role,
                                           int max_tokens, int vocab);
// Teacher-forced (correct, counted) tokens over sentences, end token included.
std::pair<long, long> teacher_forced_accuracy(Backend& b, const std::vector<std::vector<int>>& ids, int max_tokens);

// Reconstruction of token-id sentences in batches of 64: teacher-forced token accuracy
// and corpus BLEU-4 of greedy and (beam > 0) beam decodes against the ids as the
// vocabulary writes them (unknown words stay <unk> and cannot match); the first 10 beam
// decodes as examples.
StorytellerSpace::Evaluation evaluate(Backend& b, const Vocabulary& vocab, const std::vector<std::vector<int>>& ids,
                                      int beam, int max_tokens);

}  // namespace latent::textnet
