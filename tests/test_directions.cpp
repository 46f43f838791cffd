// Named latent directions (latent/directions.h): a known linear attribute is recovered
// from labelled samples, conditional directions are orthogonal, files round-trip, and
// mismatched or unknown directions are refused with messages that name what exists.
#include <gtest/gtest.h>

#include <Eigen/QR>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"

using namespace latent;
namespace fs = std::filesystem;

namespace {

// N(0, I) points in `dim` dimensions, scaled per axis by `scales` (if given).
RowMatrixXf gaussian(long n, int dim, uint64_t seed, const std::vector<float>& scales = {}) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  RowMatrixXf z(n, dim);
  for (long i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) z(i, j) = g(rng) * (scales.empty() ? 1.f : scales[static_cast<size_t>(j)]);
  return z;
}

Eigen::VectorXf unit(std::vector<float> v) {
  Eigen::VectorXf u = Eigen::Map<Eigen::VectorXf>(v.data(), static_cast<long>(v.size()));
  return u / u.norm();
}

double cosine(const Latent& a, const Eigen::VectorXf& b) {
  const Eigen::Map<const Eigen::VectorXf> x(a.data(), static_cast<long>(a.size()));
  return x.dot(b) / (x.norm() * b.norm());
}

// Soft labels from a logistic model along `w` (probability sigmoid(k * (w.z) + b)).
RowMatrixXf labels_along(const RowMatrixXf& z, const std::vector<Eigen::VectorXf>& ws, float k, float b) {
  RowMatrixXf p(z.rows(), static_cast<long>(ws.size()));
  for (size_t a = 0; a < ws.size(); ++a)
    for (long i = 0; i < z.rows(); ++i) p(i, static_cast<long>(a)) = 1.f / (1.f + std::exp(-(k * z.row(i).dot(ws[a]) + b)));
  return p;
}

class TinySpace : public Space {
 public:
  explicit TinySpace(int dim, std::string source = "") {
    info_.name = "tiny";
    info_.kind = "test";
    info_.dim = dim;
    info_.source = std::move(source);
  }
  const SpaceInfo& info() const override { return info_; }
  std::vector<float> scale() const override { return std::vector<float>(static_cast<size_t>(info_.dim), 1.f); }

 private:
  SpaceInfo info_;
};

}  // namespace

TEST(Directions, AKnownLinearAttributeIsRecovered) {
  const int dim = 16;
  const RowMatrixXf z = gaussian(4000, dim, 1);
  const Eigen::VectorXf truth = unit({1, -2, 0, 0.5f, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0});
  // A rare attribute (about 10% positive), as glasses are.
  const RowMatrixXf p = labels_along(z, {truth}, 3.f, -4.f);
  const DirectionSet set = fit_directions(z, p, {"Glasses"});
  ASSERT_EQ(set.directions.size(), 1u);
  const AttributeDirection& d = set.directions[0];
  EXPECT_GT(cosine(d.unit, truth), 0.97) << "the boundary's normal is the attribute's direction";
  EXPECT_NEAR(d.sigma, 1.0, 0.05) << "a N(0, I) prior spreads 1 along any unit direction";
  // Balanced weights: both classes are recalled alike (overall accuracy gives a little).
  EXPECT_GT(d.boundary_accuracy, 0.8);
  EXPECT_GT(d.balanced_accuracy, 0.85);
  EXPECT_GT(d.positive_rate, 0.03);
  EXPECT_LT(d.positive_rate, 0.25);
  // Moving +3 sigma along it makes the attribute likely for a typical point.
  EXPECT_GT(d.scale * 3 + d.bias, 0.0);

  // Axes of very different scale (a PCA model's): the direction is still found, and
  // sigma is the spread along it.
  std::vector<float> scales(dim, 1.f);
  for (int j = 0; j < dim; ++j) scales[static_cast<size_t>(j)] = 10.f / (1 + j);
  const RowMatrixXf zs = gaussian(4000, dim, 2, scales);
  Eigen::VectorXf w = truth;
  for (int j = 0; j < dim; ++j) w(j) /= scales[static_cast<size_t>(j)];  // label depends on standardised coordinates
  const DirectionSet s2 = fit_directions(zs, labels_along(zs, {w}, 3.f, 0.f), {"A"});
  EXPECT_GT(cosine(s2.directions[0].unit, w), 0.95);
  double expect_sigma = 0;
  for (int j = 0; j < dim; ++j)
    expect_sigma += std::pow(s2.directions[0].unit[static_cast<size_t>(j)] * scales[static_cast<size_t>(j)], 2);
  EXPECT_NEAR(s2.directions[0].sigma, std::sqrt(expect_sigma), 0.05 * std::sqrt(expect_sigma));
}

