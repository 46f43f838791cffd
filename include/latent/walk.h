#pragma once
// Walks: paths through a latent space over time, for animations and video export.
//
// A walk is either a list of keyframes (latent points with a time to the next one and
// how that segment is travelled) or a random loop around a centre point. Either way it
// answers "where are we at time t?" and "which points make the frames at F fps?".
//
// Frame timing: frames(fps) gives round(duration() * fps) frames, frame i at time i/fps.
// The end of the walk is not a frame: an open walk of 6 s at 30 fps is 180 frames shown
// for 1/30 s each, the last from 5.967 s to 6 s, so its final keyframe is the instant the
// video ends (add a short hold segment, or use frames_with_end, to show it). For a loop
// the end is the start again, so no frame is doubled when the video repeats. When every
// segment's seconds * fps is a whole number, every keyframe is exactly one frame.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/space.h"

namespace latent {

enum class Interpolation {
  Linear,  // straight line, constant speed
  Slerp,   // great circle between the directions, norm interpolated linearly (algebra.h)
  Spline,  // Catmull-Rom through the keyframes, C1 where spline segments meet
};
const char* to_string(Interpolation i);
// "linear", "slerp" or "spline"; anything else throws UnsupportedError naming the three.
Interpolation parse_interpolation(const std::string& name);

// The point a fraction t of the way from a to b: a straight line (Linear) or the great
// circle (Slerp; a spline through two points alone is that too). What grid sheets use.
Latent interpolate_pair(const Latent& a, const Latent& b, float t, Interpolation interp);
// `steps` evenly spaced points from a to b, both ends included (one step: a).
std::vector<Latent> interpolate_row(const Latent& a, const Latent& b, int steps, Interpolation interp);

struct Keyframe {
  std::string name;                             // shown to people ("smile", "key 2")
  Latent z;
  double seconds = 2.0;                         // time from this keyframe to the next one
  Interpolation interp = Interpolation::Slerp;  // how the segment to the next one is travelled
};

// A closed random loop: each latent dimension d moves as
//   centre[d] + radius * scale[d] * g_d(t),
// where g_d is a sum of up to three sinusoids with whole numbers of cycles per loop,
// random amplitudes and phases (fixed by `seed`), normalised to an RMS of 1 over the loop.
// So a point on the loop is about as far from the centre as a draw from N(centre,
// (radius*scale)^2), and the loop returns exactly to its start after `seconds`.
struct RandomLoop {
  Latent center;
  std::vector<float> scale;  // per-dimension standard deviation (Space::scale()); empty: 1
  float radius = 1.f;        // in units of `scale`
  float speed = 0.25f;       // oscillations per second along each dimension, on average
                             // (at least one cycle per loop)
  double seconds = 10.0;     // length of one loop
  uint64_t seed = 0;
};

struct Walk {
  std::string name;
  std::vector<Keyframe> keys;             // a keyframe walk: two keyframes or more
  bool loop = false;                      // keyframes: the last one travels back to the first
  std::optional<RandomLoop> random_loop;  // set: this walk is a random loop; `keys` unused

  // A keyframe walk through `points` with the same interpolation and `seconds_per_segment`.
  static Walk through(const std::vector<Latent>& points, double seconds_per_segment, Interpolation interp,
                      bool loop = false);

  bool closed() const { return loop || random_loop.has_value(); }
  // Seconds from the start to the end (a closed walk's end is its start again).
  double duration() const;
  // When each keyframe is reached (empty for a random loop).
  std::vector<double> key_times() const;
  // Scales every segment so the walk lasts `seconds`.
  void set_duration(double seconds);
  // The point at time t. An open walk holds its ends outside [0, duration]; a closed one
  // repeats.
  Latent at(double t) const;
  // round(duration * fps) frames, frame i at time i / fps (see the top of this file).
  int frame_count(double fps) const;
  std::vector<Latent> frames(double fps) const;
  // Frame i of frames(fps), computed alone (for long walks, without holding them all).
  Latent frame(long i, double fps) const;
  // frames(fps), plus a last frame at the end for an open walk (the final keyframe).
  std::vector<Latent> frames_with_end(double fps) const;

  // Throws UnsupportedError, naming the walk and what to change, when the walk cannot be
  // travelled: fewer than two keyframes, a segment without a positive finite duration,
  // points of different sizes, or (dim > 0) points that are not `dim` long.
  void validate(int dim = 0) const;
};

nlohmann::json walk_to_json(const Walk& w);
// `where` names the source in errors ("session.json: walk 2").
Walk walk_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace latent
