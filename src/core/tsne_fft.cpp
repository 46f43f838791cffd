#include "tsne_fft.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "parallel_progress.h"

namespace latent::detail {

namespace {

constexpr int kLanes = 16;  // columns (or rows) transformed together, one SIMD-friendly tile

// Decimation-in-time butterflies over S rows of kLanes lanes (split planes tr and ti,
// S * kLanes each), the input already in bit-reversed order: one radix-2 stage when log2 S
// is odd, then radix-4 passes (two radix-2 stages each, one trip through the tile).
// sign -1 conjugates the twiddles (the inverse). Compiled twice, for AVX2 and for plain
// x86-64 (no FMA in either: the same bits on every machine), and picked at run time.
// (The 8-lane helpers are inline and internal: the ABI note GCC gives for them without
// AVX does not apply.)
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float V8 __attribute__((vector_size(32)));  // 8 lanes: AVX, or two SSE registers
constexpr int kVectors = kLanes / 8;

inline V8 load(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, V8 v) { std::memcpy(p, &v, sizeof v); }

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
void butterflies(float* tr, float* ti, int S, int log2s, const float* wr, const float* wi, float sign) {
  int half = 1;
  if (log2s % 2 == 1) {
    for (int a = 0; a < S; a += 2)
      for (int v = 0; v < kVectors; ++v) {
        float* ar = tr + static_cast<size_t>(a) * kLanes + 8 * v;
        float* ai = ti + static_cast<size_t>(a) * kLanes + 8 * v;
        const V8 xr = load(ar), xi = load(ai), yr = load(ar + kLanes), yi = load(ai + kLanes);
        store(ar, xr + yr), store(ai, xi + yi), store(ar + kLanes, xr - yr), store(ai + kLanes, xi - yi);
      }
    half = 2;
  }
  for (; 4 * half <= S; half *= 4) {
    const int step1 = S / (2 * half), step2 = S / (4 * half);
    const size_t gap = static_cast<size_t>(half) * kLanes;
    for (int start = 0; start < S; start += 4 * half)
      for (int j = 0; j < half; ++j) {
        // Stage 1 pairs (0, 1) and (2, 3) with w1 = W_{2m}^j; stage 2 pairs (0, 2) with
        // w2 = W_{4m}^j and (1, 3) with W_{4m}^{j+m} = -i w2 (+i for the inverse).
        const float c1 = wr[j * step1], s1 = sign * wi[j * step1];
        const float c2 = wr[j * step2], s2 = sign * wi[j * step2];
        for (int v = 0; v < kVectors; ++v) {
          float* r = tr + static_cast<size_t>(start + j) * kLanes + 8 * v;
          float* i = ti + static_cast<size_t>(start + j) * kLanes + 8 * v;
          const V8 r0 = load(r), i0 = load(i), r1 = load(r + gap), i1 = load(i + gap);
          const V8 r2 = load(r + 2 * gap), i2 = load(i + 2 * gap), r3 = load(r + 3 * gap), i3 = load(i + 3 * gap);
          const V8 t1r = r1 * c1 - i1 * s1, t1i = r1 * s1 + i1 * c1;
          const V8 t3r = r3 * c1 - i3 * s1, t3i = r3 * s1 + i3 * c1;
          const V8 b0r = r0 + t1r, b0i = i0 + t1i, b1r = r0 - t1r, b1i = i0 - t1i;
          const V8 b2r = r2 + t3r, b2i = i2 + t3i, b3r = r2 - t3r, b3i = i2 - t3i;
          const V8 u2r = b2r * c2 - b2i * s2, u2i = b2r * s2 + b2i * c2;
          const V8 u3r = b3r * c2 - b3i * s2, u3i = b3r * s2 + b3i * c2;
          // -i sign (u3r + i u3i) = sign u3i - i sign u3r
          const V8 v3r = sign * u3i, v3i = -sign * u3r;
          store(r, b0r + u2r), store(i, b0i + u2i), store(r + 2 * gap, b0r - u2r), store(i + 2 * gap, b0i - u2i);
          store(r + gap, b1r + v3r), store(i + gap, b1i + v3i), store(r + 3 * gap, b1r - v3r), store(i + 3 * gap, b1i - v3i);
        }
      }
  }
}

}  // namespace

Fft2d::Fft2d(int size) : size_(size), log2_(0) {
  if (size < kLanes || (size & (size - 1)) != 0) throw std::invalid_argument("Fft2d: size must be a power of two >= 16");
  while ((1 << log2_) < size) ++log2_;
  wr_.resize(size / 2), wi_.resize(size / 2);
  for (int k = 0; k < size / 2; ++k) {
    const double a = -2.0 * M_PI * k / size;
    wr_[k] = static_cast<float>(std::cos(a)), wi_[k] = static_cast<float>(std::sin(a));
  }
  rev_.resize(size);
  for (int k = 0; k < size; ++k) {
    int r = 0;
    for (int b = 0; b < log2_; ++b) r |= ((k >> b) & 1) << (log2_ - 1 - b);
    rev_[k] = r;
  }
}

// Transforms along the row index, kLanes columns at a time: rows at or after live_in are
// read as zero, and only rows before store_rows are written back.
void Fft2d::columns(float* re, float* im, bool inverse, int live_in, int store_rows) const {
  const int S = size_;
  parallel_chunks(S / kLanes, [&](long t0, long t1) {
    std::vector<float> tr(static_cast<size_t>(S) * kLanes), ti(tr.size());
    for (long t = t0; t < t1; ++t) {
      const size_t c0 = static_cast<size_t>(t) * kLanes;
      for (int k = 0; k < S; ++k) {
        float* dr = tr.data() + static_cast<size_t>(rev_[k]) * kLanes;
        float* di = ti.data() + static_cast<size_t>(rev_[k]) * kLanes;
        if (k < live_in) {
          std::memcpy(dr, re + static_cast<size_t>(k) * S + c0, sizeof(float) * kLanes);
          std::memcpy(di, im + static_cast<size_t>(k) * S + c0, sizeof(float) * kLanes);
        } else {
          std::memset(dr, 0, sizeof(float) * kLanes), std::memset(di, 0, sizeof(float) * kLanes);
        }
      }
      butterflies(tr.data(), ti.data(), S, log2_, wr_.data(), wi_.data(), inverse ? -1.f : 1.f);
      for (int k = 0; k < store_rows; ++k) {
        std::memcpy(re + static_cast<size_t>(k) * S + c0, tr.data() + static_cast<size_t>(k) * kLanes, sizeof(float) * kLanes);
        std::memcpy(im + static_cast<size_t>(k) * S + c0, ti.data() + static_cast<size_t>(k) * kLanes, sizeof(float) * kLanes);
      }
    }
  }, 1);
}

// Transforms along the column index for the rows before row_count, kLanes rows at a time:
// columns at or after live_in are read as zero, and only columns before store_cols are
// written back.
void Fft2d::rows(float* re, float* im, bool inverse, int row_count, int live_in, int store_cols) const {
  const int S = size_;
  parallel_chunks((row_count + kLanes - 1) / kLanes, [&](long t0, long t1) {
    std::vector<float> tr(static_cast<size_t>(S) * kLanes), ti(tr.size());
    for (long t = t0; t < t1; ++t) {
      const size_t r0 = static_cast<size_t>(t) * kLanes;
      // Column c of the kLanes rows becomes tile row rev(c): kLanes reads a row apart,
      // one contiguous write (the tile stays in cache; the rows stream).
      std::fill(tr.begin(), tr.end(), 0.f), std::fill(ti.begin(), ti.end(), 0.f);
      for (int c = 0; c < live_in; ++c) {
        float* dr = tr.data() + static_cast<size_t>(rev_[c]) * kLanes;
        float* di = ti.data() + static_cast<size_t>(rev_[c]) * kLanes;
        for (int l = 0; l < kLanes; ++l) dr[l] = re[(r0 + l) * S + c], di[l] = im[(r0 + l) * S + c];
      }
      butterflies(tr.data(), ti.data(), S, log2_, wr_.data(), wi_.data(), inverse ? -1.f : 1.f);
      for (int c = 0; c < store_cols; ++c) {
        const float* sr = tr.data() + static_cast<size_t>(c) * kLanes;
        const float* si = ti.data() + static_cast<size_t>(c) * kLanes;
        for (int l = 0; l < kLanes; ++l) re[(r0 + l) * S + c] = sr[l], im[(r0 + l) * S + c] = si[l];
      }
    }
  }, 1);
}

void Fft2d::forward(float* re, float* im, int live) const {
  live = std::clamp(live, 0, size_);
  rows(re, im, false, live, live, size_);
  columns(re, im, false, live, size_);
}

void Fft2d::inverse(float* re, float* im, int live) const {
  live = std::clamp(live, 0, size_);
  columns(re, im, true, size_, live);
  rows(re, im, true, live, size_, live);
}

TsneFftRepulsion::TsneFftRepulsion(Settings settings) : s_(settings) {
  if (s_.interp_points < 1 || s_.interp_points > 8 || !(s_.intervals_per_unit > 0) || s_.min_intervals < 1)
    throw std::invalid_argument("TsneFftRepulsion: bad settings");
}

double TsneFftRepulsion::compute(const float* y, long n, double* force) {
  const int p = s_.interp_points;
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (long i = 0; i < 2 * n; ++i) lo = std::min(lo, y[i]), hi = std::max(hi, y[i]);
  // Boxes 1 / intervals_per_unit wide once the map is wide enough for min_intervals of
  // them (the kernel's spectrum is then kept while the grid's size stays), else
  // min_intervals boxes across the map.
  const double width = std::max(static_cast<double>(hi) - lo, 1e-3);
  const bool fixed = width * s_.intervals_per_unit > s_.min_intervals;
  const int boxes = fixed ? static_cast<int>(std::ceil(width * s_.intervals_per_unit * (1 + 1e-9)))
                          : s_.min_intervals;
  const double box = fixed ? 1.0 / s_.intervals_per_unit : width / boxes, h = box / p;
  const double range = boxes * box, centre = lo + range / 2;
  const int nodes = boxes * p;
  int S = kLanes;
  while (S < 2 * nodes) S *= 2;
  const Fft2d* fft = nullptr;
  for (const auto& f : ffts_)
    if (f.size() == S) fft = &f;
  if (!fft) fft = &ffts_.emplace_back(S);
  const size_t plane = static_cast<size_t>(S) * S;
  for (auto& v : planes_) v.resize(plane);

  // Each point's box, first node and Lagrange weights (nodes at (j + 1/2) / p of the box).
  double node_at[8], denom[8];
  for (int j = 0; j < p; ++j) node_at[j] = (j + 0.5) / p;
  for (int j = 0; j < p; ++j) {
    denom[j] = 1;
    for (int m = 0; m < p; ++m)
      if (m != j) denom[j] *= node_at[j] - node_at[m];
  }
  base_.resize(n), weights_.resize(static_cast<size_t>(n) * 2 * p);
  std::vector<int> box_row(n);
  parallel_chunks(n, [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      int first[2];
      for (int a = 0; a < 2; ++a) {
        const double u = (y[2 * i + a] - lo) / box;
        const int k = std::clamp(static_cast<int>(u), 0, boxes - 1);
        const double f = u - k;
        float* w = weights_.data() + static_cast<size_t>(i) * 2 * p + a * p;
        for (int j = 0; j < p; ++j) {
          double v = 1;
          for (int m = 0; m < p; ++m)
            if (m != j) v *= f - node_at[m];
          w[j] = static_cast<float>(v / denom[j]);
        }
        first[a] = k;
      }
      box_row[i] = first[1];
      base_[i] = first[1] * p * S + first[0] * p;  // row: y, column: x
    }
  });

