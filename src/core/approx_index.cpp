#include "latent/approx_index.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <usearch/index_dense.hpp>

#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/hash.h"
#include "fresh_memory.h"
#include "parallel_progress.h"

namespace latent {

namespace {

namespace us = unum::usearch;
using Index = us::index_dense_gt<uint64_t, uint32_t>;
// Memory for a viewed graph's tables: a node pointer and an offset for every word (48 MB
// for 3M words), fresh memory written once each while the index opens. Tables of 2 MiB or
// more are fresh mappings in 2 MiB pages (fresh_memory.h): dozens of page faults instead
// of 12,000 (on this VM, 0.1 s of the 0.37 s the 3M index took to open and answer). Null
// when out of memory, as USearch expects.
template <typename T>
struct TableAllocator {
  using value_type = T;
  using size_type = size_t;
  using pointer = T*;
  using const_pointer = const T*;
  template <typename U>
  struct rebind {
    using other = TableAllocator<U>;
  };
  static constexpr size_t kLarge = size_t(2) << 20;
  static size_t round_up(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }
  T* allocate(size_t n) const {
    if (n == 0 || n > (SIZE_MAX - kLarge) / sizeof(T)) return nullptr;
    const size_t bytes = n * sizeof(T);
    if (bytes < kLarge) return static_cast<T*>(std::aligned_alloc(64, round_up(bytes, 64)));
    return static_cast<T*>(detail::map_fresh(round_up(bytes, kLarge)));
  }
  void deallocate(T* p, size_t n) const {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLarge)
      std::free(p);
    else
      detail::unmap_fresh(p, round_up(bytes, kLarge));
  }
};

// The graph under an index_dense_gt<uint64_t, uint32_t> (the node layout depends only on
// the key and slot types): a saved index is viewed at this level (see view_graph).
using Graph = us::index_gt<float, uint64_t, uint32_t, TableAllocator<us::byte_t>, us::memory_mapping_allocator_gt<64>>;

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

// A saved index viewed at the graph's own level. USearch's index_dense_gt::view walks every
// node to rebuild its key table, which maps every page of the graph (0.5 s of the 0.7 s a
// 3M-word index took to open and answer); a search only needs the nodes it visits. Here
// the graph is viewed alone and the int8 codes are read, by slot, from the same mapping.
struct Viewed {
  Graph graph;
  const int8_t* codes = nullptr;  // slot s's code at codes + s * dim, inside the mapping
  size_t dim = 0;
  const char* image = nullptr;  // USearch's part of the file, as mapped
  uint64_t bytes = 0;
  std::mutex mu;       // hands out the graph's per-thread search contexts
  std::condition_variable freed;
  std::vector<size_t> free_contexts;

  // The graph's distance (see ip_i8) between a query code and a member (a reference or
  // an iterator: the graph passes either), or between two members.
  struct Metric {
    const int8_t* codes;
    size_t dim;
    template <typename M>
    const int8_t* code(const M& member) const {
      return codes + get_slot(member) * dim;
    }
    float between(const int8_t* a, const int8_t* b) const { return 1.f - static_cast<float>(dot_i8(a, b, dim)); }
    template <typename M>
    float operator()(const us::byte_t* a, const M& b) const {
      return between(reinterpret_cast<const int8_t*>(a), code(b));
    }
    template <typename M>
    float operator()(const M& a, const M& b) const {
      return between(code(a), code(b));
    }
  };
};

struct ApproxIndex::Impl {
  Index index;                    // an index built here
  std::unique_ptr<Viewed> viewed;  // or one loaded from its file
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

namespace {

std::vector<long> search_built(const Index& index, const int8_t* code, size_t wanted) {
  auto found = index.search(reinterpret_cast<const us::i8_t*>(code), wanted);
  if (!found) throw Error(std::string("approximate search failed: ") + found.error.what());
  std::vector<long> keys(found.size());
  for (size_t r = 0; r < found.size(); ++r) keys[r] = static_cast<long>(found[r].member.key);
  return keys;
}

std::vector<long> search_viewed(Viewed& v, const int8_t* code, size_t wanted) {
  size_t context = 0;
  {
    std::unique_lock<std::mutex> lock(v.mu);
    v.freed.wait(lock, [&] { return !v.free_contexts.empty(); });
    context = v.free_contexts.back();
    v.free_contexts.pop_back();
  }
  us::index_search_config_t config;
  config.thread = context;
  config.expansion = wanted;
  std::vector<long> keys;
  std::string failed;
  {
    auto found = v.graph.search(reinterpret_cast<const us::byte_t*>(code), wanted, Viewed::Metric{v.codes, v.dim}, config);
    if (!found) failed = found.error.what();
    keys.resize(found.size());
    for (size_t r = 0; r < found.size(); ++r) keys[r] = static_cast<long>(found[r].member.key);
  }
  {
    std::lock_guard<std::mutex> lock(v.mu);
    v.free_contexts.push_back(context);
  }
  v.freed.notify_one();
  if (!failed.empty()) throw Error("approximate search failed: " + failed);
  return keys;
}

}  // namespace

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
  std::vector<long> keys = impl_->viewed ? search_viewed(*impl_->viewed, code.data(), static_cast<size_t>(wanted))
                                         : search_built(impl_->index, code.data(), static_cast<size_t>(wanted));

