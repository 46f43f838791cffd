#include "latent/dataset.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <thread>
#include <fstream>

#include <fcntl.h>
#ifdef LATENT_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>

#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/image_io.h"
#include "latent/pca_space.h"

namespace fs = std::filesystem;

namespace latent {

Image ImageDataset::image(long i) const {
  if (i < 0 || i >= count()) throw UnsupportedError("no item " + std::to_string(i) + " in " + source);
  Image img(width, height, channels);
  std::copy(data.row(i).data(), data.row(i).data() + data.cols(), img.pixels.begin());
  return img;
}

namespace {

void report(const DatasetOptions& o, float f, const std::string& stage) {
  if (o.progress && !o.progress(f, stage)) throw Cancelled();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_image_file(const fs::path& p) {
  static const char* exts[] = {".png", ".jpg", ".jpeg"};  // the two formats load_image reads
  const std::string e = lower(p.extension().string());
  return std::any_of(std::begin(exts), std::end(exts), [&](const char* x) { return e == x; });
}

// Fills `out` (whose target shape is set) from 8-bit rows of shape (w, h, c).
void store_u8(ImageDataset& out, long row, const unsigned char* px, int w, int h, int c) {
  Image img(w, h, c);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = px[i] / 255.f;
  if (w != out.width || h != out.height || c != out.channels) img = convert_image(img, out.width, out.height, out.channels);
  std::copy(img.pixels.begin(), img.pixels.end(), out.data.row(row).data());
}

void set_target(ImageDataset& out, const DatasetOptions& o, int w, int h, int c) {
  out.width = o.width > 0 ? o.width : w;
  out.height = o.height > 0 ? o.height : h;
  out.channels = o.channels > 0 ? o.channels : c;
  if (out.channels != 1 && out.channels != 3)
    throw UnsupportedError("datasets are read as 1 or 3 channels, not " + std::to_string(out.channels));
}

long apply_limit(long n, const DatasetOptions& o) { return o.limit > 0 ? std::min(n, o.limit) : n; }

// Reads the whole file into memory (plain read(2): no stream copies). Empty on failure.
bool read_whole_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
    ::close(fd);
    return false;
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return true;
}

// One-member gzip files decompress whole with libdeflate, about 3x faster than zlib's
// stream (Fashion-MNIST train: 47 MB). Returns false (out untouched) for anything else:
// several members, a size trailer that cannot be true, damaged data. The zlib path then
// reads it, and says what is wrong.
bool gunzip_whole(const std::string& compressed, std::string& out) {
#ifndef LATENT_HAVE_LIBDEFLATE
  (void)compressed, (void)out;
  return false;
#else
  const size_t n = compressed.size();
  if (n < 18 || uint8_t(compressed[0]) != 0x1f || uint8_t(compressed[1]) != 0x8b) return false;
  const size_t isize = size_t(uint8_t(compressed[n - 4])) | size_t(uint8_t(compressed[n - 3])) << 8 |
                       size_t(uint8_t(compressed[n - 2])) << 16 | size_t(uint8_t(compressed[n - 1])) << 24;
  // DEFLATE expands at most about 1032:1; a larger claim is a lie (or a file over 4 GiB).
  if (isize == 0 || isize / 1032 > n) return false;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  if (!d) return false;
  std::string buf(isize, '\0');
  size_t in_used = 0, out_used = 0;
  const libdeflate_result r =
      libdeflate_gzip_decompress_ex(d, compressed.data(), n, buf.data(), buf.size(), &in_used, &out_used);
  libdeflate_free_decompressor(d);
  if (r != LIBDEFLATE_SUCCESS || in_used != n || out_used != isize) return false;
  out = std::move(buf);
  return true;
#endif
}

// Reads the whole (possibly gzip-compressed) file.
std::string read_maybe_gz(const std::string& path) {
  {
    std::string raw, out;
    if (read_whole_file(path, raw)) {
      if (raw.size() < 2 || uint8_t(raw[0]) != 0x1f || uint8_t(raw[1]) != 0x8b) return raw;  // not gzip
      if (gunzip_whole(raw, out)) return out;
    }
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw IoError(path + ": cannot open");
  std::string out;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  int errnum = 0;
  const char* msg = gzerror(f, &errnum);
  const std::string why = msg ? msg : "";
  gzclose(f);
  if (got < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR))
    throw FormatError(path + ": compressed data is corrupt after " + std::to_string(out.size()) +
                      " uncompressed bytes (" + why + ")");
  return out;
}

uint32_t be32(const std::string& s, size_t off) {
  return (uint32_t(uint8_t(s[off])) << 24) | (uint32_t(uint8_t(s[off + 1])) << 16) |
         (uint32_t(uint8_t(s[off + 2])) << 8) | uint32_t(uint8_t(s[off + 3]));
}

std::string hex_bytes(const std::string& s, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < std::min(n, s.size()); ++i) {
    if (i) out += ' ';
    out += digits[uint8_t(s[i]) >> 4];
    out += digits[uint8_t(s[i]) & 15];
  }
  return out;
}

fs::path find_raw_header(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    try {
      const auto j = read_json_file(e.path().string(), "a JSON file");
      if (j.is_object() && j.contains("dtype") && j.contains("file") && j.contains("count")) return e.path();
    } catch (...) {
    }
  }
  return {};
}

}  // namespace

