#pragma once
// The studio's dockable layout: Dear ImGui docking (third_party/imgui), one dock space
// under the menu bar, five presets built with the DockBuilder, and the layout kept
// between runs as ImGui's own ini text. Main thread, inside a frame.
#include <map>
#include <string>

namespace studio {

enum class LayoutPreset { Explore, Map, Words, Story, Perform };
constexpr int kLayoutPresets = 5;
const char* layout_preset_name(LayoutPreset p);  // "Explore", ...
// "explore" / "Explore" -> the preset; false when the name is none of them.
bool parse_layout_preset(const std::string& name, LayoutPreset* out);

// The dock space's id (the same every run, so a saved layout finds it).
unsigned dock_space_id();
// Makes the dock space fill the work area (under the menu bar) and, when `preset` is
// given (>= 0), first rebuilds it as that preset. Call every frame before the panels.
void dock_space(int preset, float ui_scale);

// ImGui's ini text for the layout, and back. A text that has no dock space for the
// studio is refused (false), leaving the layout as it was.
std::string layout_ini();
bool apply_layout_ini(const std::string& text);

// The layouts kept between runs, one per kind of model ("image", "words", "text"), as
// ImGui ini text in one JSON file, written atomically. Reading a file that is not one
// throws latent::Error naming it; a missing file is an empty store.
using LayoutStore = std::map<std::string, std::string>;
LayoutStore read_layouts(const std::string& path);
void write_layouts(const LayoutStore& layouts, const std::string& path);
std::string default_layout_file();  // $XDG_CONFIG_HOME/latent-studio/layout.json

}  // namespace studio
