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
#include "latent/workspace.h"

namespace studio::controller {

struct PointsContext {
  const latent::Space* space = nullptr;             // the open model, or nullptr
  std::shared_ptr<const latent::RowMatrixXf> items;  // the open dataset's points (shared), or nullptr
};

// An expression to evaluate, with copies of what it reads (bookmarks, groups) and a share
// of the model and the dataset's points: it runs anywhere. The studio runs it on a worker,
// because enc("photo.png") encodes (or inverts) a picture and mean(@group) averages up to
// millions of points.
struct ExpressionJob {
  std::string text;
  std::shared_ptr<const latent::Space> space;
  latent::Workspace workspace;  // its space is `space`
};
// Throws UnsupportedError ("open a model first") without a model.
ExpressionJob prepare_expression(const act::EvaluateExpression& a, const AppState& s,
                                 std::shared_ptr<const latent::Space> space,
                                 std::shared_ptr<const latent::RowMatrixXf> items);
// The point; a mistake (an expression that does not parse, a file that does not open) throws.
latent::Latent run_expression(const ExpressionJob& job);
// Its answer in the state: the point and no error, or the error and the point unchanged.
void show_expression(AppState& s, const latent::Latent* z, const std::string& error);

// Applies `a` to `s` if it is one of this concern's actions; returns whether it was.
// Mistakes (an expression that does not parse, a bookmark of another model's size)
// become messages in `s`, never exceptions.
// (An expression is evaluated here, at once; the studio runs it through
// prepare_expression and run_expression on a worker instead.)
bool apply_points(const Action& a, AppState& s, const PointsContext& ctx);

}  // namespace studio::controller