ImageDataset load_image_folder(const std::string& dir, const DatasetOptions& options) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && is_image_file(it->path())) files.push_back(it->path());
  if (ec) throw IoError(dir + ": cannot list the folder (" + ec.message() + ")");
  if (files.empty()) throw FormatError(dir + ": no PNG or JPEG images in the folder");
  std::sort(files.begin(), files.end());
  files.resize(static_cast<size_t>(apply_limit(static_cast<long>(files.size()), options)));

  ImageDataset out;
  out.source = dir;
  out.format = "folder";
  for (size_t i = 0; i < files.size(); ++i) {
    Image img;
    try {
      img = load_image(files[i].string());
    } catch (...) {
      rethrow_with_context("reading image folder " + dir);
    }
    if (i == 0) {
      set_target(out, options, img.width, img.height, img.channels >= 3 ? 3 : 1);
      out.data.resize(static_cast<long>(files.size()), static_cast<long>(out.width) * out.height * out.channels);
    }
    if (img.width != out.width || img.height != out.height || img.channels != out.channels)
      img = convert_image(img, out.width, out.height, out.channels);
    std::copy(img.pixels.begin(), img.pixels.end(), out.data.row(static_cast<long>(i)).data());
    out.names.push_back(files[i].filename().string());
    if (i % 64 == 0) report(options, float(i) / files.size(), "reading images");
  }
  report(options, 1.f, "reading images");
  return out;
}

