// Presentation: the decoded output alone, as large as the display allows, with a one-line
// overlay that can be hidden, or nothing at all (blackout).
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "panels.h"

namespace studio::panels {

void presentation_view(AppState& s, const Rect& r) {
  pin_window(r);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.f);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, ImVec4(0, 0, 0, 1));
  ImGui::Begin("Presentation", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoDocking |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  s.view.rect = {};
  if (!s.show.blackout && s.view.texture && s.view.w > 0 && s.view.h > 0) {
    float scale = std::min(avail.x / s.view.w, avail.y / s.view.h);
    if (!s.options.linear_filter && scale >= 1.f) scale = std::floor(scale);
    const ImVec2 size(s.view.w * scale, s.view.h * scale);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 top_left(std::floor(origin.x + (avail.x - size.x) * 0.5f),
                          std::floor(origin.y + (avail.y - size.y) * 0.5f));
    ImGui::SetCursorScreenPos(top_left);
    ImGui::Image(reinterpret_cast<ImTextureID>(s.view.texture), size);
    s.view.rect = to_framebuffer(top_left.x, top_left.y, size.x, size.y);
  }
  if (s.show.overlay && !s.show.blackout) {
    // Large type: the font is already scaled by ui_scale; the overlay doubles it.
    ImGui::SetWindowFontScale(1.6f);
    ImGui::SetCursorPos(ImVec2(24, 16));
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 0.85f));
    ImGui::TextUnformatted(s.show.overlay_text.c_str());
    ImGui::PopStyleColor();
    // The keys, one per line at the bottom left: in the black margin beside the output
    // when it is wide enough, else over the output for the first seconds only.
    static const char* kKeys[] = {"<- ->  bookmarks", "space  walk", "R  random", "B  blackout", "H  overlay",
                                  "Esc  leave"};
    float widest = 0;
    for (const char* k : kKeys) widest = std::max(widest, ImGui::CalcTextSize(k).x);
    const float margin = s.view.rect.w > 0 ? (avail.x - s.view.rect.w) * 0.5f : avail.x;
    if (widest + 48 <= margin || s.show.overlay_help) {
      const float line = ImGui::GetTextLineHeightWithSpacing();
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 0.45f));
      for (int i = 0; i < 6; ++i) {
        ImGui::SetCursorPos(ImVec2(24, avail.y - (6 - i) * line - 12));
        ImGui::TextUnformatted(kKeys[i]);
      }
      ImGui::PopStyleColor();
    }
    ImGui::SetWindowFontScale(1.f);
  }
  ImGui::End();
  ImGui::PopStyleColor();
  ImGui::PopStyleVar(2);
}

}  // namespace studio::panels
