#pragma once
// One panel per file. Each reads and writes the AppState only, inside the rectangle
// the Studio's layout gives it (ImGui coordinates).
#include <imgui.h>

#include "app_state.h"

namespace studio::panels {

void model_panel(AppState& s, const Rect& r);
void slider_panel(AppState& s, const Rect& r);
void viewport_panel(AppState& s, const Rect& r);
void components_panel(AppState& s, const Rect& r);
void dataset_panel(AppState& s, const Rect& r);
void performance_panel(AppState& s, const Rect& r);
void words_panel(AppState& s, const Rect& r);
void map_panel(AppState& s, const Rect& r);
void bookmarks_panel(AppState& s, const Rect& r);
void presentation_view(AppState& s, const Rect& r);
void walk_panel(AppState& s, const Rect& r);
void live_panel(AppState& s, const Rect& r);
// Sentence models: captions -> styled passage; the map of the style; making a style.
void story_panel(AppState& s, const Rect& r);
void story_map_panel(AppState& s, const Rect& r);
void style_maker_panel(AppState& s, const Rect& r);
// "A model file is a program": the consent prompt (a modal, when one is pending), and
// the list of every error shown since the start.
void consent_prompt(AppState& s);
// After a bare TorchScript generator was opened: what the probe found, to correct and re-import.
void import_sheet(AppState& s);
void messages_window(AppState& s);
// The menu bar across the top (the Journey's scenes, the open scene's caption); returns
// its height, which the layout leaves free.
float menu_bar(AppState& s);

// Shared by the panels. The panels dock (Dear ImGui docking, layout.h): a panel window
// moves, resizes, tabs and floats; the layout places it. place_window gives a window its
// place only the first time it is ever shown (floating, outside any saved layout);
// pin_window places it every frame (the presentation view).
constexpr ImGuiWindowFlags panel_flags() { return ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoFocusOnAppearing; }
void place_window(const Rect& r);
void pin_window(const Rect& r);
void error_text(const std::string& message);
void progress_line(const Progress& p);
// A "..." button that asks for the desktop's file dialog for one path field (nothing
// without dialogs), and the width to leave for it beside the field.
void browse_button(AppState& s, AppState::PathFor what, const char* tooltip);
float browse_width(const AppState& s);
// Converts from ImGui screen coordinates to framebuffer pixels.
Rect to_framebuffer(float x, float y, float w, float h);

}  // namespace studio::panels
