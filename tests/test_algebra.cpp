#include "latent/algebra.h"

#include <cmath>

#include <gtest/gtest.h>

#include "latent/errors.h"

using namespace latent;

namespace {
double norm(const Latent& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s);
}
double angle(const Latent& a, const Latent& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += double(a[i]) * b[i];
  return std::acos(std::clamp(d / (norm(a) * norm(b)), -1.0, 1.0));
}
}  // namespace

TEST(Algebra, LerpEndpointsAndMidpoint) {
  const Latent a{1, 2, 3}, b{3, 2, -1};
  EXPECT_EQ(lerp(a, b, 0.f), a);
  EXPECT_EQ(lerp(a, b, 1.f), b);
  EXPECT_EQ(lerp(a, b, 0.5f), (Latent{2, 2, 1}));
}

TEST(Algebra, SlerpFollowsTheGreatCircle) {
  const Latent a{1, 0, 0}, b{0, 2, 0};
  const Latent a0 = slerp(a, b, 0.f), a1 = slerp(a, b, 1.f);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(a0[i], a[i], 1e-6);
    EXPECT_NEAR(a1[i], b[i], 1e-6);
  }
  const Latent mid = slerp(a, b, 0.5f);
  EXPECT_NEAR(angle(mid, a), M_PI / 4, 1e-5);  // equal angles to both ends
  EXPECT_NEAR(angle(mid, b), M_PI / 4, 1e-5);
  EXPECT_NEAR(norm(mid), 1.5, 1e-5);  // norm interpolated linearly
  // Lerp's midpoint is shorter: slerp keeps the norm up.
  EXPECT_LT(norm(lerp(a, b, 0.5f)), norm(mid));
}

TEST(Algebra, SlerpDegenerateCasesFallBackToLerp) {
  const Latent a{1, 1}, b{2, 2}, zero{0, 0};
  EXPECT_EQ(slerp(a, b, 0.25f), lerp(a, b, 0.25f));
  EXPECT_EQ(slerp(zero, b, 0.25f), lerp(zero, b, 0.25f));
}

TEST(Algebra, MeanOfPoints) {
  EXPECT_EQ(mean({{1, 2}, {3, 4}, {5, 0}}), (Latent{3, 2}));
  EXPECT_THROW(mean({}), UnsupportedError);
  EXPECT_THROW(mean({{1, 2}, {3}}), UnsupportedError);
  EXPECT_THROW(lerp({1}, {1, 2}, 0.5f), UnsupportedError);
}
