#include "latent/video_export.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "latent/errors.h"
#include "latent/image_io.h"

extern char** environ;

namespace fs = std::filesystem;

namespace latent {

const char* to_string(VideoFormat f) {
  switch (f) {
    case VideoFormat::PngFolder: return "PNG frames";
    case VideoFormat::Gif: return "GIF";
    case VideoFormat::Mp4: return "MP4";
  }
  return "?";
}

VideoFormat video_format_for(const std::string& path) {
  if (path.empty()) throw UnsupportedError("no output path given (a .mp4 or .gif file, or a folder for PNG frames)");
  if (path.back() == '/' || fs::is_directory(path)) return VideoFormat::PngFolder;
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".gif") return VideoFormat::Gif;
  if (ext == ".mp4") return VideoFormat::Mp4;
  if (ext.empty()) return VideoFormat::PngFolder;
  throw UnsupportedError(path + ": cannot tell what to write from '" + ext +
                         "' (use .mp4, .gif, or a folder name for PNG frames)");
}

ResizeFilter parse_resize_filter(const std::string& name) {
  if (name == "nearest") return ResizeFilter::Nearest;
  if (name == "smooth") return ResizeFilter::Smooth;
  throw UnsupportedError("unknown resize filter '" + name + "' (known: nearest, smooth)");
}

GifPalette parse_gif_palette(const std::string& name) {
  if (name == "frame") return GifPalette::PerFrame;
  if (name == "fixed") return GifPalette::Fixed;
  throw UnsupportedError("unknown GIF palette '" + name + "' (known: frame, fixed)");
}

Image fit_frame(const Image& frame, int width, int height, int channels, ResizeFilter filter) {
  if (frame.empty()) throw UnsupportedError("cannot export an empty frame");
  if (filter == ResizeFilter::Smooth) return convert_image(frame, width, height, channels);
  const Image c = convert_image(frame, frame.width, frame.height, channels);  // channels only
  if (c.width == width && c.height == height) return c;
  if (width % c.width == 0 && height % c.height == 0 && width / c.width == height / c.height)
    return upscale_nearest(c, width / c.width);
  Image out(width, height, channels);
  for (int y = 0; y < height; ++y) {
    const int sy = std::min(c.height - 1, static_cast<int>((y + 0.5) * c.height / height));
    for (int x = 0; x < width; ++x) {
      const int sx = std::min(c.width - 1, static_cast<int>((x + 0.5) * c.width / width));
      for (int k = 0; k < channels; ++k) out.at(x, y, k) = c.at(sx, sy, k);
    }
  }
  return out;
}

