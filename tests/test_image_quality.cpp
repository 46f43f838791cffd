// The multi-scale sliced Wasserstein distance (image_quality.h).
#include "latent/image_quality.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "latent/errors.h"

using namespace latent;

namespace {

// Pictures with structure at every scale: a colour gradient, a few soft blobs of random
// colours and a fine-grained texture.
std::vector<Image> pictures(int n, uint64_t seed, int size = 64, int channels = 3) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<Image> out;
  for (int i = 0; i < n; ++i) {
    Image img(size, size, channels);
    float base[3], tilt[3];
    for (int c = 0; c < 3; ++c) base[c] = 0.2f + 0.4f * u(rng), tilt[c] = 0.3f * (u(rng) - 0.5f);
    struct Blob { float x, y, r, col[3]; };
    std::vector<Blob> blobs(3);
    for (auto& b : blobs) {
      b.x = u(rng) * size, b.y = u(rng) * size, b.r = size * (0.08f + 0.15f * u(rng));
      for (float& c : b.col) c = u(rng) - 0.5f;
    }
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const float grain = 0.08f * (u(rng) - 0.5f);
        for (int c = 0; c < channels; ++c) {
          float v = base[c] + tilt[c] * (x + y) / size + grain;
          for (const auto& b : blobs) {
            const float d2 = ((x - b.x) * (x - b.x) + (y - b.y) * (y - b.y)) / (b.r * b.r);
            v += 0.5f * b.col[c] * std::exp(-d2);
          }
          img.at(x, y, c) = std::clamp(v, 0.f, 1.f);
        }
      }
    out.push_back(std::move(img));
  }
  return out;
}

SwdOptions quick(uint64_t seed = 3) {
  SwdOptions o;
  o.patches_per_image = 64;
  o.directions = 256;
  o.seed = seed;
  o.threads = 2;
  return o;
}

}  // namespace

TEST(ImageQuality, ThePyramidHasTheLevelsOfTheSizeAndCollapsesBackToTheImage) {
  EXPECT_EQ(swd_resolutions(64, 64, 16), (std::vector<int>{64, 32, 16}));
  EXPECT_EQ(swd_resolutions(32, 32, 16), (std::vector<int>{32, 16}));
  EXPECT_EQ(swd_resolutions(28, 28, 16), (std::vector<int>{28}));
  const Image img = pictures(1, 7, 45).front();  // an odd size: levels of 45, 23, 12
  const auto pyr = laplacian_pyramid(img, 3);
  ASSERT_EQ(pyr.size(), 3u);
  EXPECT_EQ(pyr[1].width, 23);
  EXPECT_EQ(pyr[2].width, 12);
  const Image back = collapse_laplacian_pyramid(pyr);
  float worst = 0;
  for (size_t k = 0; k < img.pixels.size(); ++k) worst = std::max(worst, std::fabs(back.pixels[k] - img.pixels[k]));
  EXPECT_LT(worst, 1e-5f);
  // A flat image has no detail: the band-pass levels are zero, the low-pass is the colour.
  const auto flat = laplacian_pyramid(Image(32, 32, 3, 0.25f), 3);
  for (int l = 0; l < 2; ++l)
    for (float v : flat[static_cast<size_t>(l)].pixels) ASSERT_NEAR(v, 0.f, 1e-6f);
  for (float v : flat[2].pixels) ASSERT_NEAR(v, 0.25f, 1e-6f);
}

TEST(ImageQuality, IdenticalSetsAreNearZeroAndAnotherDrawIsTheFloor) {
  const auto a = pictures(120, 1), b = pictures(120, 2);
  const SwdResult same = sliced_wasserstein(a, a, quick());
  const SwdResult other = sliced_wasserstein(b, a, quick());
  ASSERT_EQ(same.levels.size(), 3u);
  EXPECT_EQ(same.levels[0].resolution, 64);
  EXPECT_EQ(same.levels[2].resolution, 16);
  EXPECT_EQ(same.descriptors, 120 * 64);
  // The same images with other random patches: only sampling noise.
  EXPECT_LT(same.mean, other.mean * 1.5);
  EXPECT_LT(same.mean, 40.0);
  EXPECT_GT(same.mean, 0.0);
}