TEST(Directions, SefaFindsTheDirectionsTheFirstLayerAmplifiesMost) {
  // W = U diag(s) V^T with known U: W W^T = U diag(s^2) U^T, so SeFa's directions are
  // U's columns in the order of s, and their energy shares s^2 / sum(s^2).
  const int dim = 8, out = 20;
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  Eigen::MatrixXf a(dim, dim), b(out, dim);
  for (int i = 0; i < a.size(); ++i) a.data()[i] = g(rng);
  for (int i = 0; i < b.size(); ++i) b.data()[i] = g(rng);
  const Eigen::MatrixXf u = Eigen::HouseholderQR<Eigen::MatrixXf>(a).householderQ();
  const Eigen::MatrixXf v = Eigen::HouseholderQR<Eigen::MatrixXf>(b).householderQ() * Eigen::MatrixXf::Identity(out, dim);
  const std::vector<float> s = {1.f, 5.f, 0.5f, 3.f, 0.2f, 0.1f, 2.f, 0.3f};
  Eigen::VectorXf sv(dim);
  for (int i = 0; i < dim; ++i) sv(i) = s[static_cast<size_t>(i)];
  const RowMatrixXf w = u * sv.asDiagonal() * v.transpose();
  double total = 0;
  for (float x : s) total += x * x;
  const RowMatrixXf z = gaussian(3000, dim, 9);
  const DirectionSet set = sefa_directions(w, 3, &z);
  ASSERT_EQ(set.directions.size(), 3u);
  const int expect_col[] = {1, 3, 6};  // s = 5, 3, 2
  for (int k = 0; k < 3; ++k) {
    const AttributeDirection& d = set.directions[static_cast<size_t>(k)];
    EXPECT_EQ(d.name, "sefa-" + std::to_string(k + 1));
    const Eigen::VectorXf truth = u.col(expect_col[k]);
    EXPECT_NEAR(std::abs(cosine(d.unit, truth)), 1.0, 1e-4) << d.name;
    EXPECT_NEAR(d.energy_share, s[static_cast<size_t>(expect_col[k])] * s[static_cast<size_t>(expect_col[k])] / total, 1e-4);
    EXPECT_NEAR(d.sigma, 1.0, 0.06);
    // The sign: the largest component is positive.
    float big = 0;
    for (float x : d.unit)
      if (std::abs(x) > std::abs(big)) big = x;
    EXPECT_GT(big, 0.f);
  }
  // The file keeps the energy share; too many directions are refused.
  const DirectionSet back = directions_from_json(to_json(set), "mem");
  EXPECT_NEAR(back.directions[0].energy_share, set.directions[0].energy_share, 1e-12);
  EXPECT_THROW(sefa_directions(w, dim + 1), UnsupportedError);
  const RowMatrixXf wrong = gaussian(10, dim + 1, 1);
  EXPECT_THROW(sefa_directions(w, 2, &wrong), UnsupportedError);
}

