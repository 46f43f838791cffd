#include "latent/projection.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <queue>
#include <random>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "blas.h"
#include "latent/errors.h"
#include "latent/pca_space.h"
#include "parallel_progress.h"
#include "tsne_fft.h"

namespace latent {

namespace {

using detail::parallel_chunks;

void report(const ProgressFn& p, float f, const std::string& stage) {
  if (p && !p(f, stage)) throw Cancelled();
}

RowMatrixXf pca_2d(const RowMatrixXf& x) {
  if (x.cols() == 2) return x;
  ObservationShape shape{static_cast<int>(x.cols()), 1, 1, -1e30f, 1e30f};
  auto pca = PcaSpace::fit(x, shape, PcaOptions{static_cast<int>(std::min<long>(2, x.cols())), 0.0});
  RowMatrixXf y = pca->encode_rows(x);
  if (y.cols() < 2) {
    RowMatrixXf z = RowMatrixXf::Zero(y.rows(), 2);
    z.leftCols(y.cols()) = y;
    return z;
  }
  return y;
}

// ---------------------------------------------------------------- UMAP-style

// xoshiro256** (Blackman & Vigna), seeded by splitmix64: a fast generator for the many
// negative samples of the UMAP-style layout.
struct Xoshiro256 {
  uint64_t s[4];
  explicit Xoshiro256(uint64_t seed) {
    for (auto& v : s) {
      uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      v = z ^ (z >> 31);
    }
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t operator()() {
    const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return r;
  }
};

// Four floats at a time with GCC/Clang vector extensions (SSE2 on x86-64, NEON on arm64).
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));

inline F4 select(I4 mask, F4 a, F4 b) {  // mask lanes are -1 (a) or 0 (b)
  I4 ia, ib;
  std::memcpy(&ia, &a, 16), std::memcpy(&ib, &b, 16);
  const I4 r = (ia & mask) | (ib & ~mask);
  F4 out;
  std::memcpy(&out, &r, 16);
  return out;
}
inline bool all_lanes(I4 mask) {  // every lane -1
#if defined(__SSE2__)
  __m128i m;
  std::memcpy(&m, &mask, 16);
  return _mm_movemask_ps(_mm_castsi128_ps(m)) == 0xf;
#else
  return (mask[0] & mask[1] & mask[2] & mask[3]) != 0;
#endif
}
inline F4 clip4(F4 v) {
  const F4 lo = {-4, -4, -4, -4}, hi = {4, 4, 4, 4};
  return select(v < lo, lo, select(v > hi, hi, v));
}

// x^b per lane for x > 0, as 2^(b log2 x) with a polynomial log2 of the mantissa
// (absolute error 2e-6) and a polynomial exp2 of the fraction (relative error 1e-7):
// relative error under 1e-5 for |b| <= 2, about a tenth of the cost of std::pow. x is
// clamped to [1e-30, 1e30] first; the callers treat x = 0 apart.
inline F4 pow4_positive(F4 x, float b) {
  const F4 tiny = {1e-30f, 1e-30f, 1e-30f, 1e-30f}, huge = {1e30f, 1e30f, 1e30f, 1e30f};
  x = select(x < tiny, tiny, select(x > huge, huge, x));
  I4 u;
  std::memcpy(&u, &x, 16);
  const F4 e = __builtin_convertvector((u >> 23) - 127, F4);
  u = (u & 0x7fffff) | 0x3f800000;
  F4 m;
  std::memcpy(&m, &u, 16);
  const F4 t = m - 1.f;
  const F4 l = ((((((-0.025123203f * t + 0.11929824f) * t - 0.27462326f) * t + 0.45552709f) * t - 0.71755787f) * t +
                 1.4424753f) * t + 2.1237409e-6f);
  F4 v = b * (e + l);
  const F4 vlo = {-126, -126, -126, -126}, vhi = {126, 126, 126, 126};
  v = select(v < vlo, vlo, select(v > vhi, vhi, v));
  I4 fi = __builtin_convertvector(v, I4);       // toward zero
  fi += __builtin_convertvector(fi, F4) > v;    // -1 where that rounded up: floor
  const F4 f = v - __builtin_convertvector(fi, F4);
  const F4 p = (((((0.0018951073f * f + 0.0089462147f) * f + 0.055863283f) * f + 0.24014077f) * f + 0.69315462f) * f +
                0.99999990f);
  const I4 ebits = (fi + 127) << 23;
  F4 scale;
  std::memcpy(&scale, &ebits, 16);
  return p * scale;
}

// Fits a, b of 1 / (1 + a d^(2b)) to the min_dist curve (as UMAP does), by grid search.
void fit_ab(double min_dist, double& a_out, double& b_out) {
  std::vector<double> xs, ys;
  for (int i = 1; i <= 300; ++i) {
    const double x = 3.0 * i / 300;
    xs.push_back(x);
    ys.push_back(x < min_dist ? 1.0 : std::exp(-(x - min_dist)));
  }
  std::vector<double> log_xs(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) log_xs[i] = std::log(xs[i]);
  auto err = [&](double a, double b) {
    double e = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double d = 1.0 / (1.0 + a * std::exp(2 * b * log_xs[i])) - ys[i];
      e += d * d;
    }
    return e;
  };
  double best = 1e30, ba = 1, bb = 1;
  for (double a = 0.1; a <= 5.0; a += 0.05)
    for (double b = 0.3; b <= 2.0; b += 0.02)
      if (const double e = err(a, b); e < best) best = e, ba = a, bb = b;
  // Refine around the best.
  for (double step = 0.02; step > 1e-4; step /= 2)
    for (double da : {-step, 0.0, step})
      for (double db : {-step, 0.0, step})
        if (const double e = err(ba + da, bb + db); e < best) best = e, ba += da, bb += db;
  a_out = ba, b_out = bb;
}

