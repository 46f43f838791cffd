// Sentence models: a picture's captions (or typed ones) become a thought; a style
// vector shifts it by a strength; the passage is re-decoded, off the UI thread, as the
// strength moves. Beside it: where the thought sits among the style's two sides, and a
// maker of styles from two typed texts.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

#include "panels.h"

namespace studio::panels {

namespace {

constexpr ImGuiWindowFlags kFixed = panel_flags();

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

}  // namespace

void story_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Story", nullptr, kFixed);
  const float scale = s.options.ui_scale;

  // Caption source: an image with captions, or captions typed here.
  if (!s.story.images.empty()) {
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
    const std::string current = s.story.image >= 0 ? file_name(s.story.images[s.story.image]) : std::string("(dropped or none)");
    if (ImGui::BeginCombo("image with captions", current.c_str())) {
      for (size_t i = 0; i < s.story.images.size(); ++i)
        if (ImGui::Selectable(file_name(s.story.images[i]).c_str(), static_cast<int>(i) == s.story.image))
          s.actions.push(act::ShowStoryImage{static_cast<int>(i)});
      ImGui::EndCombo();
    }
  } else {
    ImGui::TextDisabled("drop an image with a captions.tsv beside it, or type captions below");
  }
  const float img_h = std::min(220.f * scale, ImGui::GetContentRegionAvail().y * 0.3f);
  if (s.story.image_texture && s.story.image_h > 0) {
    const float w = img_h * s.story.image_w / s.story.image_h;
    ImGui::Image(reinterpret_cast<ImTextureID>(s.story.image_texture), ImVec2(w, img_h));
    ImGui::SameLine();
  }
  ImGui::BeginGroup();
  ImGui::TextDisabled("captions, one per line (their mean thought is used)");
  ImGui::InputTextMultiline("##captions", &s.story.captions, ImVec2(-1, img_h - ImGui::GetTextLineHeightWithSpacing()));
  ImGui::EndGroup();

  // Style and strength.
  ImGui::Separator();
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.45f);
  const std::string style_label = s.story.style >= 0 && s.story.style < static_cast<int>(s.story.style_names.size())
                                      ? s.story.style_names[s.story.style]
                                      : std::string("no style");
  if (ImGui::BeginCombo("style", style_label.c_str())) {
    if (ImGui::Selectable("no style", s.story.style < 0)) s.story.style = -1;
    for (size_t i = 0; i < s.story.style_names.size(); ++i) {
      if (ImGui::Selectable(s.story.style_names[i].c_str(), static_cast<int>(i) == s.story.style)) s.story.style = static_cast<int>(i);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.story.style_notes[i].c_str());
    }
    ImGui::EndCombo();
  }
  if (s.story.style >= 0 && s.story.style < static_cast<int>(s.story.style_notes.size())) {
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.story.style_notes[s.story.style].c_str());
  }
  if (s.story.style >= 0) {
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
    if (ImGui::SliderFloat("strength", &s.story.strength, 0.f, 3.f, "%.2f")) s.story.strength_default = false;
    ImGui::SameLine();
    if (ImGui::Button("calibrated") && s.story.style < static_cast<int>(s.story.style_defaults.size())) {
      s.story.strength = s.story.style_defaults[s.story.style];
      s.story.strength_default = true;
    }
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("the smallest strength at which decoded captions read as the style's side A\n"
                        "(mean novel-likeness >= 0), which keeps the most of the captions' content");
  }
  const char* methods[] = {"greedy", "beam", "sample"};
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("sample").x * 2.5f);
  ImGui::Combo("decoding", &s.story.method, methods, 3);
  ImGui::SameLine();
  if (s.story.method == 1) {
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("00").x * 4.f);
    ImGui::SliderInt("beam", &s.story.beam, 1, 10);
    ImGui::SameLine();
  } else if (s.story.method == 2) {
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("0.00").x * 3.f);
    ImGui::SliderFloat("temperature", &s.story.temperature, 0.1f, 2.f, "%.2f");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("0000").x * 2.f);
    ImGui::InputInt("seed", &s.story.seed);
    ImGui::SameLine();
  }
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("00").x * 4.f);
  ImGui::SliderInt("sentences", &s.story.sentences, 1, 8);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("0.0").x * 4.f);
  ImGui::SliderFloat("stay on the scene", &s.story.keep_bonus, 0.f, 8.f, "%.1f");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("How strongly the passage keeps the caption's words: the first sentence, which the style\n"
                      "leads away from the scene, and the sentences after it, which bring back the words they lack.\n"
                      "0: not at all. 3: the default. Above about 4 the words are forced in where they do not fit.");

  // The passage.
  ImGui::Separator();
  error_text(s.story.error);
  if (s.story.busy) {
    ImGui::TextDisabled("writing...");
    ImGui::SameLine();
  }
  if (!s.story.passage.empty()) {
    ImGui::TextDisabled("novel-likeness %+.2f (book sentences about +2.2, captions about -2.3); caption words in the passage %.0f%%; %.0f ms",
                        s.story.novel_likeness, 100.0 * s.story.content_kept, s.story.ms);
  } else {
    ImGui::NewLine();
  }
  const float kept_h = s.story.kept.empty() ? 0.f : std::min(160.f * scale, ImGui::GetContentRegionAvail().y * 0.3f);
  ImGui::BeginChild("passage", ImVec2(0, ImGui::GetContentRegionAvail().y - kept_h - ImGui::GetFrameHeightWithSpacing()),
                    true);
  ImGui::SetWindowFontScale(1.25f);
  for (const auto& line : s.story.passage) {
    ImGui::TextWrapped("%s", line.c_str());
  }
  ImGui::SetWindowFontScale(1.f);
  ImGui::EndChild();
  if (ImGui::Button("Keep this passage")) s.actions.push(act::KeepPassage{});
  ImGui::SameLine();
  if (ImGui::Button("Copy")) {
    std::string text;
    for (const auto& p : s.story.passage) text += (text.empty() ? "" : " ") + p;
    ImGui::SetClipboardText(text.c_str());
  }
  ImGui::SameLine();
  ImGui::TextDisabled("kept: %zu (saved with the session)", s.story.kept.size());
  if (!s.story.kept.empty()) {
    ImGui::BeginChild("kept", ImVec2(0, 0), true);
    for (size_t i = 0; i < s.story.kept.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      if (ImGui::SmallButton("x")) {
        s.story.kept.erase(s.story.kept.begin() + static_cast<long>(i));
        ImGui::PopID();
        break;
      }
      ImGui::SameLine();
      ImGui::TextWrapped("%s", s.story.kept[i].c_str());
      ImGui::PopID();
    }
    ImGui::EndChild();
  }
  ImGui::End();
}

