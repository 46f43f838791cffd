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
  ImGui::InputTextWithHint("##session", "session.json", &s.session_path_input);
  // Save: to the typed path, or (empty) through the dialog; "..." after it saves to a
  // path chosen in the dialog.
  ImGui::SameLine();
  if (ImGui::Button("Save")) {
    if (!s.session_path_input.empty()) s.actions.push(act::SaveSession{s.session_path_input});
    else if (s.file_dialogs) s.actions.push(act::ChooseFile{AppState::PathFor::SessionSave});
  }
  browse_button(s, AppState::PathFor::SessionSave, "save the session as... (the desktop's dialog)");
  ImGui::SameLine();
  ImGui::BeginDisabled(s.session_path_input.empty());
  if (ImGui::Button("Open")) s.actions.push(act::OpenSession{s.session_path_input});
  ImGui::EndDisabled();
  browse_button(s, AppState::PathFor::SessionOpen, "choose a session (or a Journey scene) and open it");
  if (!s.recent_sessions.empty() && ImGui::BeginCombo("recent", "", ImGuiComboFlags_NoPreview)) {
    for (const auto& p : s.recent_sessions)
      if (ImGui::Selectable(p.c_str())) s.session_path_input = p, s.actions.push(act::OpenSession{p});
    ImGui::EndCombo();
  }
  for (size_t i = 0; i < s.autosave_offers.size(); ++i) {
    const auto& o = s.autosave_offers[i];
    ImGui::PushID(static_cast<int>(i));
    ImGui::TextWrapped("%s has an autosave from a studio that did not close (process %ld).", o.session.c_str(), o.pid);
    if (ImGui::Button("Restore")) s.actions.push(act::RestoreAutosave{static_cast<int>(i)});
    if (i == 0) {
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      s.restore_button_rect = to_framebuffer(a.x, a.y, b.x - a.x, b.y - a.y);
    }
    ImGui::SameLine();
    if (ImGui::Button("Discard")) s.actions.push(act::DiscardAutosave{static_cast<int>(i)});
    ImGui::PopID();
  }
  if (!s.session_status.empty()) ImGui::TextWrapped("%s", s.session_status.c_str());
  error_text(s.file_dialog_status);
  ImGui::Separator();

  ImGui::BeginDisabled(s.z.empty());
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Go").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
  const bool run = ImGui::InputTextWithHint("##expr", "@smile - @frown + item(3), mean(@glasses) - mean(@plain)",
                                            &s.expression, ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Go##expr") || run) && !s.expression.empty()) s.actions.push(act::EvaluateExpression{s.expression});
  error_text(s.expression_error);
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Bookmark").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
  const bool enter = ImGui::InputTextWithHint("##bmname", "name the current point", &s.bookmark_name,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if (ImGui::Button("Bookmark") || enter) s.actions.push(act::AddBookmark{s.bookmark_name});
  ImGui::EndDisabled();
  ImGui::BeginChild("bookmarks");
  for (int i = 0; i < static_cast<int>(s.bookmarks.size()); ++i) {
    ImGui::PushID(i);
    if (s.bookmark_rename == i) {
      ImGui::SetNextItemWidth(-ImGui::CalcTextSize("OK").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
      const bool done = ImGui::InputText("##rename", &s.bookmark_rename_to, ImGuiInputTextFlags_EnterReturnsTrue);
      ImGui::SameLine();
      if ((ImGui::SmallButton("OK") || done) && !s.bookmark_rename_to.empty()) {
        s.bookmarks[i].name = s.bookmark_rename_to;
        s.bookmark_rename = -1;
      }
    } else {
      if (ImGui::SmallButton("Go")) s.actions.push(act::GoToBookmark{i});
      ImGui::SameLine();
      if (ImGui::SmallButton("Rename")) s.bookmark_rename = i, s.bookmark_rename_to = s.bookmarks[i].name;
      ImGui::SameLine();
      if (ImGui::SmallButton("x")) s.actions.push(act::DeleteBookmark{i});
      ImGui::SameLine();
      ImGui::TextUnformatted(s.bookmarks[i].name.c_str());
    }
    ImGui::PopID();
  }
  if (s.bookmarks.empty()) ImGui::TextDisabled("no bookmarks yet; expressions can use them as @name");
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace studio::panels
