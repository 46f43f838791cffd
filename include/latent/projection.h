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
  // Above this many points the repulsion is FFT-interpolated (FIt-SNE) instead of
  // Barnes-Hut; 0: always Barnes-Hut.
  long tsne_fft_above = 50000;
  // UMAP-style
  int neighbors = 15;
  int umap_epochs = 0;           // 0: 500 for up to 10,000 points, else 200
  double min_dist = 0.1;
  // Above this many points the neighbour graph is approximate (approx_knn); 0: always exact.
  long approx_knn_above = 50000;
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
  int connectivity = 12;      // HNSW's M
  int expansion_add = 32;     // efConstruction
  int expansion_search = 64;  // candidates per search (at least k + 1)
  int threads = 0;            // 0: the machine's cores
  bool deterministic = true;
};
void approx_knn(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
                const ProgressFn& progress = {}, const ApproxKnnOptions& options = {});

// exact_knn up to `approx_above` points (0: always), approx_knn above.
void knn_graph(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
               long approx_above, const ProgressFn& progress = {});

// t-SNE's repulsion on a layout y (N x 2): returns Z = sum over i != j of q_ij and sets
// force (N x 2) to sum_j q_ij^2 (y_i - y_j), with q_ij = 1 / (1 + |y_i - y_j|^2). By
// Barnes-Hut (theta; 0 is exact) or by FFT interpolation, as the t-SNE map computes it;
// for tests and benchmarks.
enum class TsneRepulsion { BarnesHut, Fft };
double tsne_repulsion(const RowMatrixXf& y, TsneRepulsion method, double theta, RowMatrixXf& force);

// A 2-D map's points (x0 y0 x1 y1 ...) in a balanced 2-d tree (leaves of at most 8
// points, a bounding box per node): the nearest point to a position in O(log n) steps for
// points spread over the map, and the points inside a rectangle, visiting only the nodes
// that meet it (the studio's hover, centre point and zoomed-in pictures on maps of a
// million points). Points with a coordinate that is not finite are never found.
class MapIndex {
 public:
  MapIndex() = default;
  MapIndex(const float* xy, long n);
  long size() const { return count_; }
  // Bounds of the (finite) points (all 0 when there are none).
  float min_x() const { return min_x_; }
  float min_y() const { return min_y_; }
  float max_x() const { return max_x_; }
  float max_y() const { return max_y_; }
  // The nearest point to (x, y) at most max_dist away for which keep(i) holds (every
  // point when keep is empty); ties go to the lower index; -1 when there is none.
  long nearest(float x, float y, float max_dist, const std::function<bool(long)>& keep = {}) const;
  // The points with x0 <= x <= x1 and y0 <= y <= y1, in index order.
  std::vector<long> inside(float x0, float y0, float x1, float y1) const;

 private:
  struct Point {
    float x, y;
    int id;
  };
  struct Box {
    float x0, y0, x1, y1;
  };
  void build(size_t node, long lo, long hi);
  void nearest_in(size_t node, long lo, long hi, double x, double y, const std::function<bool(long)>& keep,
                  double& best_d2, long& best) const;
  void inside_in(size_t node, long lo, long hi, const Box& r, std::vector<long>& out) const;
  long count_ = 0;              // every point, finite or not
  std::vector<Point> points_;   // the finite points in tree order
  std::vector<Box> boxes_;      // per node, in heap order (node k's children: 2k + 1, 2k + 2)
  float min_x_ = 0, min_y_ = 0, max_x_ = 0, max_y_ = 0;
};

// Trustworthiness (Venna & Kaski) of a layout with k neighbours: 1 is perfect.
double trustworthiness(const RowMatrixXf& high, const RowMatrixXf& low, int k);

}  // namespace latent
