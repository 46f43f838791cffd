#pragma once
// Sentence spaces (Kiros et al.'s skip-thoughts and neural-storyteller): a GRU encoder
// takes a sentence to a thought vector; a GRU decoder, conditioned on the thought at
// its first state and at every step, writes the sentence back (role "self") or the
// sentence before or after it ("previous", "next"). Style vectors are differences of
// mean thoughts; a caption's thought shifted by one decodes into the other style.
// No LibTorch header leaks out of here.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/space.h"
#include "latent/text.h"

namespace latent {

enum class SentenceRole { Previous = 0, Self = 1, Next = 2 };

namespace textnet {
struct PassageContext;  // the passage-wide decoding rules (torch_text_net.h, private)
}

struct TextDecodeOptions {
  std::string method = "beam";   // greedy | sample | beam
  int beam = 5;                  // beam width
  float length_penalty = 0.6f;   // GNMT's alpha: score / ((5 + len) / 6)^alpha
  float temperature = 0.8f;      // sampling
  uint64_t seed = 0;             // sampling: the same seed gives the same text
  int max_tokens = 40;
  int no_repeat_ngram = 0;       // > 0: never write an n-gram the sentence already holds (3 stops loops)
  SentenceRole role = SentenceRole::Self;
};

// A named style: strength 1 moves the mean of B's thoughts onto the mean of A's.
struct StyleVector {
  std::string name;
  Latent vector;
  float default_strength = 1.f;  // where decodes cross into A's style keeping the most content
  std::string a, b;              // where A and B came from, in words
  long a_sentences = 0, b_sentences = 0;
  std::vector<std::string> a_examples, b_examples;  // up to 100 of each, for maps
  nlohmann::json calibration;    // per strength: novel_likeness, content_kept (see calibrate_style)

  nlohmann::json to_json() const;
  static StyleVector from_json(const nlohmann::json& j, const std::string& file);
};

// How the sentences of a passage hang together (StorytellerSpace::tell). All zero / false
// gives the plain chain: each sentence decoded from the one before it alone.
struct PassageOptions {
  int no_repeat_ngram = 4;       // never write an n-gram the passage already holds, sentence starts
                                 // counted (0: only TextDecodeOptions' within-sentence rule)
  bool distinct = true;          // never write a sentence the passage already holds
  float generic_penalty = 0.5f;  // maximum mutual information decoding: minus this x the log-probability
  int generic_tokens = 4;        // of each of the first this many words under the unconditioned decoder
                                 // (the thought of no sentence in particular: the training mean)
  float stock_share = 0.01f;     // never end a sentence on one of the model's stock lines written for at
                                 // least this share of thoughts (stock_lines(); 0: off)
  float context = 0.5f;          // the next sentence is decoded from (1 - context) x the last sentence's
                                 // thought + context x the mean thought of the passage so far (the
                                 // style-shifted caption thought first among them)
  std::vector<std::string> keep_words;  // the caption's content words (content_words(), text.h) ...
  float keep_bonus = 3.f;        // ... each added to this log-probability in the sentences after the
                                 // first, while the passage does not hold it yet (0: off) ...
  int keep_from = 2;             // ... from this word of the sentence on (a sentence starts as the
                                 // model would start it, not with a list of the caption's nouns)
  float keep_first = 3.f;        // the same for the first sentence, decoded from the caption's own
                                 // (style-shifted) thought, which the style may lead off the scene (0: off)
};

struct StorytellerOptions {
  std::string device = "auto";
};

class StorytellerSpace : public Space {
 public:
  // Opens a package whose model.json has kind "skipthought": the project's own
  // weights, or TorchScript encoder/decoder modules with a vocabulary
  // (docs/model-format.md).
  static std::unique_ptr<StorytellerSpace> load(const std::string& dir, const nlohmann::json& header,
                                                const StorytellerOptions& options = {});
  ~StorytellerSpace() override;

  const SpaceInfo& info() const override { return info_; }
  Latent encode_text(const std::string& sentence) const override;
  std::string decode_text(const Latent& z) const override;
  // Thoughts drawn from a normal fitted to training thoughts (per-dimension mean, sd).
  std::vector<Latent> sample(int n, uint64_t seed) const override;
  std::vector<float> scale() const override;
  const StorytellerSpace* sentences() const override { return this; }

  // Batched: one forward pass per 64 sentences.
  std::vector<Latent> encode_sentences(const std::vector<std::string>& sentences) const;
  Latent mean_thought(const std::vector<std::string>& sentences) const;
  // Token ids -> text and back, for callers that measure.
  std::vector<int> decode_ids(const Latent& z, const TextDecodeOptions& options) const;
  std::string decode_sentence(const Latent& z, const TextDecodeOptions& options) const;
  // Greedy decoding of many thoughts in one batch (role self), as token ids.
  std::vector<std::vector<int>> greedy_ids(const std::vector<Latent>& zs, int max_tokens = 35) const;
  // A passage: the sentence decoded from z, then `sentences - 1` more, each decoded by
  // the next-sentence decoder from the thought `passage` describes (the last sentence's
  // and the passage's so far), shifted by `carry` (a style, so the passage keeps it).
  // Needs a model trained with the neighbour objective for more than one sentence.
  std::vector<std::string> tell(const Latent& z, int sentences, const TextDecodeOptions& options,
                                const Latent& carry = {}, const PassageOptions& passage = {}) const;
  bool has_neighbour_decoders() const { return neighbours_; }
  // The model's stock lines: sentences its next-sentence decoder writes (greedy, words
  // only) for two or more of 512 thoughts drawn from the training thoughts' normal, with
  // the share of decodes that wrote each, most frequent first (greedy on all 512, beam 5
  // on every 4th counted 4 times). Empty without a next-sentence decoder, and for a model
  // whose decodes hold fewer than a quarter different sentences (a small text learnt by
  // heart: those are its repertoire). Found on first use (7 s for the shipped model) and
  // kept as stock-lines.json in the package, for the model.json it was found with.
  std::vector<std::pair<std::string, double>> stock_lines() const;

