#pragma once
// Writing a sequence of images as an animation: a folder of PNG frames, an animated GIF
// (our own encoder) or an MP4 (H.264 through Debian's `ffmpeg` program).
//
// Streaming: open a writer, add frames one by one, then finish() (or cancel()). Nothing
// appears at the output path until finish() succeeds: frames go to a temporary name
// beside it that is renamed at the end, and removed on cancel, on error or when a writer
// is destroyed unfinished. An existing file at the path is replaced only by a complete one.
#include <memory>
#include <string>

#include "latent/image.h"
#include "latent/types.h"

namespace latent {

enum class VideoFormat {
  PngFolder,  // FOLDER/frame_00000.png, frame_00001.png, ...
  Gif,        // looping animated GIF
  Mp4,        // H.264 (libx264; mpeg4 where ffmpeg has no libx264), yuv420p, +faststart
};
const char* to_string(VideoFormat f);
// By the path: ".gif", ".mp4", and a folder for a path ending in '/', an existing folder
// or a name without an extension. Other extensions throw UnsupportedError listing these.
VideoFormat video_format_for(const std::string& path);

enum class ResizeFilter {
  Nearest,  // crisp pixels; exact integer enlargement when the size is a multiple
  Smooth,   // convert_image's filter (interpolating when enlarging, averaging when shrinking)
};
ResizeFilter parse_resize_filter(const std::string& name);  // "nearest" or "smooth"

enum class GifPalette {
  PerFrame,  // median cut of each frame's colours (up to 256), in a local colour table
  Fixed,     // one global 6x7x6 colour cube (252 colours); pairs well with `dither`
};
GifPalette parse_gif_palette(const std::string& name);  // "frame" or "fixed"

struct VideoOptions {
  double fps = 30;                             // frames per second
  int width = 0, height = 0;                   // output size; 0: the first frame's size
  ResizeFilter resize = ResizeFilter::Nearest;
  GifPalette gif_palette = GifPalette::PerFrame;
  bool gif_dither = false;                     // ordered (8x8 Bayer) dither; fixed palette only
  int mp4_crf = 18;                            // H.264 quality (0 lossless .. 51 worst)
  std::string ffmpeg = "ffmpeg";               // the program, looked up on PATH
  long expected_frames = 0;                    // for progress fractions (0: unknown)
  ProgressFn progress;                         // after each frame; false cancels (throws Cancelled)
};

class VideoWriter {
 public:
  // Checks what can be checked before any frame (the format, the folder, ffmpeg's
  // presence, MP4's even size) and throws UnsupportedError/IoError with what to do.
  static std::unique_ptr<VideoWriter> open(const std::string& path, VideoFormat format, const VideoOptions& options);
  static std::unique_ptr<VideoWriter> open(const std::string& path, const VideoOptions& options) {
    return open(path, video_format_for(path), options);
  }

  virtual ~VideoWriter() = default;
  // Adds a frame (gray or RGB, any size: it is converted to the output size). On an error
  // or a cancel from the progress callback the writer cleans up before throwing.
  virtual void add(const Image& frame) = 0;
  // Completes the file and moves it into place. Throws when there were no frames.
  virtual void finish() = 0;
  // Drops everything written so far. Safe to call more than once.
  virtual void cancel() = 0;

  virtual long frames_written() const = 0;
  // What is being written, for messages: "MP4 (H.264, libx264)", "GIF (fixed 6x7x6 palette)".
  virtual std::string describe() const = 0;
  int width() const { return width_; }
  int height() const { return height_; }

 protected:
  int width_ = 0, height_ = 0;
};

// Writes all `frames` (open, add each, finish).
void export_frames(const std::vector<Image>& frames, const std::string& path, const VideoOptions& options);

// The frame converted to the output size and channel count (1 or 3) as the writers do it.
Image fit_frame(const Image& frame, int width, int height, int channels, ResizeFilter filter);

// Whether `program` (a name looked up on PATH, or a path) can be run.
bool program_available(const std::string& program);

}  // namespace latent
