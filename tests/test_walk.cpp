// Walks: keyframe timing, interpolations, the spline's smoothness, random loops, JSON and
// sessions.
#include "latent/walk.h"

#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "latent/session.h"
#include "test_util.h"

using namespace latent;

namespace {

Latent random_point(int dim, std::mt19937& rng, bool unit = false) {
  std::normal_distribution<float> n(0.f, 1.f);
  Latent z(dim);
  for (float& v : z) v = n(rng);
  if (unit) {
    double s = 0;
    for (float v : z) s += double(v) * v;
    for (float& v : z) v = static_cast<float>(v / std::sqrt(s));
  }
  return z;
}

double norm(const Latent& z) {
  double s = 0;
  for (float v : z) s += double(v) * v;
  return std::sqrt(s);
}

std::vector<double> minus(const Latent& a, const Latent& b, double scale = 1) {
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = (double(a[i]) - b[i]) * scale;
  return d;
}

double dist(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

double length(const std::vector<double>& a) { return dist(a, std::vector<double>(a.size(), 0.0)); }

Walk three_keys(Interpolation interp, bool loop) {
  std::mt19937 rng(1);
  Walk w = Walk::through({random_point(6, rng), random_point(6, rng), random_point(6, rng)}, 2.0, interp, loop);
  w.name = "test";
  w.keys[1].seconds = 1.5;
  w.keys[2].seconds = 1.0;  // only travelled when the walk loops
  return w;
}

}  // namespace

TEST(Walk, KeyframesLandExactlyOnFrames) {
  for (Interpolation interp : {Interpolation::Linear, Interpolation::Slerp, Interpolation::Spline}) {
    SCOPED_TRACE(to_string(interp));
    const Walk open = three_keys(interp, false);
    EXPECT_DOUBLE_EQ(open.duration(), 3.5);
    const auto f = open.frames(30);
    ASSERT_EQ(f.size(), 105u);  // 3.5 s x 30; the end keyframe is the instant the video ends
    EXPECT_EQ(f[0], open.keys[0].z);
    EXPECT_EQ(f[60], open.keys[1].z);
    EXPECT_NE(f[59], open.keys[1].z);
    EXPECT_NE(f[104], open.keys[2].z);
    const auto with_end = open.frames_with_end(30);
    ASSERT_EQ(with_end.size(), 106u);
    EXPECT_EQ(with_end.back(), open.keys[2].z);

    const Walk loop = three_keys(interp, true);
    EXPECT_DOUBLE_EQ(loop.duration(), 4.5);
    const auto g = loop.frames(30);
    ASSERT_EQ(g.size(), 135u);
    EXPECT_EQ(g[0], loop.keys[0].z);
    EXPECT_EQ(g[60], loop.keys[1].z);
    EXPECT_EQ(g[105], loop.keys[2].z);
    EXPECT_NE(g.back(), loop.keys[0].z);  // frame 0 is not repeated at the end
    EXPECT_EQ(loop.frames_with_end(30).size(), 135u);
  }
}

TEST(Walk, KeyframesLandOnFramesDespiteDecimalDurations) {
  // 0.1 s is not exact in binary, and 0.1 + 0.1 + 0.1 != 0.3; each key must still be a frame.
  std::mt19937 rng(2);
  std::vector<Latent> pts;
  for (int i = 0; i < 8; ++i) pts.push_back(random_point(4, rng));
  const Walk w = Walk::through(pts, 0.1, Interpolation::Linear);
  const auto f = w.frames(30);
  ASSERT_EQ(f.size(), 21u);
  for (int k = 0; k < 7; ++k) EXPECT_EQ(f[3 * k], pts[k]) << "key " << k;
}

TEST(Walk, FrameCountIsRoundedDurationTimesFps) {
  Walk w = three_keys(Interpolation::Linear, false);
  w.set_duration(1.01);
  EXPECT_NEAR(w.duration(), 1.01, 1e-12);
  EXPECT_EQ(w.frame_count(30), 30);
  EXPECT_EQ(w.frames(30).size(), 30u);
  EXPECT_EQ(w.frame_count(24), 24);
  w.set_duration(1.02);
  EXPECT_EQ(w.frame_count(25), 26);  // 25.5 rounds up
  EXPECT_THROW(w.frame_count(0), UnsupportedError);
  EXPECT_THROW(w.frame_count(-3), UnsupportedError);
}

TEST(Walk, LinearMovesAtConstantSpeed) {
  std::mt19937 rng(3);
  const Latent a = random_point(5, rng), b = random_point(5, rng);
  const Walk w = Walk::through({a, b}, 1.0, Interpolation::Linear);
  const Latent mid = w.at(0.25);
  for (int d = 0; d < 5; ++d) EXPECT_NEAR(mid[d], 0.75f * a[d] + 0.25f * b[d], 1e-6);
  EXPECT_EQ(w.at(-1), a);  // an open walk holds its ends
  EXPECT_EQ(w.at(5), b);
}

TEST(Walk, SlerpStaysOnTheSphereForUnitKeys) {
  std::mt19937 rng(4);
  std::vector<Latent> pts;
  for (int i = 0; i < 4; ++i) pts.push_back(random_point(64, rng, true));
  const Walk slerp = Walk::through(pts, 1.0, Interpolation::Slerp, true);
  for (const Latent& z : slerp.frames(20)) EXPECT_NEAR(norm(z), 1.0, 1e-5);
  // The same keys joined by straight lines cut inside the sphere: the check above can fail.
  const Walk linear = Walk::through(pts, 1.0, Interpolation::Linear, true);
  EXPECT_LT(norm(linear.at(0.5)), 0.9);
}

TEST(Walk, SplineIsC1AndPassesThroughEveryKeyframe) {
  std::mt19937 rng(5);
  std::vector<Latent> pts;
  for (int i = 0; i < 5; ++i) pts.push_back(random_point(8, rng));
  for (bool loop : {false, true}) {
    SCOPED_TRACE(loop ? "loop" : "open");
    auto make = [&](Interpolation interp) {
      Walk w = Walk::through(pts, 1.0, interp, loop);
      const double secs[] = {1.0, 2.0, 0.5, 1.5, 0.75};  // unequal on purpose
      for (size_t i = 0; i < 5; ++i) w.keys[i].seconds = secs[i];
      return w;
    };
    const Walk spline = make(Interpolation::Spline), linear = make(Interpolation::Linear);
    const std::vector<double> times = spline.key_times();
    const double eps = 1e-3;
    double worst_spline = 0, worst_linear = 0;
    // Interior keyframes, and for a loop also where it closes (key 0 at its end time).
    const size_t last = loop ? 5 : 3;
    for (size_t k = 1; k <= last; ++k) {
      const double t = k < 5 ? times[k] : spline.duration();
      const Latent& key = pts[k % 5];
      EXPECT_EQ(spline.at(k < 5 ? t : 0.0), key);
      for (const Walk* w : {&spline, &linear}) {
        const Latent at = w->at(k < 5 ? t : 0.0);
        const auto left = minus(at, w->at(t - eps), 1 / eps);   // velocity arriving
        const auto right = minus(w->at(t + eps), at, 1 / eps);  // velocity leaving
        const double jump = dist(left, right) / length(left);
        (w == &spline ? worst_spline : worst_linear) = std::max(w == &spline ? worst_spline : worst_linear, jump);
      }
    }
    EXPECT_LT(worst_spline, 0.02);  // same velocity on both sides
    EXPECT_GT(worst_linear, 0.2);   // straight segments do turn corners: the check can fail
    // Between keyframes the spline is a curve, not the chord.
    const Latent mid = spline.at(times[1] + 1.0), chord = linear.at(times[1] + 1.0);
    EXPECT_GT(dist(minus(mid, chord), std::vector<double>(8, 0.0)), 1e-3);
  }
}

TEST(Walk, EqualDurationSplineIsTheUniformCatmullRom) {
  std::mt19937 rng(6);
  std::vector<Latent> p;
  for (int i = 0; i < 4; ++i) p.push_back(random_point(3, rng));
  const Walk w = Walk::through(p, 1.0, Interpolation::Spline);
  // The classic formula for the middle segment at u = 0.3.
  const double u = 0.3, u2 = u * u, u3 = u2 * u;
  const Latent z = w.at(1.3);
  for (int d = 0; d < 3; ++d) {
    const double expect = 0.5 * (2 * p[1][d] + (-p[0][d] + p[2][d]) * u + (2 * p[0][d] - 5 * p[1][d] + 4 * p[2][d] - p[3][d]) * u2 +
                                 (-p[0][d] + 3 * p[1][d] - 3 * p[2][d] + p[3][d]) * u3);
    EXPECT_NEAR(z[d], expect, 1e-5);
  }
}

TEST(Walk, RandomLoopClosesAndIsReproducible) {
  std::mt19937 rng(7);
  RandomLoop r;
  r.center = random_point(32, rng);
  r.scale.assign(32, 1.f);
  for (int d = 0; d < 32; ++d) r.scale[d] = 0.5f + d * 0.1f;
  r.radius = 0.8f;
  r.speed = 0.4f;
  r.seconds = 7.5;
  r.seed = 42;
  Walk w;
  w.random_loop = r;
  EXPECT_TRUE(w.closed());
  EXPECT_DOUBLE_EQ(w.duration(), 7.5);
  const auto f = w.frames(24);
  ASSERT_EQ(f.size(), 180u);
  // Closed: just before the end is just next to frame 0, and frame 0 is where it begins again.
  EXPECT_LT(dist(minus(w.at(7.5 - 1e-6), f[0]), std::vector<double>(32, 0.0)), 1e-3);
  EXPECT_EQ(w.at(7.5), f[0]);
  EXPECT_EQ(w.at(2.0), w.at(2.0 + 7.5));
  // It moves: consecutive frames differ, and it wanders well away from its start.
  double far = 0;
  for (const Latent& z : f) far = std::max(far, dist(minus(z, f[0]), std::vector<double>(32, 0.0)));
  EXPECT_GT(far, 1.0);
  EXPECT_NE(f[1], f[0]);
  // The radius: each dimension's mean square offset over the loop is (radius * scale)^2.
  for (int d = 0; d < 32; d += 7) {
    double ms = 0;
    const auto fine = w.frames(400);
    for (const Latent& z : fine) ms += std::pow((z[d] - r.center[d]) / (r.radius * r.scale[d]), 2);
    EXPECT_NEAR(ms / fine.size(), 1.0, 0.02) << "dimension " << d;
  }
  // Same seed, same loop; another seed, another loop.
  EXPECT_EQ(w.frames(24), f);
  Walk other = w;
  other.random_loop->seed = 43;
  EXPECT_NE(other.frames(24)[5], f[5]);
}

TEST(Walk, KeyframeLoopReturnsToItsStart) {
  const Walk w = three_keys(Interpolation::Slerp, true);
  const double d = w.duration();
  EXPECT_LT(dist(minus(w.at(d - 1e-6), w.keys[0].z), std::vector<double>(6, 0.0)), 1e-4);
  EXPECT_EQ(w.at(d + 2.0), w.at(2.0));
}

TEST(Walk, ErrorsSayWhatToChange) {
  std::mt19937 rng(8);
  Walk one = Walk::through({random_point(4, rng)}, 1.0, Interpolation::Slerp);
  one.name = "solo";
  try {
    one.frames(30);
    FAIL() << "a one-keyframe walk was accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("walk 'solo' has 1 keyframe; a walk needs two or more"), std::string::npos) << e.what();
  }
  Walk zero = three_keys(Interpolation::Linear, false);
  zero.keys[1].seconds = 0;
  try {
    zero.validate();
    FAIL() << "a zero-second segment was accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("keyframe 2 ('key 2') lasts 0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("positive number of seconds"), std::string::npos) << e.what();
  }
  zero.keys[2].seconds = 0;  // the last key of an open walk has no segment: fine
  zero.keys[1].seconds = 1;
  EXPECT_NO_THROW(zero.validate());
  const Walk w = three_keys(Interpolation::Linear, false);
  try {
    w.validate(7);
    FAIL() << "a wrong dimension was accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("has 6 values but the model has 7 dimensions"), std::string::npos) << e.what();
  }
  try {
    parse_interpolation("cubic");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("known: linear, slerp, spline"), std::string::npos);
  }
  Walk bad_loop;
  bad_loop.random_loop = RandomLoop{};
  bad_loop.random_loop->center = {1, 2};
  bad_loop.random_loop->speed = 0;
  EXPECT_THROW(bad_loop.validate(), UnsupportedError);
}

