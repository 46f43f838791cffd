// The studio's controllers without a window: actions in, state out (src/app/controller/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <unistd.h>

#include "controller/drops.h"
#include "controller/groups.h"
#include "controller/live.h"
#include "controller/map.h"
#include "controller/model.h"
#include "controller/points.h"
#include "controller/session.h"
#include "controller/session_saver.h"
#include "controller/story.h"
#include "controller/walk.h"
#include "latent/errors.h"
#include "latent/pca_space.h"
#include "latent/session.h"
#include "test_util.h"

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
  s.sliders.z = {1.f, 2.f, 3.f};
  s.points.bookmark_name = "smile";
  s.actions.push(act::AddBookmark{s.points.bookmark_name});
  s.actions.push(act::AddBookmark{});
  run_frame(s, ctx);
  ASSERT_EQ(s.points.bookmarks.size(), 2u);
  EXPECT_EQ(s.points.bookmarks[0].name, "smile");
  EXPECT_EQ(s.points.bookmarks[1].name, "point 2");
  EXPECT_TRUE(s.points.bookmark_name.empty());  // the box is cleared for the next name

  s.sliders.z = {0.f, 0.f, 0.f};
  s.actions.push(act::GoToBookmark{0});
  run_frame(s, ctx);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 2.f, 3.f}));

  // Another model's bookmark says so and leaves the point where it is.
  s.points.bookmarks.push_back({"wide", std::vector<float>(5, 1.f)});
  s.actions.push(act::GoToBookmark{2});
  run_frame(s, ctx);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_NE(s.session.status.find("'wide' has 5 values; this model has 3"), std::string::npos) << s.session.status;

  s.show.current_bookmark = 2;
  s.actions.push(act::DeleteBookmark{2});
  s.actions.push(act::DeleteBookmark{7});  // out of range: nothing
  s.actions.push(act::GoToBookmark{-1});   // nothing
  run_frame(s, ctx);
  EXPECT_EQ(s.points.bookmarks.size(), 2u);
  EXPECT_EQ(s.show.current_bookmark, -1);  // the keyboard's next bookmark starts again
}

TEST(PointsController, ExpressionsUseBookmarksGroupsAndItems) {
  const auto pca = small_pca();
  auto items = std::make_shared<latent::RowMatrixXf>(3, 3);
  *items << 1, 1, 1, 3, 3, 3, 5, 5, 5;
  AppState s;
  s.sliders.z = {0.f, 0.f, 0.f};
  s.points.bookmarks.push_back({"my point", {1.f, 0.f, 0.f}});
  s.groups.list.push_back({"ends", "", {0, 2}});
  s.actions.push(act::EvaluateExpression{"@my_point + mean(@ends) - item(1)"});
  run_frame(s, {pca.get(), items});
  EXPECT_TRUE(s.points.expression_error.empty()) << s.points.expression_error;
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 0.f, 0.f}));

  // Without a dataset there are no groups: the message names the missing one.
  s.actions.push(act::EvaluateExpression{"mean(@ends)"});
  run_frame(s, {pca.get(), nullptr});
  EXPECT_NE(s.points.expression_error.find("ends"), std::string::npos) << s.points.expression_error;
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 0.f, 0.f}));

  s.actions.push(act::EvaluateExpression{"@my_point +"});
  run_frame(s, {pca.get(), items});
  EXPECT_FALSE(s.points.expression_error.empty());
  s.actions.push(act::EvaluateExpression{"@my_point"});
  run_frame(s, {nullptr, nullptr});
  EXPECT_EQ(s.points.expression_error, "open a model first");
}

// The studio's path: the job is a snapshot taken on the UI thread and run on another.
TEST(PointsController, AnExpressionJobIsASnapshotThatRunsOnAnotherThread) {
  std::shared_ptr<const latent::Space> pca = small_pca();
  auto items = std::make_shared<latent::RowMatrixXf>(3, 3);
  *items << 1, 1, 1, 3, 3, 3, 5, 5, 5;
  AppState s;
  s.sliders.z = {0.f, 0.f, 0.f};
  s.points.bookmarks.push_back({"my point", {1.f, 0.f, 0.f}});
  s.groups.list.push_back({"ends", "", {0, 2}});
  const controller::ExpressionJob job =
      controller::prepare_expression(act::EvaluateExpression{"@my_point + mean(@ends) - item(1)"}, s, pca, items);
  s.points.bookmarks[0].z = {9.f, 9.f, 9.f};  // changed after the job was made: the job keeps its copy
  s.groups.list.clear();
  latent::Latent z;
  std::string error;
  std::thread worker([&] {
    try {
      z = controller::run_expression(job);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  worker.join();
  ASSERT_TRUE(error.empty()) << error;
  controller::show_expression(s, &z, "");
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 0.f, 0.f}));
  EXPECT_THROW(controller::run_expression(controller::prepare_expression(act::EvaluateExpression{"mean(@gone)"}, s,
                                                                         pca, items)),
               std::exception);
  controller::show_expression(s, nullptr, "no group gone");
  EXPECT_EQ(s.points.expression_error, "no group gone");
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 0.f, 0.f})) << "a failed expression leaves the point";
  EXPECT_THROW(controller::prepare_expression(act::EvaluateExpression{"@my_point"}, s, nullptr, items),
               latent::UnsupportedError);
}

TEST(PointsController, RandomDrawsAndShrinkingUseTheTruncation) {
  const auto pca = small_pca();
  AppState s;
  s.sliders.truncation = 0.5f;
  s.actions.push(act::Randomize{7});
  run_frame(s, {pca.get(), nullptr});
  latent::Latent expect = pca->sample(1, 7).front();
  for (float& v : expect) v *= 0.5f;
  EXPECT_EQ(s.sliders.z, expect);
  s.actions.push(act::Randomize{8});
  run_frame(s, {pca.get(), nullptr});
  EXPECT_NE(s.sliders.z, expect);  // another seed, another point
  s.sliders.z = {2.f, -4.f, 1.f};
  s.actions.push(act::Shrink{});
  run_frame(s, {pca.get(), nullptr});
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, -2.f, 0.5f}));
  s.actions.push(act::Randomize{9});  // no model: nothing
  run_frame(s, {nullptr, nullptr});
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, -2.f, 0.5f}));
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

// The queue's rules that the concerns rely on: each takes only its own kinds, the newest
// request of a kind wins, and work that cannot start yet waits without jumping ahead of
// a newer request.
TEST(ActionQueue, EachConcernTakesOnlyItsOwnKindsInOrder) {
  Actions q;
  q.push(act::ToggleWalk{});
  q.push(act::AddBookmark{"a"});
  q.push(act::ComputeMap{});
  q.push(act::AddBookmark{"b"});
  std::vector<Action> mine = q.take_only<act::AddBookmark, act::ComputeMap>();
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_EQ(std::get<act::AddBookmark>(mine[0]).name, "a");
  EXPECT_TRUE(std::holds_alternative<act::ComputeMap>(mine[1]));
  EXPECT_EQ(std::get<act::AddBookmark>(mine[2]).name, "b");
  EXPECT_TRUE(q.only<act::ToggleWalk>());
  EXPECT_FALSE(q.only<act::ComputeMap>());
  EXPECT_EQ(q.take().size(), 1u);
  EXPECT_TRUE(q.only<act::ComputeMap>());  // an empty queue holds only anything
}