  // Teacher-forced token accuracy and corpus BLEU-4 of greedy and beam decodes.
  struct Evaluation {
    long sentences = 0, tokens = 0;
    double token_accuracy = 0, bleu_greedy = 0, bleu_beam = 0;
    std::vector<std::pair<std::string, std::string>> examples;  // source, beam decode (first few)
  };
  Evaluation evaluate(const std::vector<std::string>& sentences, int beam, int max_tokens = 30) const;

  const Vocabulary& vocabulary() const { return vocab_; }
  const std::vector<StyleVector>& styles() const { return styles_; }
  const nlohmann::json& header() const { return header_; }
  // Adds or replaces a style by name; `save` also writes the package's styles.json.
  void put_style(const StyleVector& style, bool save);

  struct Impl;

 private:
  StorytellerSpace() = default;
  // decode_ids under a passage's rules (null: none).
  std::vector<int> decode_ids(const Latent& z, const TextDecodeOptions& options,
                              const textnet::PassageContext* passage) const;
  SpaceInfo info_;
  nlohmann::json header_;
  Vocabulary vocab_;
  std::vector<StyleVector> styles_;
  std::vector<float> mean_, sd_;
  bool neighbours_ = false;
  std::string dir_;
  std::unique_ptr<Impl> impl_;
};

// mean(thoughts of A) - mean(thoughts of B), then calibrated on `probe` captions.
StyleVector make_style(const StorytellerSpace& space, const std::string& name, const std::vector<std::string>& a,
                       const std::vector<std::string>& b, const std::vector<std::string>& probe,
                       const std::string& a_source, const std::string& b_source, const ProgressFn& progress = {});

// Decodes each probe caption's thought + s * style for each strength (greedy), and
// records mean novel-likeness and content kept; default_strength becomes the smallest
// strength whose mean novel-likeness is >= 0 (else the one with the highest).
void calibrate_style(const StorytellerSpace& space, StyleVector& style, const std::vector<std::string>& probe,
                     const std::vector<float>& strengths = {0.f, 0.25f, 0.5f, 0.75f, 1.f, 1.25f, 1.5f, 2.f, 2.5f, 3.f},
                     const ProgressFn& progress = {});

// OpenBLAS's own threads spin beside LibTorch's intra-op thread(s) (measured: 13 s of a
// 54 s training run in the kernel, 10% slower). While one of these lives, OpenBLAS uses
// `n` threads (0: LibTorch's count); the previous count comes back after. Does nothing
// where the BLAS is not OpenBLAS.
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int n = 0);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  void (*set_)(int) = nullptr;
  int saved_ = 0;
};

// ------------------------------------------------------------------ training

struct TrainSkipThoughtOptions {
  std::vector<std::string> corpus;    // books (files or folders of .txt): continuous text
  std::vector<std::string> captions;  // caption files: one sentence each, no neighbours
  std::string out_dir, name;
  int dim = 512;            // thought size = GRU width
  int embed = 256;          // word embedding size
  int vocab = 12000;
  int max_tokens = 30;      // longer sentences are not trained on as centres (neighbours are cut)
  int min_tokens = 3;
  int epochs = 1;
  long epoch_sentences = 0; // centre sentences per epoch (0: all)
  int batch = 64;
  float learning_rate = 1e-3f;
  float neighbour_weight = 0.5f;   // 0: a plain sentence autoencoder
  float caption_share = 0.25f;     // share of centre sentences drawn from the captions
  float word_dropout = 0.1f;       // decoder inputs replaced by <unk>
  float dropout = 0.1f;            // on decoder outputs
  long heldout = 1000;             // held-out sentences per corpus (novels, captions)
  uint64_t seed = 0;
  std::string device = "auto";
  bool resume = false;
  // Start from the weights of this skip-thought package (trained on the same books and
  // captions with the same sizes and --vocab) with a fresh optimiser: training a shipped
  // model further when its checkpoint is gone. model.json records where it started.
  std::string init_from;
  bool half_weights = false;
  bool calibrate = true;           // make and calibrate the default style (corpus vs captions)
  std::string command;
};

struct SkipThoughtProgress {
  int epoch = 0, epochs = 0;
  long step = 0, steps = 0;
  double sentences_per_s = 0, eta_s = 0;
  std::map<std::string, double> losses;
  bool epoch_end = false;
  std::string stage;        // "" while training; "reading", "evaluating", "calibrating" otherwise
  nlohmann::json metrics;   // at epoch end
};
using SkipThoughtProgressFn = std::function<bool(const SkipThoughtProgress&)>;

struct SkipThoughtResult {
  std::string model_dir;
  int epochs_done = 0;
  double sentences_per_s = 0;
  nlohmann::json metrics;
};

SkipThoughtResult train_skipthought(const TrainSkipThoughtOptions& options, const SkipThoughtProgressFn& progress = {});

}  // namespace latent
