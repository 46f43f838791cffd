// Named latent directions: logistic boundaries fitted to classifier labels (directions.h).
#include "latent/directions.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Ridge-penalised logistic regression of soft labels y on the rows of x (standardised;
// the last column is the intercept, not penalised), by Newton's method. `balanced`: the
// two classes weigh alike in the loss however rare one is (a rare attribute's boundary
// would otherwise be fitted mostly to the negatives).
VecD fit_logistic(const MatD& x, const VecD& y, double l2, int iterations, bool balanced) {
  const long n = x.rows(), d = x.cols();
  double w_pos = 1, w_neg = 1;
  if (balanced) {
    const double pos = std::max(1e-6, y.sum()), neg = std::max(1e-6, static_cast<double>(n) - y.sum());
    w_pos = static_cast<double>(n) / (2 * pos);
    w_neg = static_cast<double>(n) / (2 * neg);
  }
  const VecD c = (y.array() * w_pos + (1.0 - y.array()) * w_neg).matrix();  // per-sample weight
  const VecD target = y * w_pos;
  VecD w = VecD::Zero(d);
  MatD penalty = MatD::Identity(d, d) * l2;
  penalty(d - 1, d - 1) = 0;
  for (int it = 0; it < iterations; ++it) {
    const VecD p = (x * w).unaryExpr([](double v) { return sigmoid(v); });
    // loss_i = -[w_pos y log p + w_neg (1 - y) log(1 - p)]: gradient p c - w_pos y.
    const VecD s = (p.array() * (1.0 - p.array()) * c.array()).matrix();
    VecD g = x.transpose() * (p.cwiseProduct(c) - target) / static_cast<double>(n) + penalty * w;
    MatD h = x.transpose() * s.asDiagonal() * x / static_cast<double>(n) + penalty;
    h.diagonal().array() += 1e-9;
    const VecD step = h.ldlt().solve(g);
    w -= step;
    if (step.norm() < 1e-7 * (1 + w.norm())) break;
  }
  return w;
}

double spread_along(const RowMatrixXf& z, const Latent& unit) {
  const Eigen::Map<const Eigen::VectorXf> u(unit.data(), static_cast<long>(unit.size()));
  const Eigen::VectorXd proj = (z * u).cast<double>();
  const double mean = proj.mean();
  return std::sqrt(std::max(1e-12, (proj.array() - mean).square().sum() / std::max<long>(1, proj.size() - 1)));
}

}  // namespace

const AttributeDirection* DirectionSet::find(const std::string& name) const {
  for (const auto& d : directions)
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<std::string> DirectionSet::names() const {
  std::vector<std::string> out;
  for (const auto& d : directions) out.push_back(d.name);
  return out;
}

const AttributeDirection& DirectionSet::at(const std::string& name) const {
  if (const auto* d = find(name)) return *d;
  throw UnsupportedError("no direction named \"" + name + "\"; this model's directions: " + joined(names()));
}

DirectionSet fit_directions(const RowMatrixXf& z, const RowMatrixXf& probabilities,
                            const std::vector<std::string>& names, const DirectionFitOptions& o) {
  const long n = z.rows(), dim = z.cols();
  if (probabilities.rows() != n)
    throw UnsupportedError("fit_directions: " + std::to_string(n) + " points but " +
                           std::to_string(probabilities.rows()) + " rows of labels");
  if (probabilities.cols() != static_cast<long>(names.size()))
    throw UnsupportedError("fit_directions: " + std::to_string(probabilities.cols()) + " label columns but " +
                           std::to_string(names.size()) + " names");
  if (n < 10) throw UnsupportedError("fit_directions needs at least 10 samples, not " + std::to_string(n));
  if (o.holdout_fraction < 0 || o.holdout_fraction >= 1) throw UnsupportedError("holdout fraction must be in [0, 1)");

  // Standardise each latent axis, so the ridge treats them alike whatever their scale.
  const Eigen::RowVectorXd mean = z.cast<double>().colwise().mean();
  Eigen::RowVectorXd stdev = ((z.cast<double>().rowwise() - mean).array().square().colwise().sum() /
                              std::max<long>(1, n - 1)).sqrt();
  for (long j = 0; j < dim; ++j) stdev(j) = std::max(stdev(j), 1e-8);

  std::vector<long> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0L);
  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + 17);
  std::shuffle(order.begin(), order.end(), rng);
  const long n_held = static_cast<long>(std::floor(static_cast<double>(n) * o.holdout_fraction));
  const long n_fit = n - n_held;
  MatD x_fit(n_fit, dim + 1), x_held(n_held, dim + 1);
  for (long i = 0; i < n; ++i) {
    const long r = order[static_cast<size_t>(i)];
    Eigen::RowVectorXd row(dim + 1);
    row.head(dim) = (z.row(r).cast<double>() - mean).array() / stdev.array();
    row(dim) = 1.0;
    if (i < n_fit) x_fit.row(i) = row;
    else x_held.row(i - n_fit) = row;
  }

  DirectionSet set;
  set.latent = static_cast<int>(dim);
  set.samples = n;
  for (long a = 0; a < probabilities.cols(); ++a) {
    VecD y_fit(n_fit), y_held(n_held);
    double positives = 0;
    for (long i = 0; i < n; ++i) {
      const long r = order[static_cast<size_t>(i)];
      const double p = std::clamp(static_cast<double>(probabilities(r, a)), 0.0, 1.0);
      positives += p > 0.5;
      if (i < n_fit) y_fit(i) = p;
      else y_held(i - n_fit) = p;
    }
    const VecD w = fit_logistic(x_fit, y_fit, o.l2, o.iterations, o.balanced);
    // Back to raw z: logit = sum_j w_j (z_j - m_j) / s_j + b.
    VecD raw(dim);
    for (long j = 0; j < dim; ++j) raw(j) = w(j) / stdev(j);
    const double norm = raw.norm();
    AttributeDirection d;
    d.name = names[static_cast<size_t>(a)];
    d.unit.resize(static_cast<size_t>(dim));
    for (long j = 0; j < dim; ++j) d.unit[static_cast<size_t>(j)] = norm > 0 ? static_cast<float>(raw(j) / norm) : 0.f;
    d.scale = norm;
    d.bias = w(dim) - (mean.transpose().array() * raw.array()).sum();
    d.positive_rate = positives / static_cast<double>(n);
    d.sigma = spread_along(z, d.unit);
    if (n_held > 0) {
      const VecD logit = x_held * w;
      long agree = 0, pos = 0, neg = 0, pos_ok = 0, neg_ok = 0;
      for (long i = 0; i < n_held; ++i) {
        const bool truth = y_held(i) > 0.5, said = logit(i) > 0;
        agree += truth == said;
        (truth ? pos : neg) += 1;
        (truth ? pos_ok : neg_ok) += truth == said;
      }
      d.boundary_accuracy = static_cast<double>(agree) / static_cast<double>(n_held);
      const double rp = pos ? static_cast<double>(pos_ok) / pos : 1.0;
      const double rn = neg ? static_cast<double>(neg_ok) / neg : 1.0;
      d.balanced_accuracy = (pos && neg) ? 0.5 * (rp + rn) : (pos ? rp : rn);
    }
    set.directions.push_back(std::move(d));
  }
  return set;
}

