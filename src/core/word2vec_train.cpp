// Word vectors by skip-gram with negative sampling (Mikolov et al. 2013), as in the
// original word2vec C tool and gensim:
//
//  - Tokens: tokenize() below (lower-cased words; see the header and the comments there).
//  - Sentences: each file's token stream cut into consecutive chunks of 1000 tokens
//    (line breaks are ignored: the books are hard-wrapped at ~70 characters, so lines are
//    not sentences; a file's end always ends a chunk). This is what word2vec.c does with
//    text that has no newlines and what gensim's Text8Corpus does; a corpus written with
//    one chunk per line reads the same in gensim's LineSentence / PathLineSentences.
//  - Vocabulary: words seen >= min_count times, by descending count (ties: first seen).
//    Out-of-vocabulary tokens are dropped from the sentences before the window is applied.
//  - Frequent-word subsampling (sample): a word of count c is kept with probability
//    (sqrt(c / t) + 1) * t / c, t = sample * (tokens kept in the vocabulary), drawn afresh
//    in every epoch (word2vec.c and gensim's formula).
//  - For each kept word w at position i, an effective window b is drawn in 1..window and
//    each context word c within b positions trains the pair: syn0[c] against syn1neg[w]
//    (label 1) and `negative` words drawn from unigram^0.75 (label 0; a draw equal to w is
//    skipped). The sigmoid comes from word2vec.c's 1000-entry table over [-6, 6].
//  - Learning rate: alpha decays linearly to min_alpha over epochs x corpus tokens.
//  - Threads: Hogwild (lock-free shared updates). The corpus is cut into jobs of 10
//    sentences (about 10,000 tokens) and the threads take the next job, epoch after epoch,
//    from a shared counter (gensim's scheme). word2vec.c gives each thread a fixed slice
//    instead, which makes the whole run wait for its slowest thread when another program
//    shares a core.
//
// Implementation choices for speed (same model, same updates):
//  - Rows are padded to a multiple of 8 floats and 32-byte aligned, so the inner loops
//    are whole 8-float vectors (the padding stays zero). The kernel is built for AVX2+FMA
//    and for plain x86-64, picked at run time (GCC target_clones).
//  - The 1 + negative dot products of a pair are computed first, then the updates: this
//    is exactly the sequential update unless the same word is drawn twice for one pair.
//  - Negative words come from an alias table (Walker's method) over unigram^0.75: exact
//    probabilities, O(1) per draw, and small enough to stay in cache (word2vec.c uses a
//    1e8-entry table, gensim a binary search over the cumulative table).
//  - Random numbers: wyrand (64-bit), one stream per thread, seeded from `seed`.
#include "latent/word2vec_train.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "latent/errors.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

// ------------------------------------------------------------------ tokenizer

// Non-ASCII code points are parts of words (letters with accents, etc.) except these
// punctuation and symbol blocks: Latin-1 punctuation and symbols (U+0080-U+00BF, the
// multiplication and division signs), General Punctuation through Miscellaneous Symbols
// and Arrows (U+2000-U+2BFF: spaces, dashes, curly quotes, ellipsis, currency, arrows,
// maths, box drawing, dingbats), Supplemental Punctuation, CJK punctuation, small and
// full-width forms' punctuation, the BOM and the Specials block (U+FFFD, the stand-in for
// invalid UTF-8).
bool is_separator_cp(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
         (cp >= 0x2E00 && cp <= 0x2E7F) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE10 && cp <= 0xFE6F) ||
         (cp >= 0xFF01 && cp <= 0xFF0F) || cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF);
}

// Lower case for ASCII, Latin-1 capitals (U+00C0-U+00DE but the multiplication sign) and
// the OE ligature; other code points are kept as they are.
uint32_t lower_cp(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp == 0x152) return 0x153;
  return cp;
}

