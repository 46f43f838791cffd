#pragma once
// PCA eigenfaces on Eigen + LAPACK: encode = projection onto the principal axes,
// decode = mean + components^T z. The latent is in data units (not whitened):
// scale()[k] is the standard deviation of the data along component k.
#include <functional>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "latent/space.h"

namespace latent {

struct PcaOptions {
  int components = 0;                // keep this many (0: decided by variance_fraction)
  double variance_fraction = 0.0;    // keep the fewest components explaining this share
                                     // of the variance (used when components == 0;
                                     // both 0: keep every component)
};

class PcaSpace : public Space, public LinearBasis {
 public:
  // Fits on `data`, one observation per row (N x D, values in the observation's range).
  static std::unique_ptr<PcaSpace> fit(const RowMatrixXf& data, const ObservationShape& shape,
                                       const PcaOptions& options, const ProgressFn& progress = {});

  // Opens a model package written by save(); `header` is its parsed model.json.
  static std::unique_ptr<PcaSpace> load(const std::string& dir, const nlohmann::json& header);

  // Writes dir/model.json, dir/mean.f32, dir/components.f32. `extra` is merged into
  // model.json (name, training notes, metrics).
  void save(const std::string& dir, const nlohmann::json& extra = {}) const;

  const SpaceInfo& info() const override { return info_; }
  Latent encode(const Image& image) const override;
  Image decode(const Latent& z) const override;
  std::vector<Latent> sample(int n, uint64_t seed) const override;
  std::vector<float> scale() const override;

  // Encodes/decodes many rows at once (one GEMM). decode_rows does not clamp.
  RowMatrixXf encode_rows(const RowMatrixXf& data) const;
  RowMatrixXf decode_rows(const RowMatrixXf& z) const;

  // Component k as an image (unnormalized: values around 0).
  Image component_image(int k) const override;
  Image mean_image() const override;
  const LinearBasis* basis() const override { return this; }

  const Eigen::VectorXf& mean() const { return mean_; }
  const RowMatrixXf& components() const { return components_; }  // K x D, orthonormal rows
  const Eigen::VectorXd& explained_variance() const { return explained_variance_; }
  double total_variance() const { return total_variance_; }
  double explained_fraction() const override;
  // Root-mean-square error, per value, of reconstructing the training data from the kept
  // components (unclamped). It follows from the spectrum: the squared error is (N-1) times
  // the variance left in the discarded components, so no pass over the data is needed.
  double train_reconstruction_rmse() const;
  long n_samples() const override { return n_samples_; }

  void set_name(const std::string& name) { info_.name = name; }

 private:
  PcaSpace() = default;
  void init_info();

  SpaceInfo info_;
  Eigen::VectorXf mean_;                  // D
  RowMatrixXf components_;                // K x D
  Eigen::VectorXd explained_variance_;    // K, descending (variance, divided by N-1)
  double total_variance_ = 0.0;           // trace of the covariance
  long n_samples_ = 0;
};

}  // namespace latent