void story_map_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Thought map", nullptr, kFixed);
  if (!s.story.map_ready) {
    ImGui::TextWrapped("%s", s.story.style < 0 ? "choose a style to see where the thought sits between its two sides"
                                               : "the map appears with the first passage");
    ImGui::End();
    return;
  }
  ImGui::TextDisabled("PCA of the style's example thoughts");
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 size = ImGui::GetContentRegionAvail();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(22, 24, 30, 255), 4.f);
  s.story.map_rect = to_framebuffer(origin.x, origin.y, size.x, size.y);
  const float pad = 16.f * s.options.ui_scale;
  auto place = [&](std::pair<float, float> p) {
    return ImVec2(origin.x + pad + (std::clamp(p.first, -1.2f, 1.2f) / 2.4f + 0.5f) * (size.x - 2 * pad),
                  origin.y + pad + (0.5f - std::clamp(p.second, -1.2f, 1.2f) / 2.4f) * (size.y - 2 * pad));
  };
  const float r0 = 2.5f * s.options.ui_scale;
  for (const auto& p : s.story.map_b) dl->AddCircleFilled(place(p), r0, IM_COL32(90, 160, 255, 160));
  for (const auto& p : s.story.map_a) dl->AddCircleFilled(place(p), r0, IM_COL32(255, 120, 150, 160));
  const ImVec2 c = place(s.story.xy_caption), t = place(s.story.xy_shifted);
  dl->AddLine(c, t, IM_COL32(255, 255, 255, 200), 2.f);
  dl->AddCircleFilled(c, r0 * 2.5f, IM_COL32(120, 200, 255, 255));
  dl->AddCircleFilled(t, r0 * 2.5f, IM_COL32(255, 200, 60, 255));
  const float lh = ImGui::GetTextLineHeight();
  dl->AddText(ImVec2(c.x + 6, c.y - lh), IM_COL32(160, 220, 255, 255), "captions");
  dl->AddText(ImVec2(t.x + 6, t.y), IM_COL32(255, 210, 120, 255), "+ style");
  dl->AddText(ImVec2(origin.x + 6, origin.y + size.y - lh - 4), IM_COL32(90, 160, 255, 255), "B (e.g. captions)");
  dl->AddText(ImVec2(origin.x + size.x - ImGui::CalcTextSize("A (e.g. novels)").x - 6, origin.y + size.y - lh - 4),
              IM_COL32(255, 120, 150, 255), "A (e.g. novels)");
  ImGui::Dummy(size);
  ImGui::End();
}

void style_maker_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Make a style", nullptr, kFixed);
  ImGui::TextWrapped("style = mean thought of A - mean thought of B (one sentence per line)");
  const float box_h = std::max(40.f, (ImGui::GetContentRegionAvail().y - 4 * ImGui::GetFrameHeightWithSpacing()) * 0.5f);
  ImGui::InputTextMultiline("A##stylea", &s.story.style_a_text, ImVec2(-ImGui::CalcTextSize("A ").x, box_h));
  ImGui::InputTextMultiline("B##styleb", &s.story.style_b_text, ImVec2(-ImGui::CalcTextSize("A ").x, box_h));
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.5f);
  ImGui::InputText("name", &s.story.style_name);
  ImGui::SameLine();
  ImGui::BeginDisabled(s.story.style_progress.running);
  if (ImGui::Button("Make")) s.actions.push(act::MakeStyle{});
  ImGui::EndDisabled();
  if (s.story.style_progress.running) progress_line(s.story.style_progress);
  error_text(s.story.style_error);
  if (!s.story.style_status.empty()) ImGui::TextWrapped("%s", s.story.style_status.c_str());
  ImGui::End();
}

}  // namespace studio::panels
