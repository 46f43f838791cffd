// Words: type a word or an expression, see the ranked answers and their neighbourhood;
// click an answer to continue from it.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

#include "panels.h"

namespace studio::panels {

namespace {

void neighbourhood_map(const AppState& s, float height) {
  ImGui::TextDisabled("neighbourhood (PCA of the answers and the input words)");
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 size(ImGui::GetContentRegionAvail().x, std::max(80.f, height));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(22, 24, 30, 255), 4.f);
  const float pad = 40.f * s.options.ui_scale;
  auto place = [&](const WordPoint& p) {
    // Room on the right for the labels, which are drawn to the right of their points.
    return ImVec2(origin.x + pad + (p.x * 0.5f + 0.5f) * (size.x - 4 * pad),
                  origin.y + pad * 0.5f + (0.5f - p.y * 0.5f) * (size.y - pad));
  };
  const float r = 4.f * s.options.ui_scale;
  for (const auto& p : s.words.answers) {
    const ImVec2 c = place(p);
    dl->AddCircleFilled(c, r, IM_COL32(90, 160, 255, 255));
    dl->AddText(ImVec2(c.x + r + 2, c.y - ImGui::GetTextLineHeight() * 0.5f), IM_COL32(200, 220, 255, 255), p.word.c_str());
  }
  for (const auto& p : s.words.inputs) {
    const ImVec2 c = place(p);
    dl->AddCircleFilled(c, r * 1.3f, IM_COL32(255, 170, 40, 255));
    dl->AddText(ImVec2(c.x + r + 2, c.y - ImGui::GetTextLineHeight() * 0.5f), IM_COL32(255, 200, 120, 255), p.word.c_str());
  }
  ImGui::Dummy(size);
}

}  // namespace

void words_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Words", nullptr, panel_flags());
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##wordquery", "a word, or an expression: king - man + woman, 0.5*happy + 0.5*sad",
                           &s.words.query);
  ImGui::Checkbox("keep input words in the answers", &s.words.keep_inputs);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("3CosMul").x * 2.2f);
  const char* methods[] = {"3CosAdd", "3CosMul"};
  ImGui::Combo("##method", &s.words.method, methods, 2);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("000").x * 3.f);
  ImGui::SliderInt("answers", &s.words.k, 1, 50);
  if (s.words.index.running) {
    ImGui::ProgressBar(s.words.index.fraction, ImVec2(-1, 0), ("approximate index: " + s.words.index.stage).c_str());
  } else if (s.words.index_ready) {
    ImGui::Checkbox("approximate search", &s.words.use_approx);
    ImGui::SameLine();
    ImGui::TextDisabled("%s", s.words.index_note.c_str());
  } else if (!s.words.index_note.empty()) {
    ImGui::TextDisabled("%s", s.words.index_note.c_str());
  }
  error_text(s.words.error);
  if (!s.words.status.empty()) ImGui::TextDisabled("%s", s.words.status.c_str());
  ImGui::Separator();

  const float map_h = ImGui::GetContentRegionAvail().y * 0.5f;
  if (ImGui::BeginTable("answers", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY,
                        ImVec2(0, ImGui::GetContentRegionAvail().y - map_h - ImGui::GetTextLineHeightWithSpacing()))) {
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("00").x);
    ImGui::TableSetupColumn("answer (click to continue from it)");
    ImGui::TableSetupColumn("similarity", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("similarity").x);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < s.words.answers.size(); ++i) {
      const auto& a = s.words.answers[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%zu", i + 1);
      ImGui::TableNextColumn();
      if (ImGui::Selectable(a.word.c_str(), false, ImGuiSelectableFlags_SpanAllColumns)) s.actions.push(act::ContinueWords{a.word});
      ImGui::TableNextColumn();
      ImGui::Text("%.4f", a.score);
    }
    ImGui::EndTable();
  }
  neighbourhood_map(s, map_h);
  ImGui::End();
}

}  // namespace studio::panels