ImageDataset load_idx(const std::string& path, const DatasetOptions& options) {
  report(options, 0.f, "reading IDX");
  const std::string bytes = read_maybe_gz(path);
  const std::string where = path + (lower(path).size() > 3 && lower(path).substr(path.size() - 3) == ".gz"
                                        ? " (offsets are in the uncompressed data)"
                                        : "");
  if (bytes.size() < 4)
    throw FormatError(where + ": truncated at byte offset " + std::to_string(bytes.size()) +
                      ": expected a 4-byte IDX magic number");
  if (bytes[0] != 0 || bytes[1] != 0)
    throw FormatError(where + ": bad magic at byte offset 0: expected 00 00 08 03 (IDX, unsigned bytes), found " +
                      hex_bytes(bytes, 4));
  const int type = uint8_t(bytes[2]);
  const int ndims = uint8_t(bytes[3]);
  if (type != 0x08)
    throw FormatError(where + ": IDX element type 0x" + hex_bytes(bytes.substr(2, 1), 1) +
                      " at byte offset 2 is not supported (expected 08, unsigned bytes)");
  if (ndims < 3 || ndims > 4)
    throw FormatError(where + ": IDX has " + std::to_string(ndims) +
                      " dimensions at byte offset 3; images need 3 (N, rows, cols) or 4 (N, rows, cols, channels)");
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (bytes.size() < header)
    throw FormatError(where + ": truncated at byte offset " + std::to_string(bytes.size()) + ": expected a " +
                      std::to_string(header) + "-byte header");
  const long n = be32(bytes, 4);
  const int h = static_cast<int>(be32(bytes, 8));
  const int w = static_cast<int>(be32(bytes, 12));
  const int c = ndims == 4 ? static_cast<int>(be32(bytes, 16)) : 1;
  if (h <= 0 || w <= 0 || h > 16384 || w > 16384 || (c != 1 && c != 3))
    throw FormatError(where + ": implausible image shape " + std::to_string(h) + "x" + std::to_string(w) + "x" +
                      std::to_string(c) + " in the header");
  const size_t per = static_cast<size_t>(h) * w * c;
  const size_t need = header + per * static_cast<size_t>(n);
  if (bytes.size() < need)
    throw FormatError(where + ": truncated at byte offset " + std::to_string(bytes.size()) + ": the header says " +
                      std::to_string(n) + " images of " + std::to_string(per) + " bytes, which need " +
                      std::to_string(need) + " bytes");
  if (bytes.size() > need)
    throw FormatError(where + ": " + std::to_string(bytes.size() - need) + " unexpected bytes after offset " +
                      std::to_string(need) + " (the header says " + std::to_string(n) + " images)");

  ImageDataset out;
  out.source = path;
  out.format = "idx";
  set_target(out, options, w, h, c);
  const long count = apply_limit(n, options);
  out.data.resize(count, static_cast<long>(out.width) * out.height * out.channels);
  const bool same = out.width == w && out.height == h && out.channels == c;
  const auto* px = reinterpret_cast<const unsigned char*>(bytes.data() + header);
  // Rows [from, to); the main thread reports progress for the first half it converts.
  auto convert = [&](long from, long to, bool reports) {
    for (long i = from; i < to; ++i) {
      if (same) {
        float* row = out.data.row(i).data();
        for (size_t k = 0; k < per; ++k) row[k] = px[i * per + k] * (1.f / 255.f);
      } else {
        store_u8(out, i, px + i * per, w, h, c);
      }
      if (reports && (i - from) % 4096 == 0) report(options, 0.2f + 0.8f * float(i - from) / (to - from), "converting IDX");
    }
  };
  // The float matrix is fresh memory, most of the conversion's time (page faults: writing
  // new memory runs at about 0.5 GB/s on the benchmark VM); two threads fault it in
  // halves. A cancel from the progress callback waits for the other half first.
  if (count >= 8192 && same) {
    std::exception_ptr error;
    std::thread other([&] {
      try {
        convert(count / 2, count, false);
      } catch (...) {
        error = std::current_exception();
      }
    });
    try {
      convert(0, count / 2, true);
    } catch (...) {
      other.join();
      throw;
    }
    other.join();
    if (error) std::rethrow_exception(error);
  } else {
    convert(0, count, true);
  }
  out.names.reserve(static_cast<size_t>(count));
  for (long i = 0; i < count; ++i) out.names.push_back("#" + std::to_string(i));
  report(options, 1.f, "converting IDX");
  return out;
}

ImageDataset load_raw_array(const std::string& json_path, const DatasetOptions& options) {
  const nlohmann::json j = read_json_file(json_path, "the array header");
  if (!j.is_object()) throw FormatError(json_path + ": expected a JSON object (the raw-array header)");
  auto field = [&](const char* key) -> long {
    if (!j.contains(key)) throw FormatError(json_path + ": missing integer field \"" + key + "\"");
    if (!j[key].is_number_integer() || j[key].get<double>() > 2147483647.0)
      throw FormatError(json_path + ": field \"" + key + "\" must be a whole number below 2^31 (found " +
                        json_type_words(j[key]) + ")");
    return j[key].get<long>();
  };
  if (j.contains("dtype") && !j["dtype"].is_string())
    throw FormatError(json_path + ": field \"dtype\" must be a string (found " + json_type_words(j["dtype"]) + ")");
  const std::string dtype = j.value("dtype", "");
  if (dtype != "uint8")
    throw FormatError(json_path + ": dtype \"" + dtype + "\" is not supported (expected \"uint8\")");
  if (!j.contains("file") || !j["file"].is_string()) throw FormatError(json_path + ": missing field \"file\"");
  const long n = field("count");
  const int h = static_cast<int>(field("height"));
  const int w = static_cast<int>(field("width"));
  const int c = j.contains("channels") ? static_cast<int>(field("channels")) : 1;
  if (n <= 0 || h <= 0 || w <= 0 || h > 16384 || w > 16384 || (c != 1 && c != 3))
    throw FormatError(json_path + ": implausible shape count=" + std::to_string(n) + " height=" + std::to_string(h) +
                      " width=" + std::to_string(w) + " channels=" + std::to_string(c));
  const std::string bin = (fs::path(json_path).parent_path() / j["file"].get<std::string>()).string();
  const size_t per = static_cast<size_t>(h) * w * c;
  const size_t need = per * static_cast<size_t>(n);  // below 2^31 * 2^28 * 3: no overflow
  std::error_code ec;
  const auto size = fs::file_size(bin, ec);
  if (ec) throw IoError(bin + ": cannot open the pixel file named by " + json_path);
  if (size != need)
    throw FormatError(bin + ": " + (size < need ? "truncated" : "too long") + ": " + json_path + " describes " +
                      std::to_string(n) + " images of " + std::to_string(h) + "x" + std::to_string(w) + "x" +
                      std::to_string(c) + " uint8 (" + std::to_string(need) + " bytes), the file has " +
                      std::to_string(size) + " bytes" +
                      (size < need ? " (it ends inside image " + std::to_string(size / per) + ")" : ""));
  std::ifstream bf(bin, std::ios::binary);
  std::string bytes(need, '\0');
  if (!bf.read(bytes.data(), static_cast<std::streamsize>(need)))
    throw IoError(bin + ": read failed at byte offset " + std::to_string(bf.gcount()));

  ImageDataset out;
  out.source = json_path;
  out.format = "raw";
  set_target(out, options, w, h, c);
  const long count = apply_limit(n, options);
  out.data.resize(count, static_cast<long>(out.width) * out.height * out.channels);
  const auto* px = reinterpret_cast<const unsigned char*>(bytes.data());
  for (long i = 0; i < count; ++i) {
    store_u8(out, i, px + i * per, w, h, c);
    out.names.push_back("#" + std::to_string(i));
  }
  report(options, 1.f, "reading raw array");
  return out;
}

