#include "controller/points.h"

#include <type_traits>

#include "latent/errors.h"
#include "latent/workspace.h"

namespace studio::controller {

namespace {

void add_bookmark(const act::AddBookmark& a, AppState& s) {
  if (s.sliders.z.empty()) return;
  const std::string name = a.name.empty() ? "point " + std::to_string(s.points.bookmarks.size() + 1) : a.name;
  s.points.bookmarks.push_back({name, s.sliders.z});
  s.points.bookmark_name.clear();
}

void go_to_bookmark(const act::GoToBookmark& a, AppState& s) {
  if (a.index < 0 || a.index >= static_cast<int>(s.points.bookmarks.size())) return;
  const auto& b = s.points.bookmarks[static_cast<size_t>(a.index)];
  if (b.z.size() == s.sliders.z.size()) s.sliders.z = b.z;
  else s.session.status = "'" + b.name + "' has " + std::to_string(b.z.size()) + " values; this model has " +
                          std::to_string(s.sliders.z.size());
}

void delete_bookmark(const act::DeleteBookmark& a, AppState& s) {
  if (a.index < 0 || a.index >= static_cast<int>(s.points.bookmarks.size())) return;
  s.points.bookmarks.erase(s.points.bookmarks.begin() + a.index);
  if (s.show.current_bookmark >= static_cast<int>(s.points.bookmarks.size())) s.show.current_bookmark = -1;
}

void evaluate(const act::EvaluateExpression& a, AppState& s, const PointsContext& ctx) {
  try {
    if (!ctx.space) throw latent::UnsupportedError("open a model first");
    latent::Workspace ws;
    ws.space = ctx.space;
    for (const auto& b : s.points.bookmarks) ws.bookmarks.push_back({b.name, b.z});
    if (ctx.items) {  // groups are made from the dataset, so without one there are none
      for (const auto& g : s.groups.list) ws.groups.push_back({g.name, g.query, g.members});
      ws.items = ctx.items;
    }
    s.sliders.z = latent::evaluate_expression(a.text, *ws.expression_env(), ctx.space->info().dim);
    s.points.expression_error.clear();
  } catch (const std::exception& e) {
    s.points.expression_error = e.what();
  }
}

void randomize(const act::Randomize& a, AppState& s, const PointsContext& ctx) {
  if (!ctx.space) return;
  try {
    s.sliders.z = ctx.space->sample(1, a.seed).front();
    for (float& v : s.sliders.z) v *= s.sliders.truncation;
  } catch (const std::exception& e) {
    s.view.error = e.what();
  }
}

}  // namespace

bool apply_points(const Action& a, AppState& s, const PointsContext& ctx) {
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, act::AddBookmark>) add_bookmark(x, s);
        else if constexpr (std::is_same_v<T, act::GoToBookmark>) go_to_bookmark(x, s);
        else if constexpr (std::is_same_v<T, act::DeleteBookmark>) delete_bookmark(x, s);
        else if constexpr (std::is_same_v<T, act::EvaluateExpression>) evaluate(x, s, ctx);
        else if constexpr (std::is_same_v<T, act::Randomize>) randomize(x, s, ctx);
        else if constexpr (std::is_same_v<T, act::Shrink>)
          for (float& v : s.sliders.z) v *= s.sliders.truncation;
        else return false;
        return true;
      },
      a);
}

}  // namespace studio::controller
