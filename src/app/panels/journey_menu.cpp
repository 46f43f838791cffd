// The menu bar: the Journey menu (the essay's demos, one click each) and the open
// scene's caption beside it.
#include <imgui.h>

#include "panels.h"

namespace studio::panels {

namespace {

Rect item_rect() {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  return to_framebuffer(a.x, a.y, b.x - a.x, b.y - a.y);
}

}  // namespace

float menu_bar(AppState& s) {
  if (!ImGui::BeginMainMenuBar()) return 0.f;
  const float h = ImGui::GetWindowSize().y;
  s.menu_rect = to_framebuffer(0, 0, ImGui::GetWindowSize().x, h);
  const bool open = ImGui::BeginMenu("Journey");
  s.journey.rect = item_rect();
  if (ImGui::IsItemHovered() && !open) ImGui::SetTooltip("The essay's demos, one click each");
  s.journey.item_rects.clear();
  if (open) {
    for (size_t i = 0; i < s.journey.scenes.size(); ++i) {
      const AppState::Scene& sc = s.journey.scenes[i];
      if (ImGui::MenuItem(sc.title.c_str())) s.actions.push(act::OpenScene{static_cast<int>(i)});
      s.journey.item_rects.push_back(item_rect());
      if (ImGui::IsItemHovered() && !sc.caption.empty()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.f);
        ImGui::TextUnformatted(sc.caption.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
    }
    if (!s.journey.scenes.empty()) ImGui::Separator();
    ImGui::TextDisabled("%s", s.journey.note.empty() ? "no scenes" : s.journey.note.c_str());
    if (s.journey.seconds >= 0) ImGui::TextDisabled("the last scene opened in %.1f s", s.journey.seconds);
    ImGui::EndMenu();
  }
  // Layout: the presets, and saving the arrangement now (it is also saved on closing).
  const bool layout_open = ImGui::BeginMenu("Layout");
  s.layout.menu_rect = item_rect();
  s.layout.item_rects.clear();
  if (layout_open) {
    static const char* kPresets[] = {"Explore", "Map", "Words", "Story", "Perform"};
    static const char* kAbout[] = {"sliders, picture, map, dataset and live control side by side",
                                   "the map large, the picture and the dataset beside it",
                                   "word answers large, the map beside them",
                                   "the passage large, the thought map and style maker beside it",
                                   "for a projector: the output large, a row of sliders and the walk's transport"};
    for (int i = 0; i < 5; ++i) {
      if (ImGui::MenuItem(kPresets[i], nullptr, s.layout.preset == kPresets[i])) s.actions.push(act::ApplyLayout{i});
      s.layout.item_rects.push_back(item_rect());
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kAbout[i]);
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Save layout now")) s.actions.push(act::SaveLayout{});
    ImGui::TextDisabled("drag a panel's tab to move, split or float it;");
    ImGui::TextDisabled("the layout is kept for each kind of model");
    if (!s.layout.status.empty()) ImGui::TextDisabled("%s", s.layout.status.c_str());
    ImGui::EndMenu();
  }
  if (!s.journey.caption.empty()) {
    ImGui::Spacing();
    ImGui::TextColored(ImVec4(1.f, 0.82f, 0.45f, 1.f), "%s", s.journey.caption.c_str());
    s.journey.caption_rect = item_rect();
    if (ImGui::SmallButton("x")) s.journey.caption.clear();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("hide the scene's caption");
  } else {
    s.journey.caption_rect = {};
  }
  ImGui::EndMainMenuBar();
  return h;
}

}  // namespace studio::panels
