// The core's analyses (analysis.h), the workspace's expression names (workspace.h) and the
// grid rows of walk.h: what the studio and the CLI both call.
#include "latent/analysis.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "latent/labels.h"
#include "latent/pca_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "test_util.h"

using namespace latent;
using test_util::error_of;
using test_util::TempDir;

namespace {

// A PCA model whose decodings stay inside [0, 1] for a one-sd step from the origin, so
// nothing is clamped and each dimension's influence is known: sd_k / sqrt(D).
std::unique_ptr<PcaSpace> small_pca() {
  RowMatrixXf x(40, 16);
  for (long i = 0; i < x.rows(); ++i)
    for (long j = 0; j < x.cols(); ++j)
      x(i, j) = 0.5f + 0.15f * std::sin(0.37f * (i + 1) * (j % 5 + 1)) * (j < 8 ? 1.f : 0.3f);
  return PcaSpace::fit(x, {4, 4, 1, 0.f, 1.f}, PcaOptions{5, 0.0});
}

}  // namespace

TEST(Analysis, InfluenceIsTheRmsChangeOfAOneSdStep) {
  const auto pca = small_pca();
  const Latent origin(5, 0.f);
  const std::vector<float> influence = rank_influence(*pca, origin);
  const auto sd = pca->scale();
  ASSERT_EQ(influence.size(), 5u);
  for (size_t k = 0; k < 5; ++k) EXPECT_NEAR(influence[k], sd[k] / 4.0, 1e-5) << k;  // sqrt(16) = 4
  // PCA's scales come in descending order, so the ranking is 0, 1, 2, ...
  const std::vector<int> order = influence_order(influence);
  for (int r = 0; r < 5; ++r) EXPECT_EQ(order[static_cast<size_t>(r)], r);
  int calls = 0;
  rank_influence(*pca, origin, [&](float f, const std::string&) { return ++calls > 0 && f <= 1.f; });
  EXPECT_EQ(calls, 5);
  EXPECT_THROW(rank_influence(*pca, origin, [](float, const std::string&) { return false; }), Cancelled);
  EXPECT_THROW(rank_influence(*pca, Latent(3, 0.f)), UnsupportedError);
}

TEST(Analysis, InfluenceOrderKeepsTiesInIndexOrder) {
  EXPECT_EQ(influence_order({0.1f, 0.5f, 0.1f, 0.5f}), (std::vector<int>{1, 3, 0, 2}));
}

TEST(Analysis, ReconstructionErrorAndItsHeatMap) {
  Image a(2, 1, 1, 0.f), b(2, 1, 1, 0.f);
  b.pixels = {0.f, 0.25f};  // one pixel off by 0.25
  const ReconstructionError e = reconstruction_error(a, b, 4.f);
  EXPECT_NEAR(e.rmse, std::sqrt(0.25 * 0.25 / 2), 1e-9);
  EXPECT_NEAR(e.max_error, 0.25, 1e-9);
  ASSERT_EQ(e.heatmap.channels, 3);
  // No error is black; 0.25 x 4 = 1 is yellow.
  EXPECT_EQ(e.heatmap.pixels[0], 0.f);
  EXPECT_EQ(e.heatmap.pixels[1], 0.f);
  EXPECT_EQ(e.heatmap.pixels[3], 1.f);
  EXPECT_EQ(e.heatmap.pixels[4], 1.f);
  EXPECT_EQ(e.heatmap.pixels[5], 0.f);
}

TEST(Analysis, AnImageIsPlacedByTheEncoderWhereThereIsNoGradientSearch) {
  const auto pca = small_pca();
  Image target(4, 4, 1, 0.5f);
  target.pixels[3] = 0.9f;
  const Placement p = place_image(*pca, target);
  EXPECT_EQ(p.how, "encoder");
  EXPECT_EQ(p.z, pca->encode(target));
  const ReconstructionError e = reconstruction_error(target, pca->decode(p.z));
  EXPECT_NEAR(p.mse, e.rmse * e.rmse, 1e-9);
}

TEST(Analysis, SmallProjectionsSpanTheUnitSquare) {
  const std::vector<Latent> pts = {{0, 0, 0}, {2, 0, 0}, {0, 1, 0}, {2, 1, 0}};
  const auto xy = project_small(pts);
  ASSERT_EQ(xy.size(), 4u);
  float m = 0;
  for (const auto& [x, y] : xy) m = std::max({m, std::fabs(x), std::fabs(y)});
  EXPECT_NEAR(m, 1.f, 1e-6);
  // The long axis (x, spread 2) comes first: points 0 and 1 are at opposite ends of it.
  EXPECT_NEAR(std::fabs(xy[0].first - xy[1].first), 2.f, 1e-5);
  EXPECT_EQ(project_small({{1, 2}}).size(), 1u);
}