TEST(ActionQueue, TheNewestRequestWinsAndWaitingWorkKeepsItsPlace) {
  Actions q;
  EXPECT_FALSE(q.take_last<act::OpenModel>().has_value());
  q.push(act::OpenModel{"old"});
  q.push(act::ClearKeys{});
  q.push(act::OpenModel{"new"});
  std::optional<act::OpenModel> open = q.take_last<act::OpenModel>();
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->path, "new");
  EXPECT_FALSE(q.waiting<act::OpenModel>());
  // Cannot start this frame (a consent prompt is up): it goes back ahead of the queue,
  // and a request pushed after it still wins on the next take.
  q.put_back(*open);
  EXPECT_TRUE(q.waiting<act::OpenModel>());
  q.push(act::OpenModel{"newer"});
  EXPECT_EQ(q.take_last<act::OpenModel>()->path, "newer");
  q.put_back(act::OpenModel{"only"});
  EXPECT_EQ(q.take_last<act::OpenModel>()->path, "only");
  // Put back after a newer one came in (the frame took it, then a drop pushed another):
  // the put-back one goes ahead, so the newer still wins.
  q.push(act::OpenModel{"dropped later"});
  q.put_back(act::OpenModel{"taken earlier"});
  EXPECT_EQ(q.take_last<act::OpenModel>()->path, "dropped later");
  EXPECT_TRUE(q.only<act::ClearKeys>());
}

TEST(ActionQueue, DropIfRemovesOnlyMatchingActionsOfThatKind) {
  Actions q;
  q.push(act::ShowStoryImage{1});
  q.push(act::RemoveKey{1});
  q.push(act::ShowStoryImage{7});
  q.drop_if<act::ShowStoryImage>([](const act::ShowStoryImage& a) { return a.index > 3; });
  std::vector<Action> left = q.take();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(std::get<act::ShowStoryImage>(left[0]).index, 1);
  EXPECT_EQ(std::get<act::RemoveKey>(left[1]).index, 1);
  q.push(act::KeepPassage{});
  q.push(act::KeepPassage{});
  q.drop_if<act::KeepPassage>([](const act::KeepPassage&) { return true; });
  EXPECT_TRUE(q.empty());
}

// Walks without a window: the shell hands in the frame's duration; here the tests do.
TEST(WalkController, KeyframesComeFromThePointAndTheBookmarksInTheOrderAsked) {
  AppState s;
  s.model.info.dim = 2;
  s.sliders.z = {1.f, 2.f};
  s.points.bookmarks = {{"smile", {3.f, 4.f}}, {"other model", {1.f, 2.f, 3.f}}};
  s.walk.keys.push_back({"old model's key", {9.f, 9.f, 9.f}});
  EXPECT_FALSE(controller::step_walk({act::AddKeyCurrent{}}, s, 2, 0).has_value()) << "one key is no walk";
  ASSERT_EQ(s.walk.keys.size(), 1u) << "the key of another size is dropped";
  EXPECT_EQ(s.walk.keys[0].name, "key 1");
  std::optional<latent::Walk> w = controller::step_walk({act::AddKeyBookmarks{}}, s, 2, 0);
  ASSERT_EQ(s.walk.keys.size(), 2u) << "only the bookmark of this model's size";
  EXPECT_EQ(s.walk.keys[1].name, "smile");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->keys.size(), 2u);
  EXPECT_GT(s.walk.duration, 0);
  w = controller::step_walk({act::AddKeyCurrent{}, act::RemoveKey{0}, act::RemoveKey{7}}, s, 2, 0);
  ASSERT_EQ(s.walk.keys.size(), 2u);
  EXPECT_EQ(s.walk.keys[0].name, "smile");
  EXPECT_EQ(s.walk.keys[1].z, (std::vector<float>{1.f, 2.f}));
  s.walk.playing = true;
  EXPECT_FALSE(controller::step_walk({act::ClearKeys{}}, s, 2, 0).has_value());
  EXPECT_TRUE(s.walk.keys.empty());
  EXPECT_FALSE(s.walk.playing);
  EXPECT_EQ(s.walk.duration, 0);
}

TEST(WalkController, PlayingMovesThePointAlongTheWalkAndSeekingJumps) {
  AppState s;
  s.model.info.dim = 2;
  s.walk.loop = false;
  s.walk.keys = {{"a", {0.f, 0.f}, 2.f, 0}, {"b", {4.f, -2.f}, 2.f, 0}};  // linear, 2 s
  s.sliders.z = {7.f, 7.f};
  controller::step_walk({}, s, 2, 0.1);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{7.f, 7.f})) << "paused: the point stays";
  EXPECT_FLOAT_EQ(static_cast<float>(s.walk.duration), 2.f);
  controller::step_walk({act::ToggleWalk{}}, s, 2, 0.5);
  EXPECT_TRUE(s.walk.playing);
  EXPECT_FLOAT_EQ(s.walk.time, 0.5f);
  EXPECT_NEAR(s.sliders.z[0], 1.f, 1e-5);
  EXPECT_NEAR(s.sliders.z[1], -0.5f, 1e-5);
  s.walk.rate = 2.f;
  controller::step_walk({}, s, 2, 0.25);
  EXPECT_FLOAT_EQ(s.walk.time, 1.f);
  EXPECT_NEAR(s.sliders.z[0], 2.f, 1e-5);
  controller::step_walk({}, s, 2, 5.0);  // an open walk stops at its end
  EXPECT_FALSE(s.walk.playing);
  EXPECT_FLOAT_EQ(s.walk.time, 2.f);
  EXPECT_NEAR(s.sliders.z[0], 4.f, 1e-5);
  controller::step_walk({act::ToggleWalk{}}, s, 2, 0);
  EXPECT_TRUE(s.walk.playing);
  EXPECT_FLOAT_EQ(s.walk.time, 0.f) << "play at the end starts again";
  controller::step_walk({act::ToggleWalk{}, act::SeekWalk{1.5f}, act::SeekWalk{0.25f}}, s, 2, 1.0);
  EXPECT_FALSE(s.walk.playing);
  EXPECT_FLOAT_EQ(s.walk.time, 0.25f) << "paused, then the last seek wins";
  EXPECT_NEAR(s.sliders.z[0], 0.5f, 1e-5);
  controller::step_walk({act::SeekWalk{99.f}}, s, 2, 0);
  EXPECT_FLOAT_EQ(s.walk.time, 2.f) << "a seek stays inside the walk";
  controller::step_walk({act::SetWalkLength{6.f}}, s, 2, 0);
  EXPECT_FLOAT_EQ(static_cast<float>(s.walk.duration), 6.f);
  EXPECT_FLOAT_EQ(s.walk.keys[0].seconds, 6.f) << "the panel's keys take the new lengths";
  controller::step_walk({act::SetWalkLength{-1.f}}, s, 2, 0);
  EXPECT_FLOAT_EQ(static_cast<float>(s.walk.duration), 6.f) << "a length of no time is ignored";
}

TEST(WalkController, AClosedWalkWrapsAround) {
  AppState s;
  s.model.info.dim = 2;
  s.walk.loop = true;  // b travels back to a: 4 s in all
  s.walk.keys = {{"a", {0.f, 0.f}, 2.f, 0}, {"b", {4.f, 0.f}, 2.f, 0}};
  controller::step_walk({act::ToggleWalk{}}, s, 2, 0);
  EXPECT_FLOAT_EQ(static_cast<float>(s.walk.duration), 4.f);
  controller::step_walk({}, s, 2, 5.0);
  EXPECT_TRUE(s.walk.playing);
  EXPECT_FLOAT_EQ(s.walk.time, 1.f);
  EXPECT_NEAR(s.sliders.z[0], 2.f, 1e-5);
  controller::step_walk({}, s, 2, 2.0);
  EXPECT_NEAR(s.sliders.z[0], 2.f, 1e-5) << "at 3 s, half way back";
}