RowMatrixXf umap_layout(const RowMatrixXf& x, const ProjectionOptions& o) {
  const long n = x.rows();
  const int k = static_cast<int>(std::min<long>(std::max(2, o.neighbors), n - 1));
  std::vector<int> nn;
  std::vector<float> d2;
  knn_graph(x, k, nn, d2, o.approx_knn_above,
            [&](float f, const std::string& stage) { return !o.progress || o.progress(0.3f * f, stage); });
  // Fuzzy simplicial set: w_ij = exp(-(d_ij - rho_i) / sigma_i), sum = log2(k).
  std::vector<float> w(static_cast<size_t>(n) * k);
  const double target = std::log2(static_cast<double>(k));
  for (long i = 0; i < n; ++i) {
    const float* di = d2.data() + static_cast<size_t>(i) * k;
    double rho = 0;
    for (int j = 0; j < k; ++j)
      if (di[j] > 0) {
        rho = std::sqrt(di[j]);
        break;
      }
    double lo = 0, hi = 1e30, sigma = 1;
    for (int it = 0; it < 64; ++it) {
      double s = 0;
      for (int j = 0; j < k; ++j) s += std::exp(-std::max(0.0, std::sqrt(di[j]) - rho) / sigma);
      if (std::fabs(s - target) < 1e-5) break;
      if (s > target) hi = sigma, sigma = (lo + hi) / 2;
      else lo = sigma, sigma = hi >= 1e30 ? sigma * 2 : (lo + hi) / 2;
    }
    for (int j = 0; j < k; ++j) w[static_cast<size_t>(i) * k + j] = static_cast<float>(std::exp(-std::max(0.0, std::sqrt(di[j]) - rho) / sigma));
  }
  // Symmetrise: w + w^T - w * w^T, as an edge list.
  struct Edge {
    int i, j;
    float w;
  };
  std::vector<Edge> directed;
  directed.reserve(static_cast<size_t>(n) * k * 2);
  for (long i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) {
      const int t = nn[static_cast<size_t>(i) * k + j];
      directed.push_back({static_cast<int>(std::min<long>(i, t)), static_cast<int>(std::max<long>(i, t)), w[static_cast<size_t>(i) * k + j]});
    }
  std::sort(directed.begin(), directed.end(), [](const Edge& a, const Edge& b) { return a.i != b.i ? a.i < b.i : a.j < b.j; });
  std::vector<Edge> edges;
  for (size_t e = 0; e < directed.size();) {
    size_t f = e;
    float a = directed[e].w, b = 0;
    if (f + 1 < directed.size() && directed[f + 1].i == directed[e].i && directed[f + 1].j == directed[e].j) b = directed[++f].w;
    edges.push_back({directed[e].i, directed[e].j, a + b - a * b});
    e = f + 1;
  }
  {
    // Visit the edges in a seeded random order rather than sorted by their first point:
    // consecutive updates then rarely touch the same point and need not wait for each other.
    Xoshiro256 shuffle(o.seed ^ 0x5eed5eed5eed5eedULL);
    for (size_t e = edges.size(); e > 1; --e) std::swap(edges[e - 1], edges[((shuffle() >> 32) * e) >> 32]);
  }
  float wmax = 0;
  for (const auto& e : edges) wmax = std::max(wmax, e.w);
  const int epochs = o.umap_epochs > 0 ? o.umap_epochs : (n <= 10000 ? 500 : 200);
  std::vector<double> per_sample(edges.size()), next_sample(edges.size());
  for (size_t e = 0; e < edges.size(); ++e) {
    per_sample[e] = edges[e].w > 0 ? wmax / edges[e].w : 1e30;
    next_sample[e] = per_sample[e];
  }
  double a, b;
  fit_ab(o.min_dist, a, b);

  // Initial layout: PCA, scaled to [-10, 10].
  RowMatrixXf y = pca_2d(x);
  const float m = std::max(1e-12f, y.cwiseAbs().maxCoeff());
  y *= 10.f / m;
  Xoshiro256 rng(o.seed);
  // A uniform point index from the top 32 bits of one draw, by multiply-shift (for fewer
  // than 2^32 points; the bias, under n / 2^32, is negligible).
  auto any = [&rng, n]() { return static_cast<long>(((rng() >> 32) * static_cast<uint64_t>(n)) >> 32); };
  constexpr int kNegative = 5;
  // Each sampled edge (i, j) pulls i and j together and pushes i away from kNegative
  // random points t, all from the same position of i, in one batch of 8 lanes:
  // lane 0 the edge, lanes 1-5 the negative samples, lanes 6-7 unused. Per lane
  //   attraction (lane 0):  coef = -2ab d^(2(b-1)) / (1 + a d^(2b))
  //   repulsion (1-5):      coef = 2b / ((0.001 + d^2) (1 + a d^(2b)))
  // and the step is clip(coef * (y_i - y_other), +-4) * alpha. (umap-learn moves i after
  // each of these before computing the next; the steps are small and clipped, so the
  // difference is immaterial, and the batch does not wait on itself.)
  const float af = static_cast<float>(a), bf = static_cast<float>(b);
  const float two_ab = static_cast<float>(2.0 * a * b), two_b = static_cast<float>(2.0 * b);
  const F4 num_pb[2] = {{-two_ab, 0, 0, 0}, {0, 0, 0, 0}};             // numerator: num_pb d^(2b) + num_c
  const F4 num_c[2] = {{0, two_b, two_b, two_b}, {two_b, two_b, 0, 0}};
  const F4 den_c[2] = {{0, 0.001f, 0.001f, 0.001f}, {0.001f, 0.001f, 0, 0}};  // (d^2 + den_c)(1 + a d^(2b))
  const F4 at_zero[2] = {{0, 4, 4, 4}, {4, 4, 0, 0}};  // the push when d = 0 (none for the edge)
  for (int ep = 1; ep <= epochs; ++ep) {
    const float alpha = static_cast<float>(1.0 - double(ep - 1) / epochs);
    for (size_t e = 0; e < edges.size(); ++e) {
      if (next_sample[e] > ep) continue;
      next_sample[e] += per_sample[e];
      const int i = edges[e].i, j = edges[e].j;
      float* yi = y.row(i).data();
      float* yj = y.row(j).data();
      const float xi0 = yi[0], xi1 = yi[1];
      alignas(16) float ox[8], oy[8], keep[8];
      ox[0] = yj[0], oy[0] = yj[1], keep[0] = 1;
      for (int s = 1; s <= kNegative; ++s) {
        const long t = any();
        ox[s] = y(t, 0), oy[s] = y(t, 1), keep[s] = t == i ? 0.f : 1.f;
      }
      ox[6] = ox[7] = xi0 + 1, oy[6] = oy[7] = xi1, keep[6] = keep[7] = 0;
      F4 gx[2], gy[2];
      for (int h = 0; h < 2; ++h) {
        F4 vx, vy, kp;
        std::memcpy(&vx, ox + 4 * h, 16), std::memcpy(&vy, oy + 4 * h, 16), std::memcpy(&kp, keep + 4 * h, 16);
        const F4 dx = xi0 - vx, dy = xi1 - vy, d2 = dx * dx + dy * dy;
        const F4 pb = pow4_positive(d2, bf);
        const F4 coef = (num_pb[h] * pb + num_c[h]) / ((d2 + den_c[h]) * (1.f + af * pb));
        const I4 far = d2 > 0.f;
        gx[h] = kp * select(far, clip4(coef * dx), at_zero[h]);
        gy[h] = kp * select(far, clip4(coef * dy), at_zero[h]);
      }
      const float ex = gx[0][0] * alpha, ey = gy[0][0] * alpha;
      const F4 sx = gx[0] + gx[1], sy = gy[0] + gy[1];
      yi[0] = xi0 + (sx[0] + sx[1] + sx[2] + sx[3]) * alpha;
      yi[1] = xi1 + (sy[0] + sy[1] + sy[2] + sy[3]) * alpha;
      yj[0] -= ex, yj[1] -= ey;
    }
    if (ep % 10 == 0 || ep == epochs) {
      report(o.progress, 0.3f + 0.7f * ep / epochs, "layout");
      if (o.snapshot) o.snapshot(y);
    }
  }
  return y;
}