void make_orthogonal(DirectionSet& set, const std::vector<std::string>& keep, const RowMatrixXf* prior_samples) {
  if (keep.empty()) return;
  const long dim = set.latent;
  MatD basis(dim, static_cast<long>(keep.size()));
  for (size_t k = 0; k < keep.size(); ++k) {
    const AttributeDirection& d = set.at(keep[k]);
    for (long j = 0; j < dim; ++j) basis(j, static_cast<long>(k)) = d.unit[static_cast<size_t>(j)];
  }
  // An orthonormal basis of the kept span (QR), then each other direction minus its
  // projection onto it.
  Eigen::HouseholderQR<MatD> qr(basis);
  const MatD q = qr.householderQ() * MatD::Identity(dim, static_cast<long>(keep.size()));
  for (auto& d : set.directions) {
    if (std::find(keep.begin(), keep.end(), d.name) != keep.end()) continue;
    VecD v(dim);
    for (long j = 0; j < dim; ++j) v(j) = d.unit[static_cast<size_t>(j)];
    const double before = v.norm();
    v -= q * (q.transpose() * v);
    const double after = v.norm();
    if (after < 1e-6 * std::max(1.0, before))
      throw UnsupportedError("\"" + d.name + "\" lies within the span of " + joined(keep) +
                             ": nothing is left of it once made orthogonal to them");
    // The boundary's scale shrinks with the share of the normal that is kept.
    d.scale *= after / before;
    for (long j = 0; j < dim; ++j) d.unit[static_cast<size_t>(j)] = static_cast<float>(v(j) / after);
    d.orthogonal_to = keep;
    if (prior_samples) d.sigma = spread_along(*prior_samples, d.unit);
  }
}

DirectionSet sefa_directions(const RowMatrixXf& weight, int k, const RowMatrixXf* prior_samples) {
  const long d = weight.rows();
  if (d < 1 || weight.cols() < 1) throw UnsupportedError("SeFa needs the generator's first-layer weight (empty here)");
  if (k < 1 || k > d)
    throw UnsupportedError("SeFa finds 1 to " + std::to_string(d) + " directions in this " + std::to_string(d) +
                           "-d space, not " + std::to_string(k));
  if (prior_samples && prior_samples->cols() != d)
    throw UnsupportedError("SeFa: prior samples of size " + std::to_string(prior_samples->cols()) + ", latent " +
                           std::to_string(d));
  const Eigen::MatrixXd w = weight.cast<double>();
  const Eigen::MatrixXd gram = w * w.transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
  if (eig.info() != Eigen::Success) throw UnsupportedError("SeFa: the eigen decomposition of W W^T failed");
  const double trace = std::max(1e-300, gram.trace());
  DirectionSet set;
  set.latent = static_cast<int>(d);
  set.classifier = "sefa (unsupervised: the generator's first layer)";
  set.samples = prior_samples ? prior_samples->rows() : 0;
  for (int i = 0; i < k; ++i) {
    const long c = d - 1 - i;  // eigenvalues ascend
    Eigen::VectorXd v = eig.eigenvectors().col(c);
    long arg = 0;
    v.cwiseAbs().maxCoeff(&arg);
    if (v(arg) < 0) v = -v;
    AttributeDirection a;
    a.name = "sefa-" + std::to_string(i + 1);
    a.unit.resize(static_cast<size_t>(d));
    for (long j = 0; j < d; ++j) a.unit[static_cast<size_t>(j)] = static_cast<float>(v(j));
    a.energy_share = std::max(0.0, eig.eigenvalues()(c)) / trace;
    a.scale = 0;
    if (prior_samples && prior_samples->rows() > 1) {
      const Eigen::VectorXd proj = prior_samples->cast<double>() * v;
      const double mean = proj.mean();
      a.sigma = std::sqrt((proj.array() - mean).square().sum() / static_cast<double>(proj.size() - 1));
    }
    set.directions.push_back(std::move(a));
  }
  return set;
}

