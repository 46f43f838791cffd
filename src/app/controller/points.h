#pragma once
// The points a person names and computes: bookmarks (add, go to, delete), latent
// expressions over them, the groups and the dataset's items, and the current point's
// random draws and shrinking toward the prior's mean. No GL or ImGui: tested
// without a window (tests/test_controllers.cpp).
#include <memory>
#include <vector>

#include "actions.h"
#include "app_state.h"
#include "latent/space.h"

namespace studio::controller {

struct PointsContext {
  const latent::Space* space = nullptr;             // the open model, or nullptr
  std::shared_ptr<const latent::RowMatrixXf> items;  // the open dataset's points (shared), or nullptr
};

// Applies `a` to `s` if it is one of this concern's actions; returns whether it was.
// Mistakes (an expression that does not parse, a bookmark of another model's size)
// become messages in `s`, never exceptions.
bool apply_points(const Action& a, AppState& s, const PointsContext& ctx);

}  // namespace studio::controller