// ---------------------------------------------------------------- t-SNE (Barnes-Hut)

// Barnes-Hut quadtree, flattened in pre-order: the subtree of node k occupies
// nodes[k, nodes[k].skip) and its first child, if any, is node k + 1, so a traversal is a
// forward scan that either descends (k + 1) or jumps over a summarised cell (skip).
// Built each iteration from the points sorted by Morton code; chains of cells with a
// single non-empty child are collapsed (a cell is only ever summarised when its child
// would be, so this changes no result), and empty cells are not stored.
struct QuadTree {
  struct Node {
    float mx, my;  // centre of mass
    float open;    // (cell width / theta)^2: summarised when the squared distance exceeds it; -1 for a leaf
    float count;   // points in the cell
    int skip;      // one past the last node of the subtree
  };
  static constexpr int kBits = 21;  // levels below the root: leaves are 2^-21 of the root's width
  std::vector<Node> nodes;
  std::vector<std::pair<uint64_t, int>> order, scratch;  // (Morton code, point), sorted
  const float* y = nullptr;
  double root_width = 0, inv_theta2 = 0;

  // Sorts the points by their Morton code in the square around them, ties in index order
  // (`order`): the tree's leaf order, and the order large maps renumber their points in.
  void sort_morton(const RowMatrixXf& pts) {
    y = pts.data();
    const long n = pts.rows();
    float minx = y[0], maxx = y[0], miny = y[1], maxy = y[1];
    for (long i = 1; i < n; ++i) {
      minx = std::min(minx, y[2 * i]), maxx = std::max(maxx, y[2 * i]);
      miny = std::min(miny, y[2 * i + 1]), maxy = std::max(maxy, y[2 * i + 1]);
    }
    root_width = std::max<double>(std::max(maxx - minx, maxy - miny), 1e-30) * (1 + 1e-6);
    const double scale = double(1 << kBits) / root_width;
    order.resize(n);
    for (long i = 0; i < n; ++i) {
      const auto cx = static_cast<uint64_t>(std::clamp((y[2 * i] - double(minx)) * scale, 0.0, double((1 << kBits) - 1)));
      const auto cy = static_cast<uint64_t>(std::clamp((y[2 * i + 1] - double(miny)) * scale, 0.0, double((1 << kBits) - 1)));
      order[i] = {interleave(cx) | interleave(cy) << 1, static_cast<int>(i)};
    }
    // Stable LSD radix sort on the 42-bit codes, 11 bits a pass (the points start in index
    // order, so ties stay in index order).
    scratch.resize(n);
    for (int pass = 0; pass < 4; ++pass) {
      const int shift = 11 * pass;
      std::array<int, 2049> count{};
      for (const auto& e : order) ++count[((e.first >> shift) & 2047) + 1];
      for (int c = 0; c < 2048; ++c) count[c + 1] += count[c];
      for (const auto& e : order) scratch[count[(e.first >> shift) & 2047]++] = e;
      order.swap(scratch);
    }
  }
  void build(const RowMatrixXf& pts, double theta) {
    sort_morton(pts);
    inv_theta2 = theta > 0 ? 1.0 / (theta * theta) : std::numeric_limits<double>::infinity();
    const long n = pts.rows();
    nodes.clear();
    nodes.reserve(static_cast<size_t>(n) * 2);
    double sx, sy;
    add(0, static_cast<int>(n), sx, sy);
  }
  static uint64_t interleave(uint64_t v) {  // bits 0..20 of v -> bits 0, 2, ..., 40
    v &= 0x1fffff;
    v = (v | v << 16) & 0x0000ffff0000ffffULL;
    v = (v | v << 8) & 0x00ff00ff00ff00ffULL;
    v = (v | v << 4) & 0x0f0f0f0f0f0f0f0fULL;
    v = (v | v << 2) & 0x3333333333333333ULL;
    v = (v | v << 1) & 0x5555555555555555ULL;
    return v;
  }
  // Adds the node of the sorted points [lo, hi) and its subtree; returns their coordinate sums.
  void add(int lo, int hi, double& sx, double& sy) {
    const int me = static_cast<int>(nodes.size());
    nodes.push_back({});
    sx = sy = 0;
    const uint64_t diff = order[lo].first ^ order[hi - 1].first;
    if (hi - lo == 1 || diff == 0) {  // one point, or points in the same finest cell
      for (int e = lo; e < hi; ++e) sx += y[2 * order[e].second], sy += y[2 * order[e].second + 1];
      nodes[me] = {static_cast<float>(sx / (hi - lo)), static_cast<float>(sy / (hi - lo)), -1.f, float(hi - lo), me + 1};
      return;
    }
    // The smallest cell holding all of them: its level is set by the highest differing bit.
    const int top_bit = 63 - __builtin_clzll(diff);  // 0..41
    const int level = kBits - 1 - top_bit / 2;      // 0 = root
    const int shift = 2 * (kBits - 1 - level);       // the child digit's position
    const double width = std::ldexp(root_width, -level);
    for (int e = lo; e < hi;) {
      const uint64_t digit = (order[e].first >> shift) & 3;
      int f = e + 1;
      while (f < hi && ((order[f].first >> shift) & 3) == digit) ++f;
      double cx, cy;
      add(e, f, cx, cy);
      sx += cx, sy += cy;
      e = f;
    }
    nodes[me] = {static_cast<float>(sx / (hi - lo)), static_cast<float>(sy / (hi - lo)),
                 static_cast<float>(std::min(width * width * inv_theta2, 3e38)), float(hi - lo),
                 static_cast<int>(nodes.size())};
  }
  // Repulsion on four points at once (the lanes of px, py) from all points, each point
  // itself included (a term q = 1 with no force; the caller takes 1 off the sum). A cell
  // is summarised only when it is far enough from all four (it is opened for all of them
  // otherwise, which is never less accurate); points that follow each other in Morton
  // order are close, so they mostly agree. Returns sum q per lane and sets (fx, fy) to
  // sum q^2 (p - y_j), q = 1 / (1 + |p - y_j|^2).
  F4 repulse4(F4 px, F4 py, F4& fx, F4& fy) const {
    F4 z = {0, 0, 0, 0}, ax = z, ay = z;
    const Node* nd = nodes.data();
    const int end = static_cast<int>(nodes.size());
    for (int k = 0; k < end;) {
      const Node& c = nd[k];
      const F4 dx = px - c.mx, dy = py - c.my, d2 = dx * dx + dy * dy;
      const F4 open = {c.open, c.open, c.open, c.open};
      if (all_lanes(open < d2)) {
        const F4 q = 1.f / (1.f + d2), cq = c.count * q, cqq = cq * q;
        z += cq, ax += cqq * dx, ay += cqq * dy;
        k = c.skip;
      } else {
        ++k;
      }
    }
    fx = ax, fy = ay;
    return z;
  }
};

