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
  s.journey_rect = item_rect();
  if (ImGui::IsItemHovered() && !open) ImGui::SetTooltip("The essay's demos, one click each");
  s.scene_item_rects.clear();
  if (open) {
    for (size_t i = 0; i < s.scenes.size(); ++i) {
      const AppState::Scene& sc = s.scenes[i];
      if (ImGui::MenuItem(sc.title.c_str())) s.scene_open = static_cast<int>(i);
      s.scene_item_rects.push_back(item_rect());
      if (ImGui::IsItemHovered() && !sc.caption.empty()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.f);
        ImGui::TextUnformatted(sc.caption.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
    }
    if (!s.scenes.empty()) ImGui::Separator();
    ImGui::TextDisabled("%s", s.scenes_note.empty() ? "no scenes" : s.scenes_note.c_str());
    if (s.scene_seconds >= 0) ImGui::TextDisabled("the last scene opened in %.1f s", s.scene_seconds);
    ImGui::EndMenu();
  }
  if (!s.scene_caption.empty()) {
    ImGui::Spacing();
    ImGui::TextColored(ImVec4(1.f, 0.82f, 0.45f, 1.f), "%s", s.scene_caption.c_str());
    s.caption_rect = item_rect();
    if (ImGui::SmallButton("x")) s.scene_caption.clear();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("hide the scene's caption");
  } else {
    s.caption_rect = {};
  }
  ImGui::EndMainMenuBar();
  return h;
}

}  // namespace studio::panels
