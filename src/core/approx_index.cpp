#include "latent/approx_index.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <usearch/index_dense.hpp>

#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/hash.h"
#include "parallel_progress.h"

namespace latent {

namespace {

namespace us = unum::usearch;
using Index = us::index_dense_gt<uint64_t, uint32_t>;

constexpr char kMagic[8] = {'L', 'S', 'A', 'N', 'N', '0', '1', 0};

// Our header in front of USearch's serialisation (64 bytes, little-endian).
struct FileHeader {
  char magic[8];
  uint64_t count, dim, fingerprint;
  float scale;
  uint32_t ef, connectivity, reserved;
  uint64_t usearch_bytes;  // what follows the header: the file is exactly 64 + this
  uint64_t pad;
};
static_assert(sizeof(FileHeader) == 64, "the header is 64 bytes");

// Threads a search may hold at once (the studio's workers and the UI).
constexpr size_t kSearchThreads = 8;

void report(const ProgressFn& p, float f, const std::string& stage) {
  if (p && !p(f, stage)) throw Cancelled();
}

// The graph's distance: 1 - (int8 a . int8 b), the value USearch's own inner product
// over int8 gives (its float sum of integer products is exact below 2^24), so a saved
// index reads the same with either. Compiled for AVX2 and the baseline, chosen at load
// time by the CPU it runs on.
__attribute__((target_clones("avx2", "default"))) int32_t dot_i8(const int8_t* a, const int8_t* b, size_t d) {
  int32_t acc = 0;
  for (size_t j = 0; j < d; ++j) acc += static_cast<int32_t>(a[j]) * static_cast<int32_t>(b[j]);
  return acc;
}

float ip_i8(std::uintptr_t a, std::uintptr_t b, std::uintptr_t d) {
  return 1.f - static_cast<float>(dot_i8(reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(b), d));
}

us::metric_punned_t make_metric(int dim) {
  return us::metric_punned_t::stateless(static_cast<size_t>(dim), reinterpret_cast<std::uintptr_t>(&ip_i8),
                                        us::metric_punned_signature_t::array_array_size_k, us::metric_kind_t::ip_k,
                                        us::scalar_kind_t::i8_k);
}

us::index_dense_config_t make_config(int connectivity, int expansion_add) {
  us::index_dense_config_t c(static_cast<size_t>(connectivity), static_cast<size_t>(expansion_add),
                             16 /* the query's ef is passed as `wanted` */);
  c.enable_key_lookups = false;  // keys are word indices; nothing looks a key up
  return c;
}

void quantize(const float* x, int d, float inv, int8_t* out) {
  for (int j = 0; j < d; ++j) out[j] = static_cast<int8_t>(std::clamp(std::lround(x[j] * inv), -127L, 127L));
}

int default_ef_for(long n) { return n <= 100000 ? 64 : n <= 1000000 ? 128 : 192; }

}  // namespace

struct ApproxIndex::Impl {
  Index index;
};

ApproxIndex::ApproxIndex() : impl_(std::make_unique<Impl>()) {}
ApproxIndex::~ApproxIndex() = default;

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
  if (n >= (1L << 32) - 1) throw UnsupportedError("an index holds at most 4,294,967,294 words");
  auto idx = std::unique_ptr<ApproxIndex>(new ApproxIndex());
  idx->count_ = n;
  idx->dim_ = d;
  idx->fingerprint_ = vectors_fingerprint(wv);
  idx->connectivity_ = std::clamp(options.connectivity, 4, 128);
  idx->ef_ = options.expansion_search > 0 ? options.expansion_search : default_ef_for(n);

  // The int8 scale: the 99.99th percentile of |component| over a sample of unit vectors
  // (the rare larger ones clip; the exact re-ranking makes up for it).
  {
    const long step = std::max(1L, n / 20000);
    std::vector<float> mags;
    for (long i = 0; i < n; i += step) {
      const Latent u = wv.unit_vector(i);
      for (float v : u) mags.push_back(std::fabs(v));
    }
    const size_t at = std::min(mags.size() - 1, static_cast<size_t>(0.9999 * mags.size()));
    std::nth_element(mags.begin(), mags.begin() + at, mags.end());
    idx->scale_ = std::max(mags[at], 1e-30f);
  }
  const float inv = 127.f / idx->scale_;

  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  us::index_limits_t limits(static_cast<size_t>(n), std::max<size_t>(threads, kSearchThreads));
  auto made = Index::make(make_metric(d), make_config(idx->connectivity_, std::max(options.expansion_add, 8)),
                          us::default_free_value<uint64_t>(), limits);
  if (!made) throw Error(std::string("cannot make the index: ") + made.error.what());
  idx->impl_->index = std::move(made.index);
  Index& index = idx->impl_->index;

  detail::run_with_progress(n, threads, progress, 0.f, 0.99f, "linking words into the graph", "cannot add to the index: ",
                            [&](long i, size_t thread) -> std::string {
                              thread_local std::vector<int8_t> code;
                              code.resize(d);
                              const Latent u = wv.unit_vector(i);
                              quantize(u.data(), d, inv, code.data());
                              auto added = index.add(static_cast<uint64_t>(i),
                                                     reinterpret_cast<const us::i8_t*>(code.data()), thread);
                              return added ? std::string() : std::string(added.error.what());
                            });
  report(progress, 1.f, "done");
  return idx;
}

