#include "latent/projection.h"

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
