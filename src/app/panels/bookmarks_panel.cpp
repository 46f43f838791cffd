// Bookmarks (named points) and the session they are saved in.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "panels.h"

namespace studio::panels {

void bookmarks_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Session & bookmarks", nullptr, panel_flags());
  const float button_w = ImGui::CalcTextSize("Save").x + ImGui::CalcTextSize("Open").x +
                         ImGui::GetStyle().FramePadding.x * 4 + ImGui::GetStyle().ItemSpacing.x * 2;
  ImGui::SetNextItemWidth(-button_w - 2 * browse_width(s));
  ImGui::InputTextWithHint("##session", "session.json", &s.session.path_input);
  // Save: to the typed path, or (empty) through the dialog; "..." after it saves to a
  // path chosen in the dialog.
  ImGui::SameLine();
  if (ImGui::Button("Save")) {
    if (!s.session.path_input.empty()) s.actions.push(act::SaveSession{s.session.path_input});
    else if (s.files.dialogs) s.actions.push(act::ChooseFile{AppState::PathFor::SessionSave});
  }
  browse_button(s, AppState::PathFor::SessionSave, "save the session as... (the desktop's dialog)");
  ImGui::SameLine();
  ImGui::BeginDisabled(s.session.path_input.empty());
  if (ImGui::Button("Open")) s.actions.push(act::OpenSession{s.session.path_input});
  ImGui::EndDisabled();
  browse_button(s, AppState::PathFor::SessionOpen, "choose a session (or a Journey scene) and open it");
  if (!s.session.recent.empty() && ImGui::BeginCombo("recent", "", ImGuiComboFlags_NoPreview)) {
    for (const auto& p : s.session.recent)
      if (ImGui::Selectable(p.c_str())) s.session.path_input = p, s.actions.push(act::OpenSession{p});
    ImGui::EndCombo();
  }
  for (size_t i = 0; i < s.session.autosave_offers.size(); ++i) {
    const auto& o = s.session.autosave_offers[i];
    ImGui::PushID(static_cast<int>(i));
    ImGui::TextWrapped("%s has an autosave from a studio that did not close (process %ld).", o.session.c_str(), o.pid);
    if (ImGui::Button("Restore")) s.actions.push(act::RestoreAutosave{static_cast<int>(i)});
    if (i == 0) {
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      s.session.restore_button_rect = to_framebuffer(a.x, a.y, b.x - a.x, b.y - a.y);
    }
    ImGui::SameLine();
    if (ImGui::Button("Discard")) s.actions.push(act::DiscardAutosave{static_cast<int>(i)});
    ImGui::PopID();
  }
  if (!s.session.status.empty()) ImGui::TextWrapped("%s", s.session.status.c_str());
  error_text(s.files.status);
  ImGui::Separator();

  ImGui::BeginDisabled(s.sliders.z.empty());
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Go").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
  const bool run = ImGui::InputTextWithHint("##expr", "@smile - @frown + item(3), mean(@glasses) - mean(@plain)",
                                            &s.points.expression, ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Go##expr") || run) && !s.points.expression.empty()) s.actions.push(act::EvaluateExpression{s.points.expression});
  error_text(s.points.expression_error);
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Bookmark").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
  const bool enter = ImGui::InputTextWithHint("##bmname", "name the current point", &s.points.bookmark_name,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if (ImGui::Button("Bookmark") || enter) s.actions.push(act::AddBookmark{s.points.bookmark_name});
  ImGui::EndDisabled();
  ImGui::BeginChild("bookmarks");
  for (int i = 0; i < static_cast<int>(s.points.bookmarks.size()); ++i) {
    ImGui::PushID(i);
    if (s.points.bookmark_rename == i) {
      ImGui::SetNextItemWidth(-ImGui::CalcTextSize("OK").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
      const bool done = ImGui::InputText("##rename", &s.points.bookmark_rename_to, ImGuiInputTextFlags_EnterReturnsTrue);
      ImGui::SameLine();
      if ((ImGui::SmallButton("OK") || done) && !s.points.bookmark_rename_to.empty()) {
        s.points.bookmarks[i].name = s.points.bookmark_rename_to;
        s.points.bookmark_rename = -1;
      }
    } else {
      if (ImGui::SmallButton("Go")) s.actions.push(act::GoToBookmark{i});
      ImGui::SameLine();
      if (ImGui::SmallButton("Rename")) s.points.bookmark_rename = i, s.points.bookmark_rename_to = s.points.bookmarks[i].name;
      ImGui::SameLine();
      if (ImGui::SmallButton("x")) s.actions.push(act::DeleteBookmark{i});
      ImGui::SameLine();
      ImGui::TextUnformatted(s.points.bookmarks[i].name.c_str());
    }
    ImGui::PopID();
  }
  if (s.points.bookmarks.empty()) ImGui::TextDisabled("no bookmarks yet; expressions can use them as @name");
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace studio::panels