TEST(Workspace, BookmarksGroupsAndItemsBecomeExpressionNames) {
  const auto pca = small_pca();
  Workspace ws;
  ws.space = pca.get();
  auto items = std::make_shared<RowMatrixXf>(3, 5);
  for (int r = 0; r < 3; ++r) items->row(r).setConstant(1.f + 2.f * r);
  ws.items = items;
  ws.bookmarks = {{"my point", Latent(5, 2.f)}};
  ws.groups = {{"odd ones", "", {0, 2}}};
  const auto env = ws.expression_env();
  EXPECT_EQ(evaluate_expression("@my_point", *env, 5), Latent(5, 2.f));
  EXPECT_EQ(evaluate_expression("mean(@odd_ones)", *env, 5), Latent(5, 3.f));
  EXPECT_EQ(evaluate_expression("item(1)", *env, 5), Latent(5, 3.f));

  ws.groups = {{"far", "", {7}}};
  ws.where = "s.json";
  try {
    ws.expression_env();
    ADD_FAILURE() << "no error";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("group @far in s.json names item 7 but the dataset has 3"), std::string::npos)
        << e.what();
  }
  ws.items.reset();
  EXPECT_THROW(ws.expression_env(), UnsupportedError);
  ws.items = std::make_shared<RowMatrixXf>(0, 5);
  EXPECT_THROW(ws.expression_env(), UnsupportedError) << "an empty dataset is no dataset";
  EXPECT_THROW(Workspace{}.expression_env(), UnsupportedError);
}

TEST(Workspace, NamedValuesSplitAtTheFirstEquals) {
  const NamedValue v = parse_named_value("glasses=glasses=1 & male=0", "--group", "NAME=QUERY");
  EXPECT_EQ(v.name, "glasses");
  EXPECT_EQ(v.value, "glasses=1 & male=0");
  for (const char* bad : {"glasses", "=x"}) {
    try {
      parse_named_value(bad, "--group", "NAME=QUERY");
      ADD_FAILURE() << bad;
    } catch (const UnsupportedError& e) {
      EXPECT_EQ(std::string(e.what()), std::string("--group takes NAME=QUERY, not '") + bad + "'");
    }
  }
}

// A session's work goes into a Workspace and back unchanged; what does not fit another
// model is left out and said; groups saved as a query take their members from the labels.
TEST(Workspace, SessionsWorkRoundTripsAndFitsTheModel) {
  Session ses;
  ses.model = "m";
  ses.dataset = "faces/";
  ses.labels = "faces/labels.csv";
  ses.z = {1, 2, 3};
  ses.bookmarks = {{"a", {1, 1, 1}}, {"short", {1, 1}}};
  ses.groups = {{"given", "", {0, 1}}, {"glasses", "glasses=1", {}, false}};
  Walk keys = Walk::through({{0, 0, 0}, {1, 1, 1}, {2, 2}}, 2.0, Interpolation::Slerp, false);
  keys.name = "tour";
  Walk wide = Walk::through({{0, 0}, {1, 1}}, 2.0, Interpolation::Linear, false);
  wide.name = "wide";
  ses.walks = {keys, wide};
  ses.caption = "kept";

  Workspace ws = Workspace::from_session(ses, "s.json");
  Session back;
  back.caption = "the view stays";
  ws.into_session(back);
  const nlohmann::json a = session_to_json(ses), b = session_to_json(back);
  for (const char* part : {"dataset", "labels", "z", "bookmarks", "groups", "walks"}) EXPECT_EQ(a[part], b[part]) << part;
  EXPECT_EQ(back.caption, "the view stays") << "only the work is written";
  EXPECT_FALSE(back.groups[1].members_given) << "a query group stays a query until it is settled";

  const std::vector<std::string> left_out = ws.fit(3);
  EXPECT_EQ(ws.z, (Latent{1, 2, 3}));
  ASSERT_EQ(ws.bookmarks.size(), 1u);
  EXPECT_EQ(ws.bookmarks[0].name, "a");
  ASSERT_EQ(ws.walks.size(), 1u) << "a walk left with fewer than two keys goes";
  EXPECT_EQ(ws.walks[0].keys.size(), 2u);
  ASSERT_EQ(left_out.size(), 3u);
  EXPECT_EQ(left_out[0], "1 bookmark of another size left out");
  EXPECT_EQ(left_out[1], "walk 'tour': 1 key of another size left out");
  EXPECT_EQ(left_out[2], "walk 'wide' is of another size: left out");
  Workspace other = Workspace::from_session(ses, "s.json");
  EXPECT_EQ(other.fit(2).front(), "its point has another size: not restored");
  EXPECT_TRUE(other.z.empty());

  EXPECT_EQ(ws.walk("tour").keys.size(), 2u);
  EXPECT_NE(error_of([&] { ws.walk("nope"); }).find("s.json has no walk named 'nope' (its walks: tour)"), std::string::npos);
  EXPECT_NE(error_of([&] { Workspace{}.walk("x", "save one"); }).find("(it has none; save one)"), std::string::npos);
  Walk again = keys;
  again.keys.resize(2);
  again.loop = true;
  ws.keep_walk(again);
  ASSERT_EQ(ws.walks.size(), 1u) << "a walk of the same name is replaced";
  EXPECT_TRUE(ws.walks[0].loop);
  again.name = "second";
  ws.keep_walk(again);
  EXPECT_EQ(ws.walks.size(), 2u);
}

