#include "latent/image.h"

#include <algorithm>
#include <cmath>

#include <stb/stb_image_resize.h>

#include "latent/errors.h"

namespace latent {

std::vector<uint8_t> to_rgba8(const Image& img) {
  std::vector<uint8_t> out(static_cast<size_t>(img.width) * img.height * 4, 255);
  const size_t n = static_cast<size_t>(img.width) * img.height;
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      const int src = img.channels >= 3 ? c : 0;
      const float v = std::clamp(img.pixels[i * img.channels + src], 0.f, 1.f);
      out[i * 4 + c] = static_cast<uint8_t>(std::lround(v * 255.f));
    }
    if (img.channels == 4 || img.channels == 2) {
      const float a = std::clamp(img.pixels[i * img.channels + img.channels - 1], 0.f, 1.f);
      out[i * 4 + 3] = static_cast<uint8_t>(std::lround(a * 255.f));
    }
  }
  return out;
}

namespace {

Image convert_channels(const Image& img, int channels) {
  if (img.channels == channels) return img;
  Image out(img.width, img.height, channels);
  const size_t n = static_cast<size_t>(img.width) * img.height;
  for (size_t i = 0; i < n; ++i) {
    const float* p = &img.pixels[i * img.channels];
    float gray;
    float rgb[3];
    if (img.channels >= 3) {
      rgb[0] = p[0], rgb[1] = p[1], rgb[2] = p[2];
      gray = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
    } else {
      gray = p[0];
      rgb[0] = rgb[1] = rgb[2] = p[0];
    }
    float* q = &out.pixels[i * channels];
    if (channels == 1) {
      q[0] = gray;
    } else if (channels == 3) {
      q[0] = rgb[0], q[1] = rgb[1], q[2] = rgb[2];
    } else {
      throw UnsupportedError("images with " + std::to_string(channels) +
                             " channels are not supported (use 1 or 3)");
    }
  }
  return out;
}

}  // namespace

Image convert_image(const Image& img, int width, int height, int channels) {
  if (img.empty()) throw UnsupportedError("cannot convert an empty image");
  Image c = convert_channels(img, channels);
  if (c.width == width && c.height == height) return c;
  Image out(width, height, channels);
  if (!stbir_resize_float(c.pixels.data(), c.width, c.height, 0, out.pixels.data(), width, height, 0,
                          channels)) {
    throw Error("resizing an image from " + std::to_string(c.width) + "x" + std::to_string(c.height) +
                " failed");
  }
  for (float& v : out.pixels) v = std::clamp(v, 0.f, 1.f);
  return out;
}

Image upscale_nearest(const Image& img, int factor) {
  if (factor <= 1) return img;
  Image out(img.width * factor, img.height * factor, img.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < img.channels; ++c) out.at(x, y, c) = img.at(x / factor, y / factor, c);
  return out;
}

Image abs_difference(const Image& a, const Image& b) {
  if (a.width != b.width || a.height != b.height || a.channels != b.channels)
    throw UnsupportedError("images of different shapes cannot be compared");
  Image out(a.width, a.height, a.channels);
  for (size_t i = 0; i < a.pixels.size(); ++i) out.pixels[i] = std::fabs(a.pixels[i] - b.pixels[i]);
  return out;
}

Image normalize_for_display(const Image& img, bool symmetric) {
  Image out = img;
  if (img.empty()) return out;
  auto [lo_it, hi_it] = std::minmax_element(img.pixels.begin(), img.pixels.end());
  float lo = *lo_it, hi = *hi_it;
  if (symmetric) {
    const float m = std::max(std::fabs(lo), std::fabs(hi));
    lo = -m, hi = m;
  }
  const float range = hi - lo;
  for (float& v : out.pixels) v = range > 0 ? (v - lo) / range : 0.5f;
  return out;
}

Image make_grid(const std::vector<Image>& images, int cols, int pad, float background) {
  if (images.empty()) throw UnsupportedError("no images to lay out");
  const Image& first = images.front();
  for (const Image& im : images)
    if (im.width != first.width || im.height != first.height || im.channels != first.channels)
      throw UnsupportedError("grid images must all have the same shape");
  cols = std::max(1, std::min<int>(cols, static_cast<int>(images.size())));
  const int rows = static_cast<int>((images.size() + cols - 1) / cols);
  Image out(cols * first.width + (cols + 1) * pad, rows * first.height + (rows + 1) * pad,
            first.channels, background);
  for (size_t i = 0; i < images.size(); ++i) {
    const int ox = pad + static_cast<int>(i % cols) * (first.width + pad);
    const int oy = pad + static_cast<int>(i / cols) * (first.height + pad);
    for (int y = 0; y < first.height; ++y)
      for (int x = 0; x < first.width; ++x)
        for (int c = 0; c < first.channels; ++c) out.at(ox + x, oy + y, c) = images[i].at(x, y, c);
  }
  return out;
}

}  // namespace latent
