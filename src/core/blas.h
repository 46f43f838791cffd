#pragma once
// The few single-precision BLAS routines the word-vector code calls (system BLAS,
// OpenBLAS on Debian when installed), with row-major helpers.
extern "C" {
void sgemv_(const char* trans, const int* m, const int* n, const float* alpha, const float* a, const int* lda,
            const float* x, const int* incx, const float* beta, float* y, const int* incy);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc);
}

namespace latent::blas {

// y[rows] = A[rows x cols, row-major] * x[cols]
inline void gemv_rows(const float* a, int rows, int cols, const float* x, float* y) {
  const float one = 1.f, zero = 0.f;
  const int inc = 1;
  // Row-major rows x cols is column-major cols x rows; y = (that)^T x.
  sgemv_("T", &cols, &rows, &one, a, &cols, x, &inc, &zero, y, &inc);
}

// C[b x rows] (row-major: one row of scores per query) = Q[b x cols] * A[rows x cols]^T
inline void gemm_scores(const float* q, int b, const float* a, int rows, int cols, float* c) {
  const float one = 1.f, zero = 0.f;
  // Column-major: C^T (rows x b) = A_cm^T (rows x cols) * Q_cm (cols x b).
  sgemm_("T", "N", &rows, &b, &cols, &one, a, &cols, q, &cols, &zero, c, &rows);
}

}  // namespace latent::blas