TEST(Workspace, GroupsFromLabelQueries) {
  TempDir tmp;
  {
    std::ofstream out(tmp / "labels.csv");
    out << "file,glasses\nx0,1\nx1,0\nx2,1\n";
  }
  const auto pca = small_pca();
  Workspace ws;
  ws.space = pca.get();
  ws.where = "scene.json";
  ws.groups = {{"glasses", "glasses=1", {}, false}};
  EXPECT_NE(error_of([&] { ws.expression_env(); }).find("group @glasses in scene.json is a label query"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ws.settle_groups(); }).find("give the labels first"), std::string::npos);

  ws.labels = std::make_shared<LabelTable>(LabelTable::read_csv(tmp / "labels.csv"));
  ws.labels_path = "labels.csv";
  auto items = std::make_shared<RowMatrixXf>(3, 5);
  for (int r = 0; r < 3; ++r) items->row(r).setConstant(static_cast<float>(r));
  ws.items = items;
  EXPECT_EQ(ws.settle_groups(), 1);
  EXPECT_EQ(ws.groups[0].members, (std::vector<long>{0, 2}));
  EXPECT_EQ(ws.settle_groups(), 0) << "settled once";
  EXPECT_EQ(ws.add_group("", "glasses=0").name, "glasses=0") << "named by its query";
  EXPECT_NE(error_of([&] { ws.add_group("none", "glasses=7"); }).find("group @none: no item matches 'glasses=7'"),
            std::string::npos);
  const auto env = ws.expression_env();
  EXPECT_EQ(evaluate_expression("mean(@glasses) - mean(@glasses_0)", *env, 5), Latent(5, 0.f));

  ws.items = std::make_shared<RowMatrixXf>(2, 5);
  EXPECT_NE(error_of([&] { ws.add_group("x", "glasses=1"); }).find("labels.csv has 3 rows but the dataset has 2 items"),
            std::string::npos);
}

TEST(Walk, InterpolatedRowsIncludeBothEnds) {
  const Latent a = {1, 0}, b = {0, 1};
  const auto lin = interpolate_row(a, b, 3, Interpolation::Linear);
  ASSERT_EQ(lin.size(), 3u);
  EXPECT_EQ(lin[0], a);
  EXPECT_EQ(lin[2], b);
  EXPECT_FLOAT_EQ(lin[1][0], 0.5f);
  const auto sl = interpolate_row(a, b, 3, Interpolation::Slerp);
  EXPECT_NEAR(sl[1][0], std::sqrt(0.5f), 1e-5);  // on the great circle, not the chord
  EXPECT_EQ(interpolate_row(a, b, 1, Interpolation::Linear), std::vector<Latent>{a});
  EXPECT_EQ(interpolate_pair(a, b, 0.5f, Interpolation::Spline), interpolate_pair(a, b, 0.5f, Interpolation::Slerp));
}