TEST(WalkController, KeysThatMakeNoWalkSayWhy) {
  AppState s;
  s.model.info.dim = 2;
  s.walk.keys = {{"a", {0.f, 0.f}, 0.f, 0}, {"b", {1.f, 1.f}, 2.f, 0}};
  s.walk.loop = false;
  EXPECT_FALSE(controller::step_walk({act::ToggleWalk{}}, s, 2, 0.1).has_value());
  EXPECT_FALSE(s.walk.playing);
  EXPECT_NE(s.walk.error, "");
}

// A MIDI knob or an OSC message, without a window or a port: the event LiveControl would
// hand over, applied to the state.
namespace {
ControlEvent event(ControlEvent::Kind kind, float value = 0, int index = -1, bool normalized = false) {
  ControlEvent e;
  e.kind = kind, e.value = value, e.index = index, e.normalized = normalized;
  return e;
}
}  // namespace

TEST(LiveController, KnobsMoveSlidersAcrossTheirRangeAndOscSetsValuesAsSent) {
  using K = ControlEvent::Kind;
  AppState s;
  s.model.scale = {2.f, 0.5f};
  s.options.slider_sigmas = 3.f;
  s.sliders.z = {0.f, 0.f};
  controller::apply_control_event(event(K::SetDim, 1.f, 0, true), s);  // a knob at the top
  EXPECT_FLOAT_EQ(s.sliders.z[0], 6.f);
  controller::apply_control_event(event(K::SetDim, 0.25f, 1, true), s);
  EXPECT_FLOAT_EQ(s.sliders.z[1], -0.75f);
  controller::apply_control_event(event(K::SetDim, 1.25f, 1), s);  // OSC: as sent
  EXPECT_FLOAT_EQ(s.sliders.z[1], 1.25f);
  controller::apply_control_event(event(K::SetDim, 1.f, 5, true), s);  // no such dimension
  EXPECT_EQ(s.sliders.z, (std::vector<float>{6.f, 1.25f}));
  ControlEvent whole = event(K::SetDims);
  whole.values = {1.f, 2.f, 3.f};
  controller::apply_control_event(whole, s);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{6.f, 1.25f}));
  EXPECT_NE(s.live.last.find("3 values"), std::string::npos) << s.live.last;
  whole.values = {1.f, 2.f};
  controller::apply_control_event(whole, s);
  EXPECT_EQ(s.sliders.z, whole.values);
  s.attributes.live.push_back({});
  controller::apply_control_event(event(K::Attribute, 0.75f, 0, true), s);
  EXPECT_FLOAT_EQ(s.attributes.live[0].strength, 1.5f) << "-3..3 sigma";
  controller::apply_control_event(event(K::WalkSpeed, 1.f, -1, true), s);
  EXPECT_FLOAT_EQ(s.walk.rate, 4.f);
  EXPECT_TRUE(s.actions.empty());
}

TEST(LiveController, ButtonsPushTheSameActionsAsTheKeysAndPanels) {
  using K = ControlEvent::Kind;
  AppState s;
  s.points.bookmarks = {{"a", {0.f}}, {"b", {1.f}}, {"c", {2.f}}};
  controller::apply_control_event(event(K::PrevBookmark), s);
  controller::apply_control_event(event(K::NextBookmark), s);
  controller::step_bookmark(s, true);  // the right arrow
  ControlEvent named = event(K::Bookmark);
  named.text = "b";
  controller::apply_control_event(named, s);
  std::vector<Action> q = s.actions.take();
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(std::get<act::GoToBookmark>(q[0]).index, 2) << "back from none: the last";
  EXPECT_EQ(std::get<act::GoToBookmark>(q[1]).index, 0) << "on from the last: round to the first";
  EXPECT_EQ(std::get<act::GoToBookmark>(q[2]).index, 1);
  EXPECT_EQ(std::get<act::GoToBookmark>(q[3]).index, 1);
  named.text = "nope";
  controller::apply_control_event(named, s);
  EXPECT_TRUE(s.actions.empty());
  EXPECT_EQ(s.live.last, "no bookmark \"nope\"");

  s.walk.playing = true;
  controller::apply_control_event(event(K::WalkPlay), s);  // already playing: nothing
  controller::apply_control_event(event(K::WalkPause), s);
  controller::apply_control_event(event(K::WalkToggle), s);
  EXPECT_EQ(s.actions.take().size(), 2u);
  const uint64_t seed = s.sliders.randomize_seed;
  controller::apply_control_event(event(K::Randomize), s);
  controller::randomize(s);  // the R key
  q = s.actions.take();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(std::get<act::Randomize>(q[0]).seed, seed + 1);
  EXPECT_EQ(std::get<act::Randomize>(q[1]).seed, seed + 2) << "each draw a new one";
  controller::apply_control_event(event(K::Blackout, -1.f), s);
  EXPECT_TRUE(s.show.blackout);
  controller::apply_control_event(event(K::Blackout, -1.f), s);
  EXPECT_FALSE(s.show.blackout);
  controller::apply_control_event(event(K::Blackout, 1.f), s);
  EXPECT_TRUE(s.show.blackout);
}

// Dropped files and the consent prompt, without a window: temporary files stand for what
// a person drops, and a temporary list for their trusted folders.
namespace {
void touch(const std::string& path, const std::string& text = "x") {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}
}  // namespace

TEST(DropsController, ADroppedPathIsAModelAPictureASessionOrADataset) {
  using controller::DropKind;
  test_util::TempDir tmp;
  touch(tmp / "vae/model.json", "{}");
  touch(tmp / "glove.vec");
  touch(tmp / "face.png");
  touch(tmp / "s.json", R"({"format": "latent-studio-session", "version": 1})");
  touch(tmp / "other.json", "{}");
  std::filesystem::create_directories(tmp / "faces");
  AppState s;
  EXPECT_EQ(controller::classify_drop(tmp / "vae", s), DropKind::Model);
  EXPECT_EQ(controller::classify_drop(tmp / "vae/model.json", s), DropKind::Model);
  EXPECT_EQ(controller::classify_drop(tmp / "glove.vec", s), DropKind::Model);
  EXPECT_EQ(controller::classify_drop(tmp / "s.json", s), DropKind::Session);
  EXPECT_EQ(controller::classify_drop(tmp / "other.json", s), DropKind::Dataset);
  EXPECT_EQ(controller::classify_drop(tmp / "faces", s), DropKind::Dataset);
  EXPECT_EQ(controller::classify_drop(tmp / "face.png", s), DropKind::Dataset) << "no model open: a picture's folder";
  s.model.loaded = true;
  s.model.info.modality = latent::Modality::Image;
  EXPECT_EQ(controller::classify_drop(tmp / "face.png", s), DropKind::Invert);
  s.model.info.modality = latent::Modality::Text;
  EXPECT_EQ(controller::classify_drop(tmp / "face.png", s), DropKind::Story);
  s.model.info.modality = latent::Modality::Words;
  EXPECT_EQ(controller::classify_drop(tmp / "face.png", s), DropKind::Dataset);
}

