// The Journey: the essay's demos one click away. Each scene is a session file in
// assets/scenes/ (its model and data paths read beside it) with a one-line caption that
// the studio shows under its menu bar. A scene may also carry live sliders (a named
// direction in sigma, or group A - group B) and a walk that starts playing.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include <GLFW/glfw3.h>

#include "controller/groups.h"
#include "latent/session.h"
#include "studio.h"

namespace studio {

namespace fs = std::filesystem;

namespace {

// The menu's name for a scene: the caption up to its first ": ", else the file name
// without its ordering number ("03-king-queen" -> "King queen").
std::string scene_title(const std::string& caption, const std::string& stem) {
  const auto colon = caption.find(": ");
  if (colon != std::string::npos && colon > 0 && colon < 48) return caption.substr(0, colon);
  size_t i = 0;
  while (i < stem.size() && std::isdigit(static_cast<unsigned char>(stem[i]))) ++i;
  while (i < stem.size() && (stem[i] == '-' || stem[i] == '_' || stem[i] == ' ')) ++i;
  std::string t = i < stem.size() ? stem.substr(i) : stem;
  std::replace(t.begin(), t.end(), '-', ' ');
  std::replace(t.begin(), t.end(), '_', ' ');
  if (!t.empty()) t[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t[0])));
  return t;
}

}  // namespace

void Studio::list_scenes() {
  state_.journey.scenes.clear();
  state_.journey.note.clear();
  if (opts_.scenes_dir.empty()) return;
  std::error_code ec;
  if (!fs::is_directory(opts_.scenes_dir, ec)) {
    state_.journey.note = "no scenes: " + opts_.scenes_dir + " is not a folder";
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(opts_.scenes_dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string broken;
  for (const fs::path& f : files) {
    try {
      const latent::Session s = latent::load_session(f.string());
      state_.journey.scenes.push_back({scene_title(s.caption, f.stem().string()), s.caption, f.string()});
    } catch (const std::exception& e) {
      broken += std::string(broken.empty() ? "" : "; ") + e.what();
    }
  }
  state_.journey.note = std::to_string(state_.journey.scenes.size()) + " scenes from " + opts_.scenes_dir;
  if (!broken.empty()) state_.journey.note += " (left out: " + broken + ")";
}

void Studio::handle_journey() {
  const auto scene = state_.actions.take_last<act::OpenScene>();
  if (const int i = scene ? scene->index : -1; i >= 0 && i < static_cast<int>(state_.journey.scenes.size())) {
    open_session(state_.journey.scenes[static_cast<size_t>(i)].path, true);
    scene_opened_at_ = glfwGetTime();
    state_.journey.seconds = -1;
  }
  // The wait a person sees: from the click to the scene's model, data, map, sliders and
  // first picture (or its walk playing) all in place.
  if (scene_opened_at_ > 0 && !state_.model.load.running && !state_.actions.waiting<act::OpenModel>() && !pending_session_ &&
      !state_.dataset.load.running && !state_.actions.waiting<act::OpenDataset>() && !state_.map.progress.running &&
      !state_.actions.waiting<act::ComputeMap>() && !(start_map_pending_ && !later_.map.empty() && dataset_) && pending_query_groups_.empty() && pending_sliders_.empty() &&
      !workers_.story.busy() && story_shown_ == story_generation_ && !later_.play_walk &&
      !workers_.words.busy() && words_shown_ == words_generation_ &&
      (state_.walk.playing || (!workers_.decoder.busy() && shown_generation_ == submitted_generation_))) {
    state_.journey.seconds = glfwGetTime() - scene_opened_at_;
    scene_opened_at_ = 0;
  }
}

void Studio::restore_direction_sliders() {
  std::vector<latent::SessionSlider> rest;
  std::string unknown;
  for (const latent::SessionSlider& sl : pending_sliders_) {
    if (sl.direction.empty()) {
      rest.push_back(sl);
      continue;
    }
    bool found = false;
    for (auto& at : state_.attributes.live)
      if (at.direction >= 0 && at.direction < static_cast<int>(state_.attributes.directions.size()) &&
          state_.attributes.directions[static_cast<size_t>(at.direction)].name == sl.direction) {
        at.strength = sl.strength, at.applied = sl.applied;
        found = true;
      }
    if (!found) unknown += (unknown.empty() ? "" : ", ") + sl.direction;
  }
  pending_sliders_ = std::move(rest);
  if (!unknown.empty())
    show_error(state_.session.status, "the session's sliders name directions this model does not have: " + unknown);
}

void Studio::make_pending_query_groups() {
  if (!map_.labels() || !dataset_) return;
  if (!pending_query_groups_.empty()) {
    // The scene's own attribute pair (by index) is kept over make_group's first-two rule.
    const int a = state_.groups.attr_a, b = state_.groups.attr_b;
    for (const auto& g : pending_query_groups_) make_group(g.name, g.query);
    pending_query_groups_.clear();
    if (pending_attr_.first >= 0) state_.groups.attr_a = pending_attr_.first;
    else if (a >= 0) state_.groups.attr_a = a;
    if (pending_attr_.second >= 0) state_.groups.attr_b = pending_attr_.second;
    else if (b >= 0) state_.groups.attr_b = b;
    pending_attr_ = {-1, -1};
  }
  if (pending_sliders_.empty()) return;
  std::string missing;
  for (const latent::SessionSlider& sl : pending_sliders_) {
    const int a = controller::group_named(state_, sl.a), b = controller::group_named(state_, sl.b);
    if (a < 0 || b < 0) {
      missing += (missing.empty() ? "" : ", ") + sl.a + " - " + sl.b;
      continue;
    }
    AppState::Attribute at;
    at.a = a, at.b = b, at.strength = sl.strength, at.applied = sl.applied;
    state_.attributes.live.push_back(at);
  }
  pending_sliders_.clear();
  if (!missing.empty()) show_error(state_.session.status, "the session's sliders name groups it does not have: " + missing);
}

}  // namespace studio