TEST(Walk, JsonRoundTrip) {
  Walk w = three_keys(Interpolation::Spline, true);
  w.keys[0].interp = Interpolation::Linear;
  w.keys[1].name = "smile";
  const nlohmann::json j = walk_to_json(w);
  const Walk back = walk_from_json(j, "test");
  EXPECT_EQ(walk_to_json(back), j);
  EXPECT_EQ(back.name, "test");
  EXPECT_TRUE(back.loop);
  EXPECT_EQ(back.keys[1].name, "smile");
  EXPECT_EQ(back.keys[0].interp, Interpolation::Linear);
  EXPECT_EQ(back.keys[1].interp, Interpolation::Spline);
  EXPECT_EQ(back.frames(30), w.frames(30));

  Walk r;
  r.name = "wander";
  r.random_loop = RandomLoop{{1.f, -2.f, 0.5f}, {1.f, 2.f, 3.f}, 1.5f, 0.3f, 12.0, 0xFFFFFFFFFFFFFFF0ull};
  const Walk rback = walk_from_json(walk_to_json(r), "test");
  ASSERT_TRUE(rback.random_loop);
  EXPECT_EQ(rback.random_loop->seed, 0xFFFFFFFFFFFFFFF0ull);
  EXPECT_EQ(rback.frames(10), r.frames(10));

  nlohmann::json bad = j;
  bad["keys"][2]["interp"] = "bezier";
  try {
    walk_from_json(bad, "s.json: walk 1");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("s.json: walk 1: keyframe 3: unknown interpolation 'bezier'"), std::string::npos)
        << e.what();
  }
  nlohmann::json no_z = j;
  no_z["keys"][0].erase("z");
  EXPECT_THROW(walk_from_json(no_z, "x"), FormatError);
}