TEST(DropsController, AModelThatRunsCodeAsksFirstAndTheAnswerIsKept) {
  test_util::TempDir tmp;
  touch(tmp / "downloads/gan/model.json", "{}");
  touch(tmp / "elsewhere/vae/model.json", "{}");
  const std::string gan = tmp / "downloads/gan", vae = tmp / "elsewhere/vae";
  latent::TrustedPlaces trusted(tmp / "config/trusted.json");
  std::vector<std::string> this_run;
  const controller::ConsentPlaces places{&trusted, &this_run};
  AppState s;

  EXPECT_TRUE(controller::may_open(gan, false, s, places)) << "no code, no question";
  EXPECT_EQ(s.model.consent_path, "");
  s.actions.push(act::AnswerConsent{act::Consent::OnceOnly});  // left from before
  EXPECT_FALSE(controller::may_open(gan, true, s, places));
  EXPECT_EQ(s.model.consent_path, gan);
  EXPECT_EQ(s.model.consent_place, latent::model_place(gan));
  EXPECT_FALSE(s.actions.waiting<act::AnswerConsent>()) << "an old answer does not answer a new question";

  // Cancel: the waiting request goes, and the person is told what is still showing.
  s.actions.push(act::OpenModel{gan});
  s.actions.push(act::AnswerConsent{act::Consent::Cancel});
  const std::string said = controller::answer_consent(s, places, "faces");
  EXPECT_NE(said.find("was not opened"), std::string::npos) << said;
  EXPECT_NE(said.find("Still showing 'faces'"), std::string::npos) << said;
  EXPECT_FALSE(s.actions.waiting<act::OpenModel>());
  EXPECT_EQ(s.model.consent_path, "");
  EXPECT_EQ(controller::answer_consent(s, places, ""), "") << "no prompt up, no answer";

  // Open once: this run only, nothing written down.
  EXPECT_FALSE(controller::may_open(gan, true, s, places));
  s.actions.push(act::AnswerConsent{act::Consent::OnceOnly});
  EXPECT_EQ(controller::answer_consent(s, places, ""), "");
  EXPECT_TRUE(controller::may_open(gan, true, s, places));
  EXPECT_FALSE(std::filesystem::exists(trusted.file()));
  EXPECT_FALSE(controller::may_open(vae, true, s, places)) << "another folder asks again";

  // Trust the folder: written, so the next start trusts it too.
  s.actions.push(act::AnswerConsent{act::Consent::TrustFolder});
  EXPECT_EQ(controller::answer_consent(s, places, ""), "");
  EXPECT_TRUE(controller::may_open(vae, true, s, places));
  EXPECT_TRUE(latent::TrustedPlaces(trusted.file()).trusted(vae));
  EXPECT_FALSE(latent::TrustedPlaces(trusted.file()).trusted(gan));
}

TEST(DropsController, TrustThatCannotBeWrittenStillOpensThisOnce) {
  test_util::TempDir tmp;
  touch(tmp / "gan/model.json", "{}");
  touch(tmp / "blocked");  // a file where the list's folder would go
  latent::TrustedPlaces trusted(tmp / "blocked/trusted.json");
  std::vector<std::string> this_run;
  const controller::ConsentPlaces places{&trusted, &this_run};
  AppState s;
  EXPECT_FALSE(controller::may_open(tmp / "gan", true, s, places));
  s.actions.push(act::AnswerConsent{act::Consent::TrustFolder});
  const std::string said = controller::answer_consent(s, places, "");
  EXPECT_NE(said.find("you will be asked again"), std::string::npos) << said;
  EXPECT_TRUE(controller::may_open(tmp / "gan", true, s, places)) << "this run goes ahead";
}

// Groups and attribute sliders, without a window: a temporary label table stands for the
// dataset's labels.
TEST(GroupsController, GroupsByQueryOrLassoFillTheAttributeVectorsAThenB) {
  test_util::TempDir tmp;
  touch(tmp / "labels.csv", "glasses,male\n1,1\n0,1\n1,0\n0,0\n");
  const latent::LabelTable labels = latent::LabelTable::read_csv(tmp / "labels.csv");
  AppState s;
  // Without labels, a query cannot make a group.
  EXPECT_FALSE(controller::make_group(s, nullptr, "", "glasses=1"));
  EXPECT_NE(s.labels.error.find("load a label file"), std::string::npos);
  s.groups.name = "specs";
  s.groups.query = "glasses=1";
  EXPECT_TRUE(controller::apply_groups(act::MakeGroup{}, s, {&labels, true}));
  ASSERT_EQ(s.groups.list.size(), 1u);
  EXPECT_EQ(s.groups.list[0].name, "specs");
  EXPECT_EQ(s.groups.list[0].members, (std::vector<long>{0, 2}));
  EXPECT_EQ(s.groups.attr_a, 0);
  EXPECT_EQ(s.groups.name, "") << "the name field empties for the next group";
  EXPECT_EQ(s.labels.error, "");
  s.groups.query = "glasses=7";
  controller::apply_groups(act::MakeGroup{}, s, {&labels, true});
  EXPECT_EQ(s.groups.list.size(), 1u);
  EXPECT_NE(s.labels.error.find("no item matches"), std::string::npos) << s.labels.error;
  EXPECT_TRUE(controller::make_group(s, &labels, "", "glasses=0"));
  EXPECT_EQ(s.groups.list[1].name, "glasses=0") << "unnamed: the query names it";
  EXPECT_EQ(controller::group_named(s, "glasses=0"), 1);
  EXPECT_EQ(controller::group_named(s, "nobody"), -1);
  EXPECT_EQ(s.groups.attr_b, 1);
  // The lasso: its items, as a group, only with a dataset open and something selected.
  s.map.selection = {3, 1};
  controller::apply_groups(act::GroupFromSelection{}, s, {&labels, false});
  EXPECT_EQ(s.groups.list.size(), 2u);
  controller::apply_groups(act::GroupFromSelection{}, s, {&labels, true});
  ASSERT_EQ(s.groups.list.size(), 3u);
  EXPECT_EQ(s.groups.list[2].name, "selection 3");
  EXPECT_EQ(s.groups.list[2].members, (std::vector<long>{3, 1}));
  EXPECT_EQ(s.groups.attr_a, 0) << "A and B stay once chosen";
  EXPECT_EQ(s.groups.attr_b, 1);
  s.map.selection.clear();
  controller::apply_groups(act::GroupFromSelection{}, s, {&labels, true});
  EXPECT_EQ(s.groups.list.size(), 3u);
  // A live slider along A - B.
  EXPECT_TRUE(controller::apply_groups(act::AddAttribute{}, s, {}));
  ASSERT_EQ(s.attributes.live.size(), 1u);
  EXPECT_EQ(s.attributes.live[0].a, 0);
  EXPECT_EQ(s.attributes.live[0].b, 1);
  EXPECT_EQ(s.attributes.live[0].strength, 0.f);
  s.groups.attr_b = -1;
  controller::apply_groups(act::AddAttribute{}, s, {});
  EXPECT_EQ(s.attributes.live.size(), 1u) << "no B chosen: no slider";
  EXPECT_FALSE(controller::apply_groups(act::ComputeMap{}, s, {})) << "not this concern's";
}

namespace {
latent::Session session_at(float z0) {
  latent::Session s;
  s.model = "models/olivetti-pca";
  s.z = {z0, 2.f, 3.f};
  s.groups.push_back({"many", "", std::vector<long>(20000, 7)});  // a large group, as a lasso makes
  return s;
}
}  // namespace

