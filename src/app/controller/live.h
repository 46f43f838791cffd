#pragma once
// What the show's keys and the live controllers (MIDI, OSC) do to the studio: one
// ControlEvent from LiveControl moves a slider, an attribute or the walk's rate, or
// pushes the same actions as the panels' buttons and the keys (go to a bookmark, play or
// pause the walk, a random draw). No GL, GLFW or ImGui: tested without a window
// (tests/test_controllers.cpp). The Studio opens the ports and drains the events.
#include "app_state.h"
#include "live_control.h"

namespace studio::controller {

// The next (or previous) bookmark, round the list, becomes the current one and is gone to.
// Nothing happens without bookmarks.
void step_bookmark(AppState& s, bool next);

// A random draw from the prior with the next seed (the R key, MIDI and OSC "randomize").
void randomize(AppState& s);

// Applies one event; `s.live.last` says what it did, or why it was ignored. MIDI values
// come 0..1 and are mapped onto each control's range (a dimension's slider range, -3..3
// sigma for an attribute, 0.1..4 for the walk's rate); OSC values are used as sent.
void apply_control_event(const ControlEvent& e, AppState& s);

}  // namespace studio::controller