  // Exact re-ranking of the candidates.
  std::vector<RankedWord> cand;
  cand.reserve(keys.size());
  for (long i : keys) {
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

uint64_t ApproxIndex::bytes() const { return impl_->viewed ? impl_->viewed->bytes : impl_->index.serialized_length(); }

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
  auto out = [&](const void* p, size_t n) {
    written += n;
    return std::fwrite(p, 1, n, f) == n;
  };
  if (ok && impl_->viewed) ok = out(impl_->viewed->image, impl_->viewed->bytes);
  else if (ok) ok = static_cast<bool>(impl_->index.save_to_stream(out));
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

namespace {

// Views USearch's serialisation of an index_dense_gt<uint64_t, uint32_t> (as `save`
// writes it: the int8 codes as a rows x cols matrix, USearch's 64-byte head, then the
// graph) at `offset` of the file, without reading the graph's nodes.
std::unique_ptr<Viewed> view_graph(const std::string& path, size_t offset, long count, int dim, int connectivity) {
  auto bad = [&](const std::string& why) { return FormatError(path + ": " + why + " (rebuild it)"); };
  us::memory_mapped_file_t file(path.c_str());
  if (auto opened = file.open_if_not(); !opened) throw IoError(path + ": cannot map the index (" + opened.error.what() + ")");
  const size_t size = file.size();
  const char* base = reinterpret_cast<const char*>(file.data());
  uint32_t matrix[2] = {0, 0};
  if (size < offset + sizeof matrix) throw bad("no vectors in the index");
  std::memcpy(matrix, base + offset, sizeof matrix);
  if (matrix[0] != static_cast<uint64_t>(count) || matrix[1] != static_cast<uint64_t>(dim))
    throw bad("the index's vectors do not match its header");
  const size_t codes_at = offset + sizeof matrix;
  const size_t head_at = codes_at + static_cast<size_t>(count) * static_cast<size_t>(dim);
  us::index_dense_head_buffer_t buffer;
  if (size < head_at + sizeof buffer) throw bad("the index is cut short");
  std::memcpy(buffer, base + head_at, sizeof buffer);
  us::index_dense_head_t head{buffer};
  if (std::memcmp(buffer, us::default_magic(), std::strlen(us::default_magic())) != 0) throw bad("not a USearch index");
  if (head.version_major != USEARCH_VERSION_MAJOR) throw bad("made by another USearch version");
  if (head.kind_key != us::scalar_kind_t::u64_k || head.kind_compressed_slot != us::scalar_kind_t::u32_k ||
      head.kind_scalar != us::scalar_kind_t::i8_k || head.kind_metric != us::metric_kind_t::ip_k ||
      head.dimensions != static_cast<uint64_t>(dim) || head.count_present != static_cast<uint64_t>(count) ||
      head.count_deleted != 0 || head.multi)
    throw bad("the graph does not match its header");

  // The graph's own header: its node sizes follow from the edges per node, so they must be
  // the ones the index was built with.
  us::index_serialized_header_t graph{};
  const size_t graph_at = head_at + sizeof buffer;
  if (size < graph_at + sizeof graph) throw bad("the index is cut short");
  std::memcpy(&graph, base + graph_at, sizeof graph);
  if (graph.size != static_cast<uint64_t>(count) || graph.connectivity != static_cast<uint64_t>(connectivity) ||
      graph.connectivity_base != 2 * static_cast<uint64_t>(connectivity))
    throw bad("the graph does not match its header");

  auto v = std::make_unique<Viewed>();
  v->codes = reinterpret_cast<const int8_t*>(base + codes_at);
  v->dim = static_cast<size_t>(dim);
  v->image = base + offset;
  v->bytes = size - offset;
  if (!v->graph.try_reserve(us::index_limits_t(0, kSearchThreads))) throw Error("out of memory viewing " + path);
  auto viewed = v->graph.view(std::move(file), graph_at);
  if (!viewed) throw bad(viewed.error.what());
  if (v->graph.size() != static_cast<size_t>(count)) throw bad("the graph does not match its header");
  for (size_t t = 0; t < kSearchThreads; ++t) v->free_contexts.push_back(t);
  return v;
}

}  // namespace

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
  idx->impl_->viewed = view_graph(path, sizeof h, idx->count_, idx->dim_, idx->connectivity_);
  return idx;
}

}  // namespace latent