TEST(SessionSaver, SavesLandInTheOrderAskedOffTheCallersThread) {
  test_util::TempDir tmp;
  const std::string path = tmp / "a.json";
  controller::SessionSaver saver;
  saver.save(session_at(1.f), path);
  saver.save(session_at(2.f), path);
  saver.save(session_at(3.f), tmp / "no-such-folder/b.json");
  saver.wait();
  EXPECT_TRUE(saver.busy()) << "finished, but not yet taken";
  const auto done = saver.take_done();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].path, path);
  EXPECT_TRUE(done[0].error.empty()) << done[0].error;
  EXPECT_TRUE(done[1].error.empty()) << done[1].error;
  EXPECT_NE(done[2].error.find("no-such-folder"), std::string::npos) << "a failed save names its path: " << done[2].error;
  EXPECT_FALSE(saver.busy());
  EXPECT_EQ(latent::load_session(path).z[0], 2.f) << "the later save wins";
  EXPECT_EQ(latent::load_session(path).groups.at(0).members.size(), 20000u);
}

TEST(SessionSaver, AutosavesSkipWhatDidNotChangeMoveWithTheSessionAndGoAtClose) {
  test_util::TempDir tmp;
  const std::string a = tmp / "a.json", b = tmp / "b.json";
  controller::SessionSaver saver;
  saver.autosave(session_at(1.f), a);
  saver.wait();
  const std::string file_a = saver.autosave_file();
  EXPECT_EQ(file_a, latent::autosave_path(a, static_cast<long>(::getpid())));
  EXPECT_TRUE(std::filesystem::exists(file_a));
  EXPECT_FALSE(std::filesystem::exists(a)) << "an autosave never writes the session itself";
  saver.autosave(session_at(1.f), a);
  saver.wait();
  auto done = saver.take_done();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[0].unchanged);
  EXPECT_TRUE(done[1].unchanged) << "the same state is not written again";
  saver.autosave(session_at(5.f), a);
  saver.wait();
  EXPECT_EQ(latent::load_session(file_a).z[0], 5.f);
  saver.autosave(session_at(6.f), b);  // saved under another name: the autosave moves
  saver.wait();
  EXPECT_FALSE(std::filesystem::exists(file_a));
  EXPECT_EQ(latent::load_session(saver.autosave_file()).z[0], 6.f);
  const std::string file_b = saver.autosave_file();
  saver.remove_autosave();
  EXPECT_FALSE(std::filesystem::exists(file_b));
  EXPECT_EQ(saver.autosave_file(), "");
}

TEST(SessionSaver, ClosingWritesWhatIsQueued) {
  test_util::TempDir tmp;
  {
    controller::SessionSaver saver;
    for (int i = 0; i < 5; ++i) saver.save(session_at(static_cast<float>(i)), tmp / ("s" + std::to_string(i) + ".json"));
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(latent::load_session(tmp / ("s" + std::to_string(i) + ".json")).z[0], static_cast<float>(i));
}

namespace {

latent::StyleVector style(const std::string& name, float strength, int dim = 3) {
  latent::StyleVector v;
  v.name = name;
  v.vector.assign(static_cast<size_t>(dim), 0.5f);
  v.default_strength = strength;
  v.a = name + " A", v.b = name + " B";
  v.a_sentences = 4, v.b_sentences = 6;
  return v;
}

}  // namespace

TEST(StoryController, StylesAreTheModelsThenTheSessionsAndAChoiceBringsItsStrength) {
  AppState s;
  s.model.info.dim = 3;
  controller::Story story;
  const std::vector<latent::StyleVector> model = {style("romance", 1.2f), style("horror", 0.8f)};
  story.list_styles(s, model);
  ASSERT_EQ(s.story.style_names, (std::vector<std::string>{"romance", "horror"}));
  EXPECT_NE(s.story.style_notes[0].find("romance A  minus  romance B"), std::string::npos);
  EXPECT_EQ(s.story.style, 0);

  s.story.style = 1;  // chosen in the panel: the strength follows the style
  story.apply({}, s);
  EXPECT_FLOAT_EQ(s.story.strength, 0.8f);
  s.story.strength_default = false, s.story.strength = 2.f, s.story.style = 0;
  story.apply({}, s);
  EXPECT_FLOAT_EQ(s.story.strength, 2.f) << "a strength set by hand stays";

  // A style made here with the model's name replaces it; a new name joins the list and is chosen.
  s.story.strength_default = true;
  story.style_made(style("romance", 0.5f), s, model);
  story.style_made(style("mine", 1.7f), s, model);
  ASSERT_EQ(s.story.style_names, (std::vector<std::string>{"romance", "horror", "mine"}));
  EXPECT_EQ(s.story.style, 2);
  EXPECT_NE(s.story.style_status.find("made \"mine\" from 4 + 6 sentences; calibrated strength 1.70"), std::string::npos);
  story.apply({}, s);
  EXPECT_FLOAT_EQ(s.story.strength, 1.7f);
  EXPECT_FLOAT_EQ(story.styles(model)[0].default_strength, 0.5f);

  // Without styles there is no choice.
  AppState none;
  story.new_model();
  story.list_styles(none, {});
  EXPECT_EQ(none.story.style, -1);
}

TEST(StoryController, APassageIsAskedForOnlyWhenWhatItIsMadeFromChanges) {
  AppState s;
  s.model.info.dim = 3;
  controller::Story story;
  const std::vector<latent::StyleVector> model = {style("romance", 1.2f)};
  story.list_styles(s, model);
  s.story.captions = "  A man riding a horse.\n\n A dog on a beach.  \n";
  s.story.method = 1, s.story.beam = 3, s.story.strength = 0.9f, s.story.sentences = 5;
  auto req = story.next_request(s, nullptr, model);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->captions, (std::vector<std::string>{"A man riding a horse.", "A dog on a beach."}));
  EXPECT_EQ(req->style.name, "romance");
  EXPECT_EQ(req->decode.method, "beam");
  EXPECT_EQ(req->decode.beam, 3);
  EXPECT_EQ(req->decode.no_repeat_ngram, 3);
  EXPECT_EQ(req->sentences, 5);
  EXPECT_FLOAT_EQ(req->strength, 0.9f);
  EXPECT_FLOAT_EQ(req->keep_bonus, 3.f) << "the caption's words are favoured by default";
  EXPECT_FALSE(story.next_request(s, nullptr, model)) << "nothing changed";
  s.story.captions += "\n";
  EXPECT_FALSE(story.next_request(s, nullptr, model)) << "a blank line changes nothing";
  s.story.strength = 1.0f;
  EXPECT_TRUE(story.next_request(s, nullptr, model));
  s.story.keep_bonus = 0.f;
  req = story.next_request(s, nullptr, model);
  ASSERT_TRUE(req) << "staying on the scene less is a change";
  EXPECT_FLOAT_EQ(req->keep_bonus, 0.f);
  s.story.style = -1;
  req = story.next_request(s, nullptr, model);
  ASSERT_TRUE(req);
  EXPECT_TRUE(req->style.vector.empty()) << "no style";
  story.style_made(style("mine", 1.f), s, model);
  s.story.style = -1;
  EXPECT_TRUE(story.next_request(s, nullptr, model)) << "a new session style is a change";

  // The passage comes back: the panel shows it and the sliders follow its thought.
  controller::StoryResult r;
  r.passage = {"She rode.", "The sea was loud."};
  r.shifted = {1.f, 2.f, 3.f};
  r.content_kept = 0.5;
  controller::Story::show_passage(r, s);
  EXPECT_EQ(s.story.passage, r.passage);
  EXPECT_EQ(s.sliders.z, r.shifted);
  EXPECT_DOUBLE_EQ(s.story.content_kept, 0.5);
  r.shifted = {1.f};
  s.sliders.z = {0.f, 0.f, 0.f};
  controller::Story::show_passage(r, s);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{0.f, 0.f, 0.f})) << "a thought of another size leaves the sliders";
}

