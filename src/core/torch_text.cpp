// The storyteller: skip-thought sentence spaces on LibTorch, their decoding (greedy,
// sampling, beam search), style vectors and their calibration.
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <random>

#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/json_file.h"
#include "latent/model_package.h"
#include "latent/storyteller.h"
#include "latent/torch_space.h"
#include "torch_nets.h"
#include "torch_text_net.h"

namespace fs = std::filesystem;

namespace latent {
namespace textnet {

// --------------------------------------------------------------- architecture

nlohmann::json Arch::to_json() const {
  return {{"vocab", vocab}, {"embed", embed}, {"dim", dim}, {"cutoffs", cutoffs}, {"div_value", div_value},
          {"dropout", dropout}};
}

Arch Arch::from_json(const nlohmann::json& j, const std::string& file) {
  Arch a;
  a.vocab = require_field<int>(j, "vocab", file);
  a.embed = require_field<int>(j, "embed", file);
  a.dim = require_field<int>(j, "dim", file);
  a.cutoffs = require_field<std::vector<int64_t>>(j, "cutoffs", file);
  a.div_value = j.value("div_value", 4.f);
  a.dropout = j.value("dropout", 0.f);
  if (a.vocab < Vocabulary::kSpecials + 2 || a.vocab > 2000000 || a.embed < 1 || a.embed > 8192 || a.dim < 1 ||
      a.dim > 8192)
    throw FormatError(file + ": arch sizes out of range (vocab " + std::to_string(a.vocab) + ", embed " +
                      std::to_string(a.embed) + ", dim " + std::to_string(a.dim) + ")");
  int64_t prev = 0;
  for (auto c : a.cutoffs) {
    if (c <= prev || c >= a.vocab) throw FormatError(file + ": arch.cutoffs must rise strictly between 0 and vocab");
    prev = c;
  }
  return a;
}

std::vector<int64_t> Arch::default_cutoffs(int vocab) {
  if (vocab <= 4000) return {std::max<int64_t>(2, vocab / 4)};
  return {2000, std::min<int64_t>(vocab - 1, 6000)};
}

SkipThoughtNetImpl::SkipThoughtNetImpl(const Arch& a) : arch(a) {
  embedding = register_module("embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(a.vocab, a.embed)));
  role_embedding = register_module("role_embedding", torch::nn::Embedding(3, a.embed));
  encoder = register_module("encoder", torch::nn::GRU(torch::nn::GRUOptions(a.embed, a.dim).batch_first(true)));
  decoder = register_module("decoder", torch::nn::GRU(torch::nn::GRUOptions(a.embed, a.dim).batch_first(true)));
  thought_in = register_module("thought_in", torch::nn::Linear(a.dim, a.embed));
  init_state = register_module("init_state", torch::nn::Linear(a.dim, 3 * a.dim));
  out_dropout = register_module("out_dropout", torch::nn::Dropout(a.dropout));
  softmax = register_module(
      "softmax", torch::nn::AdaptiveLogSoftmaxWithLoss(
                     torch::nn::AdaptiveLogSoftmaxWithLossOptions(a.dim, a.vocab, a.cutoffs).div_value(a.div_value)));
}

torch::Tensor SkipThoughtNetImpl::encode(const torch::Tensor& ids, const torch::Tensor& lengths) {
  auto out = std::get<0>(encoder->forward(embedding->forward(ids)));  // [B,T,dim]
  auto idx = (lengths - 1).clamp_min(0).view({-1, 1, 1}).expand({-1, 1, out.size(2)});
  return out.gather(1, idx).squeeze(1);
}

torch::Tensor SkipThoughtNetImpl::init(const torch::Tensor& thought, const torch::Tensor& role) {
  auto all = init_state->forward(thought).view({thought.size(0), 3, arch.dim});
  auto idx = role.view({-1, 1, 1}).expand({-1, 1, arch.dim});
  return torch::tanh(all.gather(1, idx).squeeze(1)).unsqueeze(0);
}

torch::Tensor SkipThoughtNetImpl::decode_states(const torch::Tensor& inputs, const torch::Tensor& thought,
                                                const torch::Tensor& role) {
  auto cond = thought_in->forward(thought) + role_embedding->forward(role);  // [B,embed]
  auto x = embedding->forward(inputs) + cond.unsqueeze(1);
  auto out = std::get<0>(decoder->forward(x, init(thought, role)));
  return out_dropout->forward(out);
}

std::pair<torch::Tensor, torch::Tensor> SkipThoughtNetImpl::step(const torch::Tensor& token, const torch::Tensor& h,
                                                                 const torch::Tensor& thought,
                                                                 const torch::Tensor& role) {
  auto cond = thought_in->forward(thought) + role_embedding->forward(role);
  auto x = (embedding->forward(token) + cond).unsqueeze(1);
  auto r = decoder->forward(x, h);
  auto out = std::get<0>(r).squeeze(1);
  return {softmax->log_prob(out), std::get<1>(r)};
}

// --------------------------------------------------------------- backends

namespace {

class NativeBackend : public Backend {
 public:
  explicit NativeBackend(SkipThoughtNet n) : net_(std::move(n)) { net_->eval(); }
  torch::Tensor encode(const torch::Tensor& ids, const torch::Tensor& lengths) override { return net_->encode(ids, lengths); }
  torch::Tensor init(const torch::Tensor& thought, const torch::Tensor& role) override { return net_->init(thought, role); }
  std::pair<torch::Tensor, torch::Tensor> step(const torch::Tensor& token, const torch::Tensor& h,
                                               const torch::Tensor& thought, const torch::Tensor& role) override {
    return net_->step(token, h, thought, role);
  }
  int dim() const override { return net_->arch.dim; }

 private:
  SkipThoughtNet net_;
};

class ScriptBackend : public Backend {
 public:
  ScriptBackend(torch::jit::Module enc, torch::jit::Module dec, int dim)
      : enc_(std::move(enc)), dec_(std::move(dec)), dim_(dim) {
    enc_.eval();
    dec_.eval();
  }
  torch::Tensor encode(const torch::Tensor& ids, const torch::Tensor& lengths) override {
    return enc_.forward({ids, lengths}).toTensor();
  }
  torch::Tensor init(const torch::Tensor& thought, const torch::Tensor& role) override {
    return dec_.get_method("init")({thought, role}).toTensor();
  }
  std::pair<torch::Tensor, torch::Tensor> step(const torch::Tensor& token, const torch::Tensor& h,
                                               const torch::Tensor& thought, const torch::Tensor& role) override {
    auto t = dec_.get_method("step")({token, h, thought, role}).toTuple();
    return {t->elements()[0].toTensor(), t->elements()[1].toTensor()};
  }
  int dim() const override { return dim_; }

 private:
  torch::jit::Module enc_, dec_;
  int dim_;
};


}  // namespace

std::unique_ptr<Backend> native_backend(SkipThoughtNet net) { return std::make_unique<NativeBackend>(std::move(net)); }

std::unique_ptr<Backend> script_backend(const std::string& encoder_file, const std::string& decoder_file, int dim) {
  auto enc = nets::load_script(encoder_file, "model.json");
  auto dec = encoder_file == decoder_file ? enc : nets::load_script(decoder_file, "model.json");
  if (!dec.find_method("init") || !dec.find_method("step"))
    throw FormatError(decoder_file + ": the decoder module needs exported methods init(thought, role) and "
                      "step(token, h, thought, role) (see docs/model-format.md)");
  return std::make_unique<ScriptBackend>(std::move(enc), std::move(dec), dim);
}

// --------------------------------------------------------------- decoding

std::pair<torch::Tensor, torch::Tensor> pad_batch(const std::vector<std::vector<int>>& ids, int max_tokens) {
  const long b = static_cast<long>(ids.size());
  long t = 1;
  for (const auto& s : ids) t = std::max<long>(t, std::min<long>(static_cast<long>(s.size()), max_tokens));
  auto out = torch::zeros({b, t}, torch::kLong);
  auto len = torch::ones({b}, torch::kLong);
  auto o = out.accessor<int64_t, 2>();
  auto l = len.accessor<int64_t, 1>();
  for (long i = 0; i < b; ++i) {
    const long n = std::min<long>(static_cast<long>(ids[i].size()), max_tokens);
    if (n == 0) {
      o[i][0] = Vocabulary::kUnk;
      continue;
    }
    for (long j = 0; j < n; ++j) o[i][j] = ids[i][j];
    l[i] = n;
  }
  return {out, len};
}

namespace {

// Tokens a decoder may never write: padding, unknown, start.
void block_specials(torch::Tensor& logp, bool allow_end) {
  logp.index_fill_(1, torch::tensor({int64_t{Vocabulary::kPad}, int64_t{Vocabulary::kUnk}, int64_t{Vocabulary::kBos}}),
                   -std::numeric_limits<float>::infinity());
  if (!allow_end) logp.index_fill_(1, torch::tensor({int64_t{Vocabulary::kEos}}), -std::numeric_limits<float>::infinity());
}

// Tokens that would repeat an n-gram already in `ids` (the last n-1 tokens followed by t).
void block_repeats(torch::Tensor& logp, long row, const std::vector<int>& ids, int n) {
  if (n <= 0 || static_cast<int>(ids.size()) < n - 1) return;
  const size_t k = static_cast<size_t>(n - 1);
  const size_t tail = ids.size() - k;
  auto a = logp.accessor<float, 2>();
  for (size_t i = 0; i + k < ids.size(); ++i) {
    bool same = true;
    for (size_t j = 0; j < k && same; ++j) same = ids[i + j] == ids[tail + j];
    if (same) a[row][ids[i + k]] = -std::numeric_limits<float>::infinity();
  }
}

float length_norm(int len, float alpha) { return std::pow((5.f + static_cast<float>(len)) / 6.f, alpha); }

// The passage's n-grams, a sentence's start counted as a token: the first n-1 tokens ->
// the tokens that followed them somewhere in the passage.
using NgramTable = std::map<std::vector<int>, std::vector<int>>;

NgramTable passage_ngrams(const PassageContext* p) {
  NgramTable table;
  if (!p || p->no_repeat_ngram < 2) return table;
  const size_t k = static_cast<size_t>(p->no_repeat_ngram - 1);
  for (const auto& sentence : p->earlier) {
    std::vector<int> seq{Vocabulary::kBos};
    seq.insert(seq.end(), sentence.begin(), sentence.end());
    for (size_t i = 0; i + k < seq.size(); ++i)
      table[std::vector<int>(seq.begin() + static_cast<long>(i), seq.begin() + static_cast<long>(i + k))].push_back(
          seq[i + k]);
  }
  return table;
}

// Tokens that would repeat an n-gram of the passage, and the end of a sentence the
// passage already holds.
void block_passage(torch::Tensor& logp, long row, const std::vector<int>& ids, const NgramTable& table,
                   const PassageContext* p) {
  if (!p) return;
  auto a = logp.accessor<float, 2>();
  if (!table.empty()) {
    const size_t k = table.begin()->first.size();
    std::vector<int> seq{Vocabulary::kBos};
    seq.insert(seq.end(), ids.begin(), ids.end());
    if (seq.size() >= k) {
      auto it = table.find(std::vector<int>(seq.end() - static_cast<long>(k), seq.end()));
      if (it != table.end())
        for (int t : it->second) a[row][t] = -std::numeric_limits<float>::infinity();
    }
  }
  // A sentence whose words are those of an earlier sentence or of a stock line may not
  // end there, nor add only punctuation: its next token must be a word.
  if ((p->distinct || !p->stock.empty()) && p->is_word) {
    const auto& is_word = *p->is_word;
    auto words_of = [&](const std::vector<int>& x) {
      std::vector<int> w;
      for (int t : x)
        if (is_word[static_cast<size_t>(t)]) w.push_back(t);
      return w;
    };
    const std::vector<int> words = words_of(ids);
    bool taken = p->stock.count(words) > 0;
    if (p->distinct)
      for (size_t i = 0; i < p->earlier.size() && !taken; ++i) taken = words_of(p->earlier[i]) == words;
    if (taken)
      for (size_t t = 0; t < is_word.size(); ++t)
        if (!is_word[t]) a[row][static_cast<long>(t)] = -std::numeric_limits<float>::infinity();
  }
}

// The caption's words the passage does not hold yet, made likelier: a passage that
// drifts into the register of novels keeps mentioning the caption's soldier or train.
void favour_kept(torch::Tensor& logp, long row, const std::vector<int>& ids, const PassageContext* p) {
  if (!p || p->keep.empty() || p->keep_bonus <= 0 || static_cast<int>(ids.size()) < p->keep_from) return;
  auto a = logp.accessor<float, 2>();
  for (int t : p->keep)
    if (std::find(ids.begin(), ids.end(), t) == ids.end() && std::isfinite(a[row][t])) a[row][t] += p->keep_bonus;
}

// Maximum mutual information decoding's anti-language-model (Li et al. 2016): the
// unconditioned decoder's log-probability of the next word, which a sentence that any
// thought would produce ("I don't know," she said.) scores high on, is subtracted with
// a weight for the first few words.
struct GenericModel {
  bool on = false;
  torch::Tensor thought, role, h;
  float weight = 0;
  int tokens = 0;

  GenericModel(Backend& b, const PassageContext* p, const torch::Tensor& role_one) {
    if (!p || !p->generic_thought.defined() || p->generic_penalty <= 0 || p->generic_tokens <= 0) return;
    on = true;
    thought = p->generic_thought.view({1, -1});
    role = role_one;
    h = b.init(thought, role);
    weight = p->generic_penalty;
    tokens = p->generic_tokens;
  }
  bool active(int t) const { return on && t < tokens; }
  // Subtracts weight x log p_generic(next | `last` tokens) from `logp` [k, vocab]; keeps
  // the generic states of the k hypotheses (reordered by `parents` afterwards).
  void apply(Backend& b, torch::Tensor& logp, const torch::Tensor& last) {
    const long k = logp.size(0);
    auto [lg, h2] = b.step(last, h.size(1) == k ? h : h.expand({-1, k, -1}).contiguous(), thought.expand({k, -1}),
                           role.expand({k}));
    h = h2;
    logp -= weight * lg.clamp_min(-30.f);
  }
  void reorder(const torch::Tensor& parents) {
    if (on) h = h.index_select(1, parents);
  }
};

}  // namespace

std::vector<int> decode_one(Backend& b, const torch::Tensor& thought_in, const TextDecodeOptions& o, int vocab,
                            const PassageContext* passage) {
  torch::NoGradGuard ng;
  const int max_tokens = std::max(1, std::min(o.max_tokens, 200));
  auto thought = thought_in.view({1, -1});
  auto role = torch::full({1}, static_cast<int64_t>(o.role), torch::kLong);
  const NgramTable ngrams = passage_ngrams(passage);
  GenericModel generic(b, passage, role);
  if (o.method == "greedy" || o.method == "sample") {
    std::mt19937_64 rng(o.seed);
    auto h = b.init(thought, role);
    int64_t tok = Vocabulary::kBos;
    std::vector<int> ids;
    for (int t = 0; t < max_tokens; ++t) {
      auto last = torch::full({1}, tok, torch::kLong);
      auto [logp, h2] = b.step(last, h, thought, role);
      h = h2;
      logp = logp.clone();
      if (generic.active(t)) generic.apply(b, logp, last);
      block_specials(logp, t > 0);
      block_repeats(logp, 0, ids, o.no_repeat_ngram);
      block_passage(logp, 0, ids, ngrams, passage);
      favour_kept(logp, 0, ids, passage);
      if (o.method == "greedy") {
        tok = logp.argmax(1).item<int64_t>();
      } else {
        auto p = torch::softmax(logp / std::max(1e-3f, o.temperature), 1).contiguous();
        const float* pp = p.data_ptr<float>();
        std::uniform_real_distribution<double> u(0.0, 1.0);
        double r = u(rng), acc = 0;
        tok = Vocabulary::kEos;
        for (int i = 0; i < vocab; ++i) {
          acc += pp[i];
          if (r < acc) {
            tok = i;
            break;
          }
        }
      }
      if (tok == Vocabulary::kEos) break;
      ids.push_back(static_cast<int>(tok));
    }
    return ids;
  }
  if (o.method != "beam") throw UnsupportedError("unknown decoding method \"" + o.method + "\" (greedy, sample or beam)");
  const int width = std::max(1, std::min(o.beam, 64));
  struct Hyp {
    std::vector<int> ids;
    float logp = 0;
  };
  std::vector<Hyp> live{Hyp{}};
  std::vector<std::pair<float, std::vector<int>>> done;
  auto h = b.init(thought, role);
  for (int t = 0; t < max_tokens && !live.empty(); ++t) {
    const long k = static_cast<long>(live.size());
    std::vector<int64_t> last(k);
    for (long i = 0; i < k; ++i) last[i] = live[i].ids.empty() ? Vocabulary::kBos : live[i].ids.back();
    auto last_t = torch::tensor(last);
    auto [logp, h2] = b.step(last_t, h, thought.expand({k, -1}), role.expand({k}));
    logp = logp.clone();
    if (generic.active(t)) generic.apply(b, logp, last_t);
    block_specials(logp, t > 0);
    for (long i = 0; i < k; ++i) {
      block_repeats(logp, i, live[i].ids, o.no_repeat_ngram);
      block_passage(logp, i, live[i].ids, ngrams, passage);
      favour_kept(logp, i, live[i].ids, passage);
    }
    std::vector<float> base(k);
    for (long i = 0; i < k; ++i) base[i] = live[i].logp;
    auto total = logp + torch::tensor(base).view({k, 1});
    auto [vals, idx] = total.view({-1}).topk(std::min<long>(2L * width, total.numel()));
    auto va = vals.accessor<float, 1>();
    auto ia = idx.accessor<int64_t, 1>();
    std::vector<Hyp> next;
    std::vector<int64_t> parents;
    for (long c = 0; c < va.size(0) && static_cast<int>(next.size()) < width; ++c) {
      if (!std::isfinite(va[c])) break;
      const long parent = ia[c] / vocab;
      const int tok = static_cast<int>(ia[c] % vocab);
      if (tok == Vocabulary::kEos) {
        done.emplace_back(va[c] / length_norm(static_cast<int>(live[parent].ids.size()) + 1, o.length_penalty),
                          live[parent].ids);
        continue;
      }
      Hyp hyp{live[parent].ids, va[c]};
      hyp.ids.push_back(tok);
      next.push_back(std::move(hyp));
      parents.push_back(parent);
    }
    if (static_cast<int>(done.size()) >= width) break;
    live = std::move(next);
    if (!live.empty()) {
      const auto p = torch::tensor(parents);
      h = h2.index_select(1, p);
      if (generic.active(t + 1)) generic.reorder(p);
    }
  }
  for (const auto& hyp : live)
    done.emplace_back(hyp.logp / length_norm(static_cast<int>(hyp.ids.size()) + 1, o.length_penalty), hyp.ids);
  if (done.empty()) return {};
  return std::max_element(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.first < b.first; })->second;
}

std::vector<std::vector<int>> greedy_batch(Backend& b, const torch::Tensor& thoughts, SentenceRole r, int max_tokens,
                                           int vocab) {
  (void)vocab;
  torch::NoGradGuard ng;
  const long n = thoughts.size(0);
  auto role = torch::full({n}, static_cast<int64_t>(r), torch::kLong);
  auto h = b.init(thoughts, role);
  auto tok = torch::full({n}, int64_t{Vocabulary::kBos}, torch::kLong);
  std::vector<std::vector<int>> out(n);
  std::vector<bool> finished(n, false);
  for (int t = 0; t < max_tokens; ++t) {
    auto [logp, h2] = b.step(tok, h, thoughts, role);
    h = h2;
    logp = logp.clone();
    block_specials(logp, t > 0);
    tok = logp.argmax(1);
    auto ta = tok.accessor<int64_t, 1>();
    bool all = true;
    for (long i = 0; i < n; ++i) {
      if (finished[i]) continue;
      if (ta[i] == Vocabulary::kEos) {
        finished[i] = true;
      } else {
        out[i].push_back(static_cast<int>(ta[i]));
        all = false;
      }
    }
    if (all) break;
  }
  return out;
}

std::pair<long, long> teacher_forced_accuracy(Backend& b, const std::vector<std::vector<int>>& ids, int max_tokens) {
  torch::NoGradGuard ng;
  auto [x, len] = pad_batch(ids, max_tokens);
  auto thought = b.encode(x, len);
  const long n = x.size(0), steps = x.size(1) + 1;
  auto role = torch::full({n}, static_cast<int64_t>(SentenceRole::Self), torch::kLong);
  auto h = b.init(thought, role);
  auto tok = torch::full({n}, int64_t{Vocabulary::kBos}, torch::kLong);
  auto la = len.accessor<int64_t, 1>();
  long correct = 0, count = 0;
  for (long t = 0; t < steps; ++t) {
    auto [logp, h2] = b.step(tok, h, thought, role);
    h = h2;
    auto pred = logp.argmax(1);
    // Target at step t: token t, or the end token right after the last.
    auto target = torch::full({n}, int64_t{Vocabulary::kPad}, torch::kLong);
    auto ta = target.accessor<int64_t, 1>();
    auto xa = x.accessor<int64_t, 2>();
    for (long i = 0; i < n; ++i) {
      if (t < la[i]) ta[i] = xa[i][t];
      else if (t == la[i]) ta[i] = Vocabulary::kEos;
    }
    auto pa = pred.accessor<int64_t, 1>();
    for (long i = 0; i < n; ++i) {
      if (ta[i] == Vocabulary::kPad) continue;
      ++count;
      correct += pa[i] == ta[i] ? 1 : 0;
    }
    tok = target.clamp_min(0);
  }
  return {correct, count};
}

StorytellerSpace::Evaluation evaluate(Backend& b, const Vocabulary& vocab, const std::vector<std::vector<int>>& ids,
                                      int beam, int max_tokens) {
  StorytellerSpace::Evaluation ev;
  ev.sentences = static_cast<long>(ids.size());
  auto words = [&](const std::vector<int>& t) {
    std::vector<std::string> w;
    for (int i : t) w.push_back(vocab.token(i));
    return w;
  };
  std::vector<std::vector<std::string>> refs, greedy, beamed;
  for (const auto& s : ids) refs.push_back(words(s));
  torch::NoGradGuard ng;
  long correct = 0;
  TextDecodeOptions o;
  o.method = "beam";
  o.beam = beam;
  o.max_tokens = max_tokens + 5;
  for (size_t i = 0; i < ids.size(); i += 64) {
    const std::vector<std::vector<int>> chunk(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 64));
    const auto [c, n] = teacher_forced_accuracy(b, chunk, max_tokens);
    correct += c;
    ev.tokens += n;
    auto [x, len] = pad_batch(chunk, max_tokens);
    const auto thoughts = b.encode(x, len);
    for (const auto& g : greedy_batch(b, thoughts, SentenceRole::Self, max_tokens + 5, vocab.size())) greedy.push_back(words(g));
    if (beam <= 0) continue;
    for (long r = 0; r < thoughts.size(0); ++r) {
      const auto out = decode_one(b, thoughts[r], o, vocab.size());
      if (ev.examples.size() < 10) ev.examples.emplace_back(vocab.detokenize(refs[beamed.size()]), vocab.detokenize(out));
      beamed.push_back(words(out));
    }
  }
  ev.token_accuracy = ev.tokens ? static_cast<double>(correct) / static_cast<double>(ev.tokens) : 0.0;
  ev.bleu_greedy = corpus_bleu4(greedy, refs);
  if (beam > 0) ev.bleu_beam = corpus_bleu4(beamed, refs);
  return ev;
}

}  // namespace textnet

