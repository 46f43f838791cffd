#include "latent/algebra.h"

#include <cmath>

#include "latent/errors.h"

namespace latent {

namespace {
void check_same(const Latent& a, const Latent& b) {
  if (a.size() != b.size())
    throw UnsupportedError("latent points of different sizes (" + std::to_string(a.size()) + " and " +
                           std::to_string(b.size()) + ")");
}
}  // namespace

Latent lerp(const Latent& a, const Latent& b, float t) {
  check_same(a, b);
  Latent out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = (1.f - t) * a[i] + t * b[i];
  return out;
}

Latent slerp(const Latent& a, const Latent& b, float t) {
  check_same(a, b);
  double na = 0, nb = 0, dot = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
    dot += double(a[i]) * b[i];
  }
  na = std::sqrt(na), nb = std::sqrt(nb);
  if (na == 0 || nb == 0) return lerp(a, b, t);
  const double cos_omega = std::fmax(-1.0, std::fmin(1.0, dot / (na * nb)));
  const double omega = std::acos(cos_omega);
  const double sin_omega = std::sin(omega);
  if (sin_omega < 1e-6) return lerp(a, b, t);
  const double wa = std::sin((1 - t) * omega) / sin_omega;
  const double wb = std::sin(t * omega) / sin_omega;
  // Interpolate directions on the unit sphere, and the norm linearly.
  const double norm = (1 - t) * na + t * nb;
  Latent out(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    out[i] = static_cast<float>(norm * (wa * a[i] / na + wb * b[i] / nb));
  return out;
}

Latent mean(const std::vector<Latent>& points) {
  if (points.empty()) throw UnsupportedError("the mean of no points is undefined");
  std::vector<double> acc(points.front().size(), 0.0);
  for (const Latent& p : points) {
    check_same(points.front(), p);
    for (size_t i = 0; i < p.size(); ++i) acc[i] += p[i];
  }
  Latent out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i] / points.size());
  return out;
}

}  // namespace latent