TEST(StoryController, KeptPassagesAndStylesMadeFromTypedSentences) {
  AppState s;
  controller::Story story;
  s.story.passage = {"One.", "Two."};
  story.apply({act::KeepPassage{}, act::KeepPassage{}}, s);
  EXPECT_EQ(s.story.kept, (std::vector<std::string>{"One. Two."})) << "not kept twice in a row";

  s.story.style_a_text = "I love you.\n";
  s.story.style_b_text = "";
  EXPECT_FALSE(story.apply({act::MakeStyle{}}, s));
  EXPECT_NE(s.story.style_error.find("at least one sentence in A and one in B"), std::string::npos);
  s.story.style_b_text = "The car is red.\nThe road is long.";
  s.story.style_name = "";
  EXPECT_FALSE(story.apply({act::MakeStyle{}}, s));
  EXPECT_NE(s.story.style_error.find("give the style a name"), std::string::npos);
  s.story.style_name = "love";
  s.story.captions = "";
  auto job = story.apply({act::MakeStyle{}}, s);
  ASSERT_TRUE(job);
  EXPECT_TRUE(s.story.style_error.empty());
  EXPECT_EQ(job->name, "love");
  EXPECT_EQ(job->a, (std::vector<std::string>{"I love you."}));
  EXPECT_EQ(job->probe, job->b) << "without captions B's sentences calibrate it";
  EXPECT_TRUE(s.story.style_progress.running);
}

TEST(StoryController, TheSessionKeepsTheStoryPart) {
  AppState s;
  s.model.info.dim = 3;
  controller::Story story;
  const std::vector<latent::StyleVector> model = {style("romance", 1.2f)};
  story.list_styles(s, model);
  story.style_made(style("mine", 1.5f), s, model);
  s.story.captions = "A cat.";
  s.story.strength = 0.7f, s.story.strength_default = false, s.story.method = 2, s.story.sentences = 6;
  s.story.kept = {"Kept one."};
  s.story.keep_bonus = 5.5f;
  s.story.style_a_text = "a", s.story.style_b_text = "b";
  const nlohmann::json part = story.session_part(s, nlohmann::json::array({"written by the studio"}));
  EXPECT_EQ(part["style"], "mine");
  EXPECT_EQ(part["styles"][0], "written by the studio");

  AppState t;
  controller::Story other;
  // Styles of another size than the model's are left out; the session's choice, strength and text come back.
  other.apply_session_part(part, {style("mine", 1.5f), style("wrong size", 1.f, 5)}, 3, t, model);
  EXPECT_EQ(t.story.style_names, (std::vector<std::string>{"romance", "mine"}));
  EXPECT_EQ(t.story.style, 1);
  EXPECT_EQ(controller::style_index(t, "mine"), 1);
  EXPECT_EQ(controller::style_index(t, "none"), -1);
  EXPECT_FLOAT_EQ(t.story.strength, 0.7f);
  other.apply({}, t);
  EXPECT_FLOAT_EQ(t.story.strength, 0.7f) << "the session's strength, not the style's calibrated one";
  EXPECT_EQ(t.story.captions, "A cat.");
  EXPECT_EQ(t.story.method, 2);
  EXPECT_EQ(t.story.sentences, 6);
  EXPECT_FLOAT_EQ(t.story.keep_bonus, 5.5f);
  AppState old;
  nlohmann::json before_it = part;
  before_it.erase("keep_bonus");
  old.story.keep_bonus = 7.f;
  controller::Story().apply_session_part(before_it, {}, 3, old, model);
  EXPECT_FLOAT_EQ(old.story.keep_bonus, 3.f) << "a session from before the setting gets the default";
  EXPECT_EQ(t.story.kept, s.story.kept);
  EXPECT_EQ(t.story.style_a_text, "a");
  EXPECT_EQ(other.session_styles().size(), 1u);
}

