// The studio's controllers without a window: actions in, state out (src/app/controller/).
#include <gtest/gtest.h>

#include "controller/points.h"
#include "latent/pca_space.h"

using namespace studio;

namespace {

std::unique_ptr<latent::PcaSpace> small_pca() {
  latent::RowMatrixXf x(12, 9);
  for (long i = 0; i < x.rows(); ++i)
    for (long j = 0; j < x.cols(); ++j) x(i, j) = 0.5f + 0.1f * static_cast<float>(((i + 1) * (j + 2)) % 7 - 3) / 3.f;
  return latent::PcaSpace::fit(x, {3, 3, 1, 0.f, 1.f}, latent::PcaOptions{3, 0.0});
}

// Takes the state's queued actions and applies each, as the Studio does once a frame.
void run_frame(AppState& s, const controller::PointsContext& ctx) {
  for (const Action& a : s.actions.take()) EXPECT_TRUE(controller::apply_points(a, s, ctx));
}

}  // namespace

TEST(PointsController, BookmarksAreAddedVisitedAndDeleted) {
  const auto pca = small_pca();
  AppState s;
  const controller::PointsContext ctx{pca.get(), nullptr};
  s.z = {1.f, 2.f, 3.f};
  s.bookmark_name = "smile";
  s.actions.push(act::AddBookmark{s.bookmark_name});
  s.actions.push(act::AddBookmark{});
  run_frame(s, ctx);
  ASSERT_EQ(s.bookmarks.size(), 2u);
  EXPECT_EQ(s.bookmarks[0].name, "smile");
  EXPECT_EQ(s.bookmarks[1].name, "point 2");
  EXPECT_TRUE(s.bookmark_name.empty());  // the box is cleared for the next name

  s.z = {0.f, 0.f, 0.f};
  s.actions.push(act::GoToBookmark{0});
  run_frame(s, ctx);
  EXPECT_EQ(s.z, (std::vector<float>{1.f, 2.f, 3.f}));

  // Another model's bookmark says so and leaves the point where it is.
  s.bookmarks.push_back({"wide", std::vector<float>(5, 1.f)});
  s.actions.push(act::GoToBookmark{2});
  run_frame(s, ctx);
  EXPECT_EQ(s.z, (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_NE(s.session_status.find("'wide' has 5 values; this model has 3"), std::string::npos) << s.session_status;

  s.current_bookmark = 2;
  s.actions.push(act::DeleteBookmark{2});
  s.actions.push(act::DeleteBookmark{7});  // out of range: nothing
  s.actions.push(act::GoToBookmark{-1});   // nothing
  run_frame(s, ctx);
  EXPECT_EQ(s.bookmarks.size(), 2u);
  EXPECT_EQ(s.current_bookmark, -1);  // the keyboard's next bookmark starts again
}

TEST(PointsController, ExpressionsUseBookmarksGroupsAndItems) {
  const auto pca = small_pca();
  const std::vector<latent::Latent> items = {{1, 1, 1}, {3, 3, 3}, {5, 5, 5}};
  AppState s;
  s.z = {0.f, 0.f, 0.f};
  s.bookmarks.push_back({"my point", {1.f, 0.f, 0.f}});
  s.groups.push_back({"ends", "", {0, 2}});
  s.actions.push(act::EvaluateExpression{"@my_point + mean(@ends) - item(1)"});
  run_frame(s, {pca.get(), &items});
  EXPECT_TRUE(s.expression_error.empty()) << s.expression_error;
  EXPECT_EQ(s.z, (std::vector<float>{1.f, 0.f, 0.f}));

  // Without a dataset there are no groups: the message names the missing one.
  s.actions.push(act::EvaluateExpression{"mean(@ends)"});
  run_frame(s, {pca.get(), nullptr});
  EXPECT_NE(s.expression_error.find("ends"), std::string::npos) << s.expression_error;
  EXPECT_EQ(s.z, (std::vector<float>{1.f, 0.f, 0.f}));

  s.actions.push(act::EvaluateExpression{"@my_point +"});
  run_frame(s, {pca.get(), &items});
  EXPECT_FALSE(s.expression_error.empty());
  s.actions.push(act::EvaluateExpression{"@my_point"});
  run_frame(s, {nullptr, nullptr});
  EXPECT_EQ(s.expression_error, "open a model first");
}

TEST(PointsController, RandomDrawsAndShrinkingUseTheTruncation) {
  const auto pca = small_pca();
  AppState s;
  s.truncation = 0.5f;
  s.actions.push(act::Randomize{7});
  run_frame(s, {pca.get(), nullptr});
  latent::Latent expect = pca->sample(1, 7).front();
  for (float& v : expect) v *= 0.5f;
  EXPECT_EQ(s.z, expect);
  s.actions.push(act::Randomize{8});
  run_frame(s, {pca.get(), nullptr});
  EXPECT_NE(s.z, expect);  // another seed, another point
  s.z = {2.f, -4.f, 1.f};
  s.actions.push(act::Shrink{});
  run_frame(s, {pca.get(), nullptr});
  EXPECT_EQ(s.z, (std::vector<float>{1.f, -2.f, 0.5f}));
  s.actions.push(act::Randomize{9});  // no model: nothing
  run_frame(s, {nullptr, nullptr});
  EXPECT_EQ(s.z, (std::vector<float>{1.f, -2.f, 0.5f}));
}

TEST(PointsController, OtherConcernsActionsAreLeftToTheirOwners) {
  AppState s;
  EXPECT_FALSE(controller::apply_points(act::SaveSession{"s.json"}, s, {}));
  EXPECT_FALSE(controller::apply_points(act::OpenSession{"s.json"}, s, {}));
  s.actions.push(act::OpenSession{"s.json"});
  EXPECT_TRUE(s.actions.waiting<act::OpenSession>());
  EXPECT_FALSE(s.actions.waiting<act::SaveSession>());
  EXPECT_EQ(s.actions.take().size(), 1u);
  EXPECT_TRUE(s.actions.empty());
}