RowMatrixXf tsne_layout(const RowMatrixXf& x, const ProjectionOptions& o, double* kl_out = nullptr) {
  const long n = x.rows();
  const double perplexity = std::min(o.perplexity, (n - 1) / 3.0);
  const int k = static_cast<int>(std::min<long>(n - 1, static_cast<long>(3 * perplexity + 1)));
  std::vector<int> nn;
  std::vector<float> d2;
  knn_graph(x, k, nn, d2, o.approx_knn_above,
            [&](float f, const std::string& stage) { return !o.progress || o.progress(0.2f * f, stage); });
  // Conditional probabilities with the perplexity asked for.
  std::vector<double> p(static_cast<size_t>(n) * k);
  const double log_u = std::log(perplexity);
  parallel_chunks(n, [&](long begin, long end) {
    for (long i = begin; i < end; ++i) {
      const float* di = d2.data() + static_cast<size_t>(i) * k;
      // The entropy H(beta) = beta E[gap] + log sum exp(-beta gap) falls as beta grows,
      // with slope -beta Var[gap]: Newton steps, kept inside the bracket [lo, hi] that
      // the signs so far allow (a step that leaves it bisects instead). A handful of
      // steps where bisection alone takes twenty or more.
      const double mean_gap = (di[k - 1] - di[0]) / 2;
      double beta = mean_gap > 0 ? 1.0 / mean_gap : 1.0, lo = 0, hi = 1e300;
      double* pi = p.data() + static_cast<size_t>(i) * k;
      for (int it = 0; it < 100; ++it) {
        double sum = 0, m1 = 0, m2 = 0;
        for (int j = 0; j < k; ++j) {
          const double gap = di[j] - di[0];
          sum += pi[j] = std::exp(-beta * gap);
          m1 += gap * pi[j], m2 += gap * gap * pi[j];
        }
        m1 /= sum, m2 /= sum;
        const double h = beta * m1 + std::log(sum);
        if (std::fabs(h - log_u) < 1e-5) break;
        if (h > log_u) lo = beta;
        else hi = beta;
        const double slope = -beta * (m2 - m1 * m1);
        double next = slope < 0 ? beta - (h - log_u) / slope : -1;
        if (!(next > lo && next < hi)) next = hi >= 1e300 ? beta * 2 : (lo + hi) / 2;
        beta = next;
      }
      double sum = 0;
      for (int j = 0; j < k; ++j) sum += pi[j];
      for (int j = 0; j < k; ++j) pi[j] /= sum;
    }
  });
  // Symmetrise into CSR: P_ij = (p_j|i + p_i|j) / 2N. Each row gathers its own k entries
  // and those of the points that list it; sorted by column (then value, so that the sums
  // do not depend on the order they were gathered in), duplicates summed.
  std::vector<long> fill(n + 1, 0);
  for (long i = 0; i < n; ++i) {
    fill[i + 1] += k;
    for (int j = 0; j < k; ++j) ++fill[nn[static_cast<size_t>(i) * k + j] + 1];
  }
  for (long i = 0; i < n; ++i) fill[i + 1] += fill[i];
  std::vector<std::pair<int, float>> entries(fill[n]);  // (column, value): 8 bytes, for memory's sake
  {
    std::vector<long> at(fill.begin(), fill.end() - 1);
    for (long i = 0; i < n; ++i)
      for (int j = 0; j < k; ++j) {
        const int t = nn[static_cast<size_t>(i) * k + j];
        const float v = static_cast<float>(p[static_cast<size_t>(i) * k + j] / (2.0 * n));
        entries[at[i]++] = {t, v};
        entries[at[t]++] = {static_cast<int>(i), v};
      }
  }
  std::vector<double>().swap(p);
  std::vector<int> kept(n);
  parallel_chunks(n, [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      auto* first = entries.data() + fill[i];
      auto* last = entries.data() + fill[i + 1];
      std::sort(first, last);
      int w = 0;
      for (auto* r = first; r < last;) {
        auto* f = r;
        float v = 0;
        while (f < last && f->first == r->first) v += (f++)->second;
        first[w++] = {r->first, v};
        r = f;
      }
      kept[i] = w;
    }
  });
  std::vector<int> row_start(n + 1, 0);
  for (long i = 0; i < n; ++i) row_start[i + 1] = row_start[i] + kept[i];
  std::vector<int> col(row_start[n]);
  std::vector<float> pval(row_start[n]);
  parallel_chunks(n, [&](long b, long e) {
    for (long i = b; i < e; ++i)
      for (int c = 0; c < kept[i]; ++c) {
        const auto& en = entries[fill[i] + c];
        col[row_start[i] + c] = en.first, pval[row_start[i] + c] = en.second;
      }
  });
  std::vector<std::pair<int, float>>().swap(entries);

  // Initial layout: PCA scaled so the first axis has sd 1e-4 (as scikit-learn does).
  RowMatrixXf y = pca_2d(x);
  {
    const double mean0 = y.col(0).mean();
    const double sd = std::sqrt((y.col(0).array() - mean0).square().mean());
    y *= static_cast<float>(1e-4 / std::max(sd, 1e-12));
  }
  const double exaggeration = 12.0;
  const double lr = std::max(n / exaggeration / 4.0, 50.0);
  const int iters = std::max(o.tsne_iterations, 251);
  // Per point: the gradient's repulsive and attractive parts and the point's share of Z,
  // computed in parallel (each point on its own, Z summed in point order afterwards, so
  // the result does not depend on the number of threads). The repulsion comes from a
  // Barnes-Hut tree, or above tsne_fft_above points from FFT interpolation (tsne_fft.h).
  std::vector<double> update(2 * n, 0.0), gains(2 * n, 1.0), attract(2 * n), repulse(2 * n), zpart(n);
  const bool use_fft = o.tsne_fft_above > 0 && n > o.tsne_fft_above;
  QuadTree tree;
  detail::TsneFftRepulsion fft;
  // Attraction on point i at (yi0, yi1): sum_j p_ij q_ij (y_i - y_j) (q unnormalised),
  // four neighbours at a time.
  auto attraction = [&](long i, float yi0, float yi1, double exag) {
    const float* yd = y.data();
    int e = row_start[i];
    const int e_end = row_start[i + 1];
    F4 ax4 = {0, 0, 0, 0}, ay4 = ax4;
    for (; e + 4 <= e_end; e += 4) {
      const int* c = col.data() + e;
      const F4 xj = {yd[2 * c[0]], yd[2 * c[1]], yd[2 * c[2]], yd[2 * c[3]]};
      const F4 yj = {yd[2 * c[0] + 1], yd[2 * c[1] + 1], yd[2 * c[2] + 1], yd[2 * c[3] + 1]};
      F4 pv;
      std::memcpy(&pv, pval.data() + e, 16);
      const F4 dx = yi0 - xj, dy = yi1 - yj, pq = pv / (1.f + dx * dx + dy * dy);
      ax4 += pq * dx, ay4 += pq * dy;
    }
    float ax = (ax4[0] + ax4[1]) + (ax4[2] + ax4[3]), ay = (ay4[0] + ay4[1]) + (ay4[2] + ay4[3]);
    for (; e < e_end; ++e) {
      const int j = col[e];
      const float dx = yi0 - yd[2 * j], dy = yi1 - yd[2 * j + 1];
      const float pq = pval[e] / (1.f + dx * dx + dy * dy);
      ax += pq * dx, ay += pq * dy;
    }
    attract[2 * i] = exag * ax, attract[2 * i + 1] = exag * ay;
  };
  auto forces = [&](double exag) {
    if (use_fft) {
      const double z = fft.compute(y.data(), n, repulse.data());
      parallel_chunks(n, [&](long b, long e) {
        for (long i = b; i < e; ++i) attraction(i, y(i, 0), y(i, 1), exag);
      });
      return z;
    }
    tree.build(y, o.theta);
    // Four points at a time, in Morton order (neighbours walk the same cells).
    auto packets = [&](long p0, long p1) {
      for (long p = p0; p < p1; ++p) {
        long idx[4];
        F4 px, py, fx, fy;
        for (int l = 0; l < 4; ++l) {
          idx[l] = tree.order[std::min(4 * p + l, n - 1)].second;  // the last packet repeats its last point
          px[l] = y(idx[l], 0), py[l] = y(idx[l], 1);
        }
        const F4 zq = tree.repulse4(px, py, fx, fy);
        for (int l = 0; l < 4 && 4 * p + l < n; ++l) {
          const long i = idx[l];
          zpart[i] = double(zq[l]) - 1.0;  // without the point itself
          repulse[2 * i] = fx[l], repulse[2 * i + 1] = fy[l];
          attraction(i, px[l], py[l], exag);
        }
      }
    };
    parallel_chunks((n + 3) / 4, packets, 64);
    double z = 0;
    for (long i = 0; i < n; ++i) z += zpart[i];
    return z;
  };
  // On large maps the points are renumbered in the Morton order of the layout (at the
  // start and again when the clusters have formed), so that a point's neighbours sit near
  // it in memory: the attraction's reads of their positions then mostly hit the cache.
  // original[r] is the caller's index of point r.
  std::vector<int> original, col_spare;
  std::vector<float> pval_spare;
  auto renumber = [&] {
    if (original.empty()) {
      original.resize(n);
      std::iota(original.begin(), original.end(), 0);
    }
    QuadTree morton;
    morton.sort_morton(y);
    const auto& code = morton.order;
    std::vector<int> inv(n);
    for (long r = 0; r < n; ++r) inv[code[r].second] = static_cast<int>(r);
    RowMatrixXf y2(n, 2);
    std::vector<double> update2(2 * n), gains2(2 * n);
    std::vector<int> original2(n), row_start2(n + 1, 0);
    col_spare.resize(col.size()), pval_spare.resize(pval.size());  // fresh memory the first time only
    for (long r = 0; r < n; ++r) {
      const int o = code[r].second;
      y2.row(r) = y.row(o);
      update2[2 * r] = update[2 * o], update2[2 * r + 1] = update[2 * o + 1];
      gains2[2 * r] = gains[2 * o], gains2[2 * r + 1] = gains[2 * o + 1];
      original2[r] = original[o];
      row_start2[r + 1] = row_start2[r] + (row_start[o + 1] - row_start[o]);
    }
    parallel_chunks(n, [&](long b, long e) {
      for (long r = b; r < e; ++r) {
        const int o = code[r].second;
        for (int f = row_start[o], t = row_start2[r]; f < row_start[o + 1]; ++f, ++t)
          col_spare[t] = inv[col[f]], pval_spare[t] = pval[f];
      }
    });
    y.swap(y2), update.swap(update2), gains.swap(gains2), original.swap(original2);
    row_start.swap(row_start2), col.swap(col_spare), pval.swap(pval_spare);
  };
  // The layout in the caller's order.
  auto in_caller_order = [&] {
    if (original.empty()) return y;
    RowMatrixXf out(n, 2);
    for (long r = 0; r < n; ++r) out.row(original[r]) = y.row(r);
    return out;
  };
  for (int it = 0; it < iters; ++it) {
    const bool early = it < 250;
    const double exag = early ? exaggeration : 1.0;
    const double momentum = early ? 0.5 : 0.8;
    if (use_fft && (it == 0 || it == 250)) renumber();
    const double z = forces(exag);
    const double inv_z = 1.0 / z;
    float* yd = y.data();
    for (long c = 0; c < 2 * n; ++c) {
      const double grad = 4.0 * (attract[c] - repulse[c] * inv_z);
      const bool same = (grad > 0) == (update[c] > 0);
      gains[c] = std::max(0.01, same ? gains[c] * 0.8 : gains[c] + 0.2);
      update[c] = momentum * update[c] - lr * gains[c] * grad;
      yd[c] += static_cast<float>(update[c]);
    }
    if (it % 10 == 0 || it == iters - 1) {
      report(o.progress, 0.2f + 0.8f * (it + 1) / iters,
             early ? (use_fft ? "t-SNE (early exaggeration, FFT)" : "t-SNE (early exaggeration)")
                   : (use_fft ? "t-SNE (FFT)" : "t-SNE"));
      if (o.snapshot) o.snapshot(in_caller_order());
    }
  }
  if (kl_out) {
    const double z = forces(1.0);
    double kl = 0;
    for (long i = 0; i < n; ++i)
      for (int e = row_start[i]; e < row_start[i + 1]; ++e) {
        const int j = col[e];
        const double dx = y(i, 0) - y(j, 0), dy = y(i, 1) - y(j, 1);
        const double q = 1.0 / (1.0 + dx * dx + dy * dy) / z;
        if (pval[e] > 0) kl += pval[e] * std::log(pval[e] / std::max(q, 1e-300));
      }
    *kl_out = kl;
  }
  return in_caller_order();
}

}  // namespace

