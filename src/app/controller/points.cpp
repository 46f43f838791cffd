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
    // The context's space is borrowed for this call only.
    const std::shared_ptr<const latent::Space> space(ctx.space, [](const latent::Space*) {});
    const latent::Latent z = run_expression(prepare_expression(a, s, space, ctx.items));
    show_expression(s, &z, "");
  } catch (const std::exception& e) {
    show_expression(s, nullptr, e.what());
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

ExpressionJob prepare_expression(const act::EvaluateExpression& a, const AppState& s,
                                 std::shared_ptr<const latent::Space> space,
                                 std::shared_ptr<const latent::RowMatrixXf> items) {
  if (!space) throw latent::UnsupportedError("open a model first");
  ExpressionJob job{a.text, std::move(space), {}};
  latent::Workspace& ws = job.workspace;
  ws.space = job.space.get();
  for (const auto& b : s.points.bookmarks) ws.bookmarks.push_back({b.name, b.z});
  if (items) {  // groups are made from the dataset, so without one there are none
    for (const auto& g : s.groups.list) ws.groups.push_back({g.name, g.query, g.members});
    ws.items = std::move(items);
  }
  return job;
}

latent::Latent run_expression(const ExpressionJob& job) {
  return latent::evaluate_expression(job.text, *job.workspace.expression_env(), job.space->info().dim);
}

void show_expression(AppState& s, const latent::Latent* z, const std::string& error) {
  if (z) {
    s.sliders.z = *z;
    s.points.expression_error.clear();
  } else {
    s.points.expression_error = error;
  }
}

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