TEST(ImageQuality, ColourShiftedAndBlurredCopiesScoreClearlyHigher) {
  const auto ref = pictures(120, 1), floor_set = pictures(120, 2);
  std::vector<Image> shifted = floor_set, blurred;
  for (auto& img : shifted)
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) img.at(x, y, 0) = std::min(1.f, img.at(x, y, 0) + 0.12f);
  for (const Image& img : floor_set) {  // a 3x3 box blur, twice
    Image cur = img;
    for (int pass = 0; pass < 2; ++pass) {
      Image next = cur;
      for (int y = 0; y < cur.height; ++y)
        for (int x = 0; x < cur.width; ++x)
          for (int c = 0; c < cur.channels; ++c) {
            float s = 0;
            int n = 0;
            for (int dy = -1; dy <= 1; ++dy)
              for (int dx = -1; dx <= 1; ++dx) {
                const int xx = x + dx, yy = y + dy;
                if (xx >= 0 && yy >= 0 && xx < cur.width && yy < cur.height) s += cur.at(xx, yy, c), ++n;
              }
            next.at(x, y, c) = s / n;
          }
      cur = next;
    }
    blurred.push_back(cur);
  }
  const auto r = sliced_wasserstein_sets({&floor_set, &shifted, &blurred}, ref, quick());
  ASSERT_EQ(r.size(), 3u);
  const SwdResult &floor = r[0], &shift = r[1], &blur = r[2];
  // The colour shift lives in the low-pass level; the blur removes the finest detail.
  EXPECT_GT(shift.levels[2].swd, 3 * floor.levels[2].swd) << shift.levels[2].swd << " vs " << floor.levels[2].swd;
  EXPECT_GT(shift.mean, 1.5 * floor.mean);
  EXPECT_GT(blur.levels[0].swd, 3 * floor.levels[0].swd) << blur.levels[0].swd << " vs " << floor.levels[0].swd;
  EXPECT_GT(blur.mean, 1.5 * floor.mean);
}

TEST(ImageQuality, TheResultIsDeterministicPerSeedWhateverTheThreads) {
  const auto a = pictures(40, 1), b = pictures(40, 2);
  SwdOptions one = quick(5), many = quick(5);
  one.threads = 1;
  many.threads = 4;
  const SwdResult x = sliced_wasserstein(b, a, one), y = sliced_wasserstein(b, a, many);
  for (size_t l = 0; l < x.levels.size(); ++l) EXPECT_EQ(x.levels[l].swd, y.levels[l].swd);
  const SwdResult z = sliced_wasserstein(b, a, quick(6));
  EXPECT_NE(x.mean, z.mean);
  // Several candidates at once give each the same as alone.
  const auto both = sliced_wasserstein_sets({&b, &a}, a, one);
  EXPECT_EQ(both[0].mean, x.mean);
}

TEST(ImageQuality, MismatchedSetsAndTinyImagesAreRefusedWithTheReason) {
  const auto a = pictures(10, 1), small = pictures(10, 2, 32), few = pictures(9, 3);
  try {
    sliced_wasserstein(small, a, quick());
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("32x32x3 image where the reference's are 64x64x3"), std::string::npos) << e.what();
  }
  try {
    sliced_wasserstein(few, a, quick());
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("holds 9 images where the reference holds 10"), std::string::npos) << e.what();
  }
  const auto tiny = pictures(10, 4, 5);
  EXPECT_THROW(sliced_wasserstein(tiny, tiny, quick()), UnsupportedError);
  EXPECT_THROW(sliced_wasserstein(std::vector<Image>{}, std::vector<Image>{}, quick()), UnsupportedError);
}

TEST(ImageQuality, ACancelStopsIt) {
  const auto a = pictures(40, 1);
  EXPECT_THROW(sliced_wasserstein_sets({&a}, a, quick(), [](float, const std::string&) { return false; }), Cancelled);
}
