#include "latent/pca_space.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "latent/errors.h"
#include "latent/model_package.h"
#include "linalg.h"
#include "parallel_progress.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

void report(const ProgressFn& progress, float fraction, const std::string& stage) {
  if (progress && !progress(fraction, stage)) throw Cancelled();
}

// The smallest K whose leading eigenvalues explain `fraction` of `total`.
int count_for_fraction(const Eigen::VectorXd& values_desc, double total, double fraction, int max_k) {
  double acc = 0;
  for (int k = 0; k < std::min<int>(max_k, values_desc.size()); ++k) {
    acc += std::max(0.0, values_desc[k]);
    if (acc >= fraction * total) return k + 1;
  }
  return max_k;
}

}  // namespace

std::unique_ptr<PcaSpace> PcaSpace::fit(const RowMatrixXf& data, const ObservationShape& shape,
                                        const PcaOptions& options, const ProgressFn& progress) {
  const long n = data.rows();
  const long d = data.cols();
  if (n < 2) throw UnsupportedError("PCA needs at least 2 observations, got " + std::to_string(n));
  if (static_cast<size_t>(d) != shape.numel())
    throw UnsupportedError("data rows have " + std::to_string(d) + " values but the observation shape " +
                           std::to_string(shape.width) + "x" + std::to_string(shape.height) + "x" +
                           std::to_string(shape.channels) + " has " + std::to_string(shape.numel()));
  if (options.components < 0) throw UnsupportedError("the number of components must be positive");
  if (options.variance_fraction < 0 || options.variance_fraction > 1)
    throw UnsupportedError("the explained-variance fraction must be in (0, 1]");

  auto pca = std::unique_ptr<PcaSpace>(new PcaSpace());
  report(progress, 0.f, "mean");
  {
    // Accumulate in double, row by row, without a double copy of the data.
    Eigen::VectorXd acc = Eigen::VectorXd::Zero(d);
    for (long i = 0; i < n; ++i) acc += data.row(i).transpose().cast<double>();
    pca->mean_ = (acc / static_cast<double>(n)).cast<float>();
  }

  const int max_rank = static_cast<int>(std::min<long>(n - 1, d));
  const double denom = static_cast<double>(n - 1);
  const bool by_fraction = options.components == 0;
  const double fraction = options.variance_fraction > 0 ? options.variance_fraction : 1.0;

  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;  // eigenvectors of the (covariance or Gram) matrix, columns
  if (d <= n) {
    // Covariance route: D x D.
    report(progress, 0.1f, "covariance");
    Eigen::MatrixXd cov = linalg::centered_gram_columns(data, pca->mean_) / denom;
    pca->total_variance_ = cov.trace();
    int k = by_fraction ? max_rank : std::min(options.components, max_rank);
    report(progress, 0.7f, "eigen-decomposition");
    if (by_fraction && fraction < 1.0)
      k = count_for_fraction(linalg::symmetric_eigenvalues(cov), pca->total_variance_, fraction, max_rank);
    linalg::symmetric_top_eigen(cov, k, values, vectors);
    pca->components_ = vectors.transpose().cast<float>();
  } else {
    // Gram route (more pixels than images): N x N, then map back to pixel space.
    report(progress, 0.05f, "centering");
    RowMatrixXf centered = data.rowwise() - pca->mean_.transpose();
    report(progress, 0.1f, "gram matrix");
    Eigen::MatrixXd gram = linalg::gram_rows(centered) / denom;
    pca->total_variance_ = gram.trace();
    report(progress, 0.5f, "eigen-decomposition");
    Eigen::VectorXd all = linalg::symmetric_eigenvalues(gram);
    // Directions with no variance cannot be mapped back to pixel space.
    int usable = 0;
    while (usable < std::min<int>(max_rank, all.size()) && all[usable] > 1e-10 * std::max(all[0], 1e-300))
      ++usable;
    int k = by_fraction ? count_for_fraction(all, pca->total_variance_, fraction, usable)
                        : std::min(options.components, usable);
    linalg::symmetric_top_eigen(gram, k, values, vectors);
    report(progress, 0.8f, "components");
    Eigen::MatrixXd comp = (centered.cast<double>().transpose() * vectors);  // D x K
    for (int j = 0; j < k; ++j) comp.col(j) /= std::sqrt(values[j] * denom);
    pca->components_ = comp.transpose().cast<float>();
  }

  // Deterministic signs: the largest-magnitude entry of each component is positive.
  for (long k = 0; k < pca->components_.rows(); ++k) {
    Eigen::Index idx;
    pca->components_.row(k).cwiseAbs().maxCoeff(&idx);
    if (pca->components_(k, idx) < 0) pca->components_.row(k) *= -1.f;
  }
  pca->explained_variance_ = values.cwiseMax(0.0);
  pca->n_samples_ = n;
  pca->info_.observation = shape;
  pca->init_info();
  report(progress, 1.f, "done");
  return pca;
}

