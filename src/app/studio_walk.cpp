// Walks: the Walk panel's keyframes played in the viewport (controller/walk.cpp), and
// their export on the export worker.
#include "studio.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "controller/walk.h"
#include "latent/image_io.h"

namespace fs = std::filesystem;

namespace studio {

latent::Walk Studio::make_walk() const { return controller::make_walk(state_); }

void Studio::handle_walk() {
  auto& s = state_;
  // This frame's walk actions (without an image model they do nothing).
  const std::vector<Action> actions =
      s.actions.take_only<act::ToggleWalk, act::SeekWalk, act::SetWalkLength, act::CancelExport, act::ExportWalk, act::ExportGrid,
                          act::SaveImage, act::SaveWindow, act::AddKeyCurrent, act::AddKeyBookmarks, act::ClearKeys,
                          act::RemoveKey>();
  const auto asked = [&](auto type) {
    using T = decltype(type);
    return std::any_of(actions.begin(), actions.end(), [](const Action& a) { return std::holds_alternative<T>(a); });
  };
  const double now = glfwGetTime();
  const double dt = last_frame_time_ > 0 ? std::min(0.25, now - last_frame_time_) : 0;
  last_frame_time_ = now;
  if (!space_ || s.model.info.modality != latent::Modality::Image) {
    s.walk.playing = false;
    return;
  }
  // Keyframes, play, pause and seek, and the point at the walk's time (controller/walk.cpp).
  const std::optional<latent::Walk> walk = controller::step_walk(actions, s, s.model.info.dim, dt);

  // Exports run on a task; the panel shows progress and can cancel.
  workers_.export_task.poll(
      s.exports.progress, [&](std::string msg) { s.exports.status = msg; },
      [&](const std::string& e) { s.exports.status = "export failed: " + e; });
  if (asked(act::CancelExport{})) {
    workers_.export_task.cancel();
    s.exports.status = "export cancelled: nothing was written";
  }
  const auto beside = [&](const std::string& suffix) {
    fs::path p(s.exports.path.empty() ? "walk" : s.exports.path);
    if (p.filename().empty()) p = p.parent_path();
    return (p.parent_path() / (p.stem().string() + suffix)).string();
  };
  if (asked(act::ExportWalk{}) && !workers_.export_task) {
    if (!walk) {
      s.exports.status = "nothing to export: add two keyframes or more, or choose a random loop";
    } else {
      latent::VideoOptions o;
      o.fps = s.exports.fps;
      const auto& obs = s.model.info.observation;
      const float aspect = static_cast<float>(obs.width) / std::max(1, obs.height);
      o.width = aspect >= 1 ? s.exports.size : static_cast<int>(s.exports.size * aspect);
      o.height = aspect >= 1 ? static_cast<int>(s.exports.size / aspect) : s.exports.size;
      o.width += o.width % 2, o.height += o.height % 2;  // MP4 wants even sizes
      o.resize = s.exports.smooth ? latent::ResizeFilter::Smooth : latent::ResizeFilter::Nearest;
      try {
        latent::video_format_for(s.exports.path);
        workers_.export_walk(space_, *walk, s.exports.path, o);
        s.exports.progress = {true, 0.f, "starting"};
        s.exports.status.clear();
      } catch (const std::exception& e) {
        s.exports.status = e.what();
      }
    }
  }
  if (asked(act::ExportGrid{}) && !workers_.export_task) {
    if (walk && !walk->random_loop) {
      const int scale = std::max(1, s.exports.size / std::max(1, s.model.info.observation.width) / 4);
      workers_.export_grid(space_, *walk, beside("-grid.png"), 8, scale);
      s.exports.progress = {true, 0.f, "starting"};
    }
  }
  if (asked(act::SaveImage{})) {
    try {
      if (last_image_.empty()) throw latent::Error("nothing decoded yet");
      const std::string path = beside("-image.png");
      const int w = s.exports.size, h = static_cast<int>(std::lround(
                                           static_cast<double>(s.exports.size) * last_image_.height / last_image_.width));
      latent::save_png(latent::fit_frame(last_image_, w, h, last_image_.channels,
                                         s.exports.smooth ? latent::ResizeFilter::Smooth : latent::ResizeFilter::Nearest),
                       path);
      s.exports.status = "saved the image (" + std::to_string(w) + "x" + std::to_string(h) + ") to " + path;
    } catch (const std::exception& e) {
      s.exports.status = std::string("could not save the image: ") + e.what();
    }
  }
  if (asked(act::SaveWindow{})) pending_window_shot_ = beside("-window.png");
}

}  // namespace studio
