#pragma once
// How far a set of images is from another, as the multi-scale sliced Wasserstein
// distance (SWD) of Karras et al. 2018 ("Progressive growing of GANs", appendix D):
// each image becomes a Laplacian pyramid down to 16 pixels; random 7x7 patches of every
// level are the level's descriptors; each level's descriptors are projected on random
// unit directions, and the SWD is the mean distance between the sorted projections of
// the two sets. Small where the sets share their local structure at that scale (fine
// texture at the top level, the face's layout at the coarsest).
//
// One difference from the ProGAN code: each level is normalised per channel with the
// *reference* set's mean and deviation, applied to both sets, where ProGAN normalises
// each set by its own. A global colour or contrast shift is then measured instead of
// normalised away. Values are reported x 1e3, as in the paper.
#include <cstdint>
#include <vector>

#include "latent/image.h"
#include "latent/types.h"

namespace latent {

struct SwdOptions {
  int patches_per_image = 128;  // random patches per image and level
  int patch = 7;                // patch side in pixels
  int min_resolution = 16;      // the coarsest level is at least this wide
  int directions = 512;         // random projections per level (drawn in blocks of 128)
  uint64_t seed = 0;            // patches and directions; the same seed gives the same result
  int threads = 0;              // 0: every hardware thread
};

struct SwdLevel {
  int resolution = 0;  // the level's width in pixels
  double swd = 0;      // x 1e3
};

struct SwdResult {
  std::vector<SwdLevel> levels;  // finest first
  double mean = 0;               // mean over the levels, x 1e3
  long descriptors = 0;          // per set and level
};

// The pyramid levels' widths for images of this size: width, width/2, ... while at least
// min_resolution (always at least one level).
std::vector<int> swd_resolutions(int width, int height, int min_resolution);

// The Laplacian pyramid of an image (5-tap binomial filter, mirrored edges): `levels`
// images, each the detail lost by halving, the last the remaining low-pass image. Their
// upsampled sum is the image again.
std::vector<Image> laplacian_pyramid(const Image& image, int levels);
// The inverse: the image the pyramid came from.
Image collapse_laplacian_pyramid(const std::vector<Image>& pyramid);

// The SWD of each candidate set to `reference`. Every set must hold as many images as
// the reference, all of its shape. Sorting the reference once serves every candidate
// (eval-images compares the model's samples and a second half of the data, the floor).
// `progress` may cancel (Cancelled).
std::vector<SwdResult> sliced_wasserstein_sets(const std::vector<const std::vector<Image>*>& candidates,
                                               const std::vector<Image>& reference, const SwdOptions& options = {},
                                               const ProgressFn& progress = {});
SwdResult sliced_wasserstein(const std::vector<Image>& a, const std::vector<Image>& reference,
                             const SwdOptions& options = {});

}  // namespace latent