void PcaSpace::init_info() {
  if (info_.name.empty()) info_.name = "pca";
  info_.kind = "pca";
  info_.dim = static_cast<int>(components_.rows());
  info_.modality = Modality::Image;
  info_.can_encode = info_.can_decode = info_.can_sample = true;
  info_.device = "cpu";
}

double PcaSpace::explained_fraction() const {
  return total_variance_ > 0 ? explained_variance_.sum() / total_variance_ : 0.0;
}

double PcaSpace::train_reconstruction_rmse() const {
  const double d = static_cast<double>(mean_.size());
  if (n_samples_ < 2 || d <= 0) return 0.0;
  const double left = std::max(0.0, total_variance_ - explained_variance_.sum());
  return std::sqrt(left * static_cast<double>(n_samples_ - 1) / (static_cast<double>(n_samples_) * d));
}

Latent PcaSpace::encode(const Image& image) const {
  const auto& s = info_.observation;
  if (image.width != s.width || image.height != s.height || image.channels != s.channels)
    throw UnsupportedError("image is " + std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                           std::to_string(image.channels) + " but model '" + info_.name + "' takes " +
                           std::to_string(s.width) + "x" + std::to_string(s.height) + "x" +
                           std::to_string(s.channels));
  Eigen::Map<const Eigen::VectorXf> x(image.pixels.data(), static_cast<Eigen::Index>(image.pixels.size()));
  Eigen::VectorXf z = components_ * (x - mean_);
  return Latent(z.data(), z.data() + z.size());
}

Image PcaSpace::decode(const Latent& z) const {
  check_latent(z);
  Eigen::Map<const Eigen::VectorXf> zv(z.data(), static_cast<Eigen::Index>(z.size()));
  Eigen::VectorXf x = mean_ + components_.transpose() * zv;
  const auto& s = info_.observation;
  Image img(s.width, s.height, s.channels);
  for (Eigen::Index i = 0; i < x.size(); ++i) img.pixels[i] = std::clamp(x[i], s.min_value, s.max_value);
  return img;
}

RowMatrixXf PcaSpace::encode_rows(const RowMatrixXf& data) const {
  if (data.cols() != mean_.size())
    throw UnsupportedError("rows have " + std::to_string(data.cols()) + " values, model takes " +
                           std::to_string(mean_.size()));
  // In blocks of rows, on the machine's cores: no rows x values temporary (for a million
  // images that would be gigabytes of fresh memory, slow to touch on some machines).
  RowMatrixXf out(data.rows(), components_.rows());
  constexpr long kBlock = 2048;
  detail::parallel_chunks((data.rows() + kBlock - 1) / kBlock, [&](long b0, long b1) {
    RowMatrixXf centred;
    for (long b = b0; b < b1; ++b) {
      const long r0 = b * kBlock, rows = std::min(kBlock, data.rows() - r0);
      centred = data.middleRows(r0, rows).rowwise() - mean_.transpose();
      out.middleRows(r0, rows).noalias() = centred * components_.transpose();
    }
  }, 1);
  return out;
}

RowMatrixXf PcaSpace::decode_rows(const RowMatrixXf& z) const {
  if (z.cols() != components_.rows())
    throw UnsupportedError("latents have " + std::to_string(z.cols()) + " values, model has " +
                           std::to_string(components_.rows()));
  return (z * components_).rowwise() + mean_.transpose();
}

std::vector<Latent> PcaSpace::sample(int n, uint64_t seed) const {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  const auto sd = scale();
  std::vector<Latent> out(std::max(0, n), Latent(sd.size()));
  for (auto& z : out)
    for (size_t k = 0; k < sd.size(); ++k) z[k] = normal(rng) * sd[k];
  return out;
}

std::vector<float> PcaSpace::scale() const {
  std::vector<float> s(explained_variance_.size());
  for (Eigen::Index k = 0; k < explained_variance_.size(); ++k)
    s[k] = static_cast<float>(std::sqrt(std::max(0.0, explained_variance_[k])));
  return s;
}

