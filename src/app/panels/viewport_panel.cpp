// The decoded image, scaled up to fill its pane.
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "panels.h"

namespace studio::panels {

void viewport_panel(AppState& s, const Rect& r) {
  place_window(r);
  // Docked, the output shows no tab bar while it is alone in its place.
  ImGuiWindowClass cls;
  cls.DockNodeFlagsOverrideSet = ImGuiDockNodeFlags_AutoHideTabBar;
  ImGui::SetNextWindowClass(&cls);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::Begin("Viewport", nullptr,
               panel_flags() |
                   ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoTitleBar);
  ImGui::PopStyleVar();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (s.model.loaded && s.model.info.modality == latent::Modality::Text) {
    // Sentence models decode the slider point (the passage's thought) to a sentence.
    ImGui::SetCursorPos(ImVec2(12, 8));
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(avail.x - 12);
    ImGui::TextDisabled("the slider point, decoded (beam 5)");
    ImGui::TextWrapped("%s", s.view.text.empty() ? "..." : s.view.text.c_str());
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    s.view.rect = {};
  } else if (s.model.loaded && s.model.info.modality == latent::Modality::Words) {
    // Word models decode to the words nearest the slider point.
    ImGui::SetCursorPos(ImVec2(12, 8));
    ImGui::BeginGroup();
    ImGui::TextDisabled("nearest words to the slider point");
    if (ImGui::BeginTable("view_words", 2, ImGuiTableFlags_RowBg, ImVec2(avail.x - 24, 0))) {
      ImGui::TableSetupColumn("word");
      ImGui::TableSetupColumn("cosine", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("0.0000").x);
      for (const auto& w : s.view.words) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(w.word.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", w.score);
      }
      ImGui::EndTable();
    }
    ImGui::EndGroup();
    s.view.rect = {};
  } else if (s.view.texture && s.view.w > 0 && s.view.h > 0) {
    // Largest size that fits; whole multiples of the image size when nearest-filtered, so
    // every source pixel becomes an equal square.
    float scale = std::min(avail.x / s.view.w, avail.y / s.view.h);
    if (!s.options.linear_filter && scale >= 1.f) scale = std::floor(scale);
    const ImVec2 size(s.view.w * scale, s.view.h * scale);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 top_left(std::floor(origin.x + (avail.x - size.x) * 0.5f), std::floor(origin.y + (avail.y - size.y) * 0.5f));
    ImGui::SetCursorScreenPos(top_left);
    ImGui::Image(reinterpret_cast<ImTextureID>(s.view.texture), size);
    s.view.rect = to_framebuffer(top_left.x, top_left.y, size.x, size.y);
  } else {
    ImGui::SetCursorPos(ImVec2(avail.x * 0.5f - 80, avail.y * 0.5f));
    ImGui::TextDisabled(s.model.loaded ? "decoding..." : "no model open");
  }
  if (!s.view.error.empty()) {
    ImGui::SetCursorPos(ImVec2(10, 10));
    error_text("decode failed: " + s.view.error);
  }
  ImGui::End();
}

}  // namespace studio::panels
