// Live control: OSC in and out, MIDI ports, MIDI learn and the bindings.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

#include "panels.h"

namespace studio::panels {

void live_panel(AppState& s, const Rect& r) {
  place_window(r);
  ImGui::Begin("Live control", nullptr, panel_flags());
  // OSC
  ImGui::TextUnformatted("OSC");
  ImGui::SameLine();
  ImGui::BeginDisabled(s.live.osc_running);
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("000000").x + ImGui::GetFrameHeight() * 2);
  ImGui::InputInt("port##osc", &s.live.osc_port, 1);
  s.live.osc_port = std::clamp(s.live.osc_port, 0, 65535);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button(s.live.osc_running ? "Stop##osc" : "Listen")) s.actions.push(act::ToggleOsc{});
  ImGui::SameLine();
  ImGui::BeginDisabled(s.live.osc_running);
  ImGui::Checkbox("all interfaces", &s.live.osc_all_interfaces);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("off: only programs on this computer can send (127.0.0.1)\non: any computer on the network can");
  if (s.live.osc_all_interfaces) {
    ImGui::TextColored(ImVec4(1.f, 0.75f, 0.3f, 1.f), "Any computer on the network can steer the studio.");
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    ImGui::InputTextWithHint("##oscallow", "allow only these senders (e.g. 192.168.1.20, 192.168.1.21)", &s.live.osc_allow);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("empty: every sender; this machine is always allowed");
  }
  ImGui::EndDisabled();
  if (!s.live.osc_status.empty()) ImGui::TextDisabled("%s", s.live.osc_status.c_str());
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.5f);
  ImGui::InputTextWithHint("##sendhost", "send to host", &s.live.osc_send_host);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("000000").x + ImGui::GetFrameHeight() * 2);
  ImGui::InputInt("send port", &s.live.osc_send_port, 1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("send /latent/state/z to this host and port (0: do not send)");
  s.live.osc_send_port = std::clamp(s.live.osc_send_port, 0, 65535);
  ImGui::Separator();

  // MIDI
  ImGui::TextUnformatted("MIDI");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);
  ImGui::BeginDisabled(s.live.midi_open);
  if (ImGui::BeginCombo("##midiport", s.live.midi_port.empty() ? "virtual port" : s.live.midi_port.c_str())) {
    if (ImGui::Selectable("virtual port", s.live.midi_port.empty())) s.live.midi_port.clear();
    for (const auto& p : s.live.midi_ports)
      if (ImGui::Selectable(p.c_str(), p == s.live.midi_port)) s.live.midi_port = p;
    ImGui::EndCombo();
  }
  if (ImGui::IsItemClicked()) s.actions.push(act::RefreshMidiPorts{});
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button(s.live.midi_open ? "Close##midi" : "Open##midi")) s.actions.push(act::ToggleMidi{});
  if (!s.live.midi_status.empty()) ImGui::TextDisabled("%s", s.live.midi_status.c_str());
  ImGui::Checkbox("MIDI learn", &s.live.midi_learn_mode);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("then click a slider (or a control below) and move a knob or press a pad: they are bound");
  if (s.live.midi_learn_mode) {
    // Targets without a slider of their own.
    struct T { const char* label; int kind; };
    // Kinds as in ControlEvent::Kind: 4 WalkSpeed, 7 WalkToggle, 9 NextBookmark,
    // 10 PrevBookmark, 11 Randomize, 12 Blackout.
    static const T kTargets[] = {{"walk speed", 4}, {"play/pause", 7}, {"next mark", 9},
                                 {"prev mark", 10}, {"random", 11},    {"blackout", 12}};
    for (int i = 0; i < 6; ++i) {
      if (i % 3) ImGui::SameLine();
      if (ImGui::SmallButton(kTargets[i].label)) s.actions.push(act::ArmLearn{kTargets[i].kind, -1});
    }
    if (!s.live.learning.empty()) ImGui::TextColored(ImVec4(1.f, 0.8f, 0.3f, 1.f), "waiting for a control: %s", s.live.learning.c_str());
  }
  for (int i = 0; i < static_cast<int>(s.live.bindings.size()); ++i) {
    ImGui::PushID(i);
    if (ImGui::SmallButton("x")) s.actions.push(act::RemoveBinding{static_cast<int>(i)});
    ImGui::SameLine();
    ImGui::TextUnformatted(s.live.bindings[i].c_str());
    ImGui::PopID();
  }
  if (!s.live.last.empty()) ImGui::TextDisabled("last: %s", s.live.last.c_str());
  ImGui::End();
}

}  // namespace studio::panels
