// Model: what is open, open another, and the display settings.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "panels.h"

namespace studio::panels {

namespace {

// Faces and words: type a description and the point moves to the face it makes (a
// dropped photo's nearest descriptions are listed under it in the Dataset panel).
void faces_text_box(AppState& s) {
  auto& ft = s.faces_text;
  if (!s.model.loaded || s.model.info.modality != latent::Modality::Image) return;
  if (!ft.ready && ft.status.empty() && !ft.progress.running && ft.error.empty()) return;
  ImGui::Separator();
  if (ft.ready) {
    ImGui::BeginDisabled(ft.progress.running);
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Describe").x - ImGui::GetStyle().FramePadding.x * 2 -
                            ImGui::GetStyle().ItemSpacing.x);
    const bool enter = ImGui::InputTextWithHint("##describe", "a smiling woman with wavy blond hair", &ft.text,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Describe") || enter) && !ft.text.empty()) s.actions.push(act::DescribeFace{ft.text});
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered() || ImGui::IsItemActive())
      ImGui::SetTooltip("Type a description of a face: the point moves to the face %s makes of it", ft.vse.c_str());
    ImGui::TextDisabled("%s", ft.status.c_str());
  } else {
    ImGui::TextDisabled("%s", ft.status.c_str());
  }
  progress_line(ft.progress);
  if (!ft.error.empty()) error_text(ft.error);
}

}  // namespace

void model_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Model", nullptr, panel_flags());
  if (s.model.loaded) {
    const auto& i = s.model.info;
    ImGui::Text("%s", i.name.c_str());
    if (i.modality == latent::Modality::Image)
      ImGui::TextDisabled("%s, %d dims, %dx%dx%d, %s", i.kind.c_str(), i.dim, i.observation.width,
                          i.observation.height, i.observation.channels, i.device.c_str());
    else
      ImGui::TextDisabled("%s, %d dims, %s", i.kind.c_str(), i.dim, i.device.c_str());
    if (s.model.explained_fraction >= 0)
      ImGui::TextDisabled("explains %.1f%% of the variance", 100.0 * s.model.explained_fraction);
    if (!s.model.check_note.empty()) ImGui::TextDisabled("%s", s.model.check_note.c_str());
  } else {
    ImGui::TextDisabled("no model open");
  }
  ImGui::Separator();
  ImGui::BeginDisabled(s.model.load.running);
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Open").x - ImGui::GetStyle().FramePadding.x * 2 -
                          ImGui::GetStyle().ItemSpacing.x - browse_width(s));
  const bool enter = ImGui::InputTextWithHint("##modelpath", "model folder or model.json", &s.model.path_input,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  browse_button(s, AppState::PathFor::Model, "choose a model (its model.json, a vectors file or a .pt) and open it");
  ImGui::SameLine();
  if ((ImGui::Button("Open") || enter) && !s.model.path_input.empty()) s.actions.push(act::OpenModel{s.model.path_input});
  ImGui::EndDisabled();
  ImGui::TextDisabled(s.model.loaded && s.model.info.modality == latent::Modality::Image
                          ? "or drop a model folder, or an image to put into this space"
                          : "or drop a model folder on the window");
  progress_line(s.model.load);
  if (!s.model.error.empty()) {
    error_text(s.model.error);
    if (ImGui::SmallButton("Dismiss")) s.model.error.clear();
  }
  if (s.model.loaded && s.model.info.kind == "torch-image") {
    // Where the neural model runs; a change reopens it there.
    static const char* kDevices[] = {"auto", "cpu", "cuda"};
    int current = 0;
    for (int i = 0; i < 3; ++i)
      if (s.model.device == kDevices[i]) current = i;
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("cuda").x + ImGui::GetFrameHeight() * 2);
    if (ImGui::Combo("device", &current, kDevices, 3)) s.actions.push(act::SetDevice{kDevices[current]});
    ImGui::SameLine();
    ImGui::TextDisabled("running on %s", s.model.info.device.c_str());
    if (!s.model.device_note.empty()) ImGui::TextWrapped("%s", s.model.device_note.c_str());
  }
  faces_text_box(s);
  ImGui::Separator();
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.5f);
  ImGui::SliderFloat("UI scale", &s.options.ui_scale, 0.75f, 3.0f, "%.2f");
  if (ImGui::IsItemDeactivatedAfterEdit() || ImGui::IsItemDeactivated()) {
    // Fonts are rebuilt by the Studio when the drag ends (applied_ui_scale differs).
  }
  ImGui::Checkbox("Smooth (linear) magnification", &s.options.linear_filter);
  // The show: full screen on a monitor, or a second window for the projector.
  if (ImGui::Button("Present (F5)")) s.actions.push(act::TogglePresentation{});
  ImGui::SameLine();
  bool out = s.show.output_window;
  if (ImGui::Checkbox("Output window", &out)) s.actions.push(act::ToggleOutputWindow{});
  if (s.show.monitor_names.size() > 1) {
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
    if (ImGui::BeginCombo("monitor", s.show.monitor_names[std::min<size_t>(s.show.monitor, s.show.monitor_names.size() - 1)].c_str())) {
      for (int i = 0; i < static_cast<int>(s.show.monitor_names.size()); ++i)
        if (ImGui::Selectable(s.show.monitor_names[i].c_str(), i == s.show.monitor)) s.show.monitor = i;
      ImGui::EndCombo();
    }
  }
  ImGui::End();
}

}  // namespace studio::panels