void append_utf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one UTF-8 code point at s[i] (n bytes in all); sets `len`. Invalid or truncated
// sequences, overlong forms and surrogates decode as U+FFFD of length 1.
uint32_t decode_utf8(const unsigned char* s, size_t i, size_t n, int& len) {
  const unsigned c = s[i];
  len = 1;
  if (c < 0x80) return c;
  int need;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) need = 1, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) need = 2, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) need = 3, cp = c & 0x07, min = 0x10000;
  else return 0xFFFD;
  if (i + need >= n) return 0xFFFD;  // truncated
  for (int k = 1; k <= need; ++k) {
    const unsigned b = s[i + k];
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  len = need + 1;
  return cp;
}

// Calls emit(const std::string&) for each token of s[0..n). `tok` is a scratch buffer.
template <class Emit>
void for_each_token(const char* text, size_t n, std::string& tok, Emit&& emit) {
  const auto* s = reinterpret_cast<const unsigned char*>(text);
  tok.clear();
  bool pending_apostrophe = false;  // an apostrophe after a word, kept if a word character follows
  size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    if (c < 0x80) {  // fast path for ASCII
      ++i;
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        if (pending_apostrophe) tok += '\'', pending_apostrophe = false;
        tok += static_cast<char>(c);
      } else if (c >= 'A' && c <= 'Z') {
        if (pending_apostrophe) tok += '\'', pending_apostrophe = false;
        tok += static_cast<char>(c + 32);
      } else if (c == '\'' && !tok.empty() && !pending_apostrophe) {
        pending_apostrophe = true;
      } else {
        if (!tok.empty()) emit(tok);
        tok.clear();
        pending_apostrophe = false;
      }
      continue;
    }
    int len;
    const uint32_t cp = decode_utf8(s, i, n, len);
    i += len;
    if (cp == 0x2019 && !tok.empty() && !pending_apostrophe) {  // right single quote as apostrophe
      pending_apostrophe = true;
    } else if (is_separator_cp(cp)) {
      if (!tok.empty()) emit(tok);
      tok.clear();
      pending_apostrophe = false;
    } else {
      if (pending_apostrophe) tok += '\'', pending_apostrophe = false;
      append_utf8(tok, lower_cp(cp));
    }
  }
  if (!tok.empty()) emit(tok);
  tok.clear();
}

// ------------------------------------------------------------------ corpus

constexpr int kSentenceTokens = 1000;
constexpr int64_t kChunkSentences = 10;  // sentences per training job

struct Corpus {
  std::vector<std::string> words;     // by first occurrence (provisional ids)
  std::vector<int64_t> counts;        // per provisional id
  std::vector<int32_t> ids;           // the token stream, provisional ids
  std::vector<int64_t> sentence_end;  // end offset (into ids) of each sentence
};

std::vector<std::string> list_corpus_files(const std::vector<std::string>& corpus) {
  std::vector<std::string> files;
  if (corpus.empty()) throw UnsupportedError("word2vec training needs at least one corpus file or folder");
  for (const auto& p : corpus) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) throw IoError(p + ": no such file or folder");
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(p, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".txt") found.push_back(e.path().string());
      }
      if (ec) throw IoError(p + ": cannot list the folder: " + ec.message());
      if (found.empty()) throw FormatError(p + ": the folder has no .txt files");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  return files;
}

void report(const ProgressFn& progress, float fraction, const std::string& stage) {
  if (progress && !progress(fraction, stage)) throw Cancelled();
}