ProjectionMethod parse_projection_method(const std::string& name) {
  if (name == "pca") return ProjectionMethod::Pca;
  if (name == "tsne" || name == "t-sne") return ProjectionMethod::Tsne;
  if (name == "umap") return ProjectionMethod::Umap;
  throw UnsupportedError("unknown projection method '" + name + "' (known: pca, tsne, umap)");
}

const char* to_string(ProjectionMethod m) {
  switch (m) {
    case ProjectionMethod::Pca: return "pca";
    case ProjectionMethod::Tsne: return "tsne";
    case ProjectionMethod::Umap: return "umap";
  }
  return "?";
}

void exact_knn(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
               const ProgressFn& progress) {
  const long n = points.rows();
  const int d = static_cast<int>(points.cols());
  if (k <= 0 || k >= n) throw UnsupportedError("k must be between 1 and the number of points minus 1");
  indices.assign(static_cast<size_t>(n) * k, 0);
  sq_dists.assign(static_cast<size_t>(n) * k, 0.f);
  Eigen::VectorXf norms = points.rowwise().squaredNorm();
  constexpr long kBlock = 512;
  using Cand = std::pair<float, int>;  // (squared distance, index)
  if (static_cast<long>(k) * 8 > n) {
    // Many neighbours (trustworthiness asks for all): every row sorted in full.
    std::vector<float> dots(static_cast<size_t>(kBlock) * n);
    for (long b = 0; b < n; b += kBlock) {
      const int rows = static_cast<int>(std::min(kBlock, n - b));
      blas::gemm_scores(points.row(b).data(), rows, points.data(), static_cast<int>(n), d, dots.data());
      parallel_chunks(rows, [&](long r0, long r1) {
        std::vector<Cand> row(n);
        for (long r = r0; r < r1; ++r) {
          const long i = b + r;
          const float* dr = dots.data() + static_cast<size_t>(r) * n;
          for (long j = 0; j < n; ++j) row[j] = {std::max(0.f, norms[i] + norms[j] - 2.f * dr[j]), static_cast<int>(j)};
          row[i].first = std::numeric_limits<float>::infinity();
          std::partial_sort(row.begin(), row.begin() + k, row.end());
          for (int j = 0; j < k; ++j) {
            indices[static_cast<size_t>(i) * k + j] = row[j].second;
            sq_dists[static_cast<size_t>(i) * k + j] = row[j].first;
          }
        }
      });
      report(progress, float(b + rows) / n, "nearest neighbours");
    }
    return;
  }
  // Few neighbours: a max-heap of the k best (distance, index) pairs per row, fed only by
  // candidates that beat its worst. Each distance is computed once, for the pair (i, j)
  // with i's block at or before j's: the block of rows [b, b + 512) times the columns
  // [b, n) is one GEMM, whose rows feed the heaps of the block's points and whose columns
  // those of the later points. The k smallest (distance, index) pairs do not depend on
  // the order they arrive in, so neither does the result.
  std::vector<Cand> heaps(static_cast<size_t>(n) * k, Cand{std::numeric_limits<float>::infinity(), std::numeric_limits<int>::max()});
  std::vector<float> worst(n, std::numeric_limits<float>::infinity());
  auto offer = [&](long row, float dist, int j) {
    Cand* h = heaps.data() + static_cast<size_t>(row) * k;
    const Cand c{dist, j};
    if (!(c < h[0])) return;
    std::pop_heap(h, h + k);
    h[k - 1] = c;
    std::push_heap(h, h + k);
    worst[row] = h[0].first;
  };
  std::vector<float> dots(static_cast<size_t>(kBlock) * n);
  const double total = 0.5 * double(n) * double(n + kBlock);
  double done = 0;
  for (long b = 0; b < n; b += kBlock) {
    const int rows = static_cast<int>(std::min(kBlock, n - b));
    const long cols = n - b;
    blas::gemm_scores(points.row(b).data(), rows, points.row(b).data(), static_cast<int>(cols), d, dots.data());
    // Rows of the block: candidates from the columns b.. (the block itself included).
    parallel_chunks(rows, [&](long r0, long r1) {
      for (long r = r0; r < r1; ++r) {
        const long i = b + r;
        const float* dr = dots.data() + static_cast<size_t>(r) * cols;
        const float ni = norms[i];
        for (long c = 0; c < cols; ++c) {
          const long j = b + c;
          const float dist = std::max(0.f, ni + norms[j] - 2.f * dr[c]);
          if (dist <= worst[i] && j != i) offer(i, dist, static_cast<int>(j));
        }
      }
    });
    // Later rows j >= b + rows: candidates from the block's points, a tile of columns at a time.
    const long later = cols - rows;
    constexpr long kTile = 64;
    const long tiles = (later + kTile - 1) / kTile;
    auto later_rows = [&](long t0, long t1) {
      for (long t = t0; t < t1; ++t) {
        const long c0 = rows + t * kTile, c1 = std::min(cols, c0 + kTile);
        for (long r = 0; r < rows; ++r) {
          const float* dr = dots.data() + static_cast<size_t>(r) * cols;
          const float ni = norms[b + r];
          for (long c = c0; c < c1; ++c) {
            const long j = b + c;
            const float dist = std::max(0.f, ni + norms[j] - 2.f * dr[c]);
            if (dist <= worst[j]) offer(j, dist, static_cast<int>(b + r));
          }
        }
      }
    };
    parallel_chunks(tiles, later_rows, 1);
    done += double(rows) * double(cols);
    report(progress, static_cast<float>(std::min(1.0, done / total)), "nearest neighbours");
  }
  parallel_chunks(n, [&](long r0, long r1) {
    for (long i = r0; i < r1; ++i) {
      Cand* h = heaps.data() + static_cast<size_t>(i) * k;
      std::sort_heap(h, h + k);
      for (int j = 0; j < k; ++j) {
        indices[static_cast<size_t>(i) * k + j] = h[j].second;
        sq_dists[static_cast<size_t>(i) * k + j] = h[j].first;
      }
    }
  });
}