  // Points sorted by box row (stable), so that each thread spreads onto its own rows.
  std::vector<long> start(boxes + 1, 0);
  for (long i = 0; i < n; ++i) ++start[box_row[i] + 1];
  for (int b = 0; b < boxes; ++b) start[b + 1] += start[b];
  order_.resize(n);
  {
    std::vector<long> at(start.begin(), start.end() - 1);
    for (long i = 0; i < n; ++i) order_[at[box_row[i]]++] = static_cast<int>(i);
  }
  const long segments = std::min<long>(worker_threads(), boxes);
  std::vector<int> cut(segments + 1, boxes);
  cut[0] = 0;
  for (long t = 1, b = 0; t < segments; ++t) {
    while (b < boxes && start[b] < n * t / segments) ++b;
    cut[t] = static_cast<int>(std::max<long>(b, cut[t - 1]));
  }

  // Charges onto the nodes: (1, x) in planes 0 and 1, (y, x^2 + y^2) in planes 2 and 3.
  float* const c0 = planes_[0].data();
  float* const c1 = planes_[1].data();
  float* const c2 = planes_[2].data();
  float* const c3 = planes_[3].data();
  parallel_chunks(segments, [&](long t0, long t1) {
    for (long t = t0; t < t1; ++t) {
      const size_t r0 = static_cast<size_t>(cut[t]) * p, r1 = static_cast<size_t>(cut[t + 1]) * p;
      for (float* c : {c0, c1, c2, c3}) std::fill(c + r0 * S, c + r1 * S, 0.f);
      for (long o = start[cut[t]]; o < start[cut[t + 1]]; ++o) {
        const long i = order_[o];
        const float x = static_cast<float>(y[2 * i] - centre), v = static_cast<float>(y[2 * i + 1] - centre);
        const float q[4] = {1.f, x, v, x * x + v * v};
        const float* wx = weights_.data() + static_cast<size_t>(i) * 2 * p;
        const float* wy = wx + p;
        for (int jy = 0; jy < p; ++jy)
          for (int jx = 0; jx < p; ++jx) {
            const size_t node = static_cast<size_t>(base_[i]) + static_cast<size_t>(jy) * S + jx;
            const float w = wy[jy] * wx[jx];
            c0[node] += w * q[0], c1[node] += w * q[1], c2[node] += w * q[2], c3[node] += w * q[3];
          }
      }
    }
  }, 1);

