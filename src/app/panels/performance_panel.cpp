// Decode time and frame rate: is the instrument keeping up?
#include <imgui.h>

#include "panels.h"

namespace studio::panels {

void performance_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Performance", nullptr, panel_flags());
  // Errors first: the panel is short, and this line is the one that needs reading.
  if (!s.messages.empty()) {
    ImGui::TextColored(ImVec4(1.f, 0.45f, 0.4f, 1.f), "%zu error%s", s.messages.size(), s.messages.size() == 1 ? "" : "s");
    ImGui::SameLine();
    if (ImGui::SmallButton(s.show_messages ? "Hide" : "Show all")) s.show_messages = !s.show_messages;
  }
  ImGui::Text("frame   %6.2f ms  (%5.1f fps)", s.perf.frame_ms, s.perf.fps);
  ImGui::Text("ui %5.2f ms, drawing %5.2f ms", s.perf.ui_ms, s.perf.draw_ms);
  ImGui::Text("decode  %6.2f ms  (avg %.2f ms)", s.perf.decode_ms, s.perf.decode_ms_avg);
  ImGui::Text("decodes %llu, %llu skipped (stale)", static_cast<unsigned long long>(s.perf.decodes_submitted),
              static_cast<unsigned long long>(s.perf.decodes_skipped));
  ImGui::End();
}

}  // namespace studio::panels
