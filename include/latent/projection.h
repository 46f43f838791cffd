#pragma once
// Maps of many latent points in 2-D: PCA (instant), t-SNE (Barnes-Hut) and a UMAP-style
// layout (k-nearest-neighbour graph + stochastic layout). Deterministic for a seed;
// long methods report progress, can be cancelled, and can hand out intermediate layouts.
#include <functional>
#include <string>
#include <vector>

#include "latent/types.h"

namespace latent {

enum class ProjectionMethod { Pca, Tsne, Umap };
ProjectionMethod parse_projection_method(const std::string& name);  // "pca", "tsne", "umap"
const char* to_string(ProjectionMethod m);

struct ProjectionOptions {
  ProjectionMethod method = ProjectionMethod::Pca;
  uint64_t seed = 1;
  // t-SNE
  double perplexity = 30.0;
  int tsne_iterations = 1000;
  double theta = 0.5;            // Barnes-Hut accuracy (0: exact, slow)
  // UMAP-style
  int neighbors = 15;
  int umap_epochs = 0;           // 0: 500 for up to 10,000 points, else 200
  double min_dist = 0.1;
  // Above this many points the neighbour graph is approximate (approx_knn); 0: always exact.
  long approx_knn_above = 100000;
  ProgressFn progress;           // fraction and stage; false cancels (throws Cancelled)
  // Called now and then with the current layout (N x 2), for progressive display.
  std::function<void(const RowMatrixXf&)> snapshot;
};

// N x D points in, N x 2 out.
RowMatrixXf project_2d(const RowMatrixXf& points, const ProjectionOptions& options);

// The k nearest neighbours of every row (excluding itself), by Euclidean distance,
// computed exactly with BLAS. indices and squared distances, N x k, nearest first.
void exact_knn(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
               const ProgressFn& progress = {});

// The same, approximately, for many points: an HNSW graph (USearch) over the rows, then
// one search per row. Deterministic when `deterministic` (the graph is built on one
// thread; the searches run on all). Recall@k is typically 0.95-1 (docs/benchmarks.md).
struct ApproxKnnOptions {
  int connectivity = 16;      // HNSW's M
  int expansion_add = 64;     // efConstruction
  int expansion_search = 64;  // candidates per search (at least k + 1)
  int threads = 0;            // 0: the machine's cores
  bool deterministic = true;
};
void approx_knn(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
                const ProgressFn& progress = {}, const ApproxKnnOptions& options = {});

// exact_knn up to `approx_above` points (0: always), approx_knn above.
void knn_graph(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
               long approx_above, const ProgressFn& progress = {});

// Trustworthiness (Venna & Kaski) of a layout with k neighbours: 1 is perfect.
double trustworthiness(const RowMatrixXf& high, const RowMatrixXf& low, int k);

}  // namespace latent
