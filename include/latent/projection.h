#pragma once
// Maps of many latent points in 2-D: PCA (instant), t-SNE (Barnes-Hut) and a UMAP-style
// layout (k-nearest-neighbour graph + stochastic layout). Deterministic for a seed;
// long methods report progress, can be cancelled, and can hand out intermediate layouts.
#include <functional>
#include <string>
#include <vector>

#include "latent/pca_space.h"

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

// Trustworthiness (Venna & Kaski) of a layout with k neighbours: 1 is perfect.
double trustworthiness(const RowMatrixXf& high, const RowMatrixXf& low, int k);

}  // namespace latent