double tsne_repulsion(const RowMatrixXf& y, TsneRepulsion method, double theta, RowMatrixXf& force) {
  if (y.cols() != 2 || y.rows() < 2) throw UnsupportedError("t-SNE's repulsion needs a layout of at least 2 points in 2-D");
  const long n = y.rows();
  force.resize(n, 2);
  std::vector<double> f(2 * n);
  double z = 0;
  if (method == TsneRepulsion::Fft) {
    detail::TsneFftRepulsion fft;
    z = fft.compute(y.data(), n, f.data());
  } else {
    QuadTree tree;
    tree.build(y, theta);
    for (long i = 0; i < n; ++i) {
      F4 fx, fy;
      const F4 px = {y(i, 0), y(i, 0), y(i, 0), y(i, 0)}, py = {y(i, 1), y(i, 1), y(i, 1), y(i, 1)};
      z += double(tree.repulse4(px, py, fx, fy)[0]) - 1.0;
      f[2 * i] = fx[0], f[2 * i + 1] = fy[0];
    }
  }
  for (long i = 0; i < n; ++i) force(i, 0) = static_cast<float>(f[2 * i]), force(i, 1) = static_cast<float>(f[2 * i + 1]);
  return z;
}

double trustworthiness(const RowMatrixXf& high, const RowMatrixXf& low, int k) {
  const long n = high.rows();
  // Ranks in the high-dimensional space: full distance ordering per point.
  std::vector<int> hn, ln;
  std::vector<float> hd, ld;
  exact_knn(high, static_cast<int>(n - 1), hn, hd);
  exact_knn(low, k, ln, ld);
  double penalty = 0;
  std::vector<int> rank(n);
  for (long i = 0; i < n; ++i) {
    for (long r = 0; r < n - 1; ++r) rank[hn[static_cast<size_t>(i) * (n - 1) + r]] = static_cast<int>(r + 1);
    for (int j = 0; j < k; ++j) {
      const int r = rank[ln[static_cast<size_t>(i) * k + j]];
      if (r > k) penalty += r - k;
    }
  }
  return 1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty;
}

