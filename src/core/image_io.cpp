#include "latent/image_io.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "latent/errors.h"

namespace latent {

namespace {

// No file may claim more than this many bytes of pixels (width x height x channels) per
// byte of file.
constexpr uint64_t kMaxImageExpansion = 16384;

}  // namespace

Image load_image(const std::string& path) {
  if (!std::filesystem::exists(path)) throw IoError(path + ": no such file");
  // PNG and JPEG only: Debian's stb_image is built with all of its decoders, and the
  // rarely used ones (GIF, BMP, TGA, PSD, HDR, PIC, PNM) are the least tested, so a file
  // reaches stb only if it starts like a PNG or a JPEG.
  {
    unsigned char magic[8] = {0};
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
    const size_t got = std::fread(magic, 1, sizeof magic, f);
    std::fclose(f);
    static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const bool png = got == 8 && std::memcmp(magic, kPng, 8) == 0;
    const bool jpeg = got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff;
    if (!png && !jpeg)
      throw FormatError(path + ": not a PNG or JPEG image (only those two are read; convert others, e.g. "
                               "`ffmpeg -i picture.bmp picture.png`)");
  }
  // The header first: a file that claims an enormous image is refused before anything
  // is allocated for it.
  int iw = 0, ih = 0, ic = 0;
  if (!stbi_info(path.c_str(), &iw, &ih, &ic)) {
    const char* why = stbi_failure_reason();
    throw FormatError(path + ": not a readable image (" + (why ? why : "unknown reason") + ")");
  }
  if (iw <= 0 || ih <= 0 || iw > kMaxImageSide || ih > kMaxImageSide)
    throw FormatError(path + ": the image says it is " + std::to_string(iw) + "x" + std::to_string(ih) +
                      " pixels; images up to " + std::to_string(kMaxImageSide) + " pixels a side are read");
  // PNG's deflate and JPEG cannot pack more than 16 KiB of pixels into a byte (deflate
  // at most about 1 KiB), so a larger claim is refused before stb allocates for it. (The
  // image fuzzer found the worst case before the PNG/JPEG gate above: a truncated binary
  // PNM that stb returned with its missing pixels uninitialised, 112 megapixels from a
  // 26-byte file.)
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  const uint64_t pixel_bytes = static_cast<uint64_t>(iw) * static_cast<uint64_t>(ih) * static_cast<uint64_t>(ic);
  if (!ec && pixel_bytes > file_bytes * kMaxImageExpansion)
    throw FormatError(path + ": the image says it is " + std::to_string(iw) + "x" + std::to_string(ih) +
                      " pixels, more than a file of " + std::to_string(file_bytes) + " bytes can hold");
  int w = 0, h = 0, c = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &c, 0);
  if (!data) {
    const char* why = stbi_failure_reason();
    throw FormatError(path + ": not a readable image (" + (why ? why : "unknown reason") + ")");
  }
  Image img(w, h, c);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = data[i] / 255.f;
  stbi_image_free(data);
  // Drop alpha: observations are gray or RGB.
  if (c == 2 || c == 4) {
    Image out(w, h, c - 1);
    for (size_t p = 0; p < static_cast<size_t>(w) * h; ++p)
      for (int k = 0; k < c - 1; ++k) out.pixels[p * (c - 1) + k] = img.pixels[p * c + k];
    return out;
  }
  return img;
}

void save_png(const Image& img, const std::string& path) {
  if (img.empty()) throw UnsupportedError("cannot write an empty image to " + path);
  if (img.channels != 1 && img.channels != 3 && img.channels != 4)
    throw UnsupportedError(path + ": cannot write a " + std::to_string(img.channels) + "-channel PNG");
  std::vector<unsigned char> bytes(img.pixels.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    float v = img.pixels[i];
    v = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
    bytes[i] = static_cast<unsigned char>(std::lround(v * 255.f));
  }
  const std::string tmp = path + ".tmp";
  if (!stbi_write_png(tmp.c_str(), img.width, img.height, img.channels, bytes.data(),
                      img.width * img.channels)) {
    std::remove(tmp.c_str());
    throw IoError(path + ": could not write the PNG (" + std::strerror(errno) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path + ": could not move the written PNG into place (" + why + ")");
  }
}

}  // namespace latent