bool program_available(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* env = std::getenv("PATH");
  std::stringstream dirs(env ? env : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string p = (dir.empty() ? std::string(".") : dir) + "/" + program;
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

namespace {

std::vector<uint8_t> to_bytes(const Image& img) {
  std::vector<uint8_t> out(img.pixels.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(std::lround(std::clamp(img.pixels[i], 0.f, 1.f) * 255.f));
  return out;
}

// What the writers share: the output size, the temporary name, progress and cleanup.
class WriterBase : public VideoWriter {
 public:
  WriterBase(std::string path, const VideoOptions& o) : path_(std::move(path)), opt_(o) {
    if (!(std::isfinite(o.fps) && o.fps > 0))
      throw UnsupportedError(path_ + ": frames per second must be a positive number, not " + std::to_string(o.fps));
    if (o.width < 0 || o.height < 0 || (o.width == 0) != (o.height == 0))
      throw UnsupportedError(path_ + ": give both the output width and height, or neither");
    width_ = o.width, height_ = o.height;
  }

  void add(const Image& frame) final {
    if (finished_ || cancelled_) throw UnsupportedError(path_ + ": the export is already over; open a new writer");
    try {
      if (frame.empty()) throw UnsupportedError(path_ + ": frame " + std::to_string(count_) + " is empty");
      if (width_ == 0) width_ = frame.width, height_ = frame.height;
      if (count_ == 0) start();
      write(frame);
      ++count_;
    } catch (...) {
      cancel();
      throw;
    }
    if (opt_.progress) {
      const float f = opt_.expected_frames > 0 ? std::min(1.f, float(count_) / float(opt_.expected_frames)) : 0.f;
      if (!opt_.progress(f, "writing " + path_)) {
        cancel();
        throw Cancelled();
      }
    }
  }

  void finish() final {
    if (finished_) return;
    if (cancelled_) throw UnsupportedError(path_ + ": the export was cancelled; nothing to finish");
    if (count_ == 0) {
      cancel();
      throw UnsupportedError(path_ + ": no frames to write");
    }
    try {
      complete();
    } catch (...) {
      cancel();
      throw;
    }
    finished_ = true;
  }

  void cancel() final {
    if (finished_ || cancelled_) return;
    cancelled_ = true;
    discard();
  }

  long frames_written() const final { return count_; }

 protected:
  // Called once, before the first frame, with width_ and height_ known.
  virtual void start() = 0;
  virtual void write(const Image& frame) = 0;
  // Completes the temporary output and moves it into place.
  virtual void complete() = 0;
  // Removes whatever the temporary output holds; must not throw.
  virtual void discard() noexcept = 0;
  // Writers call this in their destructors: a derived part is gone by ~WriterBase.
  void cancel_if_open() noexcept {
    try {
      cancel();
    } catch (...) {
    }
  }

  std::string path_;
  VideoOptions opt_;
  long count_ = 0;
  bool finished_ = false, cancelled_ = false;
};

void rename_into_place(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw IoError(path + ": could not move the finished file into place (" + std::strerror(errno) + ")");
}

// ------------------------------------------------------------------ PNG folder

class PngFolderWriter final : public WriterBase {
 public:
  PngFolderWriter(const std::string& path, const VideoOptions& o) : WriterBase(path, o) {
    fs::path p(path_);
    while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "frames/" -> "frames"
    if (p.empty()) throw UnsupportedError("'" + path_ + "' is not a folder name for PNG frames");
    dir_ = p.string();
    tmp_ = dir_ + ".partial";
    if (fs::exists(dir_)) {
      if (!fs::is_directory(dir_)) throw UnsupportedError(dir_ + " exists and is not a folder; choose a folder for PNG frames");
      static const std::regex frame_name(R"(frame_\d{5,}\.png)");
      for (const auto& e : fs::directory_iterator(dir_))
        if (!std::regex_match(e.path().filename().string(), frame_name))
          throw UnsupportedError(dir_ + " already holds other files (" + e.path().filename().string() +
                                 "); choose an empty or new folder for the frames");
    }
    const fs::path parent = fs::absolute(dir_).parent_path();
    if (!fs::is_directory(parent)) throw IoError(dir_ + ": the folder it would go in, " + parent.string() + ", does not exist");
  }
  ~PngFolderWriter() override { cancel_if_open(); }

  std::string describe() const override { return "PNG frames"; }

 private:
  void start() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);  // a leftover of an export that crashed
    if (!fs::create_directory(tmp_, ec))
      throw IoError(tmp_ + ": cannot create the folder for the frames (" + ec.message() + ")");
    channels_ = 0;
  }
  void write(const Image& frame) override {
    if (channels_ == 0) channels_ = frame.channels >= 3 ? 3 : 1;
    char name[32];
    std::snprintf(name, sizeof name, "frame_%05ld.png", count_);
    save_png(fit_frame(frame, width_, height_, channels_, opt_.resize), (fs::path(tmp_) / name).string());
  }
  void complete() override {
    std::error_code ec;
    const std::string old = dir_ + ".old";
    if (fs::exists(dir_)) {
      fs::remove_all(old, ec);
      fs::rename(dir_, old, ec);
      if (ec) throw IoError(dir_ + ": could not move the previous frames aside (" + ec.message() + ")");
    }
    fs::rename(tmp_, dir_, ec);
    if (ec) {
      std::error_code ignore;
      if (fs::exists(old)) fs::rename(old, dir_, ignore);
      throw IoError(dir_ + ": could not move the finished frames into place (" + ec.message() + ")");
    }
    fs::remove_all(old, ec);
  }
  void discard() noexcept override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  std::string dir_, tmp_;
  int channels_ = 0;
};

// ------------------------------------------------------------------ GIF

// Appends GIF LZW data (variable-width codes, LSB first, in sub-blocks of <= 255 bytes)
// for `n` colour indices that each fit in `min_code_size` bits.
void gif_lzw(const uint8_t* index, size_t n, int min_code_size, std::vector<uint8_t>& out) {
  const int clear = 1 << min_code_size, end = clear + 1;
  int code_size = min_code_size + 1, next = clear + 2;
  std::vector<uint8_t> bytes;
  uint32_t acc = 0;
  int bits = 0;
  auto emit = [&](int code) {
    acc |= static_cast<uint32_t>(code) << bits;
    bits += code_size;
    while (bits >= 8) {
      bytes.push_back(static_cast<uint8_t>(acc & 0xFF));
      acc >>= 8;
      bits -= 8;
    }
  };
  // The dictionary: (prefix code << 8 | next index) -> code, open addressing.
  constexpr int kSlots = 8192;
  std::vector<int32_t> keys(kSlots, -1);
  std::vector<int16_t> codes(kSlots);
  auto slot = [&](int32_t key) {
    uint32_t h = (static_cast<uint32_t>(key) * 2654435761u) >> 19;
    while (keys[h] != -1 && keys[h] != key) h = (h + 1) & (kSlots - 1);
    return h;
  };

  emit(clear);
  int prefix = index[0];
  for (size_t i = 1; i < n; ++i) {
    const int32_t key = (prefix << 8) | index[i];
    const uint32_t h = slot(key);
    if (keys[h] == key) {
      prefix = codes[h];
      continue;
    }
    emit(prefix);
    if (next < 4096) {
      keys[h] = key;
      codes[h] = static_cast<int16_t>(next++);
      // The decoder adds its entries one code later, so it widens when `next` is one past
      // a power of two.
      if (next == (1 << code_size) + 1 && code_size < 12) ++code_size;
    } else {
      emit(clear);  // the table is full: start a new one
      std::fill(keys.begin(), keys.end(), -1);
      code_size = min_code_size + 1;
      next = clear + 2;
    }
    prefix = index[i];
  }
  emit(prefix);
  emit(end);
  if (bits > 0) bytes.push_back(static_cast<uint8_t>(acc & 0xFF));

  out.push_back(static_cast<uint8_t>(min_code_size));
  for (size_t i = 0; i < bytes.size(); i += 255) {
    const size_t len = std::min<size_t>(255, bytes.size() - i);
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), bytes.begin() + static_cast<long>(i), bytes.begin() + static_cast<long>(i + len));
  }
  out.push_back(0);
}