TEST(Walk, SessionsKeepWalksAndOldSessionsStillLoad) {
  test_util::TempDir tmp;
  Session s;
  s.model = "models/olivetti-pca";
  s.walks.push_back(three_keys(Interpolation::Slerp, false));
  Walk r;
  r.name = "wander";
  r.random_loop = RandomLoop{{0.f, 0.f, 0.f}, {}, 1.f, 0.25f, 10.0, 9};
  s.walks.push_back(r);
  save_session(s, tmp / "s.json");
  const Session back = load_session(tmp / "s.json");
  ASSERT_EQ(back.walks.size(), 2u);
  EXPECT_EQ(session_to_json(back), session_to_json(s));
  EXPECT_EQ(back.walks[0].frames(30), s.walks[0].frames(30));
  EXPECT_EQ(back.walks[1].name, "wander");

  // A session written before walks existed.
  nlohmann::json old = session_to_json(s);
  old.erase("walks");
  std::ofstream(tmp / "old.json") << old.dump();
  EXPECT_TRUE(load_session(tmp / "old.json").walks.empty());

  nlohmann::json broken = session_to_json(s);
  broken["walks"][1]["kind"] = "teleport";
  std::ofstream(tmp / "broken.json") << broken.dump();
  try {
    load_session(tmp / "broken.json");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.json: walk 2: unknown walk kind 'teleport'"), std::string::npos) << e.what();
  }
}

TEST(Walk, FrameByFrameEqualsAllFrames) {
  for (bool loop : {false, true}) {
    Walk w = three_keys(Interpolation::Spline, loop);
    w.keys[0].seconds = 0.1;  // decimal durations: the keyframe must still be frame 3
    const auto all = w.frames(30);
    for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(w.frame(static_cast<long>(i), 30), all[i]) << i;
    EXPECT_EQ(w.frame(3, 30), w.keys[1].z);
  }
  Walk r;
  r.random_loop = RandomLoop{{1.f, 2.f}, {}, 1.f, 0.5f, 3.0, 1};
  const auto all = r.frames(10);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(r.frame(static_cast<long>(i), 10), all[i]) << i;
  EXPECT_EQ(r.frame(30, 10), all[0]);  // one loop later
}
