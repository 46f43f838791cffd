#pragma once
// Word vectors: word2vec binary and text, GloVe text, fastText .vec, and a native cache
// (.lsv) that opens by memory-mapping. Queries: neighbours by cosine, similarity,
// analogies (3CosAdd, 3CosMul), weighted expressions, "which doesn't belong".
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "latent/types.h"
#include "latent/space.h"

namespace latent {

enum class VectorFormat { Auto, Word2VecBinary, Word2VecText, GloveText, Native };
const char* to_string(VectorFormat f);

enum class Storage { Float32, Float16 };

struct WordVectorsOptions {
  VectorFormat format = VectorFormat::Auto;  // Auto: by extension and content
  long limit = 0;                            // keep only the first N words (0: all)
  Storage storage = Storage::Float32;        // in-memory precision of loaded vectors
  bool use_cache = true;                     // open a fresh native cache instead, if there is one
  bool write_cache = false;                  // after loading an original file, write its cache
  ProgressFn progress;
};

struct RankedWord {
  long index = -1;
  std::string word;
  float score = 0;
};

// One term of an expression: weight * word.
struct WordTerm {
  std::string word;
  float weight = 1.f;
};

enum class AnalogyMethod { CosAdd, CosMul };

struct QueryResult {
  std::vector<RankedWord> words;
  bool inputs_excluded = true;  // whether the input words were left out of `words`
  std::string method;           // e.g. "3CosAdd, exact"
};

class WordVectors : public Space {
 public:
  ~WordVectors() override;
  // Opens a vectors file in any supported format (or its native cache).
  static std::unique_ptr<WordVectors> open(const std::string& path, const WordVectorsOptions& options = {});

  // Writes the native format (.lsv) to `path` (temp file + rename).
  void save_native(const std::string& path, Storage storage) const;
  // Where open() looks for (and write_cache puts) the cache of `source`.
  static std::string cache_path_for(const std::string& source);

  // Space
  const SpaceInfo& info() const override { return info_; }
  std::vector<float> scale() const override;
  const WordVectors* words() const override { return this; }
  void set_name(const std::string& name) { info_.name = name; }

  long size() const { return count_; }
  int dim() const { return dim_; }
  Storage storage() const { return storage_; }
  VectorFormat source_format() const { return source_format_; }
  bool memory_mapped() const { return mapped_ != nullptr; }
  // Problems that did not stop loading (duplicate words skipped, ...).
  const std::vector<std::string>& warnings() const { return warnings_; }

  std::string_view word(long i) const;
  long find(std::string_view word) const;  // -1 if absent
  long require(std::string_view word) const;  // throws UnsupportedError with a hint
  float norm(long i) const { return norms_[i]; }
  // The original vector (unit vector * norm) and the unit vector.
  Latent vector(long i) const;
  Latent unit_vector(long i) const;

  // Cosine of every word in [0, limit) with the unit query `q` (limit 0: all words).
  void cosines(const float* q, float* out, long limit = 0) const;
  // The k best words by cosine with q (normalised here), skipping `exclude`.
  std::vector<RankedWord> nearest(const Latent& q, int k, const std::vector<long>& exclude = {},
                                  long restrict_vocab = 0) const;

  float similarity(std::string_view a, std::string_view b) const;
  QueryResult neighbors(std::string_view word, int k, bool keep_inputs = false) const;
  // Weighted sum of unit vectors: sum(w_i * unit(word_i)).
  Latent combine(const std::vector<WordTerm>& terms) const;
  QueryResult query(const std::vector<WordTerm>& terms, int k, bool keep_inputs = false,
                    AnalogyMethod method = AnalogyMethod::CosAdd) const;
  // "a is to b as c is to ?": b - a + c.
  QueryResult analogy(std::string_view a, std::string_view b, std::string_view c, int k, bool keep_inputs = false,
                      AnalogyMethod method = AnalogyMethod::CosAdd) const;
  // The word farthest from the mean of all of them.
  std::string doesnt_match(const std::vector<std::string>& words) const;

 private:
  WordVectors() = default;
  struct Loader;
  void finish_in_memory(std::vector<float>&& raw);
  void finish_mapped_source();
  void build_hash();
  const float* row_f32(long i) const;

  SpaceInfo info_;
  long count_ = 0;
  int dim_ = 0;
  Storage storage_ = Storage::Float32;
  VectorFormat source_format_ = VectorFormat::Auto;
  // Views (into the mapping or the owned buffers below).
  const void* units_ = nullptr;         // count x dim unit vectors (float or half)
  const float* norms_ = nullptr;
  const uint64_t* offsets_ = nullptr;   // count + 1 offsets into words_
  const char* words_ = nullptr;
  const uint32_t* hash_ = nullptr;      // index + 1, 0 = empty
  uint64_t hash_size_ = 0;              // power of two
  // Owned storage (in-memory loads).
  std::vector<float> own_units_f32_;
  std::vector<uint16_t> own_units_f16_;
  std::vector<float> own_norms_;
  std::vector<uint64_t> own_offsets_;
  std::string own_words_;
  std::vector<uint32_t> own_hash_;
  // Memory mapping (native files).
  void* mapped_ = nullptr;
  size_t mapped_size_ = 0;
  // A word2vec binary read in place (float32): its vectors stay in the file's mapping,
  // as written (not unit length), at these byte offsets; nothing is copied, because on
  // the benchmark VM writing fresh memory runs at about 0.5 GB/s (docs/benchmarks.md).
  void* source_map_ = nullptr;
  size_t source_map_size_ = 0;
  const char* raw_rows_ = nullptr;
  std::vector<uint64_t> own_row_at_;
  std::vector<std::string> warnings_;
};

// Parses "king - man + woman", "0.5*happy + 0.5*sad", "-man +woman": whitespace-separated
// words with + and - between them (a word itself may contain '-', as in "t-shirt") and an
// optional "weight*" prefix. Errors name the offending token and its position.
std::vector<WordTerm> parse_word_expression(const std::string& expr);

struct AnalogySection {
  std::string name;
  long correct = 0, incorrect = 0, skipped = 0;  // skipped: a word outside the vocabulary
  double accuracy() const { return correct + incorrect ? double(correct) / (correct + incorrect) : 0; }
};
struct AnalogyReport {
  std::vector<AnalogySection> sections;  // in file order, then "Total accuracy"
  AnalogySection total;
  double seconds = 0;
};
// Evaluates a questions-words file the way gensim's evaluate_word_analogies does
// (3CosAdd over the first `restrict_vocab` words, case-insensitive, questions with a
// word outside that vocabulary skipped).
AnalogyReport evaluate_analogies(const WordVectors& wv, const std::string& questions_path, long restrict_vocab,
                                 const ProgressFn& progress = {});

// IEEE half <-> float.
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace latent