ImageDataset load_dataset_for(const Space& space, const std::string& path, DatasetOptions options) {
  const auto& s = space.info().observation;
  options.width = s.width, options.height = s.height, options.channels = s.channels;
  return load_image_dataset(path, options);
}

RowMatrixXf encode_dataset(const Space& space, const ImageDataset& data, const ProgressFn& progress) {
  if (space.info().modality != Modality::Image || !space.info().can_encode)
    throw UnsupportedError("model '" + space.info().name + "' cannot encode images");
  if (const auto* pca = dynamic_cast<const PcaSpace*>(&space)) return pca->encode_rows(data.data);
  // In batches: a neural encoder runs one forward pass for each.
  constexpr long kBatch = 64;
  RowMatrixXf out(data.count(), space.info().dim);
  std::vector<Image> batch;
  for (long i = 0; i < data.count(); i += kBatch) {
    batch.clear();
    for (long j = i; j < std::min(data.count(), i + kBatch); ++j) batch.push_back(data.image(j));
    const auto zs = space.encode_batch(batch);
    for (size_t k = 0; k < zs.size(); ++k) std::copy(zs[k].begin(), zs[k].end(), out.row(i + static_cast<long>(k)).data());
    if (progress && !progress(float(i + static_cast<long>(batch.size())) / data.count(), "encoding")) throw Cancelled();
  }
  return out;
}

ImageDataset load_image_dataset(const std::string& path, const DatasetOptions& options) {
  try {
    fs::path p(path);
    if (!fs::exists(p)) throw IoError(path + ": no such file or folder");
    if (fs::is_directory(p)) {
      bool has_images = false;
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_regular_file() && is_image_file(e.path()) && e.path().stem() != "preview") {
          has_images = true;
          break;
        }
      if (!has_images) {
        const fs::path header = find_raw_header(p);
        if (!header.empty()) return load_raw_array(header.string(), options);
      }
      return load_image_folder(path, options);
    }
    const std::string name = lower(p.filename().string());
    if (p.extension() == ".json") return load_raw_array(path, options);
    if (name.find("idx") != std::string::npos || name.find("ubyte") != std::string::npos ||
        p.extension() == ".gz" || p.extension() == ".idx")
      return load_idx(path, options);
    if (is_image_file(p))
      throw FormatError(path + ": a single image is not a dataset (give the folder that holds it)");
    throw FormatError(path + ": unknown dataset format (expected a folder of images, an IDX file or a JSON "
                             "array header)");
  } catch (const Cancelled&) {
    throw;
  } catch (const Error&) {
    throw;
  } catch (...) {
    rethrow_with_context("reading dataset " + path);
  }
}

}  // namespace latent
