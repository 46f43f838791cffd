#include "latent/pca_space.h"

#include <filesystem>
#include <fstream>

#include <Eigen/Eigenvalues>
#include <gtest/gtest.h>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/registry.h"
#include "test_util.h"

using namespace latent;

namespace {

// Low-rank structure plus noise, values roughly in [0,1].
RowMatrixXf make_data(int n, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  const int rank = std::min(6, d);
  RowMatrixXf basis(rank, d), coef(n, rank), noise(n, d);
  for (int i = 0; i < basis.size(); ++i) basis.data()[i] = g(rng) * 0.1f;
  for (int i = 0; i < coef.size(); ++i) coef.data()[i] = g(rng) * (1.f + (i % rank));
  for (int i = 0; i < noise.size(); ++i) noise.data()[i] = g(rng) * 0.01f;
  RowMatrixXf x = coef * basis + noise;
  return (x.array() + 0.5f).matrix();
}

ObservationShape shape_for(int d) { return {d, 1, 1, -10.f, 10.f}; }

// Both routes: covariance (D <= N) and Gram (D > N).
struct Dims {
  int n, d;
};
class PcaRoutes : public ::testing::TestWithParam<Dims> {};

}  // namespace

TEST_P(PcaRoutes, AllComponentsReconstructExactly) {
  const auto [n, d] = GetParam();
  const RowMatrixXf x = make_data(n, d, 1);
  auto pca = PcaSpace::fit(x, shape_for(d), PcaOptions{std::min(n - 1, d), 0.0});
  ASSERT_EQ(pca->info().dim, std::min(n - 1, d));
  const RowMatrixXf rec = pca->decode_rows(pca->encode_rows(x));
  EXPECT_LT((rec - x).cwiseAbs().maxCoeff(), 1e-4f);
}

// `latent fit-pca` reports the training RMSE from the spectrum; it must equal the
// encode-decode pass over the data that it replaces, on both routes, for several k.
TEST_P(PcaRoutes, TrainRmseFromTheSpectrumEqualsTheReconstructionPass) {
  const auto [n, d] = GetParam();
  const RowMatrixXf x = make_data(n, d, 11);
  // (k where the discarded variance is not at the level of float rounding of the total.)
  for (int k : {1, 3, 5}) {
    auto pca = PcaSpace::fit(x, shape_for(d), PcaOptions{k, 0.0});
    // The pass, in double (a float pass over Fashion-MNIST was itself 0.5% off).
    const Eigen::MatrixXd c = pca->components().cast<double>();
    const Eigen::MatrixXd xc = x.cast<double>().rowwise() - pca->mean().cast<double>().transpose();
    const Eigen::MatrixXd rec = (xc * c.transpose()) * c;
    const double pass = std::sqrt((rec - xc).squaredNorm() / static_cast<double>(x.size()));
    EXPECT_GT(pass, 0.0);
    EXPECT_NEAR(pca->train_reconstruction_rmse(), pass, 1e-3 * pass + 1e-6) << "k=" << k;
  }
  // And after a save and a reload (n_samples and the total variance travel in model.json).
  test_util::TempDir tmp;
  auto pca = PcaSpace::fit(x, shape_for(d), PcaOptions{3, 0.0});
  pca->save(tmp / "m");
  auto again = open_space(tmp / "m");
  EXPECT_NEAR(dynamic_cast<PcaSpace&>(*again).train_reconstruction_rmse(), pca->train_reconstruction_rmse(), 1e-9);
}

TEST_P(PcaRoutes, ComponentsAreOrthonormal) {
  const auto [n, d] = GetParam();
  auto pca = PcaSpace::fit(make_data(n, d, 2), shape_for(d), PcaOptions{std::min(n - 1, d), 0.0});
  const RowMatrixXf& c = pca->components();
  const Eigen::MatrixXf gram = c * c.transpose();
  EXPECT_LT((gram - Eigen::MatrixXf::Identity(c.rows(), c.rows())).cwiseAbs().maxCoeff(), 1e-4f);
}

TEST_P(PcaRoutes, ExplainedVarianceSortedAndSumsToTotal) {
  const auto [n, d] = GetParam();
  const RowMatrixXf x = make_data(n, d, 3);
  auto pca = PcaSpace::fit(x, shape_for(d), PcaOptions{std::min(n - 1, d), 0.0});
  const auto& ev = pca->explained_variance();
  for (int k = 1; k < ev.size(); ++k) EXPECT_GE(ev[k - 1], ev[k]);
  // Total variance computed directly: sum of per-pixel variances (N-1 denominator).
  const Eigen::MatrixXd xd = x.cast<double>();
  const Eigen::MatrixXd centered = xd.rowwise() - xd.colwise().mean();
  const double total = centered.squaredNorm() / (n - 1);
  EXPECT_NEAR(pca->total_variance(), total, 1e-5 * total);
  EXPECT_NEAR(ev.sum(), total, 1e-4 * total);
  EXPECT_NEAR(pca->explained_fraction(), 1.0, 1e-4);
}