Corpus read_corpus(const std::vector<std::string>& files, const ProgressFn& progress) {
  Corpus c;
  std::unordered_map<std::string, int32_t> index;
  index.reserve(1 << 17);
  std::string text, tok;
  for (size_t f = 0; f < files.size(); ++f) {
    report(progress, static_cast<float>(f) / files.size(), "reading " + fs::path(files[f]).filename().string());
    std::ifstream in(files[f], std::ios::binary);
    if (!in) throw IoError(files[f] + ": cannot open the file");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw IoError(files[f] + ": cannot read the file");
    text = ss.str();
    int in_sentence = 0;
    for_each_token(text.data(), text.size(), tok, [&](const std::string& w) {
      auto it = index.find(w);
      int32_t id;
      if (it == index.end()) {
        id = static_cast<int32_t>(c.words.size());
        index.emplace(w, id);
        c.words.push_back(w);
        c.counts.push_back(0);
      } else {
        id = it->second;
      }
      ++c.counts[id];
      c.ids.push_back(id);
      if (++in_sentence == kSentenceTokens) {
        c.sentence_end.push_back(static_cast<int64_t>(c.ids.size()));
        in_sentence = 0;
      }
    });
    if (in_sentence > 0) c.sentence_end.push_back(static_cast<int64_t>(c.ids.size()));
  }
  if (c.ids.empty()) {
    std::string names;
    for (size_t f = 0; f < files.size() && f < 5; ++f) names += (f ? ", " : "") + files[f];
    if (files.size() > 5) names += ", ...";
    throw FormatError("the corpus has no words: " + names);
  }
  return c;
}

// ------------------------------------------------------------------ training kernel

typedef float v8f __attribute__((vector_size(32)));

// 64-byte aligned, zeroed storage for n 8-float vectors (std::vector does not promise
// the 32-byte alignment of v8f everywhere).
struct AlignedVecs {
  v8f* p = nullptr;
  explicit AlignedVecs(size_t n) {
    const size_t bytes = std::max<size_t>(64, (n * sizeof(v8f) + 63) / 64 * 64);
    p = static_cast<v8f*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    std::memset(static_cast<void*>(p), 0, bytes);
  }
  ~AlignedVecs() { std::free(p); }
  AlignedVecs(const AlignedVecs&) = delete;
  AlignedVecs& operator=(const AlignedVecs&) = delete;
  v8f* data() const { return p; }
};

constexpr int kExpTableSize = 1000;
constexpr float kMaxExp = 6.f;

// wyrand: fast, good 64-bit generator (one stream per thread).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  inline uint64_t next() {
    s += 0xa0761d6478bd642fULL;
    const __uint128_t t = static_cast<__uint128_t>(s) * (s ^ 0xe7037ed1a0b428dbULL);
    return static_cast<uint64_t>(t >> 64) ^ static_cast<uint64_t>(t);
  }
  // Uniform in [0, n).
  inline uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
};

struct Shared {
  // corpus (final ids, out-of-vocabulary tokens removed)
  const int32_t* ids = nullptr;
  const int64_t* sent_begin = nullptr;  // nsent + 1 offsets into ids
  const int32_t* sent_raw = nullptr;    // raw tokens in each sentence (with OOV), for progress
  // model
  v8f* syn0 = nullptr;
  v8f* syn1 = nullptr;
  int n8 = 0;  // 8-float vectors per row
  // sampling
  const uint32_t* keep = nullptr;  // subsampling: keep word w if keep[w] >= rand32
  const uint32_t* alias_prob = nullptr;
  const int32_t* alias = nullptr;
  uint32_t vocab = 0;
  const float* exp_table = nullptr;
  // schedule
  int window = 5, negative = 5, epochs = 1;
  float alpha0 = 0.025f, min_alpha = 0.0001f;
  double total_words = 1;  // epochs x corpus tokens
  int64_t sentences = 0, chunks = 0;
  std::atomic<int64_t> next_job{0};
  std::atomic<int64_t> words_done{0};
  std::atomic<bool> stop{false};
};