std::vector<RankedWord> ApproxIndex::search(const WordVectors& wv, const Latent& q_in, int k,
                                            const std::vector<long>& exclude, int ef) const {
  const int d = dim_;
  if (static_cast<int>(q_in.size()) != d) throw UnsupportedError("query size differs from the index's");
  if (k <= 0) return {};
  Latent q = q_in;
  double s = 0;
  for (float v : q) s += double(v) * v;
  if (s > 0)
    for (float& v : q) v /= static_cast<float>(std::sqrt(s));
  std::vector<int8_t> code(d);
  quantize(q.data(), d, 127.f / scale_, code.data());
  const long wanted = std::min<long>(count_, std::max<long>(ef > 0 ? ef : ef_, k + static_cast<long>(exclude.size())));
  auto found = impl_->index.search(reinterpret_cast<const us::i8_t*>(code.data()), static_cast<size_t>(wanted));
  if (!found) throw Error(std::string("approximate search failed: ") + found.error.what());

  // Exact re-ranking of the candidates.
  std::vector<RankedWord> cand;
  cand.reserve(found.size());
  for (size_t r = 0; r < found.size(); ++r) {
    const long i = static_cast<long>(found[r].member.key);
    if (i < 0 || i >= count_ || std::find(exclude.begin(), exclude.end(), i) != exclude.end()) continue;
    const Latent u = wv.unit_vector(i);
    double dot = 0;
    for (int j = 0; j < d; ++j) dot += double(u[j]) * q[j];
    cand.push_back({i, {}, static_cast<float>(dot)});
  }
  std::sort(cand.begin(), cand.end(), [](const RankedWord& a, const RankedWord& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  });
  if (static_cast<int>(cand.size()) > k) cand.resize(k);
  for (auto& c : cand) c.word = std::string(wv.word(c.index));
  return cand;
}

uint64_t ApproxIndex::bytes() const { return impl_->index.serialized_length(); }

std::string ApproxIndex::describe() const {
  return "approximate (HNSW by USearch, int8, M " + std::to_string(connectivity_) + ", ef " + std::to_string(ef_) +
         ", exact re-ranking)";
}

void ApproxIndex::save(const std::string& path) const {
  FileHeader h{};
  std::memcpy(h.magic, kMagic, 8);
  h.count = static_cast<uint64_t>(count_);
  h.dim = static_cast<uint64_t>(dim_);
  h.fingerprint = fingerprint_;
  h.scale = scale_;
  h.ef = static_cast<uint32_t>(ef_);
  h.connectivity = static_cast<uint32_t>(connectivity_);
  h.usearch_bytes = bytes();
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw IoError(path + ": cannot write the index (" + std::strerror(errno) + ")");
  std::setvbuf(f, nullptr, _IOFBF, 8 << 20);
  bool ok = std::fwrite(&h, sizeof h, 1, f) == 1;
  uint64_t written = 0;
  if (ok) {
    auto saved = impl_->index.save_to_stream([&](const void* p, size_t n) {
      written += n;
      return std::fwrite(p, 1, n, f) == n;
    });
    ok = static_cast<bool>(saved);
  }
  const int err = errno;
  ok = ok && written == h.usearch_bytes && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    throw IoError(path + ": writing the index failed (" + std::strerror(err ? err : EIO) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot move the written index into place (" + why + ")");
  }
  sync_parent_folder(path);
}

std::unique_ptr<ApproxIndex> ApproxIndex::load(const std::string& path, const WordVectors& wv) {
  FileHeader h{};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open the index");
    if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) throw FormatError(path + ": not a Latent Studio index (too short)");
  }
  if (std::memcmp(h.magic, kMagic, 8) != 0) throw FormatError(path + ": not a Latent Studio index (bad magic)");
  if (h.count != static_cast<uint64_t>(wv.size()) || h.dim != static_cast<uint64_t>(wv.dim()) ||
      h.fingerprint != vectors_fingerprint(wv))
    throw FormatError(path + ": made for other vectors (rebuild it)");
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec || size != sizeof h + h.usearch_bytes)
    throw FormatError(path + ": cut short or padded (" + std::to_string(size) + " bytes, the header says " +
                      std::to_string(sizeof h + h.usearch_bytes) + "); rebuild it");
  if (!(h.scale > 0) || !std::isfinite(h.scale) || h.connectivity < 4 || h.connectivity > 128 || h.ef == 0)
    throw FormatError(path + ": implausible index settings");

  auto idx = std::unique_ptr<ApproxIndex>(new ApproxIndex());
  idx->count_ = wv.size();
  idx->dim_ = wv.dim();
  idx->fingerprint_ = h.fingerprint;
  idx->scale_ = h.scale;
  idx->ef_ = static_cast<int>(std::min<uint32_t>(h.ef, 1u << 16));
  idx->connectivity_ = static_cast<int>(h.connectivity);
  auto made = Index::make(make_metric(idx->dim_), make_config(idx->connectivity_, 64), us::default_free_value<uint64_t>(),
                          us::index_limits_t(0, kSearchThreads));
  if (!made) throw Error(std::string("cannot make the index: ") + made.error.what());
  Index& index = idx->impl_->index;
  index = std::move(made.index);
  auto viewed = index.view(us::memory_mapped_file_t(path.c_str()), sizeof h);
  if (!viewed) throw FormatError(path + ": " + viewed.error.what() + " (rebuild it)");
  if (index.size() != static_cast<size_t>(idx->count_) || index.dimensions() != static_cast<size_t>(idx->dim_) ||
      index.scalar_kind() != us::scalar_kind_t::i8_k || index.metric().metric_kind() != us::metric_kind_t::ip_k)
    throw FormatError(path + ": the graph does not match its header (rebuild it)");
  // The same distance as the file's (see ip_i8), with the CPU's vector instructions.
  index.change_metric(make_metric(idx->dim_));
  return idx;
}

}  // namespace latent