Image PcaSpace::component_image(int k) const {
  if (k < 0 || k >= components_.rows()) throw UnsupportedError("no component " + std::to_string(k));
  const auto& s = info_.observation;
  Image img(s.width, s.height, s.channels);
  for (long i = 0; i < components_.cols(); ++i) img.pixels[i] = components_(k, i);
  return img;
}

Image PcaSpace::mean_image() const {
  const auto& s = info_.observation;
  Image img(s.width, s.height, s.channels);
  for (long i = 0; i < mean_.size(); ++i) img.pixels[i] = mean_[i];
  return img;
}

void PcaSpace::save(const std::string& dir, const nlohmann::json& extra) const {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir + ": cannot create the model folder (" + ec.message() + ")");
  write_f32_file((fs::path(dir) / "mean.f32").string(), mean_.data(), mean_.size());
  write_f32_file((fs::path(dir) / "components.f32").string(), components_.data(), components_.size());

  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  j["format"] = "latent-studio-model";
  j["format_version"] = kModelFormatVersion;
  j["kind"] = "pca";
  if (!j.contains("name")) j["name"] = info_.name;
  j["latent_dim"] = info_.dim;
  j["observation"] = observation_json(info_.observation, Modality::Image);
  j["files"] = {{"mean", "mean.f32"}, {"components", "components.f32"}};
  std::vector<double> ev(explained_variance_.data(), explained_variance_.data() + explained_variance_.size());
  std::vector<double> ratio(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) ratio[i] = total_variance_ > 0 ? ev[i] / total_variance_ : 0;
  j["pca"] = {{"n_samples", n_samples_},
              {"total_variance", total_variance_},
              {"explained_variance", ev},
              {"explained_variance_ratio", ratio},
              {"explained_fraction", explained_fraction()}};
  write_file_atomic((fs::path(dir) / "model.json").string(), j.dump(2) + "\n");
}

std::unique_ptr<PcaSpace> PcaSpace::load(const std::string& dir, const nlohmann::json& header) {
  const std::string file = (fs::path(dir) / "model.json").string();
  auto pca = std::unique_ptr<PcaSpace>(new PcaSpace());
  pca->info_.observation = read_observation(header, file);
  const int k = require_field<int>(header, "latent_dim", file);
  if (k <= 0) throw FormatError(file + ": \"latent_dim\" must be positive, found " + std::to_string(k));
  const auto pca_j = require_field<nlohmann::json>(header, "pca", file);
  const auto ev = require_field<std::vector<double>>(pca_j, "explained_variance", file);
  if (static_cast<int>(ev.size()) != k)
    throw FormatError(file + ": \"pca.explained_variance\" has " + std::to_string(ev.size()) +
                      " values but \"latent_dim\" is " + std::to_string(k));
  pca->total_variance_ = require_field<double>(pca_j, "total_variance", file);
  // Optional fields through require_field too: json::value() threw nlohmann's type_error
  // for "n_samples": "ten" or "name": 5 (found by the model.json fuzzer).
  pca->n_samples_ = pca_j.contains("n_samples") ? require_field<long>(pca_j, "n_samples", file) : 0L;
  const auto files = require_field<nlohmann::json>(header, "files", file);
  const std::string mean_file = (fs::path(dir) / require_field<std::string>(files, "mean", file)).string();
  const std::string comp_file = (fs::path(dir) / require_field<std::string>(files, "components", file)).string();
  const size_t d = pca->info_.observation.numel();
  const auto mean = read_f32_file(mean_file, d, "the mean image");
  const auto comps = read_f32_file(comp_file, static_cast<size_t>(k) * d,
                                   std::to_string(k) + " components of " + std::to_string(d) + " values");
  pca->mean_ = Eigen::Map<const Eigen::VectorXf>(mean.data(), static_cast<Eigen::Index>(d));
  pca->components_ = Eigen::Map<const RowMatrixXf>(comps.data(), k, static_cast<Eigen::Index>(d));
  pca->explained_variance_ = Eigen::Map<const Eigen::VectorXd>(ev.data(), k);
  pca->info_.name =
      header.contains("name") ? require_field<std::string>(header, "name", file) : fs::path(dir).filename().string();
  pca->info_.source = dir;
  pca->init_info();
  return pca;
}

}  // namespace latent
