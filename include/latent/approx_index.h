#pragma once
// Approximate nearest words for large vocabularies: a navigable small-world graph (HNSW)
// from USearch (third_party/usearch, unmodified), over int8 copies of the unit vectors.
// A query walks the graph for `ef` candidates by the int8 inner product, then re-ranks
// them exactly against the (memory-mapped) float vectors, so the scores shown are exact.
//
// The index is cached beside the vectors (VECTORS.ann): a small header of ours, then
// USearch's own serialisation. Loading maps the file instead of reading it, so a
// cached index answers its first query without reading the whole graph.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latent/word_vectors.h"

namespace latent {

struct ApproxOptions {
  int connectivity = 16;     // graph edges per node and level (HNSW's M; twice that on the base level)
  int expansion_add = 128;   // candidates kept while linking a new word (efConstruction)
  int expansion_search = 0;  // default candidates per query (0: chosen from the size)
  int threads = 0;           // building threads (0: the machine's cores, at most 8)
};

class ApproxIndex {
 public:
  ~ApproxIndex();
  static std::unique_ptr<ApproxIndex> build(const WordVectors& wv, const ApproxOptions& options = {},
                                            const ProgressFn& progress = {});
  // Maps an index saved for these vectors; a file made for other vectors, or one that is
  // damaged or cut short, is an error (FormatError).
  static std::unique_ptr<ApproxIndex> load(const std::string& path, const WordVectors& wv);
  // Written to path + ".tmp", synced, then renamed into place.
  void save(const std::string& path) const;
  // Where the index of a vectors file is cached.
  static std::string path_for(const std::string& vectors_path) { return vectors_path + ".ann"; }

  // The k best words for the query (normalised here), skipping `exclude`. ef: candidates
  // the graph search keeps and the exact re-ranking scores (0: default_ef(); at least k
  // plus the excluded words).
  std::vector<RankedWord> search(const WordVectors& wv, const Latent& q, int k, const std::vector<long>& exclude = {},
                                 int ef = 0) const;
  long size() const { return count_; }
  int default_ef() const { return ef_; }
  void set_default_ef(int ef) { ef_ = ef; }
  // Bytes of the index itself (graph and int8 vectors), as saved.
  uint64_t bytes() const;
  std::string describe() const;

 private:
  struct Impl;
  ApproxIndex();
  std::unique_ptr<Impl> impl_;
  long count_ = 0;
  int dim_ = 0, ef_ = 0, connectivity_ = 0;
  float scale_ = 1;        // int8 code = round(x / scale_ * 127), clamped
  uint64_t fingerprint_ = 0;  // of the vectors it was built for
};

// A cheap identity of a set of vectors: count, dim and a sample of words and values.
uint64_t vectors_fingerprint(const WordVectors& wv);

}  // namespace latent