// One thread's work: jobs taken in order from a shared counter until none is left. Job j
// is chunk j % chunks of epoch j / chunks (a chunk is kChunkSentences consecutive
// sentences, about 10,000 tokens, like gensim's batches), so a thread slowed by other
// load on its core simply does fewer jobs. The learning rate is set at the start of
// each job from the words done so far. Built for AVX2+FMA and for baseline x86-64; the
// loader picks the best the CPU runs.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#endif
void train_worker(Shared* sh, uint64_t seed) {
  Rng rng(seed);
  const int n8 = sh->n8, window = sh->window, negative = sh->negative;
  v8f* const syn0 = sh->syn0;
  v8f* const syn1 = sh->syn1;
  const uint32_t vocab = sh->vocab;
  const float* const expt = sh->exp_table;
  std::vector<int32_t> sen(kSentenceTokens);
  AlignedVecs neu_buf(n8);
  v8f* const neu = neu_buf.data();
  std::vector<int32_t> target(negative + 1);
  std::vector<float> g(negative + 1);
  const int64_t chunks = sh->chunks, jobs = chunks * sh->epochs;

  for (;;) {
    if (sh->stop.load(std::memory_order_relaxed)) return;
    const int64_t job = sh->next_job.fetch_add(1, std::memory_order_relaxed);
    if (job >= jobs) return;
    const int64_t chunk = job % chunks;
    const int64_t s0 = chunk * kChunkSentences, s1 = std::min(s0 + kChunkSentences, sh->sentences);
    float alpha = sh->alpha0 - (sh->alpha0 - sh->min_alpha) *
                                   static_cast<float>(sh->words_done.load(std::memory_order_relaxed) / sh->total_words);
    if (alpha < sh->min_alpha) alpha = sh->min_alpha;
    int64_t raw = 0;
    for (int64_t s = s0; s < s1; ++s) {
      raw += sh->sent_raw[s];
      // Subsample the sentence.
      int len = 0;
      for (int64_t k = sh->sent_begin[s]; k < sh->sent_begin[s + 1]; ++k) {
        const int32_t w = sh->ids[k];
        if (sh->keep[w] < static_cast<uint32_t>(rng.next())) continue;
        sen[len++] = w;
      }
      for (int i = 0; i < len; ++i) {
        const int32_t w = sen[i];
        const int b = static_cast<int>(rng.below(static_cast<uint32_t>(window)));  // reduced window
        const int j0 = std::max(0, i - window + b), j1 = std::min(len, i + window + 1 - b);
        // Negatives per pair are drawn in the pair's order, as word2vec.c does.
        for (int j = j0; j < j1; ++j) {
          if (j == i) continue;
          v8f* const l1 = syn0 + static_cast<int64_t>(sen[j]) * n8;
          int nt = 0;
          target[nt++] = w;
          for (int d = 0; d < negative; ++d) {
            const uint64_t r = rng.next();
            uint32_t t = static_cast<uint32_t>(((r >> 32) * vocab) >> 32);
            if (static_cast<uint32_t>(r) >= sh->alias_prob[t]) t = static_cast<uint32_t>(sh->alias[t]);
            if (static_cast<int32_t>(t) == w) continue;
            target[nt++] = static_cast<int32_t>(t);
          }
          // Dot products first (independent: the CPU overlaps them).
          for (int d = 0; d < nt; ++d) {
            const v8f* l2 = syn1 + static_cast<int64_t>(target[d]) * n8;
            v8f a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0;
            int k = 0;
            for (; k + 1 < n8; k += 2) {
              a0 += l1[k] * l2[k];
              a1 += l1[k + 1] * l2[k + 1];
            }
            if (k < n8) a0 += l1[k] * l2[k];
            a0 += a1;
            const float f = ((a0[0] + a0[4]) + (a0[1] + a0[5])) + ((a0[2] + a0[6]) + (a0[3] + a0[7]));
            const float label = d == 0 ? 1.f : 0.f;
            float sig;
            if (f >= kMaxExp) sig = 1.f;
            else if (f <= -kMaxExp) sig = 0.f;
            else sig = expt[static_cast<int>((f + kMaxExp) * (kExpTableSize / kMaxExp / 2))];
            g[d] = (label - sig) * alpha;
          }
          // neu1e += g * l2; l2 += g * l1; then l1 += neu1e.
          {
            const float gd = g[0];
            v8f* l2 = syn1 + static_cast<int64_t>(target[0]) * n8;
            for (int k = 0; k < n8; ++k) {
              neu[k] = gd * l2[k];
              l2[k] += gd * l1[k];
            }
          }
          for (int d = 1; d < nt; ++d) {
            const float gd = g[d];
            v8f* l2 = syn1 + static_cast<int64_t>(target[d]) * n8;
            for (int k = 0; k < n8; ++k) {
              neu[k] += gd * l2[k];
              l2[k] += gd * l1[k];
            }
          }
          for (int k = 0; k < n8; ++k) l1[k] += neu[k];
        }
      }
    }
    sh->words_done.fetch_add(raw, std::memory_order_relaxed);
  }
}

