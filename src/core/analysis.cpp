#include "latent/analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <regex>

#include <Eigen/SVD>

#include "latent/algebra.h"
#include "latent/errors.h"

namespace latent {

namespace {

double rms_difference(const Image& a, const Image& b) {
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = double(a.pixels[i]) - b.pixels[i];
    se += d * d;
  }
  return std::sqrt(se / std::max<size_t>(1, a.pixels.size()));
}

}  // namespace

std::vector<float> rank_influence(const Space& space, const Latent& z, const ProgressFn& progress) {
  if (space.info().modality != Modality::Image || !space.info().can_decode)
    throw UnsupportedError("model '" + space.info().name + "' does not decode images: influence is measured on pixels");
  space.check_latent(z);
  const int d = space.info().dim;
  const auto sd = space.scale();
  std::vector<float> out(static_cast<size_t>(d), 0.f);
  const Image base = space.decode(z);
  const bool batched = space.decodes_in_batches();
  const int chunk = batched ? 16 : 1;
  for (int k0 = 0; k0 < d; k0 += chunk) {
    std::vector<Latent> zs;
    for (int k = k0; k < std::min(d, k0 + chunk); ++k) {
      zs.push_back(z);
      zs.back()[static_cast<size_t>(k)] += sd[static_cast<size_t>(k)];
    }
    const std::vector<Image> imgs = batched ? space.decode_batch(zs) : std::vector<Image>{space.decode(zs.front())};
    for (size_t j = 0; j < imgs.size(); ++j) out[static_cast<size_t>(k0) + j] = float(rms_difference(imgs[j], base));
    if (progress && !progress(std::min(1.f, static_cast<float>(k0 + chunk) / d), "ranking dimensions"))
      throw Cancelled();
  }
  return out;
}

std::vector<int> influence_order(const std::vector<float>& influence) {
  std::vector<int> order(influence.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return influence[a] > influence[b]; });
  return order;
}

Image error_heatmap(const Image& abs_error, float gain) {
  Image out(abs_error.width, abs_error.height, 3);
  const size_t n = static_cast<size_t>(abs_error.width) * abs_error.height;
  for (size_t i = 0; i < n; ++i) {
    float e = 0;
    for (int c = 0; c < abs_error.channels; ++c) e = std::max(e, abs_error.pixels[i * abs_error.channels + c]);
    const float t = std::clamp(e * gain, 0.f, 1.f);
    out.pixels[i * 3 + 0] = std::clamp(t * 2.f, 0.f, 1.f);
    out.pixels[i * 3 + 1] = std::clamp(t * 2.f - 1.f, 0.f, 1.f);
    out.pixels[i * 3 + 2] = 0.f;
  }
  return out;
}

ReconstructionError reconstruction_error(const Image& original, const Image& reconstruction, float gain) {
  const Image diff = abs_difference(original, reconstruction);
  ReconstructionError out;
  double sq = 0;
  for (float v : diff.pixels) {
    sq += double(v) * v;
    out.max_error = std::max(out.max_error, double(v));
  }
  out.rmse = std::sqrt(sq / std::max<size_t>(1, diff.pixels.size()));
  out.heatmap = error_heatmap(diff, gain);
  return out;
}

Placement place_image(const Space& space, const Image& target, const ProgressFn& progress) {
  const SpaceInfo& info = space.info();
  Placement out;
  if (space.can_invert()) {
    const bool encodes = info.can_encode;
    InvertOptions o;
    // An encoder gives a good start: a short refinement is enough.
    o.steps = encodes ? 100 : 300;
    o.restarts = encodes ? 2 : 4;
    const InvertResult r = space.invert(target, o, progress);
    out.z = r.z;
    out.reconstruction = r.reconstruction;
    out.mse = r.mse;
    out.how = std::string(encodes ? "encoder mean, then " : "") + "gradient descent, " + std::to_string(o.steps) +
              " steps, best of " + std::to_string(o.restarts);
  } else if (info.can_encode) {
    out.z = space.encode(target);
    out.reconstruction = space.decode(out.z);
    const double rms = rms_difference(target, out.reconstruction);
    out.mse = rms * rms;
    out.how = "encoder";
  } else {
    throw UnsupportedError("model '" + info.name + "' can neither encode images nor be inverted");
  }
  return out;
}

std::vector<std::pair<float, float>> project_small(const std::vector<Latent>& points) {
  std::vector<std::pair<float, float>> out(points.size(), {0.f, 0.f});
  if (points.size() < 2) return out;
  const long n = static_cast<long>(points.size()), d = static_cast<long>(points[0].size());
  Eigen::MatrixXd x(n, d);
  for (long i = 0; i < n; ++i)
    for (long k = 0; k < d; ++k) x(i, k) = points[static_cast<size_t>(i)][static_cast<size_t>(k)];
  x.rowwise() -= x.colwise().mean();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinU);
  const Eigen::MatrixXd u = svd.matrixU() * svd.singularValues().asDiagonal();
  double m = 1e-12;
  for (long i = 0; i < n; ++i)
    for (long k = 0; k < std::min<long>(2, u.cols()); ++k) m = std::max(m, std::fabs(u(i, k)));
  for (long i = 0; i < n; ++i)
    out[static_cast<size_t>(i)] = {static_cast<float>(u(i, 0) / m),
                                   u.cols() > 1 ? static_cast<float>(u(i, 1) / m) : 0.f};
  return out;
}

