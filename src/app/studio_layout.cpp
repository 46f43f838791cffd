// The layout: which preset, the one saved for each kind of model, a session's own, and
// what the Layout menu asks.
#include <imgui.h>

#include "layout.h"
#include "studio.h"

namespace studio {

namespace {

const char* kind_of(latent::Modality m) {
  return m == latent::Modality::Words ? "words" : m == latent::Modality::Text ? "text" : "image";
}

LayoutPreset natural_preset(const std::string& kind) {
  return kind == "words" ? LayoutPreset::Words : kind == "text" ? LayoutPreset::Story : LayoutPreset::Explore;
}

}  // namespace

void Studio::start_layout() {
  ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_DockingEnable;
  ImGui::GetIO().IniFilename = nullptr;  // the studio keeps the layout itself (layout_file_)
  layout_file_ = opts_.layout_file.empty() ? default_layout_file() : opts_.layout_file;
  // A scripted run (--screenshot) neither reads nor writes the person's own layouts unless
  // it names a file: its pictures and tests start from the presets.
  if (!opts_.screenshot.empty() && opts_.layout_file.empty()) layout_file_.clear();
  if (!layout_file_.empty()) {
    try {
      layouts_ = read_layouts(layout_file_);
    } catch (const std::exception& e) {
      layouts_.clear();
      show_error(state_.layout.status,
                 std::string(e.what()) + ". The default layout is used; the file is replaced when the studio closes.");
    }
  }
  state_.layout.kind = "image";
  bool restored = false;
  if (const auto it = layouts_.find("image"); it != layouts_.end()) {
    restored = apply_layout_ini(it->second);
    if (!restored) {
      show_error(state_.layout.status, layout_file_ + ": the saved layout has no place for the studio's panels; the "
                                                      "default layout is used");
      layouts_.erase(it);
    }
  }
  if (!restored) state_.actions.push(act::ApplyLayout{static_cast<int>(LayoutPreset::Explore)});
  if (!opts_.layout.empty()) {
    LayoutPreset p;
    if (parse_layout_preset(opts_.layout, &p)) forced_layout_ = static_cast<int>(p);
    else show_error(state_.layout.status, "--layout takes explore, map, words, story or perform, not '" + opts_.layout + "'");
  }
}

void Studio::layout_for_model(latent::Modality m) {
  const std::string kind = kind_of(m);
  if (kind != state_.layout.kind) {
    // Each kind of model keeps its own arrangement.
    layouts_[state_.layout.kind] = layout_ini();
    state_.layout.kind = kind;
    const auto it = layouts_.find(kind);
    if (it != layouts_.end()) layout_ini_request_ = it->second;
    else state_.actions.push(act::ApplyLayout{static_cast<int>(natural_preset(kind))});
  }
  if (forced_layout_ >= 0) state_.actions.push(act::ApplyLayout{std::exchange(forced_layout_, -1)});
}

void Studio::before_new_frame_layout() {
  if (layout_ini_request_.empty()) return;
  const std::string text = std::exchange(layout_ini_request_, std::string());
  if (!apply_layout_ini(text)) {
    show_error(state_.layout.status, "that layout has no place for the studio's panels; the preset is used instead");
    state_.actions.push(act::ApplyLayout{static_cast<int>(natural_preset(state_.layout.kind))});
  }
}

void Studio::handle_layout_menu() {
  if (state_.actions.take_last<act::SaveLayout>()) {
    save_layouts();
    if (state_.layout.status.empty() || state_.layout.status.rfind("saved", 0) == 0)
      state_.layout.status = "saved to " + layout_file_;
  }
}

bool Studio::save_layouts() {
  layouts_[state_.layout.kind] = layout_ini();
  if (layout_file_.empty()) return true;  // a scripted run
  try {
    write_layouts(layouts_, layout_file_);
    return true;
  } catch (const std::exception& e) {
    show_error(state_.layout.status, std::string("the layout was not saved: ") + e.what());
    return false;
  }
}

}  // namespace studio