RowMatrixXf project_2d(const RowMatrixXf& points, const ProjectionOptions& options) {
  if (points.rows() < 3) throw UnsupportedError("a map needs at least 3 points");
  // (Checked as one flat array: Eigen walks a row-major matrix column by column here.)
  if (!Eigen::Map<const Eigen::ArrayXf>(points.data(), points.size()).allFinite()) throw UnsupportedError("the points contain values that are not finite numbers");
  switch (options.method) {
    case ProjectionMethod::Pca: {
      report(options.progress, 0.f, "PCA");
      RowMatrixXf y = pca_2d(points);
      report(options.progress, 1.f, "PCA");
      return y;
    }
    case ProjectionMethod::Umap: return umap_layout(points, options);
    case ProjectionMethod::Tsne: return tsne_layout(points, options);
  }
  throw UnsupportedError("unknown projection method");
}

namespace {
constexpr long kMapLeaf = 8;  // points per leaf of the map's 2-d tree
// A node covering [lo, hi) splits at lo + (hi - lo) / 2, so the ranges follow from the
// node alone and need not be stored.
inline long map_mid(long lo, long hi) { return lo + (hi - lo) / 2; }
}  // namespace

MapIndex::MapIndex(const float* xy, long n) : count_(std::max(0L, n)) {
  points_.reserve(static_cast<size_t>(count_));
  for (long i = 0; i < count_; ++i)
    if (std::isfinite(xy[2 * i]) && std::isfinite(xy[2 * i + 1])) points_.push_back({xy[2 * i], xy[2 * i + 1], static_cast<int>(i)});
  const long m = static_cast<long>(points_.size());
  if (m == 0) return;
  // Depth: ranges at one depth differ by at most one point, so a node is a leaf by that depth.
  int depth = 0;
  while ((m + (1L << depth) - 1) >> depth > kMapLeaf) ++depth;
  boxes_.resize((size_t{2} << depth) - 1);
  build(0, 0, m);
  min_x_ = boxes_[0].x0, min_y_ = boxes_[0].y0, max_x_ = boxes_[0].x1, max_y_ = boxes_[0].y1;
}

