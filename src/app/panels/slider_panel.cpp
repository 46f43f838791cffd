// One slider per latent dimension, +-N standard deviations, with reset and randomize.
#include <imgui.h>

#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "panels.h"

namespace studio::panels {

namespace {

// "1-10, 42" -> the 0-based dimensions it names (empty text: all). Bad parts are skipped.
std::vector<int> parse_dims(const std::string& text, int dim) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    int a = 0, b = 0;
    if (std::sscanf(part.c_str(), " %d - %d", &a, &b) == 2 || std::sscanf(part.c_str(), " %d-%d", &a, &b) == 2) {
    } else if (std::sscanf(part.c_str(), " %d", &a) == 1) {
      b = a;
    } else {
      continue;
    }
    for (int k = std::max(1, a); k <= std::min(dim, b); ++k) out.push_back(k - 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

// The model's named directions (directions.json), one slider each in sigma: "Smiling",
// "Eyeglasses", "sefa-1"... A filter when there are many; MIDI learn binds them like the
// other attribute sliders.
void directions_section(AppState& s) {
  if (s.attributes.directions.empty()) {
    if (!s.attributes.directions_note.empty()) ImGui::TextColored(ImVec4(1.f, 0.6f, 0.4f, 1.f), "%s", s.attributes.directions_note.c_str());
    return;
  }
  const std::string header = "Attributes (" + std::to_string(s.attributes.directions.size()) + ", in sigma)###directions";
  if (!ImGui::CollapsingHeader(header.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) return;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.attributes.directions_note.c_str());
  if (s.attributes.directions.size() > 6) {
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.45f);
    ImGui::InputTextWithHint("##dirfilter", "filter, e.g. smil", &s.attributes.direction_filter);
    ImGui::SameLine();
  }
  if (ImGui::SmallButton("Zero all")) {
    for (auto& a : s.attributes.live)
      if (a.direction >= 0) a.strength = 0;  // the point moves back by what they added
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("take back what these sliders added to the point");
  std::string filter = s.attributes.direction_filter;
  std::transform(filter.begin(), filter.end(), filter.begin(), [](unsigned char c) { return std::tolower(c); });
  const float rows = std::min<float>(8.f, static_cast<float>(s.attributes.directions.size()));
  ImGui::BeginChild("directions", ImVec2(0, rows * ImGui::GetFrameHeightWithSpacing()));
  const float name_w = ImGui::CalcTextSize("Wearing_Necktie ").x;
  bool first = true;
  for (size_t i = 0; i < s.attributes.live.size(); ++i) {
    auto& a = s.attributes.live[i];
    if (a.direction < 0 || a.direction >= static_cast<int>(s.attributes.directions.size())) continue;
    const auto& d = s.attributes.directions[static_cast<size_t>(a.direction)];
    std::string lower = d.name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!filter.empty() && lower.find(filter) == std::string::npos) continue;
    ImGui::PushID(static_cast<int>(i) + 5000);
    ImGui::TextUnformatted(d.name.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", d.about.c_str());
    ImGui::SameLine(name_w);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    ImGui::SliderFloat("##sigma", &a.strength, -3.f, 3.f, "%+.2f sigma");
    if (s.live.midi_learn_mode && ImGui::IsItemActivated()) s.actions.push(act::ArmLearn{2, static_cast<int>(i)});  // 2: Attribute
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nOSC: /latent/direction/%s f (sigma)", d.about.c_str(), d.name.c_str());
    if (first) {
      const ImVec2 p0 = ImGui::GetItemRectMin(), p1 = ImGui::GetItemRectMax();
      s.sliders.first_direction_rect = to_framebuffer(p0.x, p0.y, p1.x - p0.x, p1.y - p0.y);
      first = false;
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
}

void slider_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Latent sliders", nullptr, panel_flags());
  const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  s.sliders.rect = to_framebuffer(pos.x, pos.y, size.x, size.y);
  if (!s.model.loaded || s.sliders.z.empty()) {
    ImGui::TextDisabled("open a model to get its sliders");
    ImGui::End();
    return;
  }
  if (ImGui::Button("Reset all")) std::fill(s.sliders.z.begin(), s.sliders.z.end(), 0.f);
  ImGui::SameLine();
  if (ImGui::Button("Randomize")) s.actions.push(act::Randomize{++s.sliders.randomize_seed});
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("a new random point from the prior (next seed), scaled by the truncation");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("000000").x + ImGui::GetFrameHeight() * 2);
  int seed = static_cast<int>(s.sliders.randomize_seed);
  if (ImGui::InputInt("seed", &seed)) {
    s.sliders.randomize_seed = static_cast<uint64_t>(std::max(0, seed));
    s.actions.push(act::Randomize{s.sliders.randomize_seed});  // re-roll with this seed
  }
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.45f);
  ImGui::SliderFloat("##trunc", &s.sliders.truncation, 0.f, 1.f, "truncation %.2f");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("random points are scaled toward the prior mean by this (1: none)");
  ImGui::SameLine();
  if (ImGui::Button("Shrink point")) s.actions.push(act::Shrink{});
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("multiply the current point by the truncation");
  ImGui::SameLine();
  ImGui::TextDisabled("+-%.0f sd", s.options.slider_sigmas);

  directions_section(s);

  const int dim = static_cast<int>(s.sliders.z.size());
  if (dim > 12) {
    // Many sliders: a filter and the most influential N.
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.45f);
    ImGui::InputTextWithHint("##dims", "dims, e.g. 1-10, 42", &s.sliders.filter);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("0000").x + ImGui::GetFrameHeight() * 2);
    if (ImGui::InputInt("top", &s.sliders.top_n, 5)) {
      s.sliders.top_n = std::clamp(s.sliders.top_n, 0, dim);
      if (s.sliders.top_n > 0 && s.sliders.influence.empty()) s.actions.push(act::RankInfluence{});
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("show only the N dimensions that change the image most here (0: all)");
    ImGui::SameLine();
    ImGui::BeginDisabled(s.sliders.influence_progress.running);
    if (ImGui::SmallButton("Rank here")) s.actions.push(act::RankInfluence{});
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("measure each dimension's influence at the current point");
    progress_line(s.sliders.influence_progress);
  }
  ImGui::Separator();

