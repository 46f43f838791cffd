#pragma once
#include <string>

namespace studio {

// The first TrueType font found among the system's usual places (DejaVu Sans from
// Debian's fonts-dejavu-core first); empty if none.
std::string find_ui_font();

// Rebuilds ImGui's font atlas and style for `scale` (call before NewFrame).
void apply_ui_scale(float scale);

}  // namespace studio