// --------------------------------------------------------------- BLAS threads

ScopedBlasThreads::ScopedBlasThreads(int n) {
  set_ = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (n <= 0) n = at::get_num_threads();
  if (set_ && get) {
    saved_ = get();
    set_(n);
  }
}

ScopedBlasThreads::~ScopedBlasThreads() {
  if (set_ && saved_ > 0) set_(saved_);
}

// --------------------------------------------------------------- style vectors

nlohmann::json StyleVector::to_json() const {
  return {{"name", name}, {"vector", vector}, {"default_strength", default_strength}, {"a", a}, {"b", b},
          {"a_sentences", a_sentences}, {"b_sentences", b_sentences}, {"a_examples", a_examples},
          {"b_examples", b_examples}, {"calibration", calibration}};
}

StyleVector StyleVector::from_json(const nlohmann::json& j, const std::string& file) {
  StyleVector s;
  s.name = require_field<std::string>(j, "name", file);
  s.vector = require_field<std::vector<float>>(j, "vector", file);
  s.default_strength = j.value("default_strength", 1.f);
  s.a = j.value("a", "");
  s.b = j.value("b", "");
  s.a_sentences = j.value("a_sentences", 0L);
  s.b_sentences = j.value("b_sentences", 0L);
  s.calibration = j.value("calibration", nlohmann::json());
  s.a_examples = j.value("a_examples", std::vector<std::string>());
  s.b_examples = j.value("b_examples", std::vector<std::string>());
  return s;
}

