// Walks: keyframes from the current point or the bookmarks, played in the viewport at
// the display's frame rate and exported as MP4, GIF or PNG frames; grids and images.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include "panels.h"

namespace studio::panels {

void walk_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Walk & export", nullptr, panel_flags());
  if (!s.model.loaded || s.model.info.modality != latent::Modality::Image) {
    ImGui::TextDisabled("walks and exports need an image model");
    ImGui::End();
    return;
  }
  const float col = ImGui::GetContentRegionAvail().x * 0.42f;
  // Left: the keyframes.
  ImGui::BeginChild("keys", ImVec2(col, 0), true);
  ImGui::Checkbox("random loop", &s.walk.random);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("wander around the current point and come back (instead of keyframes)");
  if (s.walk.random) {
    ImGui::SetNextItemWidth(col * 0.45f);
    ImGui::SliderFloat("radius (sd)", &s.walk.radius, 0.05f, 3.f, "%.2f");
    ImGui::SetNextItemWidth(col * 0.45f);
    ImGui::SliderFloat("oscillations/s", &s.walk.osc, 0.02f, 2.f, "%.2f");
    ImGui::SetNextItemWidth(col * 0.45f);
    ImGui::SliderFloat("loop seconds", &s.walk.loop_seconds, 1.f, 120.f, "%.0f");
    ImGui::SetNextItemWidth(col * 0.45f);
    ImGui::InputInt("seed##walk", &s.walk.seed);
  } else {
    if (ImGui::SmallButton("+ current point")) s.actions.push(act::AddKeyCurrent{});
    ImGui::SameLine();
    ImGui::BeginDisabled(s.points.bookmarks.empty());
    if (ImGui::SmallButton("+ all bookmarks")) s.actions.push(act::AddKeyBookmarks{});
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::SmallButton("clear")) s.actions.push(act::ClearKeys{});
    ImGui::SameLine();
    ImGui::Checkbox("loop", &s.walk.loop);
    static const char* kInterp[] = {"linear", "slerp", "spline"};
    for (int i = 0; i < static_cast<int>(s.walk.keys.size()); ++i) {
      auto& k = s.walk.keys[i];
      ImGui::PushID(i);
      ImGui::TextUnformatted(k.name.c_str());
      ImGui::SameLine(col * 0.3f);
      const bool last = i + 1 == static_cast<int>(s.walk.keys.size());
      if (!last || s.walk.loop) {
        ImGui::SetNextItemWidth(col * 0.22f);
        ImGui::DragFloat("##sec", &k.seconds, 0.05f, 0.05f, 60.f, "%.2f s");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(col * 0.25f);
        ImGui::Combo("##interp", &k.interp, kInterp, 3);
        ImGui::SameLine();
      }
      if (ImGui::SmallButton("x")) s.actions.push(act::RemoveKey{static_cast<int>(i)});
      ImGui::PopID();
    }
    if (s.walk.keys.size() < 2) ImGui::TextDisabled("add two keyframes or more");
  }
  ImGui::EndChild();
  ImGui::SameLine();

  // Right: playback and export.
  ImGui::BeginChild("play", ImVec2(0, 0), false);
  const bool can_play = s.walk.random || s.walk.keys.size() >= 2;
  ImGui::BeginDisabled(!can_play);
  if (ImGui::Button(s.walk.playing ? "Pause" : "Play")) s.actions.push(act::ToggleWalk{});
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
  char label[48];
  std::snprintf(label, sizeof label, "%%.2f / %.2f s", s.walk.duration);
  if (ImGui::SliderFloat("##time", &s.walk.time, 0.f, static_cast<float>(std::max(0.01, s.walk.duration)), label))
    s.actions.push(act::SeekWalk{s.walk.time});
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
  ImGui::SliderFloat("##rate", &s.walk.rate, 0.1f, 4.f, "x%.2f");
  if (!s.walk.random) {
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("000.00 s").x + 20);
    float total = static_cast<float>(s.walk.duration);
    if (ImGui::DragFloat("length", &total, 0.1f, 0.1f, 600.f, "%.2f s") && total > 0)
      s.actions.push(act::SetWalkLength{total});
    ImGui::SameLine();
  }
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
  ImGui::InputTextWithHint("##walkname", "walk name (saved in the session)", &s.walk.name);
  error_text(s.walk.error);

  ImGui::Separator();
  static const char* kFormats[] = {"MP4", "GIF", "PNG frames"};
  static const char* kExt[] = {".mp4", ".gif", "/"};
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("PNG frames").x + ImGui::GetFrameHeight() * 2);
  if (ImGui::Combo("##fmt", &s.exports.format, kFormats, 3)) {
    // Keep the path's stem, change its ending.
    std::string p = s.exports.path;
    const auto dot = p.find_last_of("./");
    if (dot != std::string::npos && dot > 0 && (p[dot] == '.' || dot + 1 == p.size())) p = p.substr(0, dot);
    s.exports.path = p + kExt[s.exports.format];
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("0000").x + ImGui::GetFrameHeight() * 2);
  ImGui::InputInt("px", &s.exports.size, 64);
  s.exports.size = std::clamp(s.exports.size, 16, 4096);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("000").x + ImGui::GetFrameHeight() * 2);
  ImGui::InputInt("fps", &s.exports.fps, 1);
  s.exports.fps = std::clamp(s.exports.fps, 1, 120);
  ImGui::SameLine();
  ImGui::Checkbox("smooth", &s.exports.smooth);
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - browse_width(s));
  ImGui::InputTextWithHint("##out", "output: walk.mp4, walk.gif or frames/", &s.exports.path);
  browse_button(s, AppState::PathFor::Export, "choose where the export goes (the desktop's dialog)");
  if (s.exports.progress.running) {
    if (ImGui::Button("Cancel")) s.actions.push(act::CancelExport{});
    ImGui::SameLine();
    progress_line(s.exports.progress);
  } else {
    ImGui::BeginDisabled(!can_play || s.exports.path.empty());
    if (ImGui::Button("Export walk")) s.actions.push(act::ExportWalk{});
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(s.walk.keys.size() < 2);
    if (ImGui::Button("Grid")) s.actions.push(act::ExportGrid{});
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("an interpolation sheet: one row per segment, 8 steps (PNG beside the output)");
    ImGui::SameLine();
    if (ImGui::Button("Save image")) s.actions.push(act::SaveImage{});
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the output at the export size (PNG beside the output)");
    ImGui::SameLine();
    if (ImGui::Button("Save window")) s.actions.push(act::SaveWindow{});
  }
  if (!s.exports.status.empty()) ImGui::TextWrapped("%s", s.exports.status.c_str());
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace studio::panels