struct Palette {
  std::vector<uint8_t> rgb;    // 3 per colour
  std::vector<uint8_t> index;  // one per pixel
  int colours() const { return static_cast<int>(rgb.size() / 3); }
};

// Median cut over the frame's distinct colours, weighted by how many pixels have each:
// the box with the largest squared error (pixels x variance) is split along its channel of
// largest variance at the weighted mean, until there are 256 boxes or every box is one
// colour. A frame with 256 colours or fewer (any gray image) keeps them exactly.
Palette median_cut(const std::vector<uint8_t>& rgb) {
  const size_t n = rgb.size() / 3;
  std::vector<uint32_t> px(n);
  for (size_t i = 0; i < n; ++i) px[i] = uint32_t(rgb[3 * i]) << 16 | uint32_t(rgb[3 * i + 1]) << 8 | rgb[3 * i + 2];
  std::vector<uint32_t> sorted = px;
  std::sort(sorted.begin(), sorted.end());
  struct Colour {
    uint32_t c;
    uint32_t count;
  };
  std::vector<Colour> colours;
  for (uint32_t c : sorted) {
    if (!colours.empty() && colours.back().c == c) ++colours.back().count;
    else colours.push_back({c, 1});
  }
  auto channel = [](uint32_t c, int k) { return static_cast<int>((c >> (16 - 8 * k)) & 0xFF); };

  struct Box {
    size_t begin, end;
    int axis = 0;
    double error = 0, mean_on_axis = 0;
  };
  auto measure = [&](Box& b) {
    double w = 0, sum[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
    for (size_t i = b.begin; i < b.end; ++i) {
      const double cw = colours[i].count;
      w += cw;
      for (int k = 0; k < 3; ++k) {
        const double v = channel(colours[i].c, k);
        sum[k] += cw * v;
        sq[k] += cw * v * v;
      }
    }
    b.error = 0;
    double widest = -1;
    for (int k = 0; k < 3; ++k) {
      const double e = sq[k] - sum[k] * sum[k] / w;
      b.error += e;
      if (e > widest) widest = e, b.axis = k, b.mean_on_axis = sum[k] / w;
    }
  };
  std::vector<Box> boxes;
  if (colours.size() <= 256) {
    for (size_t i = 0; i < colours.size(); ++i) boxes.push_back({i, i + 1});
  } else {
    boxes.push_back({0, colours.size()});
    measure(boxes[0]);
    while (boxes.size() < 256) {
      size_t best = boxes.size();
      double best_error = 0;
      for (size_t b = 0; b < boxes.size(); ++b)
        if (boxes[b].end - boxes[b].begin > 1 && boxes[b].error > best_error) best_error = boxes[b].error, best = b;
      if (best == boxes.size()) break;
      Box& b = boxes[best];
      const int k = b.axis;
      const auto first = colours.begin() + static_cast<long>(b.begin), last = colours.begin() + static_cast<long>(b.end);
      std::sort(first, last, [&](const Colour& x, const Colour& y) { return channel(x.c, k) < channel(y.c, k); });
      // Below the mean on one side, the rest on the other; never an empty side.
      size_t cut = static_cast<size_t>(
          std::partition_point(first, last, [&](const Colour& c) { return channel(c.c, k) <= b.mean_on_axis; }) -
          colours.begin());
      cut = std::clamp(cut, b.begin + 1, b.end - 1);
      Box right{cut, b.end};
      b.end = cut;
      measure(b);
      measure(right);
      boxes.push_back(right);
    }
  }

  Palette pal;
  std::vector<std::pair<uint32_t, uint8_t>> lookup;  // colour -> palette index
  lookup.reserve(colours.size());
  for (size_t b = 0; b < boxes.size(); ++b) {
    double sum[3] = {0, 0, 0}, w = 0;
    for (size_t i = boxes[b].begin; i < boxes[b].end; ++i) {
      for (int k = 0; k < 3; ++k) sum[k] += double(channel(colours[i].c, k)) * colours[i].count;
      w += colours[i].count;
      lookup.emplace_back(colours[i].c, static_cast<uint8_t>(b));
    }
    for (int k = 0; k < 3; ++k) pal.rgb.push_back(static_cast<uint8_t>(std::lround(sum[k] / w)));
  }
  std::sort(lookup.begin(), lookup.end());
  pal.index.resize(n);
  for (size_t i = 0; i < n; ++i)
    pal.index[i] = std::lower_bound(lookup.begin(), lookup.end(), std::make_pair(px[i], uint8_t{0}))->second;
  return pal;
}

// The 6x7x6 colour cube: index = r*42 + g*6 + b (252 colours; green, to which the eye is
// most sensitive, gets the seventh level).
constexpr int kCubeLevels[3] = {6, 7, 6};

std::vector<uint8_t> cube_colours() {
  std::vector<uint8_t> rgb;
  for (int r = 0; r < 6; ++r)
    for (int g = 0; g < 7; ++g)
      for (int b = 0; b < 6; ++b)
        for (double v : {r / 5.0, g / 6.0, b / 5.0}) rgb.push_back(static_cast<uint8_t>(std::lround(v * 255)));
  rgb.resize(256 * 3, 0);  // a table has a power-of-two size
  return rgb;
}

std::vector<uint8_t> cube_index(const std::vector<uint8_t>& rgb, int width, bool dither) {
  static const int bayer[8][8] = {{0, 32, 8, 40, 2, 34, 10, 42},  {48, 16, 56, 24, 50, 18, 58, 26},
                                  {12, 44, 4, 36, 14, 46, 6, 38}, {60, 28, 52, 20, 62, 30, 54, 22},
                                  {3, 35, 11, 43, 1, 33, 9, 41},  {51, 19, 59, 27, 49, 17, 57, 25},
                                  {15, 47, 7, 39, 13, 45, 5, 37}, {63, 31, 55, 23, 61, 29, 53, 21}};
  const size_t n = rgb.size() / 3;
  std::vector<uint8_t> index(n);
  for (size_t i = 0; i < n; ++i) {
    const int x = static_cast<int>(i % width), y = static_cast<int>(i / width);
    // A threshold in (-0.5, 0.5) of one step of the cube.
    const double t = dither ? (bayer[y & 7][x & 7] + 0.5) / 64.0 - 0.5 : 0.0;
    int level[3];
    for (int k = 0; k < 3; ++k) {
      const int steps = kCubeLevels[k] - 1;
      level[k] = std::clamp(static_cast<int>(std::lround(rgb[3 * i + k] / 255.0 * steps + t)), 0, steps);
    }
    index[i] = static_cast<uint8_t>(level[0] * 42 + level[1] * 6 + level[2]);
  }
  return index;
}

void put16(std::vector<uint8_t>& out, int v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
}

class GifWriter final : public WriterBase {
 public:
  GifWriter(const std::string& path, const VideoOptions& o) : WriterBase(path, o) {
    // Browsers show GIF frames shorter than 2/100 s for 1/10 s instead.
    if (o.fps > 50)
      throw UnsupportedError(path_ + ": a GIF cannot play faster than 50 frames per second (players slow shorter "
                             "frames down to 10 per second); use --fps 50 or less, or write an .mp4");
    if (o.gif_dither && o.gif_palette != GifPalette::Fixed)
      throw UnsupportedError(path_ + ": dithering is for the fixed palette; add --gif-palette fixed or drop --dither");
    tmp_ = path_ + ".partial";
  }
  ~GifWriter() override { cancel_if_open(); }

  std::string describe() const override {
    if (opt_.gif_palette == GifPalette::PerFrame) return "GIF (median-cut palette per frame)";
    return opt_.gif_dither ? "GIF (fixed 6x7x6 palette, ordered dither)" : "GIF (fixed 6x7x6 palette)";
  }

 private:
  void start() override {
    if (width_ > 65535 || height_ > 65535) throw UnsupportedError(path_ + ": a GIF is at most 65535 pixels wide and high");
    file_ = std::fopen(tmp_.c_str(), "wb");
    if (!file_) throw IoError(path_ + ": cannot write (" + std::string(std::strerror(errno)) + ")");
    std::vector<uint8_t> h = {'G', 'I', 'F', '8', '9', 'a'};
    put16(h, width_);
    put16(h, height_);
    const bool global = opt_.gif_palette == GifPalette::Fixed;
    h.push_back(global ? 0xF7 : 0x70);  // global table of 256 (or none), 8-bit colour resolution
    h.push_back(0);                     // background colour
    h.push_back(0);                     // square pixels
    if (global) {
      const std::vector<uint8_t> table = cube_colours();
      h.insert(h.end(), table.begin(), table.end());
    }
    // Loop forever (the NETSCAPE2.0 application extension, count 0).
    const char* app = "NETSCAPE2.0";
    h.insert(h.end(), {0x21, 0xFF, 0x0B});
    h.insert(h.end(), app, app + 11);
    h.insert(h.end(), {0x03, 0x01, 0x00, 0x00, 0x00});
    put(h);
  }

  void write(const Image& frame) override {
    const std::vector<uint8_t> rgb = to_bytes(fit_frame(frame, width_, height_, 3, opt_.resize));
    Palette pal;
    if (opt_.gif_palette == GifPalette::Fixed) pal.index = cube_index(rgb, width_, opt_.gif_dither);
    else pal = median_cut(rgb);

    std::vector<uint8_t> b;
    // Delays in whole hundredths that add up to the right total: 30 fps is 3, 4, 3, 3, 4, 3...
    const int delay = static_cast<int>(std::lround(100.0 * (count_ + 1) / opt_.fps) - std::lround(100.0 * count_ / opt_.fps));
    b.insert(b.end(), {0x21, 0xF9, 0x04, 0x04});  // graphic control: leave the frame in place
    put16(b, delay);
    b.insert(b.end(), {0x00, 0x00});
    b.push_back(0x2C);  // image descriptor
    put16(b, 0);
    put16(b, 0);
    put16(b, width_);
    put16(b, height_);
    int bits = 8;
    if (opt_.gif_palette == GifPalette::PerFrame) {
      bits = 1;
      while ((1 << bits) < pal.colours()) ++bits;
      b.push_back(static_cast<uint8_t>(0x80 | (bits - 1)));  // local colour table
      std::vector<uint8_t> table = pal.rgb;
      table.resize(static_cast<size_t>(3) << bits, 0);
      b.insert(b.end(), table.begin(), table.end());
    } else {
      b.push_back(0x00);
    }
    gif_lzw(pal.index.data(), pal.index.size(), std::max(2, bits), b);
    put(b);
  }

  void complete() override {
    put({0x3B});
    const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
    const int err = errno;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!flushed || !closed) throw IoError(path_ + ": could not finish writing (" + std::strerror(err) + ")");
    rename_into_place(tmp_, path_);
  }

  void discard() noexcept override {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    std::remove(tmp_.c_str());
  }

  void put(const std::vector<uint8_t>& bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
      throw IoError(path_ + ": writing failed (" + std::strerror(errno) + ")");
  }

  std::string tmp_;
  FILE* file_ = nullptr;
};