// Walker's alias table for probabilities proportional to weights.
void build_alias(const std::vector<double>& weights, std::vector<uint32_t>& prob, std::vector<int32_t>& alias) {
  const size_t n = weights.size();
  prob.assign(n, 0);
  alias.assign(n, 0);
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<double> p(n);
  std::vector<int32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    p[i] = weights[i] * n / sum;
    (p[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back(), l = large.back();
    small.pop_back();
    alias[s] = l;
    prob[s] = static_cast<uint32_t>(std::min(p[s] * 4294967296.0, 4294967295.0));
    p[l] -= 1.0 - p[s];
    if (p[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (int32_t i : large) prob[i] = 0xFFFFFFFFu, alias[i] = i;
  for (int32_t i : small) prob[i] = 0xFFFFFFFFu, alias[i] = i;  // rounding leftovers
}

std::string format_rate(double wps) {
  char buf[64];
  if (wps >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM words/s", wps / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0fk words/s", wps / 1e3);
  return buf;
}

void put_f32_le(std::string& out, float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  const char b[4] = {static_cast<char>(u & 0xFF), static_cast<char>((u >> 8) & 0xFF),
                     static_cast<char>((u >> 16) & 0xFF), static_cast<char>((u >> 24) & 0xFF)};
  out.append(b, 4);
}

}  // namespace

std::vector<std::string> tokenize(const std::string& line) {
  std::vector<std::string> out;
  std::string tok;
  for_each_token(line.data(), line.size(), tok, [&](const std::string& w) { out.push_back(w); });
  return out;
}

Word2VecStats train_word2vec(const std::vector<std::string>& corpus_paths, const Word2VecOptions& o,
                             const std::string& out_path, const ProgressFn& progress) {
  if (o.dim < 1 || o.dim > 10000) throw UnsupportedError("--dim must be in 1..10000, not " + std::to_string(o.dim));
  if (o.window < 1) throw UnsupportedError("--window must be at least 1, not " + std::to_string(o.window));
  if (o.negative < 1 || o.negative > 100)
    throw UnsupportedError("--negative must be in 1..100 (only negative sampling is implemented), not " +
                           std::to_string(o.negative));
  if (o.min_count < 1) throw UnsupportedError("--min-count must be at least 1, not " + std::to_string(o.min_count));
  if (o.epochs < 1) throw UnsupportedError("--epochs must be at least 1, not " + std::to_string(o.epochs));
  if (o.threads < 1 || o.threads > 1024)
    throw UnsupportedError("--threads must be in 1..1024, not " + std::to_string(o.threads));
  if (!(o.sample >= 0)) throw UnsupportedError("--sample must be >= 0");
  if (!(o.alpha > 0) || !(o.min_alpha >= 0)) throw UnsupportedError("--alpha must be > 0 and min_alpha >= 0");

  // ---- read and count
  const std::vector<std::string> files = list_corpus_files(corpus_paths);
  Corpus c = read_corpus(files, progress);
  report(progress, 1.f, "building the vocabulary");

  const size_t nprov = c.words.size();
  std::vector<int32_t> order(nprov);
  for (size_t i = 0; i < nprov; ++i) order[i] = static_cast<int32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return c.counts[a] > c.counts[b]; });
  std::vector<int32_t> final_id(nprov, -1);
  std::vector<int32_t> vocab_words;  // provisional ids of the kept words, in final order
  for (int32_t p : order) {
    if (c.counts[p] < o.min_count) break;
    final_id[p] = static_cast<int32_t>(vocab_words.size());
    vocab_words.push_back(p);
  }
  const int64_t corpus_words = static_cast<int64_t>(c.ids.size());
  if (vocab_words.empty())
    throw FormatError("no word occurs " + std::to_string(o.min_count) + " times in the corpus (" +
                      std::to_string(corpus_words) + " tokens in " + std::to_string(files.size()) +
                      " files): lower --min-count");
  const uint32_t V = static_cast<uint32_t>(vocab_words.size());

  // Remap the stream, dropping out-of-vocabulary tokens; sentences keep their raw sizes.
  const size_t nsent = c.sentence_end.size();
  std::vector<int64_t> sent_begin(nsent + 1, 0);
  std::vector<int32_t> sent_raw(nsent);
  {
    int64_t w = 0, start = 0;
    for (size_t s = 0; s < nsent; ++s) {
      sent_begin[s] = w;
      const int64_t end = c.sentence_end[s];
      sent_raw[s] = static_cast<int32_t>(end - start);
      for (int64_t k = start; k < end; ++k) {
        const int32_t id = final_id[c.ids[k]];
        if (id >= 0) c.ids[w++] = id;
      }
      start = end;
    }
    sent_begin[nsent] = w;
    c.ids.resize(w);
    c.ids.shrink_to_fit();
  }
  std::vector<int64_t> vcount(V);
  int64_t retained = 0;
  for (uint32_t i = 0; i < V; ++i) retained += vcount[i] = c.counts[vocab_words[i]];

  // Subsampling thresholds (word2vec.c / gensim).
  std::vector<uint32_t> keep(V, 0xFFFFFFFFu);
  if (o.sample > 0) {
    const double t = o.sample * static_cast<double>(retained);
    for (uint32_t i = 0; i < V; ++i) {
      const double cnt = static_cast<double>(vcount[i]);
      const double p = (std::sqrt(cnt / t) + 1.0) * t / cnt;
      keep[i] = p >= 1.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(p * 4294967296.0);
    }
  }
  // Negative sampling: unigram^0.75.
  std::vector<uint32_t> alias_prob;
  std::vector<int32_t> alias;
  {
    std::vector<double> wts(V);
    for (uint32_t i = 0; i < V; ++i) wts[i] = std::pow(static_cast<double>(vcount[i]), 0.75);
    build_alias(wts, alias_prob, alias);
  }
  std::vector<float> exp_table(kExpTableSize);
  for (int i = 0; i < kExpTableSize; ++i) {
    const double e = std::exp((i / static_cast<double>(kExpTableSize) * 2 - 1) * kMaxExp);
    exp_table[i] = static_cast<float>(e / (e + 1));
  }

  // ---- model: syn0 uniform in [-0.5, 0.5) / dim, syn1neg zero; rows padded to 8 floats.
  const int n8 = (o.dim + 7) / 8;
  AlignedVecs syn0(static_cast<size_t>(V) * n8), syn1(static_cast<size_t>(V) * n8);
  {
    Rng rng(o.seed * 0x9E3779B97F4A7C15ULL + 0x5151);
    float* p = reinterpret_cast<float*>(syn0.data());
    for (size_t r = 0; r < V; ++r)
      for (int k = 0; k < n8 * 8; ++k)
        p[r * n8 * 8 + k] =
            k < o.dim ? static_cast<float>(((rng.next() >> 40) / 16777216.0 - 0.5) / o.dim) : 0.f;
  }

  // ---- train
  Shared sh;
  sh.ids = c.ids.data();
  sh.sent_begin = sent_begin.data();
  sh.sent_raw = sent_raw.data();
  sh.syn0 = syn0.data();
  sh.syn1 = syn1.data();
  sh.n8 = n8;
  sh.keep = keep.data();
  sh.alias_prob = alias_prob.data();
  sh.alias = alias.data();
  sh.vocab = V;
  sh.exp_table = exp_table.data();
  sh.window = o.window;
  sh.negative = o.negative;
  sh.epochs = o.epochs;
  sh.alpha0 = o.alpha;
  sh.min_alpha = std::min(o.min_alpha, o.alpha);
  sh.total_words = static_cast<double>(o.epochs) * static_cast<double>(corpus_words);

  sh.sentences = static_cast<int64_t>(nsent);
  sh.chunks = (sh.sentences + kChunkSentences - 1) / kChunkSentences;
  // Never more threads than asked (nor than jobs).
  const int nthreads = static_cast<int>(std::min<int64_t>(o.threads, sh.chunks * o.epochs));

  report(progress, 0.f, "training");
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> running{nthreads};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> workers;
  workers.reserve(nthreads);
  for (int t = 0; t < nthreads; ++t) {
    workers.emplace_back([&, t] {
      try {
        train_worker(&sh, o.seed * 0x2545F4914F6CDD1DULL + 0x1234567ULL * (t + 1));
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        sh.stop = true;
      }
      running.fetch_sub(1);
    });
  }
  bool cancelled = false;
  auto last_report = t0;
  const auto interval = std::chrono::duration<double>(std::max(0.0, o.progress_interval));
  const auto nap = std::chrono::duration<double>(std::min(0.05, std::max(0.001, o.progress_interval)));
  while (running.load() > 0) {
    std::this_thread::sleep_for(nap);
    const auto now = std::chrono::steady_clock::now();
    if (progress && !cancelled && now - last_report >= interval) {
      last_report = now;
      const double done = static_cast<double>(sh.words_done.load());
      const double secs = std::chrono::duration<double>(now - t0).count();
      if (!progress(static_cast<float>(std::min(1.0, done / sh.total_words)),
                    "training, " + format_rate(done / secs))) {
        cancelled = true;
        sh.stop = true;
      }
    }
  }
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (failure) std::rethrow_exception(failure);
  if (cancelled) throw Cancelled();

  Word2VecStats st;
  st.vocab_size = static_cast<long>(V);
  st.corpus_words = static_cast<long>(corpus_words);
  st.trained_words = static_cast<long>(corpus_words * o.epochs);
  st.seconds = seconds;
  st.words_per_second = seconds > 0 ? st.trained_words / seconds : 0;
  report(progress, 1.f, "training, " + format_rate(st.words_per_second));

  // ---- write (word2vec binary: "V D\n", then "word " + D little-endian float32 + "\n")
  report(progress, 1.f, "writing " + fs::path(out_path).filename().string());
  const std::string tmp = out_path + ".tmp";
  {
    const fs::path parent = fs::path(out_path).parent_path();
    std::error_code ec;
    if (!parent.empty()) fs::create_directories(parent, ec);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(out_path + ": cannot create the file");
    std::string buf = std::to_string(V) + " " + std::to_string(o.dim) + "\n";
    const float* p = reinterpret_cast<const float*>(syn0.data());
    for (uint32_t i = 0; i < V; ++i) {
      buf += c.words[vocab_words[i]];
      buf += ' ';
      for (int k = 0; k < o.dim; ++k) put_f32_le(buf, p[static_cast<size_t>(i) * n8 * 8 + k]);
      buf += '\n';
      if (buf.size() > (1 << 20)) {
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
      }
    }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw IoError(out_path + ": cannot write the file (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, out_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(out_path + ": cannot move the written file into place: " + ec.message());
  }
  return st;
}

}  // namespace latent