  // The kernel 1 / (1 + d^2)^2 at every node offset (circular: offsets past S / 2 are
  // negative), and its spectrum, which is real (the kernel is even in both axes); kept
  // while the grid's size and spacing stay.
  float* const kr = planes_[4].data();
  float* const ki = planes_[5].data();
  if (kernel_size_ != S || kernel_spacing_ != h) {
    parallel_chunks(S, [&](long r0, long r1) {
      for (long r = r0; r < r1; ++r) {
        const double dy = h * (r <= S / 2 ? r : r - S);
        for (int c = 0; c < S; ++c) {
          const double dx = h * (c <= S / 2 ? c : c - S);
          const double q = 1.0 / (1.0 + dx * dx + dy * dy);
          kr[static_cast<size_t>(r) * S + c] = static_cast<float>(q * q);
        }
        std::fill(ki + static_cast<size_t>(r) * S, ki + static_cast<size_t>(r + 1) * S, 0.f);
      }
    }, 16);
    fft->forward(kr, ki, S);
    kernel_size_ = S, kernel_spacing_ = h;
  }
  fft->forward(c0, c1, nodes);
  fft->forward(c2, c3, nodes);
  const float scale = 1.f / (static_cast<float>(S) * static_cast<float>(S));
  parallel_chunks(static_cast<long>(plane), [&](long b, long e) {
    for (long k = b; k < e; ++k) {
      const float g = kr[k] * scale;
      c0[k] *= g, c1[k] *= g, c2[k] *= g, c3[k] *= g;
    }
  }, 65536);
  fft->inverse(c0, c1, nodes);
  fft->inverse(c2, c3, nodes);

