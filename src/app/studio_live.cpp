// Keys, MIDI and OSC: what the keyboard and the live controllers do in the studio.
#include "studio.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "panels/panels.h"

namespace fs = std::filesystem;

namespace studio {

void Studio::apply_key(int key) {
  switch (key) {
    case GLFW_KEY_ESCAPE:
      if (state_.presentation) state_.actions.push(act::TogglePresentation{});
      break;
    case GLFW_KEY_F5:
      state_.actions.push(act::TogglePresentation{});
      break;
    case GLFW_KEY_RIGHT:
    case GLFW_KEY_LEFT:
    case GLFW_KEY_PAGE_DOWN:
    case GLFW_KEY_PAGE_UP: {
      const int n = static_cast<int>(state_.bookmarks.size());
      if (n == 0) break;
      const bool next = key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN;
      state_.current_bookmark = state_.current_bookmark < 0 ? (next ? 0 : n - 1)
                                                            : (state_.current_bookmark + (next ? 1 : n - 1)) % n;
      state_.actions.push(act::GoToBookmark{state_.current_bookmark});
      break;
    }
    case GLFW_KEY_R:
      state_.actions.push(act::Randomize{++state_.randomize_seed});
      break;
    case GLFW_KEY_SPACE:
      state_.actions.push(act::ToggleWalk{});
      break;
    case GLFW_KEY_B:
      state_.blackout = !state_.blackout;
      break;
    case GLFW_KEY_H:
      state_.overlay = !state_.overlay;
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
  if (!state_.consent_path.empty()) {
    // The consent prompt: Enter trusts the folder, Esc cancels. Read from GLFW's key
    // events (a press and release within one frame never reach ImGui 1.86's key state).
    for (int k : keys) {
      if (k == GLFW_KEY_ENTER || k == GLFW_KEY_KP_ENTER) state_.consent_answer = AppState::ConsentAnswer::TrustFolder;
      if (k == GLFW_KEY_ESCAPE) state_.consent_answer = AppState::ConsentAnswer::Cancel;
    }
    return;
  }
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  for (int k : keys) {
    if (k == GLFW_KEY_F5 || state_.presentation) apply_key(k);
  }
}

void Studio::handle_live() {
  auto& s = state_;
  using Kind = ControlEvent::Kind;
  for (const Action& a : s.actions.take_only<act::ToggleOsc, act::RefreshMidiPorts, act::ToggleMidi>()) {
    if (std::holds_alternative<act::ToggleOsc>(a)) {
      if (live_->status().osc_running) {
        live_->stop_osc();
      } else if (!live_->start_osc(s.osc_port, {s.osc_all_interfaces, parse_osc_allow_list(s.osc_allow)})) {
        s.osc_status = live_->last_error();
      }
    } else if (std::holds_alternative<act::RefreshMidiPorts>(a)) {
      s.midi_ports = live_->midi_ports();
    } else if (live_->midi_open()) {
      live_->close_midi();
    } else if (!live_->open_midi(s.midi_port)) {
      s.midi_status = live_->last_error();
    }
  }
  if (s.learn_kind >= 0) {
    live_->arm_learn({static_cast<Kind>(s.learn_kind), s.learn_index});
    s.learning = s.learn_kind == 0 ? "dimension " + std::to_string(s.learn_index + 1)
                                   : std::string(kind_name(static_cast<Kind>(s.learn_kind))) +
                                         (s.learn_index >= 0 ? " " + std::to_string(s.learn_index + 1) : "");
    s.learn_kind = -1;
  }
  if (!s.midi_learn_mode && live_->learning()) live_->cancel_learn(), s.learning.clear();
  if (auto b = live_->take_learned()) {
    s.learning.clear();
    s.live_last = "bound " + describe(*b);
  }
  if (s.binding_remove >= 0) {
    const auto all = live_->bindings();
    if (s.binding_remove < static_cast<int>(all.size())) live_->remove_binding(all[s.binding_remove].control);
    s.binding_remove = -1;
  }
  s.bindings.clear();
  for (const auto& b : live_->bindings()) s.bindings.push_back(describe(b));
  const LiveStatus st = live_->status();
  s.osc_running = st.osc_running;
  if (st.osc_running) {
    s.osc_port = st.osc_port;
    s.osc_status = "listening on UDP " + std::to_string(st.osc_port) +
                   (st.osc_all_interfaces ? " (all interfaces)" : " (this machine only)") + ", " +
                   std::to_string(st.osc_messages) + " messages, " + std::to_string(st.osc_errors) + " errors" +
                   (st.osc_refused ? ", " + std::to_string(st.osc_refused) + " refused" : "") +
                   (st.last_error.empty() ? "" : " (" + st.last_error + ")");
  }
  s.midi_open = st.midi_open;
  if (st.midi_open)
    s.midi_status = st.midi_backend + ": " + st.midi_port + ", " + std::to_string(st.midi_messages) + " messages";

  // Events: MIDI values come 0..1 and are mapped onto each control's range; OSC values
  // are used as sent.
  const int dim = static_cast<int>(s.z.size());
  for (const ControlEvent& e : live_->poll()) {
    s.live_last = describe(e);
    switch (e.kind) {
      case Kind::SetDim:
        if (e.index >= 0 && e.index < dim) {
          const float range = s.slider_range(e.index);
          s.z[e.index] = e.normalized ? -range + 2.f * range * e.value : e.value;
        }
        break;
      case Kind::SetDims:
        if (static_cast<int>(e.values.size()) == dim) s.z = e.values;
        else s.live_last = "ignored /latent/z with " + std::to_string(e.values.size()) + " values (the model has " +
                           std::to_string(dim) + ")";
        break;
      case Kind::Attribute:
        if (!e.text.empty()) {  // a named direction, in sigma
          bool found = false;
          for (auto& a : s.attributes)
            if (a.direction >= 0 && a.direction < static_cast<int>(s.directions.size()) &&
                s.directions[static_cast<size_t>(a.direction)].name == e.text) {
              a.strength = e.normalized ? -3.f + 6.f * e.value : e.value;
              found = true;
            }
          if (!found) s.live_last = "ignored: the model has no direction \"" + e.text + "\"";
        } else if (e.index >= 0 && e.index < static_cast<int>(s.attributes.size())) {
          s.attributes[e.index].strength = e.normalized ? -3.f + 6.f * e.value : e.value;
        }
        break;
      case Kind::StyleStrength:
        s.live_last = "style strength is for sentence models (not open)";
        break;
      case Kind::WalkSpeed:
        s.walk_rate = std::clamp(e.normalized ? 0.1f + 3.9f * e.value : e.value, 0.f, 16.f);
        break;
      case Kind::WalkPlay:
        if (!s.walk_playing) s.actions.push(act::ToggleWalk{});
        break;
      case Kind::WalkPause:
        if (s.walk_playing) s.actions.push(act::ToggleWalk{});
        break;
      case Kind::WalkToggle:
        s.actions.push(act::ToggleWalk{});
        break;
      case Kind::Bookmark: {
        int found = -1;
        for (int i = 0; i < static_cast<int>(s.bookmarks.size()); ++i)
          if ((!e.text.empty() && s.bookmarks[i].name == e.text) || (e.text.empty() && i == e.index)) found = i;
        if (found >= 0) s.actions.push(act::GoToBookmark{found}), s.current_bookmark = found;
        else s.live_last = "no bookmark " + (e.text.empty() ? std::to_string(e.index) : "\"" + e.text + "\"");
        break;
      }
      case Kind::NextBookmark:
        apply_key(GLFW_KEY_RIGHT);
        break;
      case Kind::PrevBookmark:
        apply_key(GLFW_KEY_LEFT);
        break;
      case Kind::Randomize:
        apply_key(GLFW_KEY_R);
        break;
      case Kind::Blackout:
        s.blackout = e.value < 0 ? !s.blackout : e.value > 0;
        break;
    }
  }
  // The state out, at most 30 times a second and only when the point moved.
  if (s.osc_send_port > 0 && !s.osc_send_host.empty() && s.z != sent_z_ && glfwGetTime() - sent_at_ > 1.0 / 30) {
    if (live_->set_send_target(s.osc_send_host, s.osc_send_port) && live_->send_state(s.z)) {
      sent_z_ = s.z;
      sent_at_ = glfwGetTime();
    }
  }
}

}  // namespace studio
