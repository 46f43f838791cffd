#pragma once
// The vocabulary every part of the core speaks: a latent point, a matrix of rows, and
// the one progress callback. Include this, not a backend's header, to name them.
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace latent {

// A point in a model's latent space: info().dim values.
using Latent = std::vector<float>;

// One observation or point per row (row-major, so a row is contiguous).
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Row i of a matrix as a latent point (a copy).
inline Latent row_latent(const RowMatrixXf& rows, long i) {
  return Latent(rows.row(i).data(), rows.row(i).data() + rows.cols());
}

// Progress callback: fraction in [0,1] and a short stage name. Returning false
// cancels (the operation throws Cancelled).
using ProgressFn = std::function<bool(float fraction, const std::string& stage)>;

}  // namespace latent
