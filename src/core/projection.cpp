#include "latent/projection.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>
#include <random>

#include "blas.h"
#include "latent/errors.h"

namespace latent {

namespace {

void report(const ProgressFn& p, float f, const std::string& stage) {
  if (p && !p(f, stage)) throw Cancelled();
}

RowMatrixXf pca_2d(const RowMatrixXf& x) {
  if (x.cols() == 2) return x;
  ObservationShape shape{static_cast<int>(x.cols()), 1, 1, -1e30f, 1e30f};
  auto pca = PcaSpace::fit(x, shape, PcaOptions{static_cast<int>(std::min<long>(2, x.cols())), 0.0});
  RowMatrixXf y = pca->encode_rows(x);
  if (y.cols() < 2) {
    RowMatrixXf z = RowMatrixXf::Zero(y.rows(), 2);
    z.leftCols(y.cols()) = y;
    return z;
  }
  return y;
}

// ---------------------------------------------------------------- UMAP-style

// Fits a, b of 1 / (1 + a d^(2b)) to the min_dist curve (as UMAP does), by grid search.
void fit_ab(double min_dist, double& a_out, double& b_out) {
  std::vector<double> xs, ys;
  for (int i = 1; i <= 300; ++i) {
    const double x = 3.0 * i / 300;
    xs.push_back(x);
    ys.push_back(x < min_dist ? 1.0 : std::exp(-(x - min_dist)));
  }
  auto err = [&](double a, double b) {
    double e = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double d = 1.0 / (1.0 + a * std::pow(xs[i], 2 * b)) - ys[i];
      e += d * d;
    }
    return e;
  };
  double best = 1e30, ba = 1, bb = 1;
  for (double a = 0.1; a <= 5.0; a += 0.05)
    for (double b = 0.3; b <= 2.0; b += 0.02)
      if (const double e = err(a, b); e < best) best = e, ba = a, bb = b;
  // Refine around the best.
  for (double step = 0.02; step > 1e-4; step /= 2)
    for (double da : {-step, 0.0, step})
      for (double db : {-step, 0.0, step})
        if (const double e = err(ba + da, bb + db); e < best) best = e, ba += da, bb += db;
  a_out = ba, b_out = bb;
}

RowMatrixXf umap_layout(const RowMatrixXf& x, const ProjectionOptions& o) {
  const long n = x.rows();
  const int k = static_cast<int>(std::min<long>(std::max(2, o.neighbors), n - 1));
  std::vector<int> nn;
  std::vector<float> d2;
  exact_knn(x, k, nn, d2, [&](float f, const std::string&) { return !o.progress || o.progress(0.3f * f, "nearest neighbours"); });
  // Fuzzy simplicial set: w_ij = exp(-(d_ij - rho_i) / sigma_i), sum = log2(k).
  std::vector<float> w(static_cast<size_t>(n) * k);
  const double target = std::log2(static_cast<double>(k));
  for (long i = 0; i < n; ++i) {
    const float* di = d2.data() + static_cast<size_t>(i) * k;
    double rho = 0;
    for (int j = 0; j < k; ++j)
      if (di[j] > 0) {
        rho = std::sqrt(di[j]);
        break;
      }
    double lo = 0, hi = 1e30, sigma = 1;
    for (int it = 0; it < 64; ++it) {
      double s = 0;
      for (int j = 0; j < k; ++j) s += std::exp(-std::max(0.0, std::sqrt(di[j]) - rho) / sigma);
      if (std::fabs(s - target) < 1e-5) break;
      if (s > target) hi = sigma, sigma = (lo + hi) / 2;
      else lo = sigma, sigma = hi >= 1e30 ? sigma * 2 : (lo + hi) / 2;
    }
    for (int j = 0; j < k; ++j) w[static_cast<size_t>(i) * k + j] = static_cast<float>(std::exp(-std::max(0.0, std::sqrt(di[j]) - rho) / sigma));
  }
  // Symmetrise: w + w^T - w * w^T, as an edge list.
  struct Edge {
    int i, j;
    float w;
  };
  std::vector<Edge> directed;
  directed.reserve(static_cast<size_t>(n) * k * 2);
  for (long i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) {
      const int t = nn[static_cast<size_t>(i) * k + j];
      directed.push_back({static_cast<int>(std::min<long>(i, t)), static_cast<int>(std::max<long>(i, t)), w[static_cast<size_t>(i) * k + j]});
    }
  std::sort(directed.begin(), directed.end(), [](const Edge& a, const Edge& b) { return a.i != b.i ? a.i < b.i : a.j < b.j; });
  std::vector<Edge> edges;
  for (size_t e = 0; e < directed.size();) {
    size_t f = e;
    float a = directed[e].w, b = 0;
    if (f + 1 < directed.size() && directed[f + 1].i == directed[e].i && directed[f + 1].j == directed[e].j) b = directed[++f].w;
    edges.push_back({directed[e].i, directed[e].j, a + b - a * b});
    e = f + 1;
  }
  float wmax = 0;
  for (const auto& e : edges) wmax = std::max(wmax, e.w);
  const int epochs = o.umap_epochs > 0 ? o.umap_epochs : (n <= 10000 ? 500 : 200);
  std::vector<double> per_sample(edges.size()), next_sample(edges.size());
  for (size_t e = 0; e < edges.size(); ++e) {
    per_sample[e] = edges[e].w > 0 ? wmax / edges[e].w : 1e30;
    next_sample[e] = per_sample[e];
  }
  double a, b;
  fit_ab(o.min_dist, a, b);

  // Initial layout: PCA, scaled to [-10, 10].
  RowMatrixXf y = pca_2d(x);
  const float m = std::max(1e-12f, y.cwiseAbs().maxCoeff());
  y *= 10.f / m;
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<long> any(0, n - 1);
  constexpr int kNegative = 5;
  auto clip = [](double v) { return std::clamp(v, -4.0, 4.0); };
  for (int ep = 1; ep <= epochs; ++ep) {
    const double alpha = 1.0 - double(ep - 1) / epochs;
    for (size_t e = 0; e < edges.size(); ++e) {
      if (next_sample[e] > ep) continue;
      next_sample[e] += per_sample[e];
      const int i = edges[e].i, j = edges[e].j;
      float* yi = y.row(i).data();
      float* yj = y.row(j).data();
      double dx = yi[0] - yj[0], dy = yi[1] - yj[1];
      double dist2 = dx * dx + dy * dy;
      if (dist2 > 0) {
        const double coef = -2.0 * a * b * std::pow(dist2, b - 1.0) / (1.0 + a * std::pow(dist2, b));
        const double gx = clip(coef * dx) * alpha, gy = clip(coef * dy) * alpha;
        yi[0] += static_cast<float>(gx), yi[1] += static_cast<float>(gy);
        yj[0] -= static_cast<float>(gx), yj[1] -= static_cast<float>(gy);
      }
      for (int s = 0; s < kNegative; ++s) {
        const long t = any(rng);
        if (t == i) continue;
        const float* yt = y.row(t).data();
        dx = yi[0] - yt[0], dy = yi[1] - yt[1];
        dist2 = dx * dx + dy * dy;
        const double coef = dist2 > 0 ? 2.0 * b / ((0.001 + dist2) * (1.0 + a * std::pow(dist2, b))) : 0.0;
        yi[0] += static_cast<float>((coef > 0 ? clip(coef * dx) : 4.0) * alpha);
        yi[1] += static_cast<float>((coef > 0 ? clip(coef * dy) : 4.0) * alpha);
      }
    }
    if (ep % 10 == 0 || ep == epochs) {
      report(o.progress, 0.3f + 0.7f * ep / epochs, "layout");
      if (o.snapshot) o.snapshot(y);
    }
  }
  return y;
}

// ---------------------------------------------------------------- t-SNE (Barnes-Hut)

struct QuadTree {
  struct Node {
    float cx, cy, half;      // cell centre and half width
    double mx = 0, my = 0;   // centre of mass (sum, divided when done)
    int count = 0;
    int child = -1;          // first of 4 children, -1 for a leaf
    int point = -1;          // a leaf's point
  };
  std::vector<Node> nodes;
  const float* y = nullptr;