void MapIndex::build(size_t node, long lo, long hi) {
  Box b{points_[lo].x, points_[lo].y, points_[lo].x, points_[lo].y};
  for (long e = lo + 1; e < hi; ++e) {
    b.x0 = std::min(b.x0, points_[e].x), b.x1 = std::max(b.x1, points_[e].x);
    b.y0 = std::min(b.y0, points_[e].y), b.y1 = std::max(b.y1, points_[e].y);
  }
  boxes_[node] = b;
  if (hi - lo <= kMapLeaf) return;
  // Split the wider side at the median.
  const long mid = map_mid(lo, hi);
  const bool by_x = b.x1 - b.x0 >= b.y1 - b.y0;
  std::nth_element(points_.begin() + lo, points_.begin() + mid, points_.begin() + hi,
                   [by_x](const Point& p, const Point& q) { return by_x ? p.x < q.x : p.y < q.y; });
  build(2 * node + 1, lo, mid);
  build(2 * node + 2, mid, hi);
}

namespace {
double box_d2(double x0, double y0, double x1, double y1, double x, double y) {  // 0 inside
  const double dx = x < x0 ? x0 - x : x > x1 ? x - x1 : 0.0, dy = y < y0 ? y0 - y : y > y1 ? y - y1 : 0.0;
  return dx * dx + dy * dy;
}
}  // namespace

long MapIndex::nearest(float x, float y, float max_dist, const std::function<bool(long)>& keep) const {
  if (points_.empty() || !(max_dist >= 0)) return -1;
  double best_d2 = static_cast<double>(max_dist) * max_dist;
  long best = -1;
  nearest_in(0, 0, static_cast<long>(points_.size()), x, y, keep, best_d2, best);
  return best;
}

void MapIndex::nearest_in(size_t node, long lo, long hi, double x, double y, const std::function<bool(long)>& keep,
                          double& best_d2, long& best) const {
  if (hi - lo <= kMapLeaf) {
    for (long e = lo; e < hi; ++e) {
      const Point& p = points_[e];
      const double dx = p.x - x, dy = p.y - y, d2 = dx * dx + dy * dy;
      if ((d2 < best_d2 || (d2 == best_d2 && (best < 0 || p.id < best))) && (!keep || keep(p.id))) best_d2 = d2, best = p.id;
    }
    return;
  }
  // The nearer child first; a child farther than the best so far is skipped (one exactly
  // as far is still visited: it may hold a lower index at the same distance).
  const long mid = map_mid(lo, hi);
  const size_t l = 2 * node + 1, r = l + 1;
  const Box &bl = boxes_[l], &br = boxes_[r];
  const double dl = box_d2(bl.x0, bl.y0, bl.x1, bl.y1, x, y), dr = box_d2(br.x0, br.y0, br.x1, br.y1, x, y);
  if (dl <= dr) {
    if (dl <= best_d2) nearest_in(l, lo, mid, x, y, keep, best_d2, best);
    if (dr <= best_d2) nearest_in(r, mid, hi, x, y, keep, best_d2, best);
  } else {
    if (dr <= best_d2) nearest_in(r, mid, hi, x, y, keep, best_d2, best);
    if (dl <= best_d2) nearest_in(l, lo, mid, x, y, keep, best_d2, best);
  }
}

std::vector<long> MapIndex::inside(float x0, float y0, float x1, float y1) const {
  std::vector<long> out;
  if (points_.empty() || !(x0 <= x1) || !(y0 <= y1)) return out;
  inside_in(0, 0, static_cast<long>(points_.size()), Box{x0, y0, x1, y1}, out);
  std::sort(out.begin(), out.end());
  return out;
}

void MapIndex::inside_in(size_t node, long lo, long hi, const Box& r, std::vector<long>& out) const {
  const Box& b = boxes_[node];
  if (b.x1 < r.x0 || b.y1 < r.y0 || b.x0 > r.x1 || b.y0 > r.y1) return;  // apart
  const bool all = b.x0 >= r.x0 && b.x1 <= r.x1 && b.y0 >= r.y0 && b.y1 <= r.y1;
  if (all || hi - lo <= kMapLeaf) {
    for (long e = lo; e < hi; ++e) {
      const Point& p = points_[e];
      if (all || (p.x >= r.x0 && p.x <= r.x1 && p.y >= r.y0 && p.y <= r.y1)) out.push_back(p.id);
    }
    return;
  }
  const long mid = map_mid(lo, hi);
  inside_in(2 * node + 1, lo, mid, r, out);
  inside_in(2 * node + 2, mid, hi, r, out);
}

}  // namespace latent