TEST_P(PcaRoutes, AgreesWithDirectEigenDecomposition) {
  const auto [n, d] = GetParam();
  const RowMatrixXf x = make_data(n, d, 4);
  const int k = 5;
  auto pca = PcaSpace::fit(x, shape_for(d), PcaOptions{k, 0.0});
  const Eigen::MatrixXd xd = x.cast<double>();
  const Eigen::MatrixXd centered = xd.rowwise() - xd.colwise().mean();
  const Eigen::MatrixXd cov = centered.transpose() * centered / (n - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
  for (int j = 0; j < k; ++j) {
    const int idx = d - 1 - j;  // ascending order in Eigen
    EXPECT_NEAR(pca->explained_variance()[j], es.eigenvalues()[idx], 1e-4 * es.eigenvalues()[idx]);
    const double dot = std::fabs(pca->components().row(j).cast<double>().dot(es.eigenvectors().col(idx)));
    EXPECT_GT(dot, 0.9999) << "component " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Routes, PcaRoutes, ::testing::Values(Dims{80, 24}, Dims{12, 64}),
                         [](const auto& info) { return info.param.d <= info.param.n ? "Covariance" : "Gram"; });

TEST(PcaSpace, VarianceFractionKeepsFewestComponents) {
  const RowMatrixXf x = make_data(100, 30, 5);
  auto pca = PcaSpace::fit(x, shape_for(30), PcaOptions{0, 0.9});
  const auto& ev = pca->explained_variance();
  EXPECT_GE(ev.sum() / pca->total_variance(), 0.9);
  EXPECT_LT((ev.sum() - ev[ev.size() - 1]) / pca->total_variance(), 0.9);
}

TEST(PcaSpace, EncodeDecodeSingleImageMatchesRows) {
  const RowMatrixXf x = make_data(40, 16, 6);
  auto pca = PcaSpace::fit(x, {4, 4, 1, -10.f, 10.f}, PcaOptions{8, 0.0});
  Image img(4, 4, 1);
  for (int i = 0; i < 16; ++i) img.pixels[i] = x(3, i);
  const Latent z = pca->encode(img);
  const RowMatrixXf zr = pca->encode_rows(x);
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(z[k], zr(3, k), 1e-5);
  const Image back = pca->decode(z);
  const RowMatrixXf xr = pca->decode_rows(zr);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(back.pixels[i], xr(3, i), 1e-5);
  EXPECT_THROW(pca->decode(Latent(3, 0.f)), UnsupportedError);
  EXPECT_THROW(pca->encode(Image(5, 4, 1)), UnsupportedError);
}

TEST(PcaSpace, ScaleIsStandardDeviationAndSamplingIsSeeded) {
  auto pca = PcaSpace::fit(make_data(60, 20, 7), shape_for(20), PcaOptions{4, 0.0});
  const auto s = pca->scale();
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(s[k] * s[k], pca->explained_variance()[k], 1e-6);
  EXPECT_EQ(pca->sample(3, 42), pca->sample(3, 42));
  EXPECT_NE(pca->sample(3, 42), pca->sample(3, 43));
  // Samples spread like the data along each axis.
  const auto many = pca->sample(4000, 1);
  double var0 = 0;
  for (const auto& z : many) var0 += z[0] * z[0];
  EXPECT_NEAR(var0 / many.size(), pca->explained_variance()[0], 0.1 * pca->explained_variance()[0]);
}

TEST(PcaSpace, SaveAndOpenRoundTrip) {
  test_util::TempDir tmp;
  const RowMatrixXf x = make_data(50, 36, 8);
  auto pca = PcaSpace::fit(x, {6, 6, 1, 0.f, 1.f}, PcaOptions{5, 0.0});
  pca->set_name("roundtrip");
  pca->save(tmp / "model", {{"training", {{"data", "synthetic"}}}});
  auto opened = open_space(tmp / "model");
  EXPECT_EQ(opened->info().kind, "pca");
  EXPECT_EQ(opened->info().name, "roundtrip");
  EXPECT_EQ(opened->info().dim, 5);
  EXPECT_EQ(opened->info().observation.width, 6);
  Image img(6, 6, 1);
  for (int i = 0; i < 36; ++i) img.pixels[i] = std::clamp(x(0, i), 0.f, 1.f);
  EXPECT_EQ(opened->encode(img), pca->encode(img));
  const auto z = pca->encode(img);
  EXPECT_EQ(opened->decode(z).pixels, pca->decode(z).pixels);
  EXPECT_EQ(opened->scale(), pca->scale());
}

TEST(PcaSpace, RejectsTooFewObservations) {
  RowMatrixXf one(1, 4);
  one.setZero();
  EXPECT_THROW(PcaSpace::fit(one, shape_for(4), {}), UnsupportedError);
}

TEST(PcaSpace, RealOlivettiFaces) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data at " << LATENT_DATA_DIR;
  const ImageDataset ds = load_image_dataset(std::string(LATENT_DATA_DIR) + "/faces/olivetti");
  ASSERT_EQ(ds.count(), 400);
  auto all = PcaSpace::fit(ds.data, ds.shape(), PcaOptions{399, 0.0});
  EXPECT_EQ(all->info().dim, 399);
  EXPECT_LT((all->decode_rows(all->encode_rows(ds.data)) - ds.data).cwiseAbs().maxCoeff(), 1e-4f);
  auto some = PcaSpace::fit(ds.data, ds.shape(), PcaOptions{0, 0.95});
  EXPECT_GE(some->explained_fraction(), 0.95);
  EXPECT_LT(some->info().dim, 200);
  // The leading eigenvalues agree between the two fits.
  for (int k = 0; k < 10; ++k)
    EXPECT_NEAR(some->explained_variance()[k], all->explained_variance()[k], 1e-6 * all->explained_variance()[0]);
}