  void build(const RowMatrixXf& pts) {
    y = pts.data();
    const long n = pts.rows();
    float minx = pts.col(0).minCoeff(), maxx = pts.col(0).maxCoeff();
    float miny = pts.col(1).minCoeff(), maxy = pts.col(1).maxCoeff();
    const float half = std::max(maxx - minx, maxy - miny) / 2 + 1e-5f;
    nodes.clear();
    nodes.reserve(static_cast<size_t>(n) * 2);
    nodes.push_back({(minx + maxx) / 2, (miny + maxy) / 2, half});
    for (long i = 0; i < n; ++i) insert(0, static_cast<int>(i), 0);
    for (auto& nd : nodes)
      if (nd.count) nd.mx /= nd.count, nd.my /= nd.count;
  }
  void insert(int node, int p, int depth) {
    const float px = y[2 * p], py = y[2 * p + 1];
    for (;;) {
      Node& nd = nodes[node];
      nd.mx += px, nd.my += py, ++nd.count;
      if (nd.child < 0) {
        if (nd.count == 1 || depth > 40) {  // empty leaf, or coincident points
          if (nd.count == 1) nd.point = p;
          return;
        }
        // Split: push the old point down.
        const int old = nd.point;
        nodes[node].point = -1;
        const int first = static_cast<int>(nodes.size());
        const float h = nodes[node].half / 2, cx = nodes[node].cx, cy = nodes[node].cy;
        nodes[node].child = first;
        for (int q = 0; q < 4; ++q) nodes.push_back({cx + ((q & 1) ? h : -h), cy + ((q & 2) ? h : -h), h});
        if (old >= 0) {
          const int q = quadrant(node, y[2 * old], y[2 * old + 1]);
          Node& c = nodes[first + q];
          c.mx += y[2 * old], c.my += y[2 * old + 1], ++c.count, c.point = old;
        }
      }
      node = nodes[node].child + quadrant(node, px, py);
      ++depth;
    }
  }
  int quadrant(int node, float px, float py) const {
    return (px >= nodes[node].cx ? 1 : 0) + (py >= nodes[node].cy ? 2 : 0);
  }
  // Adds the repulsive force on point i to (fx, fy) and returns its share of Z.
  double repulse(int i, double theta2, double& fx, double& fy) const {
    const float px = y[2 * i], py = y[2 * i + 1];
    double z = 0;
    int stack[256];
    int top = 0;
    stack[top++] = 0;
    while (top) {
      const Node& nd = nodes[stack[--top]];
      if (nd.count == 0) continue;
      if (nd.child < 0 && nd.point == i && nd.count == 1) continue;
      const double dx = px - nd.mx, dy = py - nd.my, d2 = dx * dx + dy * dy;
      const double w = 2.0 * nd.half;
      if (nd.child < 0 || w * w < theta2 * d2) {
        int cnt = nd.count;
        if (nd.child < 0 && nd.point == i) --cnt;  // coincident points sharing a leaf
        if (cnt <= 0) continue;
        const double q = 1.0 / (1.0 + d2);
        z += cnt * q;
        fx += cnt * q * q * dx, fy += cnt * q * q * dy;
      } else if (top + 4 <= 256) {
        for (int c = 0; c < 4; ++c) stack[top++] = nd.child + c;
      }
    }
    return z;
  }
};

RowMatrixXf tsne_layout(const RowMatrixXf& x, const ProjectionOptions& o, double* kl_out = nullptr) {
  const long n = x.rows();
  const double perplexity = std::min(o.perplexity, (n - 1) / 3.0);
  const int k = static_cast<int>(std::min<long>(n - 1, static_cast<long>(3 * perplexity + 1)));
  std::vector<int> nn;
  std::vector<float> d2;
  exact_knn(x, k, nn, d2, [&](float f, const std::string&) { return !o.progress || o.progress(0.2f * f, "nearest neighbours"); });
  // Conditional probabilities with the perplexity asked for.
  std::vector<double> p(static_cast<size_t>(n) * k);
  const double log_u = std::log(perplexity);
  for (long i = 0; i < n; ++i) {
    const float* di = d2.data() + static_cast<size_t>(i) * k;
    double beta = 1, lo = -1e300, hi = 1e300;
    double* pi = p.data() + static_cast<size_t>(i) * k;
    for (int it = 0; it < 100; ++it) {
      double sum = 0, h = 0;
      for (int j = 0; j < k; ++j) sum += pi[j] = std::exp(-beta * (di[j] - di[0]));
      for (int j = 0; j < k; ++j) h += beta * (di[j] - di[0]) * pi[j];
      h = h / sum + std::log(sum);
      if (std::fabs(h - log_u) < 1e-5) break;
      if (h > log_u) lo = beta, beta = hi >= 1e300 ? beta * 2 : (beta + hi) / 2;
      else hi = beta, beta = lo <= -1e300 ? beta / 2 : (beta + lo) / 2;
    }
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += pi[j];
    for (int j = 0; j < k; ++j) pi[j] /= sum;
  }
  // Symmetrise into CSR: P_ij = (p_j|i + p_i|j) / 2N.
  std::vector<std::vector<std::pair<int, double>>> rows(n);
  for (long i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) {
      const int t = nn[static_cast<size_t>(i) * k + j];
      const double v = p[static_cast<size_t>(i) * k + j] / (2.0 * n);
      rows[i].push_back({t, v});
      rows[t].push_back({static_cast<int>(i), v});
    }
  std::vector<int> row_start(n + 1, 0), col;
  std::vector<double> val;
  for (long i = 0; i < n; ++i) {
    auto& r = rows[i];
    std::sort(r.begin(), r.end());
    for (size_t e = 0; e < r.size();) {
      size_t f = e;
      double v = 0;
      while (f < r.size() && r[f].first == r[e].first) v += r[f++].second;
      col.push_back(r[e].first);
      val.push_back(v);
      e = f;
    }
    row_start[i + 1] = static_cast<int>(col.size());
    std::vector<std::pair<int, double>>().swap(r);
  }

  // Initial layout: PCA scaled so the first axis has sd 1e-4 (as scikit-learn does).
  RowMatrixXf y = pca_2d(x);
  {
    const double mean0 = y.col(0).mean();
    const double sd = std::sqrt((y.col(0).array() - mean0).square().mean());
    y *= static_cast<float>(1e-4 / std::max(sd, 1e-12));
  }
  const double exaggeration = 12.0;
  const double lr = std::max(n / exaggeration / 4.0, 50.0);
  const int iters = std::max(o.tsne_iterations, 251);
  const double theta2 = o.theta * o.theta;
  Eigen::MatrixXd update = Eigen::MatrixXd::Zero(n, 2), gains = Eigen::MatrixXd::Ones(n, 2);
  Eigen::MatrixXd grad(n, 2);
  QuadTree tree;
  for (int it = 0; it < iters; ++it) {
    const bool early = it < 250;
    const double exag = early ? exaggeration : 1.0;
    const double momentum = early ? 0.5 : 0.8;
    tree.build(y);
    double z = 0;
    for (long i = 0; i < n; ++i) {
      double fx = 0, fy = 0;
      z += tree.repulse(static_cast<int>(i), theta2, fx, fy);
      grad(i, 0) = -fx, grad(i, 1) = -fy;  // repulsive part, divided by Z below
    }
    for (long i = 0; i < n; ++i) {
      grad(i, 0) /= z, grad(i, 1) /= z;
      double ax = 0, ay = 0;
      const float yi0 = y(i, 0), yi1 = y(i, 1);
      for (int e = row_start[i]; e < row_start[i + 1]; ++e) {
        const int j = col[e];
        const double dx = yi0 - y(j, 0), dy = yi1 - y(j, 1);
        const double q = 1.0 / (1.0 + dx * dx + dy * dy);
        ax += exag * val[e] * q * dx, ay += exag * val[e] * q * dy;
      }
      grad(i, 0) = 4.0 * (ax + grad(i, 0)), grad(i, 1) = 4.0 * (ay + grad(i, 1));
    }
    for (long i = 0; i < n; ++i)
      for (int c = 0; c < 2; ++c) {
        const bool same = (grad(i, c) > 0) == (update(i, c) > 0);
        gains(i, c) = std::max(0.01, same ? gains(i, c) * 0.8 : gains(i, c) + 0.2);
        update(i, c) = momentum * update(i, c) - lr * gains(i, c) * grad(i, c);
        y(i, c) += static_cast<float>(update(i, c));
      }
    if (it % 10 == 0 || it == iters - 1) {
      report(o.progress, 0.2f + 0.8f * (it + 1) / iters, early ? "t-SNE (early exaggeration)" : "t-SNE");
      if (o.snapshot) o.snapshot(y);
    }
  }
  if (kl_out) {
    tree.build(y);
    double z = 0;
    for (long i = 0; i < n; ++i) {
      double fx = 0, fy = 0;
      z += tree.repulse(static_cast<int>(i), theta2, fx, fy);
    }
    double kl = 0;
    for (long i = 0; i < n; ++i)
      for (int e = row_start[i]; e < row_start[i + 1]; ++e) {
        const int j = col[e];
        const double dx = y(i, 0) - y(j, 0), dy = y(i, 1) - y(j, 1);
        const double q = 1.0 / (1.0 + dx * dx + dy * dy) / z;
        if (val[e] > 0) kl += val[e] * std::log(val[e] / std::max(q, 1e-300));
      }
    *kl_out = kl;
  }
  return y;
}

}  // namespace

