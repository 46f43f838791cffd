#include "latent/projection.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "../src/core/tsne_fft.h"

using namespace latent;

namespace {

// Points in 5 well-separated clusters in 20-D.
RowMatrixXf clusters(long n, unsigned seed, std::vector<int>* labels = nullptr) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  RowMatrixXf centres(5, 20);
  for (int i = 0; i < centres.size(); ++i) centres.data()[i] = 8.f * g(rng);
  RowMatrixXf x(n, 20);
  for (long i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 5);
    if (labels) labels->push_back(c);
    for (int k = 0; k < 20; ++k) x(i, k) = centres(c, k) + g(rng);
  }
  return x;
}

// Share of points whose nearest 2-D neighbour is in the same cluster.
double neighbour_purity(const RowMatrixXf& y, const std::vector<int>& labels) {
  std::vector<int> nn;
  std::vector<float> d;
  exact_knn(y, 1, nn, d);
  long same = 0;
  for (size_t i = 0; i < labels.size(); ++i) same += labels[i] == labels[nn[i]];
  return double(same) / labels.size();
}

}  // namespace

TEST(Projection, ExactKnnMatchesBruteForce) {
  const RowMatrixXf x = clusters(60, 1);
  std::vector<int> nn;
  std::vector<float> d;
  exact_knn(x, 3, nn, d);
  for (long i = 0; i < x.rows(); ++i) {
    std::vector<std::pair<float, int>> all;
    for (long j = 0; j < x.rows(); ++j)
      if (j != i) all.push_back({(x.row(i) - x.row(j)).squaredNorm(), static_cast<int>(j)});
    std::sort(all.begin(), all.end());
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(nn[i * 3 + k], all[k].second);
      EXPECT_NEAR(d[i * 3 + k], all[k].first, 1e-2f * (1 + all[k].first));
    }
  }
}

TEST(Projection, ApproximateKnnFindsTheExactNeighboursAndIsDeterministic) {
  // Overlapping clusters, so the neighbours inside a cluster are a real search.
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.f, 1.f);
  const long n = 4000;
  RowMatrixXf x(n, 24);
  RowMatrixXf centres(40, 24);
  for (long i = 0; i < centres.size(); ++i) centres.data()[i] = 2.f * g(rng);
  for (long i = 0; i < n; ++i)
    for (int k = 0; k < 24; ++k) x(i, k) = centres(i % 40, k) + g(rng);
  const int k = 10;
  std::vector<int> en, an, an2;
  std::vector<float> ed, ad, ad2;
  exact_knn(x, k, en, ed);
  approx_knn(x, k, an, ad);
  ASSERT_EQ(an.size(), en.size());
  long hits = 0;
  for (long i = 0; i < n; ++i) {
    for (int j = 0; j < k; ++j) {
      const int a = an[i * k + j];
      EXPECT_NE(a, i);
      hits += std::count(en.begin() + i * k, en.begin() + (i + 1) * k, a);
      // Distances are true squared distances, nearest first.
      EXPECT_NEAR(ad[i * k + j], (x.row(i) - x.row(a)).squaredNorm(), 1e-3f * (1 + ad[i * k + j]));
      if (j) {
        EXPECT_LE(ad[i * k + j - 1], ad[i * k + j]);
      }
    }
  }
  EXPECT_GE(double(hits) / (n * k), 0.97);
  approx_knn(x, k, an2, ad2);
  EXPECT_EQ(an, an2) << "one build thread: the same graph every time";
  // knn_graph switches at the threshold.
  std::vector<int> gn;
  std::vector<float> gd;
  knn_graph(x, k, gn, gd, n);  // not above: exact
  EXPECT_EQ(gn, en);
  knn_graph(x, k, gn, gd, n - 1);  // above: approximate
  EXPECT_EQ(gn, an);
  // A cancel stops it.
  EXPECT_THROW(approx_knn(x, k, an2, ad2, [](float, const std::string&) { return false; }), Cancelled);
}

