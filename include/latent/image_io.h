#pragma once
// Reading and writing image files (PNG, JPEG and the other formats stb_image reads).
#include <string>

#include "latent/image.h"

namespace latent {

// Loads an image file; pixels come back in [0,1]. Throws IoError/FormatError naming
// the file. Images larger than kMaxImageSide a side are refused from their header,
// before any pixel is decoded.
inline constexpr int kMaxImageSide = 16384;
Image load_image(const std::string& path);

// Writes a PNG (8-bit, gray or RGB as the image has). Writes to a temporary file first
// and renames it, so a failed write never leaves a half-written file at `path`.
void save_png(const Image& img, const std::string& path);

}  // namespace latent
