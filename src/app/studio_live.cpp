// Keys, MIDI and OSC: the show's keys, and the live controllers' ports, learn and
// bindings; their events are applied by controller/live.cpp.
#include "studio.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "controller/live.h"
#include "panels/panels.h"

namespace studio {

void Studio::apply_key(int key) {
  switch (key) {
    case GLFW_KEY_ESCAPE:
      if (state_.show.presentation) state_.actions.push(act::TogglePresentation{});
      break;
    case GLFW_KEY_F5:
      state_.actions.push(act::TogglePresentation{});
      break;
    case GLFW_KEY_RIGHT:
    case GLFW_KEY_LEFT:
    case GLFW_KEY_PAGE_DOWN:
    case GLFW_KEY_PAGE_UP:
      controller::step_bookmark(state_, key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN);
      break;
    case GLFW_KEY_R:
      controller::randomize(state_);
      break;
    case GLFW_KEY_SPACE:
      state_.actions.push(act::ToggleWalk{});
      break;
    case GLFW_KEY_B:
      state_.show.blackout = !state_.show.blackout;
      break;
    case GLFW_KEY_H:
      state_.show.overlay = !state_.show.overlay;
      help_until_ = glfwGetTime() + 4;
      break;
    default:
      break;
  }
}

// Keys for the show: F5 everywhere (outside text fields); the rest in presentation mode
// (in the control window they belong to the widgets) and in the output window.
void Studio::handle_keys() {
  for (int k : output_keys_) apply_key(k);
  output_keys_.clear();
  std::vector<int> keys;
  keys.swap(main_keys_);
  if (!state_.model.consent_path.empty()) {
    // The consent prompt: Enter trusts the folder, Esc cancels. Read from GLFW's key
    // events (a press and release within one frame never reach ImGui 1.86's key state).
    for (int k : keys) {
      if (k == GLFW_KEY_ENTER || k == GLFW_KEY_KP_ENTER) state_.actions.push(act::AnswerConsent{act::Consent::TrustFolder});
      if (k == GLFW_KEY_ESCAPE) state_.actions.push(act::AnswerConsent{act::Consent::Cancel});
    }
    return;
  }
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  for (int k : keys) {
    if (k == GLFW_KEY_F5 || state_.show.presentation) apply_key(k);
  }
}

void Studio::handle_live() {
  auto& s = state_;
  using Kind = ControlEvent::Kind;
  for (const Action& a :
       s.actions.take_only<act::ToggleOsc, act::RefreshMidiPorts, act::ToggleMidi, act::ArmLearn, act::RemoveBinding>()) {
    if (const auto* learn = std::get_if<act::ArmLearn>(&a)) {
      live_->arm_learn({static_cast<Kind>(learn->kind), learn->index});
      s.live.learning = learn->kind == 0 ? "dimension " + std::to_string(learn->index + 1)
                                    : std::string(kind_name(static_cast<Kind>(learn->kind))) +
                                          (learn->index >= 0 ? " " + std::to_string(learn->index + 1) : "");
      continue;
    }
    if (const auto* remove = std::get_if<act::RemoveBinding>(&a)) {
      const auto all = live_->bindings();
      if (remove->index >= 0 && remove->index < static_cast<int>(all.size()))
        live_->remove_binding(all[static_cast<size_t>(remove->index)].control);
      continue;
    }
    if (std::holds_alternative<act::ToggleOsc>(a)) {
      if (live_->status().osc_running) {
        live_->stop_osc();
      } else if (!live_->start_osc(s.live.osc_port, {s.live.osc_all_interfaces, parse_osc_allow_list(s.live.osc_allow)})) {
        s.live.osc_status = live_->last_error();
      }
    } else if (std::holds_alternative<act::RefreshMidiPorts>(a)) {
      s.live.midi_ports = live_->midi_ports();
    } else if (live_->midi_open()) {
      live_->close_midi();
    } else if (!live_->open_midi(s.live.midi_port)) {
      s.live.midi_status = live_->last_error();
    }
  }
  if (!s.live.midi_learn_mode && live_->learning()) live_->cancel_learn(), s.live.learning.clear();
  if (auto b = live_->take_learned()) {
    s.live.learning.clear();
    s.live.last = "bound " + describe(*b);
  }
  s.live.bindings.clear();
  for (const auto& b : live_->bindings()) s.live.bindings.push_back(describe(b));
  const LiveStatus st = live_->status();
  s.live.osc_running = st.osc_running;
  if (st.osc_running) {
    s.live.osc_port = st.osc_port;
    s.live.osc_status = "listening on UDP " + std::to_string(st.osc_port) +
                   (st.osc_all_interfaces ? " (all interfaces)" : " (this machine only)") + ", " +
                   std::to_string(st.osc_messages) + " messages, " + std::to_string(st.osc_errors) + " errors" +
                   (st.osc_refused ? ", " + std::to_string(st.osc_refused) + " refused" : "") +
                   (st.last_error.empty() ? "" : " (" + st.last_error + ")");
  }
  s.live.midi_open = st.midi_open;
  if (st.midi_open)
    s.live.midi_status = st.midi_backend + ": " + st.midi_port + ", " + std::to_string(st.midi_messages) + " messages";

  // Events, applied by controller/live.cpp as the keys' and panels' actions are.
  for (const ControlEvent& e : live_->poll()) controller::apply_control_event(e, s);
  // The state out, at most 30 times a second and only when the point moved.
  if (s.live.osc_send_port > 0 && !s.live.osc_send_host.empty() && s.sliders.z != sent_z_ && glfwGetTime() - sent_at_ > 1.0 / 30) {
    if (live_->set_send_target(s.live.osc_send_host, s.live.osc_send_port) && live_->send_state(s.sliders.z)) {
      sent_z_ = s.sliders.z;
      sent_at_ = glfwGetTime();
    }
  }
}

}  // namespace studio