// --------------------------------------------------------------- the space

struct StorytellerSpace::Impl {
  std::unique_ptr<textnet::Backend> backend;
  std::mutex mutex;  // LibTorch modules are not re-entrant for our use: one call at a time
  int max_tokens = 30;
  // The model's stock lines (StorytellerSpace::stock_lines), found once.
  std::once_flag stock_once;
  std::vector<std::pair<std::vector<int>, int>> stock;  // word ids, and how often of kStockThoughts x 2
  std::vector<char> is_word;                            // per vocabulary id: a word, not punctuation
};

namespace {
constexpr int kStockThoughts = 512;
}

std::vector<std::pair<std::string, double>> StorytellerSpace::stock_lines() const {
  std::call_once(impl_->stock_once, [&] {
    if (!neighbours_) return;
    // Kept beside the model as stock-lines.json, for the model.json it was found with.
    const fs::path cache = fs::path(dir_) / "stock-lines.json";
    uint64_t fingerprint = 1469598103934665603ull;  // FNV-1a of model.json
    try {
      for (unsigned char c : read_whole_file((fs::path(dir_) / "model.json").string(), "model"))
        fingerprint = (fingerprint ^ c) * 1099511628211ull;
    } catch (const Error&) {
    }
    const std::string key = std::to_string(fingerprint);
    try {
      if (fs::exists(cache)) {
        const auto j = read_json_file(cache.string(), "stock lines");
        if (j.value("model_json_fnv1a", std::string()) == key && j.value("thoughts", 0) == kStockThoughts &&
            j.value("passes", 1) == 2) {
          for (const auto& e : j.at("lines")) {
            auto words = e.at("ids").get<std::vector<int>>();
            for (int id : words)
              if (id < 0 || id >= vocab_.size()) throw FormatError(cache.string() + ": a token id out of range");
            impl_->stock.emplace_back(std::move(words), e.at("count").get<int>());
          }
          return;
        }
      }
    } catch (const std::exception&) {
      impl_->stock.clear();  // unreadable: found again below
    }
    // One pass: the next-sentence decoder on `thoughts` [kStockThoughts, dim], greedy for
    // each, and beam search, which has its own favourites ("Yes," she said.), for a
    // quarter of them again, each counted four times. Counted as word ids.
    auto one_pass = [&](const torch::Tensor& thoughts, std::vector<std::vector<int>>* greedy_out) {
      std::vector<std::vector<int>> out;
      {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (int i = 0; i < kStockThoughts; i += 128)
          for (auto& ids : textnet::greedy_batch(*impl_->backend, thoughts.slice(0, i, i + 128), SentenceRole::Next, 30,
                                                 vocab_.size()))
            out.push_back(std::move(ids));
      }
      if (greedy_out) *greedy_out = out;
      TextDecodeOptions beam;
      beam.role = SentenceRole::Next;
      beam.no_repeat_ngram = 3;
      beam.max_tokens = 30;
      std::vector<std::vector<int>> beamed;
      {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (int i = 0; i < kStockThoughts; i += 4)
          beamed.push_back(textnet::decode_one(*impl_->backend, thoughts[i], beam, vocab_.size()));
      }
      for (const auto& ids : beamed)
        for (int k = 0; k < 4; ++k) out.push_back(ids);
      std::map<std::vector<int>, int> count;
      for (const auto& ids : out) {
        std::vector<int> words;
        for (int id : ids)
          if (impl_->is_word[static_cast<size_t>(id)]) words.push_back(id);
        if (!words.empty()) ++count[words];
      }
      return count;
    };
    auto as_tensor = [&](const std::vector<Latent>& zs) {
      auto t = torch::empty({kStockThoughts, info_.dim}, torch::kFloat);
      for (int i = 0; i < kStockThoughts; ++i) std::copy(zs[i].begin(), zs[i].end(), t[i].data_ptr<float>());
      return t;
    };
    // First from thoughts drawn from the training thoughts' normal; then, since a passage
    // goes on from what it wrote, from the thoughts of what the first pass wrote (greedy):
    // the lines a chain falls into after a step ("I don't know what I do").
    std::vector<std::vector<int>> written;
    const std::map<std::vector<int>, int> count = one_pass(as_tensor(sample(kStockThoughts, 1)), &written);
    std::vector<std::string> sentences;
    for (const auto& ids : written) sentences.push_back(vocab_.detokenize(ids));
    std::map<std::vector<int>, int> chained = one_pass(as_tensor(encode_sentences(sentences)), nullptr);
    const size_t decodes = 2 * kStockThoughts;
    // A model that writes few different sentences for all these thoughts (a small corpus
    // learnt by heart) has a repertoire, not stock lines: nothing is banned then.
    // A sentence counts by the pass that writes it most often.
    const bool diverse = count.size() * 4 >= decodes;
    for (const auto& [words, n] : count) chained[words] = std::max(chained[words], n);
    for (const auto& [words, n] : chained)
      if (n >= 2 && diverse) impl_->stock.emplace_back(words, n);
    std::sort(impl_->stock.begin(), impl_->stock.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& [words, n] : impl_->stock)
      lines.push_back({{"ids", words}, {"count", n}, {"text", vocab_.detokenize(words)}});
    try {
      write_file_atomic(cache.string(), nlohmann::json({{"model_json_fnv1a", key}, {"thoughts", kStockThoughts},
                                                        {"passes", 2}, {"decodes", decodes}, {"distinct", count.size()}, {"lines", lines}})
                                                .dump(1) +
                                            "\n");
    } catch (const Error&) {
      // A read-only package: found again next time.
    }
  });
  std::vector<std::pair<std::string, double>> r;
  for (const auto& [words, n] : impl_->stock)
    r.emplace_back(vocab_.detokenize(words), static_cast<double>(n) / (2.0 * kStockThoughts));
  return r;
}

