#include "latent/projection.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "latent/errors.h"

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