// The map's labels, colours, layout, filter and attribute sliders (controller/map.h).
TEST(MapController, LabelsGiveColoursAndAFileOfAnotherLengthIsRefused) {
  test_util::TempDir tmp;
  touch(tmp / "labels.csv", "glasses,male\n1,1\n0,1\n1,0\n0,0\n");
  touch(tmp / "short.csv", "glasses\n1\n0\n");
  AppState s;
  s.dataset.count = 4;
  controller::Map map;
  s.labels.path_input = tmp / "labels.csv";
  map.follow_labels(s, false, "");
  EXPECT_EQ(map.labels(), nullptr) << "no dataset: the labels wait";
  map.follow_labels(s, true, "male");
  ASSERT_NE(map.labels(), nullptr);
  EXPECT_EQ(s.labels.columns, (std::vector<std::string>{"glasses", "male"}));
  EXPECT_EQ(s.labels.color_column, 1) << "coloured by the column named at start";
  EXPECT_EQ(s.map.colors, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(s.labels.color_names, (std::vector<std::string>{"1", "0"}));
  EXPECT_EQ(map.color_by(s), "male");
  EXPECT_EQ(map.labels_path(), s.labels.path_input);
  s.labels.color_column = 0;
  const uint64_t style = s.map.style_version;
  map.follow_labels(s, true, "male");
  EXPECT_EQ(s.map.colors, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_GT(s.map.style_version, style);

  s.labels.path_input = tmp / "short.csv";
  map.follow_labels(s, true, "");
  EXPECT_EQ(map.labels(), nullptr);
  EXPECT_NE(s.labels.error.find("has 2 rows but the dataset has 4 items"), std::string::npos) << s.labels.error;
  EXPECT_EQ(map.labels_path(), "") << "a session does not record labels that were refused";
  EXPECT_TRUE(s.map.colors.empty());
  s.labels.path_input = tmp / "missing.csv";
  map.follow_labels(s, true, "");
  EXPECT_FALSE(s.labels.error.empty()) << "a path still being typed is not read";
}

TEST(MapController, TheLayoutIsMadeOfTheDatasetsPointsAndThePointIsPlacedOnIt) {
  auto space = small_pca();
  AppState s;
  controller::Map map;
  EXPECT_EQ(map.points_for_map(s, *space, nullptr), nullptr);
  EXPECT_NE(s.map.error.find("load a dataset first"), std::string::npos);
  auto two = std::make_shared<latent::RowMatrixXf>(latent::RowMatrixXf::Zero(2, 3));
  EXPECT_EQ(map.points_for_map(s, *space, two), nullptr);
  EXPECT_NE(s.map.error.find("at least 3 points"), std::string::npos);

  auto points = std::make_shared<latent::RowMatrixXf>(4, 3);
  *points << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  const auto got = map.points_for_map(s, *space, points);
  EXPECT_EQ(got.get(), points.get()) << "shared with the worker, not copied";
  controller::MapResult r;
  r.xy.resize(4, 2);
  r.xy << 0, 0, 10, 0, 0, 10, 10, 10;
  r.method = "tsne";
  s.map.selection = {1};
  map.show(r, s);
  EXPECT_EQ(s.map.xy.size(), 8u);
  EXPECT_EQ(s.map.shown_method, "tsne");
  EXPECT_TRUE(s.map.selection.empty());
  EXPECT_EQ(map.method(), "tsne");
  // On a point of the data, the point sits (almost) where that point is.
  s.sliders.z = {1.f, 0.f, 0.f};
  map.place_current(s);
  ASSERT_TRUE(s.map.current_valid);
  EXPECT_NEAR(s.map.current[0], 10.f, 0.01f);
  EXPECT_NEAR(s.map.current[1], 0.f, 0.01f);
  // A linear map places it exactly: y = axes (z - mean).
  controller::MapResult lin = r;
  lin.linear = true;
  lin.mean = Eigen::VectorXf::Zero(3);
  lin.axes = latent::RowMatrixXf::Zero(2, 3);
  lin.axes(0, 2) = 2.f, lin.axes(1, 0) = -1.f;
  map.show(lin, s);
  s.sliders.z = {3.f, 0.f, 4.f};
  map.place_current(s);
  EXPECT_FLOAT_EQ(s.map.current[0], 8.f);
  EXPECT_FLOAT_EQ(s.map.current[1], -3.f);
  s.sliders.z = {1.f, 2.f};
  map.place_current(s);
  EXPECT_FALSE(s.map.current_valid) << "a point of another size is not on the map";
  map.clear(s);
  EXPECT_TRUE(s.map.xy.empty());
  EXPECT_EQ(map.method(), "");
}

TEST(MapController, OnlyTheNewestFilterAnswerIsShown) {
  AppState s;
  controller::Map map;
  s.map.xy.assign(6, 0.f);  // 3 points
  s.map.names = {"king", "queen", "apple"};
  s.map.filter = "^k";
  auto r = map.filter_request(s, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->count, 3u);
  ASSERT_TRUE(r->names);
  EXPECT_EQ(r->names->size(), 3u);
  EXPECT_FALSE(map.filter_request(s, nullptr)) << "the same text is not asked twice";
  map.filter_asked(7);
  s.map.filter = "queen";
  ASSERT_TRUE(map.filter_request(s, nullptr));
  map.filter_asked(8);
  controller::FilterResult old{{1, 0, 0}}, newest{{0, 1, 0}};
  map.filter_answered(7, &old, "", s);
  EXPECT_TRUE(s.map.match.empty()) << "an answer overtaken is dropped";
  controller::FilterResult wrong{{1, 1}};
  map.filter_answered(8, &wrong, "", s);
  EXPECT_TRUE(s.map.match.empty()) << "an answer for other points is dropped";
  map.filter_answered(8, &newest, "", s);
  EXPECT_EQ(s.map.match, (std::vector<char>{0, 1, 0}));
  map.filter_answered(8, nullptr, "bad regular expression", s);
  EXPECT_EQ(s.map.filter_error, "bad regular expression");
  s.map.filter = "";
  EXPECT_FALSE(map.filter_request(s, nullptr));
  EXPECT_TRUE(s.map.match.empty());
  EXPECT_TRUE(s.map.filter_error.empty());
  EXPECT_EQ(map.filter_generation(), 0u) << "a cleared filter drops the answer on its way";
}

TEST(MapController, StartGroupsMakeSlidersThatMoveThePointByTheGroupsDifference) {
  test_util::TempDir tmp;
  touch(tmp / "labels.csv", "glasses\n1\n0\n1\n0\n");
  const latent::LabelTable labels = latent::LabelTable::read_csv(tmp / "labels.csv");
  latent::RowMatrixXf points(4, 2);
  points << 2, 0, 0, 0, 4, 0, 0, 2;  // mean(glasses) - mean(none) = (3, -1)
  AppState s;
  s.sliders.z = {0.f, 0.f};
  controller::make_start_groups(s, &labels, {"specs=glasses=1", "plain=glasses=0", "bad"}, {"specs,plain,2", "specs,nobody,1"},
                                "specs,plain,0.5");
  ASSERT_EQ(s.groups.list.size(), 2u);
  EXPECT_NE(s.labels.error.find("no group named 'nobody'"), std::string::npos) << "the last problem is said: " << s.labels.error;
  ASSERT_EQ(s.attributes.live.size(), 1u) << "a slider naming a group that does not exist is not made";
  EXPECT_TRUE(s.actions.waiting<act::ApplyAttribute>());
  controller::apply_live_attributes(s, nullptr);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{0.f, 0.f})) << "group sliders wait for the dataset";
  controller::apply_live_attributes(s, &points);
  EXPECT_FLOAT_EQ(s.sliders.z[0], 6.f);
  EXPECT_FLOAT_EQ(s.sliders.z[1], -2.f);
  controller::apply_live_attributes(s, &points);
  EXPECT_FLOAT_EQ(s.sliders.z[0], 6.f) << "applied once per change of strength";
  s.attributes.live[0].strength = 1.f;
  controller::apply_live_attributes(s, &points);
  EXPECT_FLOAT_EQ(s.sliders.z[0], 3.f);
  controller::apply_attribute(s, points);
  EXPECT_FLOAT_EQ(s.sliders.z[0], 4.5f);
  EXPECT_FLOAT_EQ(s.sliders.z[1], -1.5f);
  // A named direction moves the point by its step per sigma.
  s.attributes.directions.push_back({});
  s.attributes.directions[0].step = {0.f, 1.f};
  s.attributes.live.push_back({-1, -1, 2.f, 0.f, 0});
  controller::apply_live_attributes(s, nullptr);
  EXPECT_FLOAT_EQ(s.sliders.z[1], 0.5f);
  // A bad strength in --attribute is said, not thrown.
  AppState t;
  controller::make_start_groups(t, &labels, {"specs=glasses=1"}, {}, "specs,plain,lots");
  EXPECT_NE(t.labels.error.find("--attribute takes A,B,STRENGTH"), std::string::npos) << t.labels.error;
}

