#pragma once
// A session and the studio's state, both ways: what a session holds of the state (the
// point, bookmarks, groups, attribute sliders, walk, live-control settings, view options),
// and what an opened session restores into it once its model is in. No GL or ImGui: the
// studio adds what only it knows (the layout's text, the MIDI bindings, the story part,
// the open map and labels), saves on the SessionSaver's thread, and reopens the dataset;
// tests/test_controllers.cpp drives this without a window.
#include <string>

#include <nlohmann/json.hpp>

#include "app_state.h"
#include "latent/session.h"

namespace studio::controller {

// What a session holds that the state does not.
struct SessionSources {
  bool dataset_open = false;          // the dataset box's path is the open dataset
  std::string labels_path;            // the labels read ("" = none)
  std::string map_method, color_by;   // the map shown and its colouring ("" = none)
  nlohmann::json midi;                // the MIDI bindings (null: no live control)
  nlohmann::json story = nlohmann::json::object();  // the story part (controller/story.h)
  std::string layout;                 // the panels' layout, as Dear ImGui writes it
};

// The session of the state as it is. A walk that does not make one yet is left out (the
// rest is kept); a direction slider at rest is not worth a line.
latent::Session session_of(const AppState& s, const SessionSources& src);

// Restores what the session holds for the state once its model (of `dim` numbers) is in:
// the point (when its size fits), bookmarks, the OSC settings (listening again is pushed
// as act::ToggleOsc), the walk (keys of the model's size), the view options, the word
// query, the attribute strength and the status line. The dataset, groups, labels, map,
// sliders, MIDI bindings, story and layout are the studio's to restore.
void restore_session(const latent::Session& ses, int dim, AppState& s);

}  // namespace studio::controller