TEST(Projection, MapsFromTheApproximateGraphAreAsTrustworthy) {
  const RowMatrixXf x = clusters(1500, 5);
  for (const char* name : {"umap", "tsne"}) {
    ProjectionOptions o;
    o.method = parse_projection_method(name);
    o.tsne_iterations = 500;
    o.umap_epochs = 200;
    const double exact = trustworthiness(x, project_2d(x, o), 10);
    o.approx_knn_above = 1000;
    const RowMatrixXf y = project_2d(x, o);
    EXPECT_NEAR(trustworthiness(x, y, 10), exact, 0.01) << name;
    EXPECT_TRUE(y.isApprox(project_2d(x, o))) << name << " from the approximate graph is not deterministic";
  }
}

TEST(Projection, EveryMethodSeparatesClustersAndIsSeeded) {
  std::vector<int> labels;
  const RowMatrixXf x = clusters(500, 2, &labels);
  for (const char* name : {"pca", "umap", "tsne"}) {
    ProjectionOptions o;
    o.method = parse_projection_method(name);
    o.tsne_iterations = 400;
    o.umap_epochs = 200;
    const RowMatrixXf y = project_2d(x, o);
    ASSERT_EQ(y.rows(), 500);
    ASSERT_EQ(y.cols(), 2);
    EXPECT_GT(neighbour_purity(y, labels), 0.95) << name;
    EXPECT_GT(trustworthiness(x, y, 10), 0.85) << name;
    EXPECT_TRUE(y.isApprox(project_2d(x, o))) << name << " is not deterministic";
  }
}

TEST(Projection, ProgressSnapshotsAndCancel) {
  const RowMatrixXf x = clusters(200, 3);
  ProjectionOptions o;
  o.method = ProjectionMethod::Tsne;
  o.tsne_iterations = 300;
  int snapshots = 0;
  o.snapshot = [&](const RowMatrixXf& y) { snapshots += y.rows() == 200; };
  project_2d(x, o);
  EXPECT_GE(snapshots, 20);
  o.snapshot = nullptr;
  o.progress = [](float f, const std::string&) { return f < 0.5f; };
  EXPECT_THROW(project_2d(x, o), Cancelled);
  o.method = ProjectionMethod::Umap;
  EXPECT_THROW(project_2d(x, o), Cancelled);
  EXPECT_THROW(parse_projection_method("mds"), UnsupportedError);
  EXPECT_THROW(project_2d(RowMatrixXf::Zero(2, 3), {}), UnsupportedError);
}

namespace {

// A layout like a t-SNE map's: `groups` round clusters of unit spread scattered over a
// square `width` across, plus a uniform background.
RowMatrixXf layout(long n, double width, int groups, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(static_cast<float>(-width / 2), static_cast<float>(width / 2));
  std::normal_distribution<float> g(0.f, 1.f);
  RowMatrixXf centres(groups, 2);
  for (long i = 0; i < centres.size(); ++i) centres.data()[i] = 0.8f * u(rng);
  RowMatrixXf y(n, 2);
  for (long i = 0; i < n; ++i) {
    if (i % 10 == 0) {
      y(i, 0) = u(rng), y(i, 1) = u(rng);
    } else {
      const long c = i % groups;
      y(i, 0) = centres(c, 0) + 2.f * g(rng), y(i, 1) = centres(c, 1) + 2.f * g(rng);
    }
  }
  return y;
}

}  // namespace

TEST(Projection, FftMatchesANaiveDiscreteFourierTransform) {
  const int S = 32, live = 13;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> re(S * S, 0.f), im(S * S, 0.f);
  for (int r = 0; r < live; ++r)
    for (int c = 0; c < live; ++c) re[r * S + c] = u(rng), im[r * S + c] = u(rng);
  std::vector<float> re0 = re, im0 = im;
  for (int r = live; r < S; ++r)  // rows past `live` are not read: garbage must not matter
    for (int c = 0; c < S; ++c) re[r * S + c] = 1e6f;
  detail::Fft2d fft(S);
  fft.forward(re.data(), im.data(), live);
  double worst = 0;
  for (int a = 0; a < S; ++a)
    for (int b = 0; b < S; ++b) {
      std::complex<double> sum = 0;
      for (int r = 0; r < live; ++r)
        for (int c = 0; c < live; ++c)
          sum += std::complex<double>(re0[r * S + c], im0[r * S + c]) * std::polar(1.0, -2 * M_PI * (double(a) * r + double(b) * c) / S);
      worst = std::max(worst, std::abs(sum - std::complex<double>(re[a * S + b], im[a * S + b])));
    }
  EXPECT_LT(worst, 1e-4);
  fft.inverse(re.data(), im.data(), live);
  double back = 0;
  for (int r = 0; r < live; ++r)
    for (int c = 0; c < live; ++c)
      back = std::max(back, double(std::abs(re[r * S + c] / (S * S) - re0[r * S + c]) + std::abs(im[r * S + c] / (S * S) - im0[r * S + c])));
  EXPECT_LT(back, 1e-5);
  EXPECT_THROW(detail::Fft2d(24), std::invalid_argument);
}

