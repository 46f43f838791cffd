// The k-nearest-neighbour graph of many points, approximately: an HNSW graph from USearch
// (third_party/usearch) over the float rows, then one search per row. Used by the maps
// above ProjectionOptions::approx_knn_above points, where the exact graph's n^2 cost
// would dominate (latent/projection.h).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include <usearch/index_dense.hpp>

#include "latent/errors.h"
#include "latent/projection.h"
#include "parallel_progress.h"

namespace latent {

namespace {

namespace us = unum::usearch;
using Index = us::index_dense_gt<uint64_t, uint32_t>;

void report(const ProgressFn& p, float f, const std::string& stage) {
  if (p && !p(f, stage)) throw Cancelled();
}

// Squared Euclidean distance with two independent 8-lane sums: vectorised without
// reassociating a single float sum (which the compiler will not do unasked), and the
// same bits on every machine for a given build (no FMA in either clone). Compiled for
// AVX2 and for plain x86-64 (where each 8-lane operation is two SSE ones), picked at run
// time.
#pragma GCC diagnostic ignored "-Wpsabi"  // the 8-lane values never cross a function boundary
typedef float F8 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
float l2sq(std::uintptr_t a_p, std::uintptr_t b_p, std::uintptr_t d) {
  const float* a = reinterpret_cast<const float*>(a_p);
  const float* b = reinterpret_cast<const float*>(b_p);
  F8 s0 = {0, 0, 0, 0, 0, 0, 0, 0}, s1 = s0;
  size_t j = 0;
  for (; j + 16 <= d; j += 16) {
    F8 x0, x1, y0, y1;
    std::memcpy(&x0, a + j, 32), std::memcpy(&y0, b + j, 32);
    std::memcpy(&x1, a + j + 8, 32), std::memcpy(&y1, b + j + 8, 32);
    x0 -= y0, x1 -= y1;
    s0 += x0 * x0, s1 += x1 * x1;
  }
  for (; j + 8 <= d; j += 8) {
    F8 x, y;
    std::memcpy(&x, a + j, 32), std::memcpy(&y, b + j, 32);
    x -= y;
    s0 += x * x;
  }
  const F8 s = s0 + s1;
  float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; j < d; ++j) r += (a[j] - b[j]) * (a[j] - b[j]);
  return r;
}

}  // namespace

void approx_knn(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
                const ProgressFn& progress, const ApproxKnnOptions& options) {
  const long n = points.rows();
  const int d = static_cast<int>(points.cols());
  if (k <= 0 || k >= n) throw UnsupportedError("k must be between 1 and the number of points minus 1");
  if (n >= (1L << 31)) throw UnsupportedError("too many points for a neighbour graph");
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(detail::worker_threads());
  us::index_dense_config_t config(static_cast<size_t>(options.connectivity), static_cast<size_t>(options.expansion_add),
                                  static_cast<size_t>(std::max(options.expansion_search, k + 1)));
  config.enable_key_lookups = false;
  const auto metric = us::metric_punned_t::stateless(static_cast<size_t>(d), reinterpret_cast<std::uintptr_t>(&l2sq),
                                                     us::metric_punned_signature_t::array_array_size_k,
                                                     us::metric_kind_t::l2sq_k, us::scalar_kind_t::f32_k);
  // The build is on one thread when asked to be deterministic: the graph then depends
  // only on the points and their order. The searches are read-only and run on all.
  const int build_threads = options.deterministic ? 1 : threads;
  auto made = Index::make(metric, config, us::default_free_value<uint64_t>(),
                          us::index_limits_t(static_cast<size_t>(n), static_cast<size_t>(threads)));
  if (!made) throw Error(std::string("cannot make the neighbour index: ") + made.error.what());
  Index index = std::move(made.index);

  detail::run_with_progress(n, build_threads, progress, 0.f, 0.7f, "nearest neighbours (building the graph)",
                            "neighbour graph: ", [&](long i, size_t t) -> std::string {
                              auto added = index.add(static_cast<uint64_t>(i), points.row(i).data(), t);
                              return added ? std::string() : std::string(added.error.what());
                            });

  indices.assign(static_cast<size_t>(n) * k, 0);
  sq_dists.assign(static_cast<size_t>(n) * k, 0.f);
  const size_t wanted = static_cast<size_t>(std::max(options.expansion_search, k + 1));
  detail::run_with_progress(n, threads, progress, 0.7f, 1.f, "nearest neighbours (searching)", "neighbour graph: ",
                            [&](long i, size_t t) -> std::string {
    auto found = index.search(points.row(i).data(), wanted, t);
    if (!found) return found.error.what();
    // Best first, ties by index; the point itself (and exact duplicates beyond k) skipped.
    std::vector<std::pair<float, int>> best;
    best.reserve(found.size());
    for (size_t r = 0; r < found.size(); ++r) {
      const long j = static_cast<long>(found[r].member.key);
      if (j != i) best.push_back({found[r].distance, static_cast<int>(j)});
    }
    std::sort(best.begin(), best.end());
    int* out_i = indices.data() + static_cast<size_t>(i) * k;
    float* out_d = sq_dists.data() + static_cast<size_t>(i) * k;
    for (int c = 0; c < k; ++c) {
      // Fewer candidates than k (only on tiny or degenerate sets): repeat the farthest found.
      const auto& p = best.empty() ? std::pair<float, int>{0.f, static_cast<int>(i == 0 ? 1 : 0)}
                                   : best[std::min<size_t>(c, best.size() - 1)];
      out_i[c] = p.second;
      out_d[c] = std::max(0.f, p.first);
    }
    return {};
  });
  report(progress, 1.f, "nearest neighbours");
}

void knn_graph(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
               long approx_above, const ProgressFn& progress) {
  if (approx_above > 0 && points.rows() > approx_above) {
    ApproxKnnOptions o;
    approx_knn(points, k, indices, sq_dists, progress, o);
  } else {
    exact_knn(points, k, indices, sq_dists, progress);
  }
}

}  // namespace latent
