#pragma once
// Groups of a dataset's items and the attribute sliders made from them: a group by a
// label query (glasses=1) or from the map's lasso, each new group filling the attribute
// vector's A, then B; and a live slider along mean(A) - mean(B). No GL: tested without a
// window (tests/test_controllers.cpp).
#include <string>

#include "actions.h"
#include "app_state.h"
#include "latent/labels.h"

namespace studio::controller {

struct GroupsContext {
  const latent::LabelTable* labels = nullptr;  // the dataset's labels, or nullptr
  bool dataset = false;                        // a dataset is open (the lasso's items are its)
};

// The index of the first group named `name`, or -1.
int group_named(const AppState& s, const std::string& name);

// A group of the items a label query selects, named `name` (or the query). False, with
// the reason in `s.labels.error`, without labels or when nothing matches.
bool make_group(AppState& s, const latent::LabelTable* labels, const std::string& name, const std::string& query);

// Applies `a` if it is one of this concern's actions (act::MakeGroup from the map panel's
// name and query, act::GroupFromSelection from the lasso, act::AddAttribute for the
// groups chosen as A and B); returns whether it was.
bool apply_groups(const Action& a, AppState& s, const GroupsContext& ctx);

}  // namespace studio::controller