// A session of the state, and the state again from the session (controller/session.h).
TEST(SessionController, ASessionKeepsThePointBookmarksSlidersWalkAndLiveSettings) {
  AppState s;
  s.model.loaded = true;
  s.model.info.source = "models/olivetti-pca";
  s.model.info.dim = 3;
  s.dataset.path_input = "faces.npy";
  s.sliders.z = {0.5f, -1.f, 2.f};
  s.points.bookmarks = {{"a", {1.f, 2.f, 3.f}}, {"b", {0.f, 0.f, 1.f}}};
  s.groups.list = {{"specs", "glasses=1", {0, 2}}, {"plain", "glasses=0", {1}}};
  s.groups.attr_a = 0, s.groups.attr_b = 1, s.groups.attr_strength = 0.7f;
  s.attributes.directions.push_back({"Smiling", {0.f, 1.f, 0.f}, ""});
  s.attributes.live = {{0, 1, 1.5f, 1.5f, -1}, {-1, -1, 0.f, 0.f, 0}, {-1, -1, 2.f, 2.f, 0}, {5, 6, 1.f, 1.f, -1}};
  s.walk.keys = {{"one", {0.f, 0.f, 0.f}, 2.f, 0}, {"two", {1.f, 1.f, 1.f}, 3.f, 1}};
  s.walk.playing = true;
  s.live.osc_port = 9000, s.live.osc_running = true, s.live.osc_send_host = "10.0.0.2", s.live.osc_send_port = 9001;
  s.live.osc_allow = "10.0.0.3, 10.0.0.4";
  s.options.ui_scale = 1.5f;
  s.journey.caption = "a scene";
  controller::SessionSources src;
  src.dataset_open = true;
  src.labels_path = "labels.csv";
  src.map_method = "tsne";
  src.color_by = "glasses";
  src.midi = nlohmann::json::array();
  src.layout = "perform";
  const latent::Session ses = controller::session_of(s, src);
  EXPECT_EQ(ses.model, "models/olivetti-pca");
  EXPECT_EQ(ses.dataset, "faces.npy");
  EXPECT_EQ(ses.labels, "labels.csv");
  EXPECT_EQ(ses.map_method, "tsne");
  EXPECT_EQ(ses.groups.size(), 2u);
  ASSERT_EQ(ses.sliders.size(), 2u) << "a direction at rest and a slider naming no groups are left out";
  EXPECT_EQ(ses.sliders[0].a, "specs");
  EXPECT_EQ(ses.sliders[1].direction, "Smiling");
  ASSERT_EQ(ses.walks.size(), 1u);
  EXPECT_EQ(ses.walks[0].keys.size(), 2u);
  EXPECT_TRUE(ses.walk_playing);
  EXPECT_EQ(ses.controls["osc"]["allow"], nlohmann::json({"10.0.0.3", "10.0.0.4"}));
  EXPECT_EQ(ses.layout, "perform");

  // Through the file's JSON and back into a fresh state.
  const latent::Session back = latent::session_from_json(latent::session_to_json(ses), "test");
  AppState t;
  controller::restore_session(back, 3, t);
  EXPECT_EQ(t.sliders.z, s.sliders.z);
  ASSERT_EQ(t.points.bookmarks.size(), 2u);
  EXPECT_EQ(t.points.bookmarks[1].name, "b");
  ASSERT_EQ(t.walk.keys.size(), 2u);
  EXPECT_FLOAT_EQ(t.walk.keys[1].seconds, 3.f);
  EXPECT_EQ(t.walk.keys[1].interp, 1);
  EXPECT_EQ(t.live.osc_send_host, "10.0.0.2");
  EXPECT_EQ(t.live.osc_send_port, 9001);
  EXPECT_EQ(t.live.osc_allow, "10.0.0.3, 10.0.0.4");
  EXPECT_EQ(t.live.osc_port, 9000);
  EXPECT_TRUE(t.actions.waiting<act::ToggleOsc>()) << "it listened: it listens again";
  EXPECT_FLOAT_EQ(t.options.ui_scale, 1.5f);
  EXPECT_FLOAT_EQ(t.groups.attr_strength, 0.7f);
  EXPECT_EQ(t.session.status, "opened the session");

  // A model of another size keeps its own point and drops bookmarks and keys that do not fit.
  AppState u;
  u.sliders.z = {9.f, 9.f};
  controller::restore_session(back, 2, u);
  EXPECT_EQ(u.sliders.z, (std::vector<float>{9.f, 9.f}));
  EXPECT_TRUE(u.walk.keys.empty());
  EXPECT_NE(u.session.status.find("its point has another size: not restored"), std::string::npos);
  EXPECT_TRUE(u.points.bookmarks.empty()) << "bookmarks of another size would move the point to a wrong size";
  EXPECT_NE(u.session.status.find("2 bookmarks of another size left out"), std::string::npos) << u.session.status;

  // An unfinished walk is not saved; the rest is.
  s.walk.keys.resize(1);
  EXPECT_TRUE(controller::session_of(s, src).walks.empty());
  src.midi = nullptr;
  EXPECT_FALSE(controller::session_of(s, src).controls.contains("osc")) << "no live control: nothing of it";
}

// A model in the state: the import sheet and a new model's point (controller/model.h).
TEST(ModelController, TheImportSheetShowsWhatTheProbeFoundAndGivesTheCorrectedImportBack) {
  AppState s;
  s.actions.push(act::Reimport{});
  const nlohmann::json imported = {{"generator", "g.pt"}, {"encoder", "e.pt"}, {"out_dir", "pkg"}, {"latent", 100},
                                   {"z_shape", "4d"}, {"channels", 3}, {"height", 64}, {"width", 64},
                                   {"range", {0.0, 1.0}}, {"prior", "uniform"}, {"encoder_output", "mu and logvar"}};
  const nlohmann::json probe = {{"range_guess", "sigmoid"}, {"sample_min", 0.01}, {"sample_max", 0.98}};
  controller::fill_import_sheet(imported, probe, s);
  const ImportSheet& im = s.import_sheet;
  EXPECT_TRUE(im.shown);
  EXPECT_FALSE(s.actions.waiting<act::Reimport>()) << "a re-import of the last import is dropped";
  EXPECT_EQ(im.found,
            "latent 100 as [B,D,1,1], images 3x64x64 (C,H,W), output range 0..1 (sigmoid; 32 samples span "
            "0.010..0.980), uniform prior; encoder e.pt (gives mu and logvar)");
  s.import_sheet.range[0] = -1.f;  // the person corrects the range
  s.import_sheet.z4d = 0;
  const latent::TorchScriptImport spec = controller::import_spec(s.import_sheet);
  EXPECT_EQ(spec.generator, "g.pt");
  EXPECT_EQ(spec.encoder, "e.pt");
  EXPECT_EQ(spec.latent, 100);
  EXPECT_EQ(spec.z_shape, "flat");
  EXPECT_EQ(spec.height, 64);
  EXPECT_FLOAT_EQ(spec.range_lo, -1.f);
  EXPECT_EQ(spec.prior, "uniform");
  // Without a probe the range is "given".
  AppState t;
  controller::fill_import_sheet({{"latent", 8}}, nullptr, t);
  EXPECT_NE(t.import_sheet.found.find("(given; 32 samples span 0.000..0.000), normal prior"), std::string::npos)
      << t.import_sheet.found;
}

TEST(ModelController, ANewModelStartsAtTheOriginOrTheGivenPoint) {
  auto space = small_pca();
  AppState s;
  s.sliders.z = {5.f};
  s.sliders.highlight_dim = 7;
  s.sliders.influence = {1.f, 2.f};
  EXPECT_EQ(controller::show_model(space->info(), space->scale(), 0.9, std::nullopt, s), "");
  EXPECT_TRUE(s.model.loaded);
  EXPECT_EQ(s.model.info.dim, 3);
  EXPECT_EQ(s.sliders.z, (std::vector<float>{0.f, 0.f, 0.f}));
  EXPECT_EQ(s.sliders.highlight_dim, -1) << "a highlight past the new model's sliders goes";
  EXPECT_TRUE(s.sliders.influence.empty());
  EXPECT_FALSE(s.actions.waiting<act::RankInfluence>());
  EXPECT_DOUBLE_EQ(s.model.explained_fraction, 0.9);
  s.sliders.top_n = 2;
  EXPECT_EQ(controller::show_model(space->info(), space->scale(), 0.9, latent::Latent{1.f, 2.f, 3.f}, s), "");
  EXPECT_EQ(s.sliders.z, (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_TRUE(s.actions.waiting<act::RankInfluence>()) << "showing the most influential: ranked again";
  const std::string e = controller::show_model(space->info(), space->scale(), 0.9, latent::Latent{1.f}, s);
  EXPECT_EQ(e, "the starting latent has 1 values, the model 3");
  EXPECT_EQ(s.sliders.z, (std::vector<float>{0.f, 0.f, 0.f}));
}