TEST(Projection, FftRepulsionMatchesTheExactSum) {
  // Two sizes of map: one under 50 units across (50 boxes, narrower than a unit) and one
  // of about 150 units (boxes a unit wide, as in a large map).
  for (const double width : {30.0, 150.0}) {
    const RowMatrixXf y = layout(3000, width, 12, 7);
    RowMatrixXf exact, bh;
    const double z_exact = tsne_repulsion(y, TsneRepulsion::BarnesHut, 0.0, exact);
    const double z_bh = tsne_repulsion(y, TsneRepulsion::BarnesHut, 0.5, bh);
    // The repulsive part of the gradient is force / Z: its error relative to its size.
    const RowMatrixXf want = exact / z_exact;
    auto error = [&](const RowMatrixXf& f, double z) { return (f / z - want).norm() / want.norm(); };
    const double err_bh = error(bh, z_bh);
    // FIt-SNE's defaults (3 nodes a box): as accurate as Barnes-Hut at theta 0.5, give or take.
    RowMatrixXf fft;
    const double z_fft = tsne_repulsion(y, TsneRepulsion::Fft, 0.0, fft);
    EXPECT_NEAR(z_fft / z_exact, 1.0, 3e-3) << width;
    EXPECT_LT(error(fft, z_fft), std::max(0.02, 2 * err_bh)) << width;
    // More nodes a box: the interpolation converges to the exact sum.
    detail::TsneFftRepulsion::Settings fine;
    fine.interp_points = 5;
    detail::TsneFftRepulsion finer(fine);
    std::vector<double> f(2 * y.rows());
    const double z_fine = finer.compute(y.data(), y.rows(), f.data());
    const RowMatrixXf f_fine = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor>>(f.data(), y.rows(), 2).cast<float>();
    EXPECT_NEAR(z_fine / z_exact, 1.0, 1e-3) << width;
    EXPECT_LT(error(f_fine, z_fine), 0.25 * error(fft, z_fft)) << width;
    EXPECT_LT(error(f_fine, z_fine), 5e-3) << width;
  }
}

TEST(Projection, TsneWithFftRepulsionMapsAsWellAsBarnesHut) {
  std::vector<int> labels;
  const RowMatrixXf x = clusters(1000, 9, &labels);
  ProjectionOptions o;
  o.method = ProjectionMethod::Tsne;
  o.tsne_iterations = 350;
  o.tsne_fft_above = 0;
  const double bh = trustworthiness(x, project_2d(x, o), 10);
  o.tsne_fft_above = 500;
  std::vector<std::string> stages;
  o.progress = [&](float, const std::string& s) {
    if (stages.empty() || stages.back() != s) stages.push_back(s);
    return true;
  };
  const RowMatrixXf y = project_2d(x, o);
  EXPECT_NEAR(trustworthiness(x, y, 10), bh, 0.01);
  EXPECT_GT(neighbour_purity(y, labels), 0.95);
  EXPECT_NE(std::find(stages.begin(), stages.end(), "t-SNE (FFT)"), stages.end()) << "the FFT path did not run";
  o.progress = nullptr;
  EXPECT_TRUE(y.isApprox(project_2d(x, o))) << "the FFT map is not deterministic";
}