nlohmann::json to_json(const DirectionSet& set) {
  nlohmann::json dirs = nlohmann::json::array();
  for (const auto& d : set.directions) {
    nlohmann::json j = {{"name", d.name},
                        {"sigma", d.sigma},
                        {"bias", d.bias},
                        {"scale", d.scale},
                        {"boundary_accuracy", d.boundary_accuracy},
                        {"balanced_accuracy", d.balanced_accuracy},
                        {"positive_rate", d.positive_rate},
                        {"unit", d.unit}};
    if (!d.orthogonal_to.empty()) j["orthogonal_to"] = d.orthogonal_to;
    if (d.energy_share > 0) j["energy_share"] = d.energy_share;
    dirs.push_back(std::move(j));
  }
  return {{"format", "latent-studio-directions"},
          {"format_version", 1},
          {"model", set.model},
          {"classifier", set.classifier},
          {"latent_dim", set.latent},
          {"samples", set.samples},
          {"directions", dirs}};
}

DirectionSet directions_from_json(const nlohmann::json& j, const std::string& file) {
  auto bad = [&](const std::string& why) -> FormatError { return FormatError(file + ": " + why); };
  if (!j.is_object() || j.value("format", "") != "latent-studio-directions")
    throw bad("not a directions file (\"format\": \"latent-studio-directions\" is missing)");
  DirectionSet set;
  try {
    set.model = j.value("model", "");
    set.classifier = j.value("classifier", "");
    set.latent = j.at("latent_dim").get<int>();
    set.samples = j.value("samples", 0L);
    if (set.latent < 1 || set.latent > (1 << 20)) throw bad("latent_dim " + std::to_string(set.latent) + " is not a size");
    for (const auto& e : j.at("directions")) {
      AttributeDirection d;
      d.name = e.at("name").get<std::string>();
      d.unit = e.at("unit").get<std::vector<float>>();
      d.sigma = e.value("sigma", 1.0);
      d.bias = e.value("bias", 0.0);
      d.scale = e.value("scale", 1.0);
      d.boundary_accuracy = e.value("boundary_accuracy", 0.0);
      d.balanced_accuracy = e.value("balanced_accuracy", 0.0);
      d.positive_rate = e.value("positive_rate", 0.0);
      d.orthogonal_to = e.value("orthogonal_to", std::vector<std::string>{});
      d.energy_share = e.value("energy_share", 0.0);
      if (static_cast<int>(d.unit.size()) != set.latent)
        throw bad("direction \"" + d.name + "\" has " + std::to_string(d.unit.size()) + " values, not latent_dim " +
                  std::to_string(set.latent));
      double len = 0;
      for (float v : d.unit) {
        if (!std::isfinite(v)) throw bad("direction \"" + d.name + "\" holds a value that is not finite");
        len += static_cast<double>(v) * v;
      }
      if (std::abs(std::sqrt(len) - 1.0) > 1e-3) throw bad("direction \"" + d.name + "\" is not a unit vector");
      if (!(d.sigma > 0) || !std::isfinite(d.sigma)) throw bad("direction \"" + d.name + "\" has no positive sigma");
      if (set.find(d.name)) throw bad("direction \"" + d.name + "\" appears twice");
      set.directions.push_back(std::move(d));
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(e.what());
  }
  return set;
}

DirectionSet read_directions(const std::string& path) {
  return directions_from_json(read_json_file(path, "the directions file"), path);
}

void write_directions(const DirectionSet& set, const std::string& path) {
  write_file_atomic(path, to_json(set).dump(1) + "\n");
}

void check_directions(const DirectionSet& set, const SpaceInfo& model, const std::string& file) {
  if (set.latent != model.dim)
    throw UnsupportedError(file + " holds directions for a latent size of " + std::to_string(set.latent) +
                           (set.model.empty() ? "" : " (model " + set.model + ")") + ", but " + model.name +
                           " has a latent size of " + std::to_string(model.dim));
}

std::string directions_path(const SpaceInfo& model) {
  if (model.source.empty()) return "";
  return (fs::path(model.source) / "directions.json").string();
}

}  // namespace latent
