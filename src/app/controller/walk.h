#pragma once
// Walks played in the viewport: the Walk panel's keyframes (add the current point or the
// bookmarks, clear, remove), play and pause, seeking, and the advance of time from one
// frame to the next, which sets the current point. No GL or ImGui: the shell passes the
// frame's duration in, and the tests drive it without a window (tests/test_controllers.cpp).
// Exports stay with the Studio, which owns the worker that writes them.
#include <optional>
#include <vector>

#include "actions.h"
#include "app_state.h"
#include "latent/walk.h"

namespace studio::controller {

// The walk the panel describes: a random loop around the first key (or the current
// point), or the keyframes in order. Throws latent::Error when the keys do not make one.
latent::Walk make_walk(const AppState& s);

// Applies this frame's walk actions in order (keyframes first, then a new length, then play
// or pause), then a seek if one was asked, and moves the time on by `dt` seconds at the panel's rate while
// the walk plays; the point at the walk's time becomes `s.sliders.z`. `dim` is the open image
// model's size: keyframes of another size are dropped. Returns the walk, or nothing when
// there are fewer than two keys (or they do not make a walk: `s.walk.error` says why).
std::optional<latent::Walk> step_walk(const std::vector<Action>& actions, AppState& s, int dim, double dt);

}  // namespace studio::controller