TEST(Projection, MapIndexFindsWhatAFullScanFinds) {
  const RowMatrixXf y = layout(20000, 80.0, 9, 11);
  const MapIndex index(y.data(), y.rows());
  EXPECT_EQ(index.size(), 20000);
  EXPECT_FLOAT_EQ(index.min_x(), y.col(0).minCoeff());
  EXPECT_FLOAT_EQ(index.max_y(), y.col(1).maxCoeff());
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-60.f, 60.f), r(0.f, 4.f);
  auto keep_even = [](long i) { return i % 2 == 0; };
  for (int q = 0; q < 300; ++q) {
    const float x = u(rng), v = u(rng), radius = q % 3 == 0 ? 1e9f : r(rng);
    const bool filtered = q % 2 == 1;
    long want = -1;
    double best = double(radius) * radius;
    for (long i = 0; i < y.rows(); ++i) {
      if (filtered && !keep_even(i)) continue;
      const double dx = double(y(i, 0)) - x, dy = double(y(i, 1)) - v, d2 = dx * dx + dy * dy;
      if (d2 < best || (d2 == best && want >= 0 && i < want) || (d2 == best && want < 0)) best = d2, want = i;
    }
    EXPECT_EQ(index.nearest(x, v, radius, filtered ? std::function<bool(long)>(keep_even) : nullptr), want)
        << "query " << q << " at " << x << "," << v << " radius " << radius;
    const float w = r(rng) * 3;
    std::vector<long> in;
    for (long i = 0; i < y.rows(); ++i)
      if (y(i, 0) >= x && y(i, 0) <= x + w && y(i, 1) >= v && y(i, 1) <= v + w) in.push_back(i);
    EXPECT_EQ(index.inside(x, v, x + w, v + w), in) << "query " << q;
  }
  EXPECT_EQ(MapIndex().nearest(0, 0, 1e9f), -1);
  EXPECT_TRUE(MapIndex().inside(-1, -1, 1, 1).empty());
  const float one[2] = {3.f, 4.f};
  EXPECT_EQ(MapIndex(one, 1).nearest(100, 100, 1e9f), 0);
  EXPECT_EQ(MapIndex(one, 1).nearest(100, 100, 10.f), -1);
}

// The cases a uniform grid handled worst: nearly every point in one tiny spot with a few far
// away, exact duplicates (ties go to the lower index), and coordinates that are not finite.
TEST(Projection, MapIndexHandlesClumpsDuplicatesAndNonFinitePoints) {
  std::mt19937 rng(5);
  std::normal_distribution<float> tiny(0.f, 1e-4f), wide(0.f, 1e4f);
  const long n = 30001;
  std::vector<float> xy(2 * n);
  for (long i = 0; i < n; ++i) {
    const bool far = i % 1000 == 0;
    xy[2 * i] = far ? wide(rng) : tiny(rng), xy[2 * i + 1] = far ? wide(rng) : tiny(rng);
  }
  for (long i = 20000; i < 20100; ++i) xy[2 * i] = 0.5f, xy[2 * i + 1] = -0.25f;  // duplicates
  xy[2 * 7] = std::nanf(""), xy[2 * 11 + 1] = std::numeric_limits<float>::infinity();
  const MapIndex index(xy.data(), n);
  EXPECT_EQ(index.size(), n);
  auto finite = [&](long i) { return std::isfinite(xy[2 * i]) && std::isfinite(xy[2 * i + 1]); };
  std::uniform_real_distribution<float> u(-1e-3f, 1e-3f), r(0.f, 2e-4f);
  for (int q = 0; q < 200; ++q) {
    float x = u(rng), v = u(rng);
    if (q % 10 == 0) x = 0.5f, v = -0.25f;
    if (q % 10 == 1) x = wide(rng), v = wide(rng);
    long want = -1;
    double best = 1e300;
    for (long i = 0; i < n; ++i) {
      if (!finite(i)) continue;
      const double dx = double(xy[2 * i]) - x, dy = double(xy[2 * i + 1]) - v, d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2, want = i;
    }
    EXPECT_EQ(index.nearest(x, v, 1e30f), want) << "query " << q;
    if (q % 10 == 0) EXPECT_EQ(want, 20000) << "a tie goes to the lower index";
    const float w = r(rng);
    std::vector<long> in;
    for (long i = 0; i < n; ++i)
      if (finite(i) && xy[2 * i] >= x && xy[2 * i] <= x + w && xy[2 * i + 1] >= v && xy[2 * i + 1] <= v + w) in.push_back(i);
    EXPECT_EQ(index.inside(x, v, x + w, v + w), in) << "query " << q;
  }
  EXPECT_EQ(index.inside(-1e9f, -1e9f, 1e9f, 1e9f).size(), size_t(n - 2)) << "every finite point, once";
  const float bad[4] = {std::nanf(""), 0.f, 1.f, std::nanf("")};
  EXPECT_EQ(MapIndex(bad, 2).nearest(0, 0, 1e30f), -1);
}
