// One slider per latent dimension, +-N standard deviations, with reset and randomize.
#include <imgui.h>

#include <cstdio>

#include "panels.h"

namespace studio::panels {

void slider_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Latent sliders", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
  const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  s.sliders_rect = to_framebuffer(pos.x, pos.y, size.x, size.y);
  if (!s.model.loaded || s.z.empty()) {
    ImGui::TextDisabled("open a model to get its sliders");
    ImGui::End();
    return;
  }
  if (ImGui::Button("Reset all")) std::fill(s.z.begin(), s.z.end(), 0.f);
  ImGui::SameLine();
  if (ImGui::Button("Randomize")) {
    s.randomize_request = true;
    ++s.randomize_seed;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("+-%.0f sd", s.options.slider_sigmas);
  ImGui::Separator();

  ImGui::BeginChild("sliders");
  const float reset_w = ImGui::CalcTextSize("0").x + ImGui::GetStyle().FramePadding.x * 2;
  const float label_w = ImGui::CalcTextSize("000").x + ImGui::GetStyle().ItemSpacing.x;
  for (int k = 0; k < static_cast<int>(s.z.size()); ++k) {
    ImGui::PushID(k);
    const float sd = k < static_cast<int>(s.model.scale.size()) ? s.model.scale[k] : 1.f;
    const float range = std::max(1e-6f, s.options.slider_sigmas * sd);
    const bool highlighted = k == s.highlight_dim;
    if (highlighted) {
      ImGui::PushStyleColor(ImGuiCol_FrameBg, ImVec4(0.55f, 0.35f, 0.05f, 0.9f));
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.85f, 0.4f, 1.f));
    }
    char label[32];
    std::snprintf(label, sizeof label, "%d", k + 1);
    ImGui::TextUnformatted(label);
    ImGui::SameLine(label_w);  // sliders line up whatever the number's width
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - reset_w - ImGui::GetStyle().ItemSpacing.x);
    ImGui::SliderFloat("##z", &s.z[k], -range, range, "%.2f");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("component %d: sd %.3f, value %.2f sd", k + 1, sd, s.z[k] / sd);
    if (highlighted) ImGui::PopStyleColor(2);
    ImGui::SameLine();
    if (ImGui::Button("0")) s.z[k] = 0.f;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("reset component %d", k + 1);
    if (highlighted && s.scroll_to_highlight) {
      ImGui::SetScrollHereY(0.3f);
      s.scroll_to_highlight = false;
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace studio::panels