StorytellerSpace::~StorytellerSpace() = default;

std::unique_ptr<StorytellerSpace> StorytellerSpace::load(const std::string& dir, const nlohmann::json& header,
                                                         const StorytellerOptions& options) {
  const std::string file = (fs::path(dir) / "model.json").string();
  std::unique_ptr<StorytellerSpace> s(new StorytellerSpace());
  s->header_ = header;
  s->dir_ = dir;
  const auto text = require_field<nlohmann::json>(header, "text", file);
  s->vocab_ = Vocabulary::load((fs::path(dir) / require_field<std::string>(text, "vocabulary", file)).string());
  const std::string format = text.value("format", "libtorch");
  const int dim = require_field<int>(header, "latent_dim", file);
  s->impl_ = std::make_unique<Impl>();
  s->impl_->max_tokens = text.value("max_tokens", 30);
  s->impl_->is_word.assign(static_cast<size_t>(s->vocab_.size()), 0);
  for (int i = 0; i < s->vocab_.size(); ++i)
    s->impl_->is_word[static_cast<size_t>(i)] = is_word_token(s->vocab_.token(i)) ? 1 : 0;
  s->neighbours_ = text.value("neighbour_decoders", false);
  // Sentence models decode on the CPU whatever the device preference: decoding is a loop
  // of batch-1 steps, latency-bound (the trainer uses CUDA where there is one).
  (void)options;
  if (format == "libtorch") {
    const auto arch = textnet::Arch::from_json(require_field<nlohmann::json>(text, "arch", file), file);
    if (arch.dim != dim) throw FormatError(file + ": latent_dim " + std::to_string(dim) + " differs from arch.dim " + std::to_string(arch.dim));
    if (arch.vocab != s->vocab_.size())
      throw FormatError(file + ": arch.vocab is " + std::to_string(arch.vocab) + " but the vocabulary file has " +
                        std::to_string(s->vocab_.size()) + " entries");
    textnet::SkipThoughtNet net(arch);
    nets::load_weights(*net, (fs::path(dir) / require_field<std::string>(text, "weights", file)).string(),
                       text.value("weights_dtype", "float32") == "float16");
    s->impl_->backend = textnet::native_backend(net);
  } else if (format == "torchscript") {
    s->impl_->backend = textnet::script_backend((fs::path(dir) / require_field<std::string>(text, "encoder", file)).string(),
                                                (fs::path(dir) / require_field<std::string>(text, "decoder", file)).string(), dim);
  } else {
    throw FormatError(file + ": text.format \"" + format + "\" is not libtorch or torchscript");
  }
  s->info_.name = header.value("name", fs::path(dir).filename().string());
  s->info_.kind = "skipthought";
  s->info_.dim = dim;
  s->info_.modality = Modality::Text;
  s->info_.can_encode = s->info_.can_decode = s->info_.can_sample = true;
  s->info_.device = "cpu";
  s->info_.source = dir;
  const auto stats = header.value("thought_stats", nlohmann::json::object());
  s->mean_ = stats.value("mean", std::vector<float>(dim, 0.f));
  s->sd_ = stats.value("sd", std::vector<float>(dim, 0.3f));
  if (static_cast<int>(s->mean_.size()) != dim || static_cast<int>(s->sd_.size()) != dim)
    throw FormatError(file + ": thought_stats.mean and .sd need " + std::to_string(dim) + " values each");
  const fs::path styles = fs::path(dir) / "styles.json";
  if (fs::exists(styles)) {
    const auto j = read_json_file(styles.string(), "the model's style vectors");
    if (!j.is_array()) throw FormatError(styles.string() + ": not a JSON list of style vectors");
    for (const auto& e : j) {
      auto st = StyleVector::from_json(e, styles.string());
      if (static_cast<int>(st.vector.size()) != dim)
        throw FormatError(styles.string() + ": style \"" + st.name + "\" has " + std::to_string(st.vector.size()) +
                          " values, the model " + std::to_string(dim));
      s->styles_.push_back(std::move(st));
    }
  }
  // One encode and decode at once, so a broken file fails here and not in the studio.
  try {
    const auto z = s->encode_text("a test sentence .");
    TextDecodeOptions o;
    o.method = "greedy";
    o.max_tokens = 3;
    s->decode_ids(z, o);
  } catch (const c10::Error& e) {
    throw FormatError(file + ": the model failed a first encode and decode (" +
                      std::string(e.what_without_backtrace()).substr(0, 300) + ")");
  }
  return s;
}