StyleMap::StyleMap(const std::vector<Latent>& a, const std::vector<Latent>& b, const Latent& direction) {
  if (a.empty() || b.empty()) throw UnsupportedError("a style's map needs example sentences on both sides");
  const Eigen::Index d = static_cast<Eigen::Index>(a.front().size());
  const Eigen::Index n = static_cast<Eigen::Index>(a.size() + b.size());
  Eigen::MatrixXf m(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Latent& z = i < static_cast<Eigen::Index>(a.size()) ? a[static_cast<size_t>(i)] : b[static_cast<size_t>(i) - a.size()];
    if (static_cast<Eigen::Index>(z.size()) != d) throw UnsupportedError("a style's example thoughts differ in size");
    m.row(i) = Eigen::Map<const Eigen::RowVectorXf>(z.data(), d);
  }
  mean_ = m.colwise().mean().transpose();
  const Eigen::MatrixXf c = m.rowwise() - mean_.transpose();
  Eigen::JacobiSVD<Eigen::MatrixXf> svd(c, Eigen::ComputeThinV);
  axes_ = Eigen::MatrixXf::Zero(d, 2);
  const Eigen::Index k = std::min<Eigen::Index>(2, svd.matrixV().cols());
  axes_.leftCols(k) = svd.matrixV().leftCols(k);
  // Point the first axis from B towards A, so the style's direction reads left to right.
  if (static_cast<Eigen::Index>(direction.size()) == d &&
      axes_.col(0).dot(Eigen::Map<const Eigen::VectorXf>(direction.data(), d)) < 0)
    axes_.col(0) *= -1;
  const Eigen::MatrixXf xy = c * axes_;
  scale_ = std::max(1e-6f, xy.cwiseAbs().maxCoeff());
  for (Eigen::Index i = 0; i < n; ++i)
    (i < static_cast<Eigen::Index>(a.size()) ? a_ : b_).emplace_back(xy(i, 0) / scale_, xy(i, 1) / scale_);
}

std::pair<float, float> StyleMap::place(const Latent& z) const {
  if (static_cast<Eigen::Index>(z.size()) != mean_.size()) return {0.f, 0.f};
  Eigen::Map<const Eigen::VectorXf> v(z.data(), static_cast<Eigen::Index>(z.size()));
  const Eigen::Vector2f p = axes_.transpose() * (v - mean_) / scale_;
  return {p.x(), p.y()};
}

Latent attribute_vector(const RowMatrixXf& items, const std::vector<long>& a, const std::vector<long>& b) {
  const auto group_mean = [&](const std::vector<long>& members, const char* which) {
    if (members.empty()) throw Error(std::string("group ") + which + " of the attribute vector has no items");
    std::vector<Latent> zs;
    zs.reserve(members.size());
    for (long i : members) {
      if (i < 0 || i >= items.rows())
        throw Error(std::string("group ") + which + " names item " + std::to_string(i) + ", but there are " +
                    std::to_string(items.rows()));
      zs.push_back(row_latent(items, i));
    }
    return mean(zs);
  };
  Latent d = group_mean(a, "A");
  const Latent mb = group_mean(b, "B");
  for (size_t k = 0; k < d.size(); ++k) d[k] -= mb[k];
  return d;
}

std::vector<char> filter_points(const std::string& filter, size_t n, const std::vector<std::string>& names,
                                const LabelTable* labels) {
  std::vector<char> keep(n, filter.empty() ? 1 : 0);
  if (filter.empty() || n == 0) return keep;
  const bool query = labels && filter.find_first_of("=<>~") != std::string::npos && labels->rows() == static_cast<long>(n);
  if (query) {
    for (long r : labels->select(filter)) keep[static_cast<size_t>(r)] = 1;
    return keep;
  }
  std::regex re;
  try {
    re = std::regex(filter, std::regex::icase);
  } catch (const std::regex_error&) {
    throw Error("'" + filter + "' is neither a label query nor a valid regular expression");
  }
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text = i < names.size() ? names[i] : std::string();
    if (labels && static_cast<long>(i) < labels->rows())
      for (int c = 0; c < static_cast<int>(labels->columns().size()); ++c) text += " " + labels->cell(static_cast<long>(i), c);
    keep[i] = std::regex_search(text, re) ? 1 : 0;
  }
  return keep;
}

}  // namespace latent
