#pragma once
// t-SNE's repulsive forces by FFT-accelerated interpolation (Linderman, Rachh, Hoskins,
// Steinerberger & Kluger, "Fast interpolation-based t-SNE for improved visualization of
// single-cell RNA-seq data", Nature Methods 2019: the FIt-SNE method), for maps of
// hundreds of thousands to millions of points where Barnes-Hut's tree walk dominates.
//
// The layout's square bounding box is cut into boxes one unit wide (at least 50 a side), each with p equispaced interpolation nodes per axis. Every point spreads four
// charges (1, x, y, x^2 + y^2) onto the p x p nodes of its box with Lagrange weights; the
// squared Cauchy kernel 1 / (1 + d^2)^2 between all node pairs is one convolution on the
// regular grid, done with a 2-D FFT; the potentials are interpolated back to the points.
// From the four potentials follow both the repulsive force sum_j q_ij^2 (y_i - y_j) and
// Z = sum_{i != j} q_ij, since q (1 + d^2) q = q. Cost per iteration: O(n p^2) for the
// points and O(G^2 log G) for a G x G grid, instead of O(n log n) tree walks.
//
// Internal to the core (latent/projection.h's t-SNE above ProjectionOptions::tsne_fft_above
// points, and tsne_repulsion for tests).
#include <vector>

namespace latent::detail {

// A 2-D complex FFT of S x S values (S a power of two, at least 16) held as two float
// planes (real and imaginary, row-major). Unnormalised; the inverse uses conjugate
// twiddles. Runs on the machine's cores, a tile of 16 columns (or rows) at a time.
class Fft2d {
 public:
  explicit Fft2d(int size);
  int size() const { return size_; }
  // Forward transform in place of a grid that is zero outside its live x live corner
  // (rows at or after `live` are not read, so they need not be cleared).
  void forward(float* re, float* im, int live) const;
  // Inverse transform in place (unscaled), of which only the live x live corner is
  // wanted: only that corner is correct on output.
  void inverse(float* re, float* im, int live) const;

 private:
  void columns(float* re, float* im, bool inverse, int live_in, int store_rows) const;
  void rows(float* re, float* im, bool inverse, int row_count, int live_in, int store_cols) const;
  int size_, log2_;
  std::vector<float> wr_, wi_;  // exp(-2 pi i k / S), k < S / 2
  std::vector<int> rev_;        // bit reversal of log2 S bits
};

class TsneFftRepulsion {
 public:
  struct Settings {
    int interp_points = 3;            // Lagrange nodes per box and axis
    double intervals_per_unit = 1.0;  // boxes per unit of layout distance
    int min_intervals = 50;           // boxes a side at least
  };
  TsneFftRepulsion() : TsneFftRepulsion(Settings{}) {}
  explicit TsneFftRepulsion(Settings settings);
  // y: n points as x0 y0 x1 y1 ...; writes force[2i], force[2i + 1] = sum_j q_ij^2 (y_i - y_j)
  // and returns Z = sum_{i != j} q_ij, with q = 1 / (1 + |y_i - y_j|^2).
  double compute(const float* y, long n, double* force);

 private:
  Settings s_;
  std::vector<float> planes_[6];  // charges (1, x) and (y, x^2 + y^2) as two complex grids; the kernel
  std::vector<double> zpart_;      // per point: its part of Z
  std::vector<int> base_, order_;  // per point: first node (row * S + column); points sorted by box row
  std::vector<float> weights_;     // per point: p x weights, then p y weights
  std::vector<Fft2d> ffts_;        // kept by size
  int kernel_size_ = 0;  // the grid and spacing planes_[4] holds the kernel's spectrum for
  double kernel_spacing_ = 0;
};

}  // namespace latent::detail