std::vector<Latent> StorytellerSpace::encode_sentences(const std::vector<std::string>& sentences) const {
  std::vector<Latent> out;
  out.reserve(sentences.size());
  std::lock_guard<std::mutex> lock(impl_->mutex);
  torch::NoGradGuard ng;
  for (size_t i = 0; i < sentences.size(); i += 64) {
    std::vector<std::vector<int>> ids;
    for (size_t j = i; j < std::min(sentences.size(), i + 64); ++j) ids.push_back(vocab_.encode(tokenize_sentence(sentences[j])));
    auto [x, len] = textnet::pad_batch(ids, impl_->max_tokens);
    auto t = impl_->backend->encode(x, len).contiguous().to(torch::kFloat);
    for (long r = 0; r < t.size(0); ++r) {
      const float* p = t[r].data_ptr<float>();
      out.emplace_back(p, p + t.size(1));
    }
  }
  return out;
}

Latent StorytellerSpace::encode_text(const std::string& sentence) const { return encode_sentences({sentence}).front(); }

Latent StorytellerSpace::mean_thought(const std::vector<std::string>& sentences) const {
  if (sentences.empty()) throw UnsupportedError("a mean thought needs at least one sentence");
  Latent m(info_.dim, 0.f);
  for (const auto& z : encode_sentences(sentences))
    for (int i = 0; i < info_.dim; ++i) m[i] += z[i];
  for (auto& v : m) v /= static_cast<float>(sentences.size());
  return m;
}

