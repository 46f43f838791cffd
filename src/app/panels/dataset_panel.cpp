// A dataset as thumbnails: pick one and its latent becomes the sliders; original,
// reconstruction and reconstruction error side by side.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <cmath>

#include "panels.h"

namespace studio::panels {

namespace {
void labelled_image(const char* label, TextureId tex, float side) {
  ImGui::BeginGroup();
  if (tex) ImGui::Image(reinterpret_cast<ImTextureID>(tex), ImVec2(side, side));
  else ImGui::Dummy(ImVec2(side, side));
  ImGui::TextDisabled("%s", label);
  ImGui::EndGroup();
}
}  // namespace

void dataset_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Dataset", nullptr, panel_flags());
  ImGui::BeginDisabled(s.dataset.load.running || !s.model.loaded);
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Load").x - ImGui::GetStyle().FramePadding.x * 2 -
                          ImGui::GetStyle().ItemSpacing.x - browse_width(s));
  const bool enter = ImGui::InputTextWithHint("##datapath", "image folder, IDX file or array .json",
                                              &s.dataset.path_input, ImGuiInputTextFlags_EnterReturnsTrue);
  browse_button(s, AppState::PathFor::Dataset,
                "choose a dataset and load it: an IDX file, an array .json, or any image in a folder of images");
  ImGui::SameLine();
  if ((ImGui::Button("Load") || enter) && !s.dataset.path_input.empty()) s.actions.push(act::OpenDataset{s.dataset.path_input});
  ImGui::EndDisabled();
  progress_line(s.dataset.load);
  error_text(s.dataset.error);

  // An image dropped on the window: its place in the latent space.
  if (s.invert.progress.running) {
    ImGui::TextUnformatted("putting the dropped image into the space...");
    progress_line(s.invert.progress);
  }
  error_text(s.invert.error);
  if (!s.invert.name.empty() && s.invert.original) {
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float side = std::min(160.f * s.options.ui_scale, (ImGui::GetContentRegionAvail().x - gap) / 2.f);
    const float x0 = ImGui::GetCursorPosX();
    labelled_image("dropped", s.invert.original, side);
    ImGui::SameLine(x0 + side + gap);
    labelled_image(ImGui::CalcTextSize("reconstruction").x <= side ? "reconstruction" : "recon.",
                   s.invert.reconstruction, side);
    ImGui::TextWrapped("%s: RMSE %.4f (%s)", s.invert.name.c_str(), std::sqrt(s.invert.mse), s.invert.how.c_str());
    // Faces and words: what the face-text space reads in the photo; a click makes that face.
    const auto& ft = s.faces_text;
    if (!ft.nearest.empty() && ft.nearest_for == s.invert.name) {
      ImGui::TextDisabled("reads as (%s):", ft.vse.c_str());
      for (const auto& [text, score] : ft.nearest) {
        if (ImGui::SmallButton(text.c_str())) {
          s.faces_text.text = text;
          s.actions.push(act::DescribeFace{text});
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("make the face of this description (score %.2f)", score);
      }
    }
    ImGui::Separator();
  }

  if (s.dataset.count > 0) {
    ImGui::Text("%s: %ld images", s.dataset.name.c_str(), s.dataset.count);
    // Picked item: original | reconstruction | error.
    if (s.dataset.picked >= 0) {
      // Fixed columns, so a long label never pushes the next image out of line.
      const float gap = ImGui::GetStyle().ItemSpacing.x;
      const float side = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3.f;
      const float x0 = ImGui::GetCursorPosX();
      labelled_image("original", s.dataset.pick_original, side);
      ImGui::SameLine(x0 + (side + gap));
      labelled_image(ImGui::CalcTextSize("reconstruction").x <= side ? "reconstruction" : "recon.",
                     s.dataset.pick_reconstruction, side);
      ImGui::SameLine(x0 + 2 * (side + gap));
      labelled_image("error x4", s.dataset.pick_error, side);
      ImGui::Text("#%ld  RMSE %.4f  max %.3f", s.dataset.picked, s.dataset.pick_rmse, s.dataset.pick_max_error);
    } else {
      ImGui::TextDisabled("click a face to put its latent in the sliders");
    }
    ImGui::Separator();
    // Thumbnail grid; only visible rows are drawn (and uploaded).
    ImGui::BeginChild("thumbs");
    const float cell = 56.f * s.options.ui_scale;
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const int cols = std::max(1, static_cast<int>((ImGui::GetContentRegionAvail().x + spacing) / (cell + spacing)));
    const int rows = static_cast<int>((s.dataset.count + cols - 1) / cols);
    ImGuiListClipper clipper;
    clipper.Begin(rows, cell + ImGui::GetStyle().ItemSpacing.y);
    while (clipper.Step()) {
      for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
        for (int c = 0; c < cols; ++c) {
          const long i = static_cast<long>(row) * cols + c;
          if (i >= s.dataset.count) break;
          if (c) ImGui::SameLine();
          ImGui::PushID(static_cast<int>(i));
          auto it = s.dataset.thumbnails.find(i);
          const bool picked = i == s.dataset.picked;
          ImGui::PushStyleColor(ImGuiCol_Button, picked ? ImVec4(0.9f, 0.6f, 0.1f, 1.f) : ImVec4(0, 0, 0, 0));
          ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(2, 2));
          bool clicked;
          if (it != s.dataset.thumbnails.end()) {
            clicked = ImGui::ImageButton(reinterpret_cast<ImTextureID>(it->second), ImVec2(cell - 4, cell - 4));
          } else {
            s.dataset.wanted_thumbnails.push_back(i);
            clicked = ImGui::Button("...", ImVec2(cell, cell));
          }
          ImGui::PopStyleVar();
          ImGui::PopStyleColor();
          if (clicked) s.actions.push(act::PickItem{i});
          if (ImGui::IsItemHovered()) ImGui::SetTooltip("#%ld", i);
          ImGui::PopID();
        }
      }
    }
    ImGui::EndChild();
  } else if (!s.dataset.load.running) {
    ImGui::TextDisabled("load a dataset to pick faces from it");
  }
  ImGui::End();
}

}  // namespace studio::panels