ProjectionMethod parse_projection_method(const std::string& name) {
  if (name == "pca") return ProjectionMethod::Pca;
  if (name == "tsne" || name == "t-sne") return ProjectionMethod::Tsne;
  if (name == "umap") return ProjectionMethod::Umap;
  throw UnsupportedError("unknown projection method '" + name + "' (known: pca, tsne, umap)");
}

const char* to_string(ProjectionMethod m) {
  switch (m) {
    case ProjectionMethod::Pca: return "pca";
    case ProjectionMethod::Tsne: return "tsne";
    case ProjectionMethod::Umap: return "umap";
  }
  return "?";
}

void exact_knn(const RowMatrixXf& points, int k, std::vector<int>& indices, std::vector<float>& sq_dists,
               const ProgressFn& progress) {
  const long n = points.rows();
  const int d = static_cast<int>(points.cols());
  if (k <= 0 || k >= n) throw UnsupportedError("k must be between 1 and the number of points minus 1");
  indices.assign(static_cast<size_t>(n) * k, 0);
  sq_dists.assign(static_cast<size_t>(n) * k, 0.f);
  Eigen::VectorXf norms = points.rowwise().squaredNorm();
  constexpr long kBlock = 512;
  std::vector<float> dots(static_cast<size_t>(kBlock) * n);
  std::vector<std::pair<float, int>> row(n);
  for (long b = 0; b < n; b += kBlock) {
    const int rows = static_cast<int>(std::min(kBlock, n - b));
    blas::gemm_scores(points.row(b).data(), rows, points.data(), static_cast<int>(n), d, dots.data());
    for (int r = 0; r < rows; ++r) {
      const long i = b + r;
      const float* dr = dots.data() + static_cast<size_t>(r) * n;
      for (long j = 0; j < n; ++j) row[j] = {std::max(0.f, norms[i] + norms[j] - 2.f * dr[j]), static_cast<int>(j)};
      row[i].first = std::numeric_limits<float>::infinity();
      std::partial_sort(row.begin(), row.begin() + k, row.end());
      for (int j = 0; j < k; ++j) {
        indices[static_cast<size_t>(i) * k + j] = row[j].second;
        sq_dists[static_cast<size_t>(i) * k + j] = row[j].first;
      }
    }
    report(progress, float(b + rows) / n, "nearest neighbours");
  }
}