std::vector<int> StorytellerSpace::decode_ids(const Latent& z, const TextDecodeOptions& o) const {
  return decode_ids(z, o, nullptr);
}

std::vector<int> StorytellerSpace::decode_ids(const Latent& z, const TextDecodeOptions& o,
                                              const textnet::PassageContext* passage) const {
  check_latent(z);
  if (o.role != SentenceRole::Self && !neighbours_)
    throw UnsupportedError("model '" + info_.name + "' was trained without the neighbour-sentence decoders");
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto t = torch::from_blob(const_cast<float*>(z.data()), {static_cast<long>(z.size())}, torch::kFloat).clone();
  return textnet::decode_one(*impl_->backend, t, o, vocab_.size(), passage);
}

std::vector<std::vector<int>> StorytellerSpace::greedy_ids(const std::vector<Latent>& zs, int max_tokens) const {
  if (zs.empty()) return {};
  for (const auto& z : zs) check_latent(z);
  auto t = torch::empty({static_cast<long>(zs.size()), info_.dim}, torch::kFloat);
  for (size_t i = 0; i < zs.size(); ++i) std::copy(zs[i].begin(), zs[i].end(), t[static_cast<long>(i)].data_ptr<float>());
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return textnet::greedy_batch(*impl_->backend, t, SentenceRole::Self, max_tokens, vocab_.size());
}

