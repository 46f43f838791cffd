#pragma once
// Latent arithmetic: interpolation and means.
#include <vector>

#include "latent/space.h"

namespace latent {

// (1-t) a + t b.
Latent lerp(const Latent& a, const Latent& b, float t);

// Spherical interpolation along the great circle from a to b, with the norm itself
// interpolated linearly (so it also works for points not on a sphere). Falls back to
// lerp when a and b are (anti)parallel or either is zero.
Latent slerp(const Latent& a, const Latent& b, float t);

// Element-wise mean; throws UnsupportedError for an empty list or unequal sizes.
Latent mean(const std::vector<Latent>& points);

}  // namespace latent
