#include "linalg.h"

#include <algorithm>
#include <string>
#include <vector>

#include "latent/errors.h"

extern "C" {
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* beta, float* c, const int* ldc);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc);
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a,
             const int* lda, const double* vl, const double* vu, const int* il, const int* iu,
             const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
}

namespace latent::linalg {

Eigen::MatrixXd gram_columns(const RowMatrixXf& a) {
  // Row-major N x D is column-major D x N (call it B); B B^T = A^T A.
  const int n = static_cast<int>(a.cols());
  const int k = static_cast<int>(a.rows());
  Eigen::MatrixXf c = Eigen::MatrixXf::Zero(n, n);
  const float alpha = 1.f, beta = 0.f;
  const int lda = n;
  if (n > 0 && k > 0) ssyrk_("L", "N", &n, &k, &alpha, a.data(), &lda, &beta, c.data(), &n);
  Eigen::MatrixXd out = c.cast<double>();
  out.triangularView<Eigen::StrictlyUpper>() = out.transpose().triangularView<Eigen::StrictlyUpper>();
  return out;
}

Eigen::MatrixXd centered_gram_columns(const RowMatrixXf& a, const Eigen::VectorXf& mean) {
  const int n = static_cast<int>(a.cols());
  const long rows = a.rows();
  if (mean.size() != a.cols())
    throw Error("centered_gram_columns: " + std::to_string(mean.size()) + " mean values for " +
                std::to_string(a.cols()) + " columns");
  Eigen::MatrixXf c = Eigen::MatrixXf::Zero(n, n);
  if (n > 0 && rows > 0) {
    // Blocks of ~4 MB: the buffer stays in cache, and no N x D copy (and its page
    // faults) is needed. ssyrk accumulates the blocks in float (beta = 1), as it
    // accumulates along k within one call.
    const long block = std::clamp<long>((4L << 20) / (static_cast<long>(n) * sizeof(float)), 64L, 4096L);
    RowMatrixXf buf(std::min(block, rows), n);
    const float alpha = 1.f;
    for (long r = 0; r < rows; r += block) {
      const int k = static_cast<int>(std::min(block, rows - r));
      buf.topRows(k) = a.middleRows(r, k).rowwise() - mean.transpose();
      const float beta = r == 0 ? 0.f : 1.f;
      // Row-major k x D block is column-major D x k (B); B B^T adds its A^T A.
      ssyrk_("L", "N", &n, &k, &alpha, buf.data(), &n, &beta, c.data(), &n);
    }
  }
  Eigen::MatrixXd out = c.cast<double>();
  out.triangularView<Eigen::StrictlyUpper>() = out.transpose().triangularView<Eigen::StrictlyUpper>();
  return out;
}

Eigen::MatrixXd gram_rows(const RowMatrixXf& a) {
  // Column-major D x N view B of the data: B^T B = A A^T.
  Eigen::MatrixXd b = a.cast<double>().transpose();  // column-major D x N, contiguous
  const int n = static_cast<int>(a.rows());
  const int k = static_cast<int>(a.cols());
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(n, n);
  const double alpha = 1.0, beta = 0.0;
  const int lda = k;
  if (n > 0 && k > 0) dsyrk_("L", "T", &n, &k, &alpha, b.data(), &lda, &beta, c.data(), &n);
  c.triangularView<Eigen::StrictlyUpper>() = c.transpose().triangularView<Eigen::StrictlyUpper>();
  return c;
}

namespace {

// Runs dsyevr on a copy of `a`; il..iu are 1-based ascending indices.
void syevr(const Eigen::MatrixXd& a, bool want_vectors, int il, int iu, Eigen::VectorXd& w,
           Eigen::MatrixXd& z) {
  const int n = static_cast<int>(a.rows());
  Eigen::MatrixXd work_a = a;
  const char* jobz = want_vectors ? "V" : "N";
  const char* range = (il == 1 && iu == n) ? "A" : "I";
  const double vl = 0, vu = 0, abstol = 0;
  int m = 0, info = 0;
  w.resize(n);
  const int ldz = std::max(1, n);
  z.resize(want_vectors ? n : 1, want_vectors ? std::max(1, iu - il + 1) : 1);
  std::vector<int> isuppz(2 * std::max(1, n));
  int lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  dsyevr_(jobz, range, "L", &n, work_a.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w.data(),
          z.data(), &ldz, isuppz.data(), &work_query, &lwork, &iwork_query, &liwork, &info);
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(std::max(1, lwork));
  std::vector<int> iwork(std::max(1, liwork));
  dsyevr_(jobz, range, "L", &n, work_a.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w.data(),
          z.data(), &ldz, isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) throw Error("LAPACK dsyevr failed (info " + std::to_string(info) + ")");
  w.conservativeResize(m);
}

}  // namespace

void symmetric_top_eigen(const Eigen::MatrixXd& a, int k, Eigen::VectorXd& values,
                         Eigen::MatrixXd& vectors) {
  const int n = static_cast<int>(a.rows());
  k = std::clamp(k, 0, n);
  values.resize(0);
  vectors.resize(n, 0);
  if (k == 0) return;
  Eigen::VectorXd w;
  Eigen::MatrixXd z;
  syevr(a, true, n - k + 1, n, w, z);  // ascending
  values = w.reverse();
  vectors = z.leftCols(k).rowwise().reverse();
}

Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a) {
  const int n = static_cast<int>(a.rows());
  Eigen::VectorXd w;
  Eigen::MatrixXd z;
  if (n == 0) return w;
  syevr(a, false, 1, n, w, z);
  return w.reverse();
}

}  // namespace latent::linalg