TEST(Directions, ConditionalDirectionsAreOrthogonalToTheKeptOnes) {
  const int dim = 12;
  const RowMatrixXf z = gaussian(3000, dim, 3);
  // Smiling is entangled with Male (their normals are at 60 degrees).
  const Eigen::VectorXf male = unit({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const Eigen::VectorXf smile = unit({0.5f, 0.866f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const Eigen::VectorXf young = unit({0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  DirectionSet set = fit_directions(z, labels_along(z, {male, smile, young}, 4.f, 0.f), {"Male", "Smiling", "Young"});
  EXPECT_GT(std::abs(cosine(set.at("Smiling").unit, male)), 0.4);
  make_orthogonal(set, {"Male", "Young"}, &z);
  const auto& s = set.at("Smiling");
  // Exactly orthogonal to the fitted Male and Young, so nearly to the true ones.
  EXPECT_LT(std::abs(cosine(s.unit, Eigen::Map<const Eigen::VectorXf>(set.at("Male").unit.data(), dim))), 1e-5);
  EXPECT_LT(std::abs(cosine(s.unit, Eigen::Map<const Eigen::VectorXf>(set.at("Young").unit.data(), dim))), 1e-5);
  EXPECT_LT(std::abs(cosine(s.unit, male)), 0.05);
  EXPECT_LT(std::abs(cosine(s.unit, young)), 0.05);
  EXPECT_NEAR(Eigen::Map<const Eigen::VectorXf>(s.unit.data(), dim).norm(), 1.0, 1e-5);
  EXPECT_EQ(s.orthogonal_to, (std::vector<std::string>{"Male", "Young"}));
  EXPECT_TRUE(set.at("Male").orthogonal_to.empty());
  // What is left of smiling is its own part.
  const Eigen::VectorXf own = unit({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_GT(cosine(s.unit, own), 0.95);
  EXPECT_THROW(make_orthogonal(set, {"Nope"}, &z), UnsupportedError);
}

TEST(Directions, FilesRoundTripAndBadOnesAreRefused) {
  const RowMatrixXf z = gaussian(500, 4, 4);
  DirectionSet set = fit_directions(z, labels_along(z, {unit({1, 1, 0, 0})}, 3.f, 0.f), {"Eyeglasses"});
  set.model = "tiny";
  set.classifier = "celeba-attributes";
  const fs::path dir = fs::temp_directory_path() / "latent_test_directions";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "directions.json").string();
  write_directions(set, path);
  const DirectionSet back = read_directions(path);
  ASSERT_EQ(back.directions.size(), 1u);
  EXPECT_EQ(back.latent, 4);
  EXPECT_EQ(back.classifier, "celeba-attributes");
  for (int j = 0; j < 4; ++j) EXPECT_FLOAT_EQ(back.directions[0].unit[j], set.directions[0].unit[j]);
  EXPECT_DOUBLE_EQ(back.directions[0].sigma, set.directions[0].sigma);

  // A model with another latent size is refused, naming both sizes and the model.
  TinySpace other(8);
  try {
    check_directions(back, other.info(), path);
    FAIL();
  } catch (const UnsupportedError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("latent size of 4"), std::string::npos) << m;
    EXPECT_NE(m.find("tiny has a latent size of 8"), std::string::npos) << m;
  }
  // An unknown name lists the ones that exist.
  try {
    back.at("Nope");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("directions: Eyeglasses"), std::string::npos) << e.what();
  }
  auto write = [&](const std::string& text) {
    std::ofstream(path) << text;
  };
  write(R"({"format": "latent-studio-directions", "latent_dim": 2, "directions": [{"name": "A", "unit": [1, 0, 0]}]})");
  EXPECT_THROW(read_directions(path), FormatError);  // wrong length
  write(R"({"format": "latent-studio-directions", "latent_dim": 2, "directions": [{"name": "A", "unit": [3, 0]}]})");
  EXPECT_THROW(read_directions(path), FormatError);  // not a unit vector
  write(R"({"format": "latent-studio-directions", "latent_dim": 2, "directions": [{"name": "A", "unit": [1, 0]},
            {"name": "A", "unit": [0, 1]}]})");
  EXPECT_THROW(read_directions(path), FormatError);  // twice
  write(R"({"latent_dim": 2})");
  EXPECT_THROW(read_directions(path), FormatError);
  write("[1, 2");
  EXPECT_THROW(read_directions(path), FormatError);
  EXPECT_THROW(fit_directions(z.topRows(5), labels_along(z.topRows(5), {unit({1, 0, 0, 0})}, 1.f, 0.f), {"A"}),
               UnsupportedError);
  EXPECT_THROW(fit_directions(z, labels_along(z, {unit({1, 0, 0, 0})}, 1.f, 0.f), {"A", "B"}), UnsupportedError);
  fs::remove_all(dir);
}

TEST(Directions, ExpressionsReadThePackagesDirections) {
  const RowMatrixXf z = gaussian(800, 3, 5);
  const Eigen::VectorXf w = unit({0, 0, 1});
  DirectionSet set = fit_directions(z, labels_along(z, {w}, 5.f, 0.f), {"Eyeglasses"});
  const fs::path dir = fs::temp_directory_path() / "latent_test_directions_expr";
  fs::remove_all(dir);
  fs::create_directories(dir);
  TinySpace space(3, dir.string());
  SpaceExpressionEnv env(space);
  // No directions.json yet: the message says how to make one.
  try {
    evaluate_expression("dir(\"Eyeglasses\")", env, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("latent directions"), std::string::npos) << e.what();
  }
  write_directions(set, (dir / "directions.json").string());
  env.add_point("a", {1.f, 2.f, 3.f});
  const Latent r = evaluate_expression("@a + 3*dir(\"Eyeglasses\")", env, 3);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(r[j], (j + 1) + 3 * set.directions[0].unit[j], 1e-5);
  EXPECT_GT(r[2], 5.5f);
  try {
    evaluate_expression("dir(\"Nope\")", env, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("this model's directions: Eyeglasses"), std::string::npos) << e.what();
  }
  EXPECT_THROW(evaluate_expression("dir(Eyeglasses)", env, 3), Error);
  // A directions file made for another latent size is refused.
  TinySpace bigger(5, dir.string());
  SpaceExpressionEnv env5(bigger);
  try {
    evaluate_expression("dir(\"Eyeglasses\")", env5, 5);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("latent size of 3"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}