  // Potentials back at the points; the force and each point's part of Z from them:
  //   sum_j q_ij^2 (y_i - y_j)       = y_i phi(1) - phi(y)
  //   sum_j q_ij^2 (1 + |y_i - y_j|^2) = (1 + |y_i|^2) phi(1) - 2 y_i . phi(y) + phi(|y|^2)
  // (coordinates from the box's centre), the second being sum_j q_ij, itself included.
  zpart_.resize(n);
  parallel_chunks(n, [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      const float* wx = weights_.data() + static_cast<size_t>(i) * 2 * p;
      const float* wy = wx + p;
      double phi[4] = {0, 0, 0, 0};
      for (int jy = 0; jy < p; ++jy)
        for (int jx = 0; jx < p; ++jx) {
          const size_t node = static_cast<size_t>(base_[i]) + static_cast<size_t>(jy) * S + jx;
          const double w = static_cast<double>(wy[jy]) * wx[jx];
          phi[0] += w * c0[node], phi[1] += w * c1[node], phi[2] += w * c2[node], phi[3] += w * c3[node];
        }
      const double x = y[2 * i] - centre, v = y[2 * i + 1] - centre;
      force[2 * i] = x * phi[0] - phi[1];
      force[2 * i + 1] = v * phi[0] - phi[2];
      zpart_[i] = (1 + x * x + v * v) * phi[0] - 2 * (x * phi[1] + v * phi[2]) + phi[3];
    }
  });
  double z = 0;
  for (long i = 0; i < n; ++i) z += zpart_[i];
  return z - static_cast<double>(n);
}

}  // namespace latent::detail
