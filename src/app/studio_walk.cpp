// Walks: the Walk panel's keyframes played in the viewport, and their export.
#include "studio.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "poll_task.h"

namespace fs = std::filesystem;

namespace studio {

latent::Walk Studio::make_walk() const {
  latent::Walk w;
  w.name = state_.walk_name.empty() ? "walk" : state_.walk_name;
  if (state_.walk_random) {
    latent::RandomLoop rl;
    rl.center = state_.walk_keys.empty() ? state_.z : state_.walk_keys.front().z;
    rl.scale = state_.model.scale;
    rl.radius = state_.walk_radius;
    rl.speed = state_.walk_osc;
    rl.seconds = state_.walk_loop_seconds;
    rl.seed = static_cast<uint64_t>(std::max(0, state_.walk_seed));
    w.random_loop = rl;
    return w;
  }
  for (const auto& k : state_.walk_keys)
    w.keys.push_back({k.name, k.z, k.seconds, static_cast<latent::Interpolation>(std::clamp(k.interp, 0, 2))});
  w.loop = state_.walk_loop;
  w.validate(state_.model.info.dim);
  return w;
}

void Studio::handle_walk() {
  auto& s = state_;
  // This frame's walk actions (without an image model they do nothing).
  const std::vector<Action> actions = s.actions.take_only<act::ToggleWalk, act::CancelExport, act::ExportWalk,
                                                          act::ExportGrid, act::SaveImage, act::SaveWindow>();
  const auto asked = [&](auto type) {
    using T = decltype(type);
    return std::any_of(actions.begin(), actions.end(), [](const Action& a) { return std::holds_alternative<T>(a); });
  };
  if (!space_ || s.model.info.modality != latent::Modality::Image) {
    s.walk_playing = false;
    return;
  }
  const int dim = s.model.info.dim;
  // Keyframes of another model's size are dropped when the model changes.
  s.walk_keys.erase(std::remove_if(s.walk_keys.begin(), s.walk_keys.end(),
                                   [dim](const AppState::WalkKey& k) { return static_cast<int>(k.z.size()) != dim; }),
                    s.walk_keys.end());
  if (s.walk_add_current) {
    s.walk_add_current = false;
    s.walk_keys.push_back({"key " + std::to_string(s.walk_keys.size() + 1), s.z});
  }
  if (s.walk_add_bookmarks) {
    s.walk_add_bookmarks = false;
    for (const auto& b : s.bookmarks)
      if (static_cast<int>(b.z.size()) == dim) s.walk_keys.push_back({b.name, b.z});
  }
  if (s.walk_clear) s.walk_clear = false, s.walk_keys.clear(), s.walk_playing = false;
  if (s.walk_remove >= 0 && s.walk_remove < static_cast<int>(s.walk_keys.size()))
    s.walk_keys.erase(s.walk_keys.begin() + s.walk_remove);
  s.walk_remove = -1;

  std::optional<latent::Walk> walk;
  if (s.walk_random || s.walk_keys.size() >= 2) {
    try {
      walk = make_walk();
      if (s.walk_total_seconds > 0 && !s.walk_random) {
        walk->set_duration(s.walk_total_seconds);
        for (size_t i = 0; i < s.walk_keys.size(); ++i) s.walk_keys[i].seconds = static_cast<float>(walk->keys[i].seconds);
      }
      s.walk_error.clear();
    } catch (const std::exception& e) {
      s.walk_error = e.what();
    }
  }
  s.walk_total_seconds = 0;
  s.walk_duration = walk ? walk->duration() : 0;
  for (const Action& a : actions) {
    if (!std::holds_alternative<act::ToggleWalk>(a)) continue;
    s.walk_playing = walk && !s.walk_playing;
    if (s.walk_playing && !walk->closed() && s.walk_time >= s.walk_duration) s.walk_time = 0;
  }
  if (!walk) s.walk_playing = false;

  // Playback: one point per displayed frame; the decoder shows the newest finished one,
  // so a slow decode skips points rather than falling behind or going out of order.
  const double now = glfwGetTime();
  const double dt = last_frame_time_ > 0 ? std::min(0.25, now - last_frame_time_) : 0;
  last_frame_time_ = now;
  if (walk && s.walk_playing) {
    s.walk_time += static_cast<float>(dt * s.walk_rate);
    if (s.walk_time >= s.walk_duration) {
      if (walk->closed()) {
        s.walk_time = static_cast<float>(std::fmod(s.walk_time, std::max(1e-6, s.walk_duration)));
      } else {
        s.walk_time = static_cast<float>(s.walk_duration);
        s.walk_playing = false;
      }
    }
  }
  if (walk && (s.walk_playing || s.walk_scrubbed)) s.z = walk->at(s.walk_time);
  s.walk_scrubbed = false;

  // Exports run on a task; the panel shows progress and can cancel.
  poll_task(
      renderer_.export_task, s.export_progress, [&](std::string msg) { s.export_status = msg; },
      [&](const std::string& e) { s.export_status = "export failed: " + e; });
  if (asked(act::CancelExport{})) {
    if (renderer_.export_task) renderer_.export_task->cancel();
    s.export_status = "export cancelled: nothing was written";
  }
  const auto beside = [&](const std::string& suffix) {
    fs::path p(s.export_path.empty() ? "walk" : s.export_path);
    if (p.filename().empty()) p = p.parent_path();
    return (p.parent_path() / (p.stem().string() + suffix)).string();
  };
  if (asked(act::ExportWalk{}) && !renderer_.export_task) {
    if (!walk) {
      s.export_status = "nothing to export: add two keyframes or more, or choose a random loop";
    } else {
      latent::VideoOptions o;
      o.fps = s.export_fps;
      const auto& obs = s.model.info.observation;
      const float aspect = static_cast<float>(obs.width) / std::max(1, obs.height);
      o.width = aspect >= 1 ? s.export_size : static_cast<int>(s.export_size * aspect);
      o.height = aspect >= 1 ? static_cast<int>(s.export_size / aspect) : s.export_size;
      o.width += o.width % 2, o.height += o.height % 2;  // MP4 wants even sizes
      o.resize = s.export_smooth ? latent::ResizeFilter::Smooth : latent::ResizeFilter::Nearest;
      try {
        latent::video_format_for(s.export_path);
        renderer_.export_walk(space_, *walk, s.export_path, o);
        s.export_progress = {true, 0.f, "starting"};
        s.export_status.clear();
      } catch (const std::exception& e) {
        s.export_status = e.what();
      }
    }
  }
  if (asked(act::ExportGrid{}) && !renderer_.export_task) {
    if (walk && !walk->random_loop) {
      const int scale = std::max(1, s.export_size / std::max(1, s.model.info.observation.width) / 4);
      renderer_.export_grid(space_, *walk, beside("-grid.png"), 8, scale);
      s.export_progress = {true, 0.f, "starting"};
    }
  }
  if (asked(act::SaveImage{})) {
    try {
      if (last_image_.empty()) throw latent::Error("nothing decoded yet");
      const std::string path = beside("-image.png");
      const int w = s.export_size, h = static_cast<int>(std::lround(
                                           static_cast<double>(s.export_size) * last_image_.height / last_image_.width));
      latent::save_png(latent::fit_frame(last_image_, w, h, last_image_.channels,
                                         s.export_smooth ? latent::ResizeFilter::Smooth : latent::ResizeFilter::Nearest),
                       path);
      s.export_status = "saved the image (" + std::to_string(w) + "x" + std::to_string(h) + ") to " + path;
    } catch (const std::exception& e) {
      s.export_status = std::string("could not save the image: ") + e.what();
    }
  }
  if (asked(act::SaveWindow{})) pending_window_shot_ = beside("-window.png");
}

}  // namespace studio