  // Which sliders show: the filter's dimensions, then the top N of those by influence.
  std::vector<int> dims = s.sliders.filter.empty() ? std::vector<int>() : parse_dims(s.sliders.filter, dim);
  if (s.sliders.filter.empty()) {
    dims.resize(dim);
    std::iota(dims.begin(), dims.end(), 0);
  }
  if (s.sliders.top_n > 0 && static_cast<int>(s.sliders.influence.size()) == dim) {
    std::stable_sort(dims.begin(), dims.end(), [&](int a, int b) { return s.sliders.influence[a] > s.sliders.influence[b]; });
    if (static_cast<int>(dims.size()) > s.sliders.top_n) dims.resize(s.sliders.top_n);
  }
  s.sliders.visible_dims = dims;
  if (dims.empty()) ImGui::TextDisabled("no dimension matches the filter (1..%d)", dim);

  ImGui::BeginChild("sliders");
  const float reset_w = ImGui::CalcTextSize("0").x + ImGui::GetStyle().FramePadding.x * 2;
  const float label_w = ImGui::CalcTextSize("000").x + ImGui::GetStyle().ItemSpacing.x;
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(dims.size()));
  // The highlighted slider must be laid out to scroll to it.
  const auto hl = std::find(dims.begin(), dims.end(), s.sliders.highlight_dim);
  if (s.sliders.scroll_to_highlight && hl != dims.end()) clipper.ForceDisplayRangeByIndices(static_cast<int>(hl - dims.begin()),
                                                                                    static_cast<int>(hl - dims.begin()) + 1);
  while (clipper.Step())
  for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
    const int k = dims[row];
    ImGui::PushID(k);
    const float sd = s.slider_sd(k);
    const float range = s.slider_range(k);
    const bool highlighted = k == s.sliders.highlight_dim;
    if (highlighted) {
      ImGui::PushStyleColor(ImGuiCol_FrameBg, ImVec4(0.55f, 0.35f, 0.05f, 0.9f));
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.85f, 0.4f, 1.f));
    }
    char label[32];
    std::snprintf(label, sizeof label, "%d", k + 1);
    ImGui::TextUnformatted(label);
    ImGui::SameLine(label_w);  // sliders line up whatever the number's width
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - reset_w - ImGui::GetStyle().ItemSpacing.x);
    ImGui::SliderFloat("##z", &s.sliders.z[k], -range, range, "%.2f");
    if (s.live.midi_learn_mode && ImGui::IsItemActivated()) s.actions.push(act::ArmLearn{0, k});  // 0: SetDim
    if (row == 0) {
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      s.sliders.first_rect = to_framebuffer(a.x, a.y, b.x - a.x, b.y - a.y);
    }
    if (ImGui::IsItemHovered()) {
      if (static_cast<int>(s.sliders.influence.size()) == dim)
        ImGui::SetTooltip("dimension %d: sd %.3f, value %.2f sd, influence %.4f", k + 1, sd, s.sliders.z[k] / sd, s.sliders.influence[k]);
      else
        ImGui::SetTooltip("dimension %d: sd %.3f, value %.2f sd", k + 1, sd, s.sliders.z[k] / sd);
    }
    if (highlighted) ImGui::PopStyleColor(2);
    ImGui::SameLine();
    if (ImGui::Button("0")) s.sliders.z[k] = 0.f;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("reset component %d", k + 1);
    if (highlighted && s.sliders.scroll_to_highlight) {
      ImGui::SetScrollHereY(0.3f);
      s.sliders.scroll_to_highlight = false;
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace studio::panels
