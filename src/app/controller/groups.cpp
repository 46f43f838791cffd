#include "controller/groups.h"

#include <utility>

#include "latent/workspace.h"

namespace studio::controller {

int group_named(const AppState& s, const std::string& name) {
  for (int g = 0; g < static_cast<int>(s.groups.list.size()); ++g)
    if (s.groups.list[static_cast<size_t>(g)].name == name) return g;
  return -1;
}

namespace {

// A new group fills the attribute vector's A, then its B.
void add_group(AppState& s, AppState::Group g) {
  s.groups.list.push_back(std::move(g));
  const int idx = static_cast<int>(s.groups.list.size()) - 1;
  if (s.groups.attr_a < 0) s.groups.attr_a = idx;
  else if (s.groups.attr_b < 0) s.groups.attr_b = idx;
}

}  // namespace

bool make_group(AppState& s, const latent::LabelTable* labels, const std::string& name, const std::string& query) {
  if (!labels) {
    s.labels.error = "load a label file first: groups are made by a query on its columns";
    return false;
  }
  try {
    AppState::Group g;
    g.query = query;
    g.members = latent::label_group(*labels, query);
    g.name = name.empty() ? query : name;
    add_group(s, std::move(g));
    s.labels.error.clear();
    return true;
  } catch (const std::exception& e) {
    s.labels.error = e.what();
    return false;
  }
}

bool apply_groups(const Action& a, AppState& s, const GroupsContext& ctx) {
  if (std::holds_alternative<act::MakeGroup>(a)) {
    if (make_group(s, ctx.labels, s.groups.name, s.groups.query)) s.groups.name.clear();
  } else if (std::holds_alternative<act::GroupFromSelection>(a)) {
    AppState::Group g{s.groups.name.empty() ? "selection " + std::to_string(s.groups.list.size() + 1) : s.groups.name, "",
                      s.map.selection};
    if (!g.members.empty() && ctx.dataset) {
      add_group(s, std::move(g));
      s.groups.name.clear();
    }
  } else if (std::holds_alternative<act::AddAttribute>(a)) {
    if (s.groups.attr_a >= 0 && s.groups.attr_b >= 0) s.attributes.live.push_back({s.groups.attr_a, s.groups.attr_b, 0.f, 0.f});
  } else {
    return false;
  }
  return true;
}

}  // namespace studio::controller