std::string StorytellerSpace::decode_sentence(const Latent& z, const TextDecodeOptions& o) const {
  return vocab_.detokenize(decode_ids(z, o));
}

std::string StorytellerSpace::decode_text(const Latent& z) const { return decode_sentence(z, TextDecodeOptions{}); }

std::vector<std::string> StorytellerSpace::tell(const Latent& z, int sentences, const TextDecodeOptions& o,
                                                const Latent& carry, const PassageOptions& po) const {
  check_latent(z);
  if (sentences > 1 && !neighbours_)
    throw UnsupportedError("model '" + info_.name + "' was trained without the next-sentence decoder, so it "
                           "writes one sentence, not a passage");
  if (po.context < 0.f || po.context > 1.f || po.stock_share < 0.f || po.stock_share > 1.f || po.generic_penalty < 0.f ||
      po.generic_tokens < 0 || po.no_repeat_ngram < 0 || !(po.keep_bonus >= 0.f && po.keep_bonus <= 20.f) || !(po.keep_first >= 0.f && po.keep_first <= 20.f) ||
      po.keep_from < 0)
    throw UnsupportedError("passage settings out of range: context and the stock share must be 0..1, the caption-word bonus "
                           "0..20, and the generic penalty, its words, the passage n-gram size and the word the caption-"
                           "word bonus starts from at least 0");
  textnet::PassageContext ctx;
  ctx.no_repeat_ngram = po.no_repeat_ngram;
  ctx.distinct = po.distinct;
  ctx.generic_penalty = po.generic_penalty;
  ctx.generic_tokens = po.generic_tokens;
  if (po.generic_penalty > 0 && po.generic_tokens > 0)
    ctx.generic_thought = torch::tensor(mean_, torch::kFloat);
  if (po.stock_share > 0 && sentences > 1) {
    stock_lines();
    for (const auto& [words, n] : impl_->stock)
      if (static_cast<double>(n) >= po.stock_share * 2.0 * kStockThoughts) ctx.stock.insert(words);
  }
  ctx.is_word = &impl_->is_word;
  ctx.keep_bonus = po.keep_bonus;
  ctx.keep_from = po.keep_from;
  std::vector<int> keep;  // the caption's words the model knows, once each
  for (const auto& w : po.keep_words) {
    const int id = vocab_.id(w);
    if (id != Vocabulary::kUnk && std::find(keep.begin(), keep.end(), id) == keep.end()) keep.push_back(id);
  }
  // Those the passage holds already are not favoured again.
  auto still_missing = [&] {
    ctx.keep.clear();
    for (int id : keep) {
      bool held = false;
      for (const auto& s : ctx.earlier) held = held || std::find(s.begin(), s.end(), id) != s.end();
      if (!held) ctx.keep.push_back(id);
    }
  };
  std::vector<std::string> out;
  TextDecodeOptions first = o;
  first.role = SentenceRole::Self;
  textnet::PassageContext first_ctx;  // the first sentence: only the caption's words favoured
  first_ctx.keep = keep;
  first_ctx.keep_bonus = po.keep_first;
  first_ctx.keep_from = po.keep_from;
  ctx.earlier.push_back(decode_ids(z, first, po.keep_first > 0 ? &first_ctx : nullptr));
  out.push_back(vocab_.detokenize(ctx.earlier.back()));
  // The passage's thought so far: the mean of the (style-shifted) caption thought and
  // the thoughts of the sentences written after it.
  Latent sum = z;
  int in_sum = 1;
  TextDecodeOptions next = o;
  next.role = SentenceRole::Next;
  for (int i = 1; i < sentences; ++i) {
    const Latent last = encode_text(out.back());
    Latent t(last.size());
    for (size_t k = 0; k < t.size(); ++k)
      t[k] = (1.f - po.context) * last[k] + po.context * sum[k] / static_cast<float>(in_sum) +
             (k < carry.size() ? carry[k] : 0.f);
    next.seed = o.seed + static_cast<uint64_t>(i);
    still_missing();
    ctx.earlier.push_back(decode_ids(t, next, &ctx));
    out.push_back(vocab_.detokenize(ctx.earlier.back()));
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += last[k];
    ++in_sum;
  }
  return out;
}

std::vector<Latent> StorytellerSpace::sample(int n, uint64_t seed) const {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<Latent> out(n, Latent(info_.dim));
  for (auto& z : out)
    for (int i = 0; i < info_.dim; ++i) z[i] = mean_[i] + sd_[i] * g(rng);
  return out;
}

