// The eigenface strip: each component as a thumbnail; a click highlights its slider.
#include <imgui.h>

#include "panels.h"

namespace studio::panels {

void components_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Components", nullptr,
               panel_flags() |
                   ImGuiWindowFlags_HorizontalScrollbar);
  if (s.view.components.empty()) {
    ImGui::TextDisabled("this model has no components to show");
    ImGui::End();
    return;
  }
  const float side = std::max(16.f, ImGui::GetContentRegionAvail().y - ImGui::GetStyle().ScrollbarSize -
                                        ImGui::GetTextLineHeightWithSpacing());
  for (int k = 0; k < static_cast<int>(s.view.components.size()); ++k) {
    ImGui::PushID(k);
    if (k) ImGui::SameLine();
    ImGui::BeginGroup();
    const bool selected = k == s.sliders.highlight_dim;
    ImGui::PushStyleColor(ImGuiCol_Button, selected ? ImVec4(0.9f, 0.6f, 0.1f, 1.f) : ImVec4(0, 0, 0, 0));
    if (ImGui::ImageButton(reinterpret_cast<ImTextureID>(s.view.components[k]), ImVec2(side, side * s.view.component_h / std::max(1, s.view.component_w)))) {
      s.sliders.highlight_dim = k;
      s.sliders.scroll_to_highlight = true;
    }
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("component %d: click to find its slider", k + 1);
    ImGui::Text("%d", k + 1);
    ImGui::EndGroup();
    ImGui::PopID();
  }
  ImGui::End();
}

}  // namespace studio::panels