double trustworthiness(const RowMatrixXf& high, const RowMatrixXf& low, int k) {
  const long n = high.rows();
  // Ranks in the high-dimensional space: full distance ordering per point.
  std::vector<int> hn, ln;
  std::vector<float> hd, ld;
  exact_knn(high, static_cast<int>(n - 1), hn, hd);
  exact_knn(low, k, ln, ld);
  double penalty = 0;
  std::vector<int> rank(n);
  for (long i = 0; i < n; ++i) {
    for (long r = 0; r < n - 1; ++r) rank[hn[static_cast<size_t>(i) * (n - 1) + r]] = static_cast<int>(r + 1);
    for (int j = 0; j < k; ++j) {
      const int r = rank[ln[static_cast<size_t>(i) * k + j]];
      if (r > k) penalty += r - k;
    }
  }
  return 1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty;
}

RowMatrixXf project_2d(const RowMatrixXf& points, const ProjectionOptions& options) {
  if (points.rows() < 3) throw UnsupportedError("a map needs at least 3 points");
  if (!points.allFinite()) throw UnsupportedError("the points contain values that are not finite numbers");
  switch (options.method) {
    case ProjectionMethod::Pca: {
      report(options.progress, 0.f, "PCA");
      RowMatrixXf y = pca_2d(points);
      report(options.progress, 1.f, "PCA");
      return y;
    }
    case ProjectionMethod::Umap: return umap_layout(points, options);
    case ProjectionMethod::Tsne: return tsne_layout(points, options);
  }
  throw UnsupportedError("unknown projection method");
}

}  // namespace latent