// The map's filter (the studio's filter box): a label query when it compares a column and
// the labels cover the points, else a regular expression over names and label rows.
TEST(Analysis, MapFilterIsALabelQueryOrAnExpressionOverNamesAndLabels) {
  test_util::TempDir tmp;
  {
    std::ofstream f(tmp / "labels.csv");
    f << "person,glasses\nAnn,1\nBob,0\nCarl,1\n";
  }
  const LabelTable labels = LabelTable::read_csv(tmp / "labels.csv");
  const std::vector<std::string> names = {"a.png", "b.png", "c.jpg"};
  EXPECT_EQ(filter_points("glasses=1", 3, names, &labels), (std::vector<char>{1, 0, 1}));
  EXPECT_EQ(filter_points("glasses=1 & person~^C", 3, names, &labels), (std::vector<char>{0, 0, 1}));
  EXPECT_EQ(filter_points("JPG", 3, names, &labels), (std::vector<char>{0, 0, 1})) << "any case";
  EXPECT_EQ(filter_points("bob", 3, names, &labels), (std::vector<char>{0, 1, 0})) << "the label row counts";
  EXPECT_EQ(filter_points("", 3, names, &labels), (std::vector<char>{1, 1, 1}));
  // Labels of another length are not a query: the text is searched as an expression.
  EXPECT_EQ(filter_points("glasses=1", 4, names, &labels), (std::vector<char>{0, 0, 0, 0}));
  EXPECT_EQ(filter_points("^b", 3, names, nullptr), (std::vector<char>{0, 1, 0}));
  EXPECT_EQ(filter_points("o", 2, {"king", "queen", "rook"}, nullptr), (std::vector<char>{0, 0}));
  try {
    filter_points("([", 3, names, &labels);
    FAIL() << "an invalid expression must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("neither a label query nor a valid regular expression"), std::string::npos);
  }
  EXPECT_THROW(filter_points("nosuch=1", 3, names, &labels), std::exception) << "the query names no column";
}

TEST(Analysis, AttributeVectorIsTheDifferenceOfTheGroupsMeans) {
  RowMatrixXf items(4, 2);
  items << 1.f, 0.f, 3.f, 2.f, 0.f, 1.f, 0.f, 5.f;
  const Latent d = attribute_vector(items, {0, 1}, {2, 3});  // (2, 1) - (0, 3)
  EXPECT_EQ(d, (Latent{2.f, -2.f}));
  EXPECT_EQ(attribute_vector(items, {3}, {3}), (Latent{0.f, 0.f}));
  try {
    attribute_vector(items, {0}, {});
    FAIL() << "an empty group has no mean";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("group B"), std::string::npos) << e.what();
  }
  EXPECT_THROW(attribute_vector(items, {0, 4}, {1}), Error) << "an index past the items";
  EXPECT_THROW(attribute_vector(items, {-1}, {1}), Error);
}

TEST(Analysis, AStyleMapPutsItsExamplesApartAlongTheStyleAndPlacesOtherThoughts) {
  // Style A sits at +x, B at -x, with a little spread along y; the style points B -> A.
  const std::vector<Latent> a = {{2.f, 0.5f, 0.f}, {2.f, -0.5f, 0.f}, {1.8f, 0.f, 0.f}};
  const std::vector<Latent> b = {{-2.f, 0.4f, 0.f}, {-2.2f, -0.4f, 0.f}};
  for (const float sign : {1.f, -1.f}) {  // the style's sign turns the first axis
    const StyleMap map(a, b, Latent{sign * 4.f, 0.f, 0.f});
    ASSERT_EQ(map.a().size(), 3u);
    ASSERT_EQ(map.b().size(), 2u);
    float far = 0;
    for (const auto& p : map.a()) EXPECT_GT(sign * p.first, 0.5f);
    for (const auto& p : map.b()) EXPECT_LT(sign * p.first, -0.5f);
    for (const auto& v : {map.a(), map.b()})
      for (const auto& p : v) far = std::max({far, std::fabs(p.first), std::fabs(p.second)});
    EXPECT_NEAR(far, 1.f, 1e-5) << "scaled so the farthest example is at 1";
    const auto caption = map.place({0.f, 0.f, 0.f}), shifted = map.place({2.f, 0.f, 0.f});
    EXPECT_GT(sign * (shifted.first - caption.first), 0.4f) << "a shift towards A moves right";
    EXPECT_EQ(map.place({1.f}), (std::pair<float, float>{0.f, 0.f})) << "a thought of another size";
  }
  EXPECT_THROW(StyleMap(a, {}, Latent{1.f, 0.f, 0.f}), UnsupportedError);
  EXPECT_THROW(StyleMap(a, {{1.f, 2.f}}, Latent{1.f, 0.f, 0.f}), UnsupportedError);
}
