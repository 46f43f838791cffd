#pragma once
// An image observation: width x height x channels float pixels in [0,1],
// interleaved (row-major, channels last), row 0 at the top.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace latent {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<float> pixels;

  Image() = default;
  Image(int w, int h, int c, float fill = 0.f)
      : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c, fill) {}

  size_t size() const { return pixels.size(); }
  bool empty() const { return pixels.empty(); }
  float& at(int x, int y, int c) { return pixels[(static_cast<size_t>(y) * width + x) * channels + c]; }
  float at(int x, int y, int c) const { return pixels[(static_cast<size_t>(y) * width + x) * channels + c]; }
};

// Converts to 8-bit RGBA (gray is replicated, alpha 255), clamping to [0,1].
std::vector<uint8_t> to_rgba8(const Image& img);

// Returns the image resized (bilinear, area-averaging when shrinking) and converted to
// `channels` (1: luminance, 3: RGB).
Image convert_image(const Image& img, int width, int height, int channels);

// Nearest-neighbour upscale by an integer factor (for crisp exports of small images).
Image upscale_nearest(const Image& img, int factor);

// Per-pixel absolute difference of two images of the same shape.
Image abs_difference(const Image& a, const Image& b);

// Stretches values linearly so that [lo,hi] maps to [0,1]; `symmetric` maps
// [-m,m] with m = max |v| (for eigenfaces, where 0.5 means zero).
Image normalize_for_display(const Image& img, bool symmetric);

// Lays images out in a grid with `pad` pixels of `background` between them.
// All images must have the same shape.
Image make_grid(const std::vector<Image>& images, int cols, int pad = 2, float background = 1.f);

}  // namespace latent
