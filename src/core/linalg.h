#pragma once
// Thin wrappers over the system BLAS/LAPACK (OpenBLAS on Debian when installed).
#include <Eigen/Core>

namespace latent::linalg {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Returns A^T A (D x D) for a row-major N x D matrix A, full (both triangles).
Eigen::MatrixXd gram_columns(const RowMatrixXf& a);
// Returns Ac^T Ac (D x D), full, for Ac = A - 1 mean^T (each row of the row-major N x D
// matrix A minus `mean`, D values). The same float product as gram_columns on a centered
// copy, but it centers blocks of rows in a small reused buffer instead of copying A.
Eigen::MatrixXd centered_gram_columns(const RowMatrixXf& a, const Eigen::VectorXf& mean);
// Returns A A^T (N x N) for a row-major N x D matrix A, full, computed in double.
Eigen::MatrixXd gram_rows(const RowMatrixXf& a);

// Eigen-decomposition of a symmetric matrix: the `k` largest eigenvalues (descending)
// and their eigenvectors as columns (k <= n). `values_all`, when given, receives all n
// eigenvalues in descending order (computed only when asked for).
void symmetric_top_eigen(const Eigen::MatrixXd& a, int k, Eigen::VectorXd& values,
                         Eigen::MatrixXd& vectors);
Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a);

}  // namespace latent::linalg