std::vector<float> StorytellerSpace::scale() const { return sd_; }

StorytellerSpace::Evaluation StorytellerSpace::evaluate(const std::vector<std::string>& sentences, int beam,
                                                        int max_tokens) const {
  std::vector<std::vector<int>> ids;
  for (const auto& s : sentences) {
    auto toks = tokenize_sentence(s);
    if (toks.empty()) continue;
    if (static_cast<int>(toks.size()) > max_tokens) toks.resize(max_tokens);
    ids.push_back(vocab_.encode(toks));
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return textnet::evaluate(*impl_->backend, vocab_, ids, beam, max_tokens);
}

void StorytellerSpace::put_style(const StyleVector& style, bool save) {
  check_latent(style.vector);
  auto it = std::find_if(styles_.begin(), styles_.end(), [&](const StyleVector& s) { return s.name == style.name; });
  if (it != styles_.end()) *it = style;
  else styles_.push_back(style);
  if (save) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : styles_) j.push_back(s.to_json());
    write_file_atomic((fs::path(dir_) / "styles.json").string(), j.dump() + "\n");
  }
}

// --------------------------------------------------------------- styles

void calibrate_style(const StorytellerSpace& space, StyleVector& style, const std::vector<std::string>& probe,
                     const std::vector<float>& strengths, const ProgressFn& progress) {
  if (probe.empty()) throw UnsupportedError("calibrating a style needs probe sentences (captions)");
  const auto thoughts = space.encode_sentences(probe);
  std::vector<std::vector<std::string>> sources;
  for (const auto& p : probe) sources.push_back(tokenize_sentence(p));
  TextDecodeOptions o;
  o.method = "greedy";
  struct Row {
    float strength;
    double novel_likeness, content_kept, wordless;
  };
  auto measure = [&](float s) {
    double nl = 0, kept = 0;
    long worded = 0;
    for (size_t i = 0; i < probe.size(); ++i) {
      Latent z = thoughts[i];
      for (size_t d = 0; d < z.size(); ++d) z[d] += s * style.vector[d];
      std::vector<std::string> out;
      for (int id : space.decode_ids(z, o)) out.push_back(space.vocabulary().token(id));
      kept += content_kept(sources[i], out);
      if (std::none_of(out.begin(), out.end(), is_word_token)) continue;
      nl += novel_likeness(space.vocabulary(), out);
      ++worded;
    }
    // Decodes without a single word have no style to measure: they are left out of the
    // mean, and a strength where more than a fifth are wordless is not offered.
    return Row{s, worded ? nl / static_cast<double>(worded) : -99.0, kept / static_cast<double>(probe.size()),
               1.0 - static_cast<double>(worded) / static_cast<double>(probe.size())};
  };
  std::vector<Row> rows;
  const size_t total = strengths.size() + 3;
  for (size_t k = 0; k < strengths.size(); ++k) {
    rows.push_back(measure(strengths[k]));
    if (progress && !progress(static_cast<float>(k + 1) / static_cast<float>(total), "calibrating")) throw Cancelled();
  }
  // Where the mean novel-likeness crosses 0 between two strengths, three more in between
  // (quarters), so that the default sits close to the crossing.
  for (size_t k = 1; k < rows.size(); ++k) {
    if (rows[k - 1].novel_likeness < 0 && rows[k].novel_likeness >= 0 && rows[k].wordless <= 0.2) {
      const float lo = rows[k - 1].strength, hi = rows[k].strength;
      for (int q = 1; q <= 3; ++q) {
        rows.push_back(measure(lo + (hi - lo) * static_cast<float>(q) / 4.f));
        if (progress && !progress(static_cast<float>(strengths.size() + q) / static_cast<float>(total), "calibrating"))
          throw Cancelled();
      }
      break;
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.strength < b.strength; });
  nlohmann::json table = nlohmann::json::array();
  float chosen = -1, best_s = strengths.empty() ? 1.f : strengths.front();
  double best_score = -1e9;
  for (const auto& r : rows) {
    table.push_back({{"strength", r.strength}, {"novel_likeness", r.novel_likeness}, {"content_kept", r.content_kept},
                     {"wordless_share", r.wordless}});
    const bool eligible = r.wordless <= 0.2;
    if (chosen < 0 && eligible && r.novel_likeness >= 0) chosen = r.strength;
    if (eligible && r.novel_likeness > best_score) {
      best_score = r.novel_likeness;
      best_s = r.strength;
    }
  }
  style.default_strength = chosen >= 0 ? chosen : best_s;
  style.calibration = {{"probe_sentences", probe.size()}, {"decoding", "greedy"}, {"table", table},
                       {"rule", "smallest strength whose mean novel-likeness is >= 0, with at most a fifth of decodes "
                                "wordless (refined to quarters between the two strengths around the crossing)"}};
}

StyleVector make_style(const StorytellerSpace& space, const std::string& name, const std::vector<std::string>& a,
                       const std::vector<std::string>& b, const std::vector<std::string>& probe,
                       const std::string& a_source, const std::string& b_source, const ProgressFn& progress) {
  if (a.empty() || b.empty()) throw UnsupportedError("a style vector needs sentences on both sides (A and B)");
  if (progress && !progress(0.f, "encoding")) throw Cancelled();
  const Latent ma = space.mean_thought(a), mb = space.mean_thought(b);
  StyleVector s;
  s.name = name;
  s.vector.resize(ma.size());
  for (size_t i = 0; i < ma.size(); ++i) s.vector[i] = ma[i] - mb[i];
  s.a = a_source;
  s.b = b_source;
  s.a_sentences = static_cast<long>(a.size());
  s.b_sentences = static_cast<long>(b.size());
  s.a_examples.assign(a.begin(), a.begin() + std::min<size_t>(100, a.size()));
  s.b_examples.assign(b.begin(), b.begin() + std::min<size_t>(100, b.size()));
  if (!probe.empty()) calibrate_style(space, s, probe, {0.f, 0.25f, 0.5f, 0.75f, 1.f, 1.25f, 1.5f, 2.f, 2.5f, 3.f}, progress);
  return s;
}

}  // namespace latent