// ------------------------------------------------------------------ MP4 through ffmpeg

// Runs `argv` and returns its standard output (for short queries such as -encoders).
std::string run_capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t got;
    while ((got = ::read(fds[0], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
      if (got > 0) out.append(buf, static_cast<size_t>(got));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(fds[0]);
  if (rc != 0) throw IoError("cannot run " + argv[0] + " (" + std::strerror(rc) + ")");
  return out;
}

// write() with SIGPIPE blocked in this thread, so a reader that went away gives EPIPE or a
// short write instead of killing the process. A SIGPIPE raised here is taken off the
// pending set before the mask is restored (a write that moved some bytes before the reader
// left returns their count and still raises it).
ssize_t write_no_sigpipe(int fd, const void* data, size_t size) {
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t r;
  do r = ::write(fd, data, size);
  while (r < 0 && errno == EINTR);
  const int err = errno;
  if (!was_pending) {
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return r;
}

std::string last_lines(const std::string& file, size_t max_chars = 400) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s.empty() ? "no message" : s;
}

class Mp4Writer final : public WriterBase {
 public:
  Mp4Writer(const std::string& path, const VideoOptions& o) : WriterBase(path, o) {
    if (!program_available(o.ffmpeg))
      throw UnsupportedError(path_ + ": MP4 export runs the '" + o.ffmpeg +
                             "' program, which is not installed or not on PATH (on Debian: sudo apt-get install "
                             "ffmpeg); a .gif or a folder of PNG frames needs nothing else");
    check_even();
    if (o.mp4_crf < 0 || o.mp4_crf > 51) throw UnsupportedError(path_ + ": the H.264 quality (crf) must be 0..51");
    const std::string encoders = run_capture({o.ffmpeg, "-hide_banner", "-encoders"});
    if (encoders.find(" libx264 ") != std::string::npos) codec_ = "libx264";
    else if (encoders.find(" mpeg4 ") != std::string::npos) codec_ = "mpeg4";
    else
      throw UnsupportedError(path_ + ": " + o.ffmpeg + " has neither the libx264 nor the mpeg4 encoder (see '" + o.ffmpeg +
                             " -encoders'); write a .gif or PNG frames instead");
    tmp_ = path_ + ".partial";
  }
  ~Mp4Writer() override { cancel_if_open(); }

  std::string describe() const override {
    return codec_ == "libx264" ? "MP4 (H.264, libx264)" : "MP4 (MPEG-4 Part 2: this ffmpeg has no libx264)";
  }

 private:
  void check_even() const {
    if (width_ % 2 || height_ % 2)
      throw UnsupportedError(path_ + ": an MP4 (yuv420p) needs an even width and height, not " + std::to_string(width_) +
                             "x" + std::to_string(height_) + "; choose an even size");
  }

  void start() override {
    check_even();
    char fps[32];
    std::snprintf(fps, sizeof fps, "%.6g", opt_.fps);
    std::vector<std::string> argv = {opt_.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                                     "-f", "rawvideo", "-pix_fmt", "rgb24",
                                     "-s", std::to_string(width_) + "x" + std::to_string(height_),
                                     "-r", fps, "-i", "-", "-an", "-c:v", codec_};
    if (codec_ == "libx264") argv.insert(argv.end(), {"-preset", "medium", "-crf", std::to_string(opt_.mp4_crf)});
    else argv.insert(argv.end(), {"-q:v", "2"});
    argv.insert(argv.end(), {"-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", tmp_});

    log_ = (fs::temp_directory_path() / "latent-ffmpeg-XXXXXX").string();
    const int log_fd = ::mkstemp(log_.data());
    if (log_fd < 0) throw IoError(log_ + ": cannot create a file for ffmpeg's messages (" + std::strerror(errno) + ")");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ::close(log_fd);
      throw IoError(std::string("cannot create a pipe to ffmpeg: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[0]);
    ::close(log_fd);
    if (rc != 0) {
      ::close(fds[1]);
      pid_ = -1;
      throw IoError(path_ + ": cannot run " + opt_.ffmpeg + " (" + std::strerror(rc) + ")");
    }
    pipe_ = fds[1];
  }

  void write(const Image& frame) override {
    const std::vector<uint8_t> rgb = to_bytes(fit_frame(frame, width_, height_, 3, opt_.resize));
    size_t done = 0;
    while (done < rgb.size()) {
      const ssize_t w = write_no_sigpipe(pipe_, rgb.data() + done, rgb.size() - done);
      if (w < 0) {
        const int err = errno;
        ::close(pipe_);
        pipe_ = -1;
        const int status = wait_ffmpeg();
        throw IoError(path_ + ": ffmpeg stopped taking frames at frame " + std::to_string(count_) + " (" +
                      (err == EPIPE ? exit_text(status) : std::string(std::strerror(err))) + "): " + last_lines(log_));
      }
      done += static_cast<size_t>(w);
    }
  }

  void complete() override {
    ::close(pipe_);
    pipe_ = -1;
    const int status = wait_ffmpeg();
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
      throw IoError(path_ + ": ffmpeg failed (" + exit_text(status) + "): " + last_lines(log_));
    std::error_code ec;
    if (fs::file_size(tmp_, ec) == 0 || ec) throw IoError(path_ + ": ffmpeg finished but wrote nothing");
    rename_into_place(tmp_, path_);
    std::remove(log_.c_str());
  }

  void discard() noexcept override {
    if (pipe_ >= 0) ::close(pipe_);
    pipe_ = -1;
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait_ffmpeg();
    }
    std::remove(tmp_.c_str());
    if (!log_.empty()) std::remove(log_.c_str());
  }

  int wait_ffmpeg() noexcept {
    int status = 0;
    if (pid_ > 0) {
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return status;
  }

  static std::string exit_text(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
    return "stopped";
  }

  std::string codec_, tmp_, log_;
  pid_t pid_ = -1;
  int pipe_ = -1;
};

}  // namespace

std::unique_ptr<VideoWriter> VideoWriter::open(const std::string& path, VideoFormat format, const VideoOptions& options) {
  switch (format) {
    case VideoFormat::PngFolder: return std::make_unique<PngFolderWriter>(path, options);
    case VideoFormat::Gif: return std::make_unique<GifWriter>(path, options);
    case VideoFormat::Mp4: return std::make_unique<Mp4Writer>(path, options);
  }
  throw UnsupportedError(path + ": unknown export format");
}

void export_frames(const std::vector<Image>& frames, const std::string& path, const VideoOptions& options) {
  VideoOptions o = options;
  if (o.expected_frames == 0) o.expected_frames = static_cast<long>(frames.size());
  auto writer = VideoWriter::open(path, o);
  for (const Image& f : frames) writer->add(f);
  writer->finish();
}

}  // namespace latent
