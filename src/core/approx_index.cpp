#include "latent/approx_index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <queue>
#include <random>

#include "blas.h"
#include "latent/errors.h"
#include "latent/hash.h"
#include "latent/model_package.h"

namespace latent {

namespace {

constexpr char kMagic[8] = {'L', 'S', 'I', 'V', 'F', '0', '1', 0};

void report(const ProgressFn& p, float f, const std::string& stage) {
  if (p && !p(f, stage)) throw Cancelled();
}

// Unit vectors of rows [begin, end) as one float block.
void unit_block(const WordVectors& wv, long begin, long end, std::vector<float>& out) {
  const int d = wv.dim();
  out.resize(static_cast<size_t>(end - begin) * d);
  for (long i = begin; i < end; ++i) {
    const Latent u = wv.unit_vector(i);
    std::copy(u.begin(), u.end(), out.begin() + static_cast<size_t>(i - begin) * d);
  }
}

// For each row of `x` (n x d), the index of the best centroid by dot product.
void assign(const float* x, long n, const std::vector<float>& centroids, int lists, int d, std::vector<int>& out,
            std::vector<float>& scores) {
  out.resize(n);
  constexpr long kChunk = 4096;
  scores.resize(static_cast<size_t>(kChunk) * lists);
  for (long b = 0; b < n; b += kChunk) {
    const int rows = static_cast<int>(std::min(kChunk, n - b));
    blas::gemm_scores(x + static_cast<size_t>(b) * d, rows, centroids.data(), lists, d, scores.data());
    for (int r = 0; r < rows; ++r) {
      const float* s = scores.data() + static_cast<size_t>(r) * lists;
      out[b + r] = static_cast<int>(std::max_element(s, s + lists) - s);
    }
  }
}

void normalize_rows(std::vector<float>& m, int d) {
  for (size_t r = 0; r < m.size() / d; ++r) {
    double s = 0;
    for (int k = 0; k < d; ++k) s += double(m[r * d + k]) * m[r * d + k];
    const float n = static_cast<float>(std::sqrt(s));
    if (n > 0)
      for (int k = 0; k < d; ++k) m[r * d + k] /= n;
  }
}

// The scan's inner product of an int8 code with the int16 query. Compiled twice: for
// AVX2 and for the baseline, chosen at load time by the CPU it runs on.
__attribute__((target_clones("avx2", "default"))) int32_t dot_code(const int8_t* code, const int16_t* q, int d) {
  int32_t acc = 0;
  for (int j = 0; j < d; ++j) acc += static_cast<int32_t>(code[j]) * q[j];
  return acc;
}

}  // namespace

uint64_t vectors_fingerprint(const WordVectors& wv) {
  Fnv1a h;
  auto mix = [&](const void* p, size_t n) { h.add(p, n); };
  const long n = wv.size();
  const int d = wv.dim();
  mix(&n, sizeof n);
  mix(&d, sizeof d);
  for (long i : {0L, n / 3, n / 2, n - 1}) {
    const auto w = wv.word(i);
    mix(w.data(), w.size());
    const Latent u = wv.unit_vector(i);
    mix(u.data(), u.size() * sizeof(float));
  }
  return h.value;
}

std::unique_ptr<ApproxIndex> ApproxIndex::build(const WordVectors& wv, const ApproxOptions& options,
                                                const ProgressFn& progress) {
  const long n = wv.size();
  const int d = wv.dim();
  if (n < 2) throw UnsupportedError("an index needs at least 2 words");
  auto idx = std::unique_ptr<ApproxIndex>(new ApproxIndex());
  idx->count_ = n;
  idx->dim_ = d;
  idx->fingerprint_ = vectors_fingerprint(wv);
  int lists = options.lists;
  if (lists <= 0) {
    lists = 1;
    while (lists * lists < 16 * n) lists <<= 1;  // ~4 sqrt(N), a power of two
    lists = std::clamp(lists, 1, 16384);
  }
  lists = static_cast<int>(std::min<long>(lists, n));
  idx->lists_ = lists;
  // Default probes: enough lists that recall@10 stays high (measured: docs/benchmarks.md).
  idx->nprobe_ = std::clamp(lists / 16, std::min(lists, 8), lists);

  // Train spherical k-means on a sample.
  std::mt19937_64 rng(options.seed);
  const long sample_n = std::min<long>(n, options.train_sample > 0 ? options.train_sample : 64L * lists);
  std::vector<long> order(n);
  std::iota(order.begin(), order.end(), 0L);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(sample_n);
  std::sort(order.begin(), order.end());
  std::vector<float> sample(static_cast<size_t>(sample_n) * d);
  for (long s = 0; s < sample_n; ++s) {
    const Latent u = wv.unit_vector(order[s]);
    std::copy(u.begin(), u.end(), sample.begin() + static_cast<size_t>(s) * d);
  }
  std::vector<float>& cent = idx->centroids_;
  cent.resize(static_cast<size_t>(lists) * d);
  {
    std::vector<long> pick(sample_n);
    std::iota(pick.begin(), pick.end(), 0L);
    std::shuffle(pick.begin(), pick.end(), rng);
    for (int c = 0; c < lists; ++c)
      std::copy_n(sample.begin() + static_cast<size_t>(pick[c]) * d, d, cent.begin() + static_cast<size_t>(c) * d);
  }
  std::vector<int> labels;
  std::vector<float> scores;
  for (int it = 0; it < options.iterations; ++it) {
    report(progress, 0.5f * it / options.iterations, "training lists");
    assign(sample.data(), sample_n, cent, lists, d, labels, scores);
    std::vector<double> sum(static_cast<size_t>(lists) * d, 0.0);
    std::vector<long> size(lists, 0);
    for (long s = 0; s < sample_n; ++s) {
      ++size[labels[s]];
      const float* x = sample.data() + static_cast<size_t>(s) * d;
      double* acc = sum.data() + static_cast<size_t>(labels[s]) * d;
      for (int k = 0; k < d; ++k) acc[k] += x[k];
    }
    std::uniform_int_distribution<long> any(0, sample_n - 1);
    for (int c = 0; c < lists; ++c) {
      float* out = cent.data() + static_cast<size_t>(c) * d;
      if (size[c] == 0) {  // an empty list restarts from a random sample
        std::copy_n(sample.begin() + static_cast<size_t>(any(rng)) * d, d, out);
      } else {
        for (int k = 0; k < d; ++k) out[k] = static_cast<float>(sum[static_cast<size_t>(c) * d + k]);
      }
    }
    normalize_rows(cent, d);
  }

  // Per-dimension code scale from the sample: the largest magnitude, capped at 6 sd.
  idx->scales_.assign(d, 0.f);
  {
    std::vector<double> sq(d, 0.0);
    std::vector<float> mx(d, 0.f);
    for (long s = 0; s < sample_n; ++s)
      for (int k = 0; k < d; ++k) {
        const float v = sample[static_cast<size_t>(s) * d + k];
        sq[k] += double(v) * v;
        mx[k] = std::max(mx[k], std::fabs(v));
      }
    for (int k = 0; k < d; ++k)
      idx->scales_[k] = std::max(1e-12f, std::min(mx[k], static_cast<float>(6.0 * std::sqrt(sq[k] / sample_n))));
  }
  std::vector<float>().swap(sample);

  // Assign every word, then lay the codes out list by list.
  std::vector<int> all_labels(n);
  std::vector<float> block;
  constexpr long kBlock = 65536;
  for (long b = 0; b < n; b += kBlock) {
    const long e = std::min(n, b + kBlock);
    unit_block(wv, b, e, block);
    std::vector<int> lab;
    assign(block.data(), e - b, cent, lists, d, lab, scores);
    std::copy(lab.begin(), lab.end(), all_labels.begin() + b);
    report(progress, 0.5f + 0.4f * e / n, "assigning words to lists");
  }
  idx->list_offsets_.assign(lists + 1, 0);
  for (long i = 0; i < n; ++i) ++idx->list_offsets_[all_labels[i] + 1];
  for (int c = 0; c < lists; ++c) idx->list_offsets_[c + 1] += idx->list_offsets_[c];
  idx->ids_.resize(n);
  idx->codes_.resize(static_cast<size_t>(n) * d);
  std::vector<uint32_t> cursor(idx->list_offsets_.begin(), idx->list_offsets_.end() - 1);
  for (long i = 0; i < n; ++i) {
    const uint32_t slot = cursor[all_labels[i]]++;
    idx->ids_[slot] = static_cast<uint32_t>(i);
    const Latent u = wv.unit_vector(i);
    int8_t* code = idx->codes_.data() + static_cast<size_t>(slot) * d;
    for (int k = 0; k < d; ++k)
      code[k] = static_cast<int8_t>(std::lround(std::clamp(u[k] / idx->scales_[k], -1.f, 1.f) * 127.f));
    if ((i & 0xffff) == 0) report(progress, 0.9f + 0.1f * i / n, "encoding");
  }
  report(progress, 1.f, "done");
  return idx;
}

std::vector<RankedWord> ApproxIndex::search(const WordVectors& wv, const Latent& q_in, int k,
                                            const std::vector<long>& exclude, int nprobe, int rerank) const {
  const int d = dim_;
  if (static_cast<int>(q_in.size()) != d) throw UnsupportedError("query size differs from the index's");
  Latent q = q_in;
  double s = 0;
  for (float v : q) s += double(v) * v;
  if (s > 0)
    for (float& v : q) v /= static_cast<float>(std::sqrt(s));
  nprobe = std::clamp(nprobe > 0 ? nprobe : nprobe_, 1, lists_);
  rerank = std::max({rerank > 0 ? rerank : 8 * k + 64, k + static_cast<int>(exclude.size())});

  // Best lists by centroid.
  std::vector<float> cs(lists_);
  blas::gemv_rows(centroids_.data(), lists_, d, q.data(), cs.data());
  std::vector<int> probe(lists_);
  std::iota(probe.begin(), probe.end(), 0);
  std::partial_sort(probe.begin(), probe.begin() + nprobe, probe.end(), [&](int a, int b) { return cs[a] > cs[b]; });

  // Integer query: the query scaled per dimension, quantised to int16 range.
  std::vector<int16_t> qq(d);
  float qmax = 1e-30f;
  for (int j = 0; j < d; ++j) qmax = std::max(qmax, std::fabs(q[j] * scales_[j]));
  for (int j = 0; j < d; ++j) qq[j] = static_cast<int16_t>(std::lround(q[j] * scales_[j] / qmax * 127.f));

  using Entry = std::pair<int32_t, uint32_t>;  // approximate score, slot
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (int p = 0; p < nprobe; ++p) {
    const int c = probe[p];
    for (uint32_t slot = list_offsets_[c]; slot < list_offsets_[c + 1]; ++slot) {
      const int32_t acc = dot_code(codes_.data() + static_cast<size_t>(slot) * d, qq.data(), d);
      if (static_cast<int>(heap.size()) < rerank) heap.emplace(acc, slot);
      else if (acc > heap.top().first) heap.pop(), heap.emplace(acc, slot);
    }
  }
  // Exact re-ranking of the candidates.
  std::vector<RankedWord> cand;
  cand.reserve(heap.size());
  while (!heap.empty()) {
    const long i = ids_[heap.top().second];
    heap.pop();
    if (std::find(exclude.begin(), exclude.end(), i) != exclude.end()) continue;
    const Latent u = wv.unit_vector(i);
    double dot = 0;
    for (int j = 0; j < d; ++j) dot += double(u[j]) * q[j];
    cand.push_back({i, {}, static_cast<float>(dot)});
  }
  std::sort(cand.begin(), cand.end(), [](const RankedWord& a, const RankedWord& b) { return a.score > b.score; });
  if (static_cast<int>(cand.size()) > k) cand.resize(k);
  for (auto& c : cand) c.word = std::string(wv.word(c.index));
  return cand;
}

std::string ApproxIndex::describe() const {
  return "approximate (IVF, " + std::to_string(lists_) + " lists, " + std::to_string(nprobe_) + " probed)";
}

void ApproxIndex::save(const std::string& path) const {
  std::string out(kMagic, 8);
  auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  const uint64_t header[5] = {static_cast<uint64_t>(count_), static_cast<uint64_t>(dim_), static_cast<uint64_t>(lists_),
                              static_cast<uint64_t>(nprobe_), fingerprint_};
  put(header, sizeof header);
  put(centroids_.data(), centroids_.size() * 4);
  put(scales_.data(), scales_.size() * 4);
  put(list_offsets_.data(), list_offsets_.size() * 4);
  put(ids_.data(), ids_.size() * 4);
  put(codes_.data(), codes_.size());
  write_file_atomic(path, out);
}

std::unique_ptr<ApproxIndex> ApproxIndex::load(const std::string& path, const WordVectors& wv) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open the index");
  char magic[8];
  uint64_t header[5];
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) throw FormatError(path + ": not a Latent Studio index (bad magic)");
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) throw FormatError(path + ": truncated header");
  auto idx = std::unique_ptr<ApproxIndex>(new ApproxIndex());
  idx->count_ = static_cast<long>(header[0]);
  idx->dim_ = static_cast<int>(header[1]);
  idx->lists_ = static_cast<int>(header[2]);
  idx->nprobe_ = static_cast<int>(header[3]);
  idx->fingerprint_ = header[4];
  if (idx->count_ != wv.size() || idx->dim_ != wv.dim() || idx->fingerprint_ != vectors_fingerprint(wv))
    throw FormatError(path + ": made for other vectors (rebuild it)");
  if (idx->lists_ <= 0 || idx->lists_ > idx->count_) throw FormatError(path + ": implausible list count");
  auto get = [&](auto& vec, size_t n, const char* what) {
    vec.resize(n);
    if (!in.read(reinterpret_cast<char*>(vec.data()), static_cast<std::streamsize>(n * sizeof(vec[0]))))
      throw FormatError(path + ": truncated in the " + std::string(what));
  };
  get(idx->centroids_, static_cast<size_t>(idx->lists_) * idx->dim_, "centroids");
  get(idx->scales_, idx->dim_, "scales");
  get(idx->list_offsets_, idx->lists_ + 1, "list offsets");
  get(idx->ids_, idx->count_, "word ids");
  get(idx->codes_, static_cast<size_t>(idx->count_) * idx->dim_, "codes");
  if (idx->list_offsets_.back() != static_cast<uint32_t>(idx->count_)) throw FormatError(path + ": inconsistent lists");
  for (size_t c = 0; c + 1 < idx->list_offsets_.size(); ++c)
    if (idx->list_offsets_[c] > idx->list_offsets_[c + 1]) throw FormatError(path + ": inconsistent lists");
  for (uint32_t id : idx->ids_)
    if (id >= static_cast<uint32_t>(idx->count_)) throw FormatError(path + ": a word id outside the vocabulary");
  return idx;
}

}  // namespace latent
