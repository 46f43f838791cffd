#include <imgui.h>

#include "panels.h"

namespace studio::panels {

void place_window(const Rect& r) {
  ImGui::SetNextWindowPos(ImVec2(r.x, r.y), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(r.w, r.h), ImGuiCond_FirstUseEver);
}

void pin_window(const Rect& r) {
  ImGui::SetNextWindowPos(ImVec2(r.x, r.y), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(r.w, r.h), ImGuiCond_Always);
}

void error_text(const std::string& message) {
  if (message.empty()) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.45f, 0.4f, 1.f));
  ImGui::TextWrapped("%s", message.c_str());
  ImGui::PopStyleColor();
}

void progress_line(const Progress& p) {
  if (!p.running) return;
  ImGui::ProgressBar(p.fraction, ImVec2(-1, 0), p.stage.c_str());
}

void browse_button(AppState& s, AppState::PathFor what, const char* tooltip) {
  if (!s.files.dialogs) return;
  ImGui::SameLine();
  ImGui::PushID(static_cast<int>(what));
  if (ImGui::Button("...")) s.actions.push(act::ChooseFile{what});
  const ImVec2 a = ImGui::GetItemRectMin(), sz = ImGui::GetItemRectSize();
  s.files.browse_buttons[static_cast<int>(what)] = to_framebuffer(a.x, a.y, sz.x, sz.y);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
  ImGui::PopID();
}

float browse_width(const AppState& s) {
  if (!s.files.dialogs) return 0.f;
  return ImGui::CalcTextSize("...").x + ImGui::GetStyle().FramePadding.x * 2 + ImGui::GetStyle().ItemSpacing.x;
}

Rect to_framebuffer(float x, float y, float w, float h) {
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  return {x * scale.x, y * scale.y, w * scale.x, h * scale.y};
}

}  // namespace studio::panels
