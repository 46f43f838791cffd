#pragma once
// Approximate nearest words for large vocabularies: an inverted-file index (IVF).
// Unit vectors are grouped by spherical k-means into lists; each word keeps an int8
// code of its vector in its list. A query scores the list centroids, scans the codes of
// the `nprobe` best lists, and re-ranks the best candidates exactly against the
// (memory-mapped) vectors. The index adds dim + 4 bytes per word, not a second copy of
// the float vectors, which is why it is written here rather than taken from faiss or
// hnswlib (both keep their own float copy: 3.6 GB more for 3 M words x 300).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latent/word_vectors.h"

namespace latent {

struct ApproxOptions {
  int lists = 0;          // number of lists (0: about 4 sqrt(N), a power of two)
  long train_sample = 0;  // vectors used to train the centroids (0: min(N, 64 x lists))
  int iterations = 12;    // k-means iterations
  uint64_t seed = 1;
  int threads_hint = 0;   // unused; BLAS decides
};

class ApproxIndex {
 public:
  static std::unique_ptr<ApproxIndex> build(const WordVectors& wv, const ApproxOptions& options = {},
                                            const ProgressFn& progress = {});
  // Loads an index saved for these vectors; a file made for other vectors is an error.
  static std::unique_ptr<ApproxIndex> load(const std::string& path, const WordVectors& wv);
  void save(const std::string& path) const;
  // Where the index of a vectors file is cached.
  static std::string path_for(const std::string& vectors_path) { return vectors_path + ".ivf"; }

  // The k best words for the query (normalised here), skipping `exclude`.
  // nprobe 0: default_nprobe(). rerank: candidates re-scored exactly (at least k).
  std::vector<RankedWord> search(const WordVectors& wv, const Latent& q, int k, const std::vector<long>& exclude = {},
                                 int nprobe = 0, int rerank = 0) const;
  int lists() const { return lists_; }
  int default_nprobe() const { return nprobe_; }
  void set_default_nprobe(int n) { nprobe_ = n; }
  std::string describe() const;

 private:
  ApproxIndex() = default;
  long count_ = 0;
  int dim_ = 0, lists_ = 0, nprobe_ = 0;
  uint64_t fingerprint_ = 0;              // of the vectors it was built for
  std::vector<float> centroids_;          // lists x dim, unit length
  std::vector<float> scales_;             // dim: code = round(x / scale * 127)
  std::vector<uint32_t> list_offsets_;    // lists + 1
  std::vector<uint32_t> ids_;             // word indices, grouped by list
  std::vector<int8_t> codes_;             // count x dim, in ids_ order
};

// A cheap identity of a set of vectors: count, dim and a sample of words and values.
uint64_t vectors_fingerprint(const WordVectors& wv);

}  // namespace latent
