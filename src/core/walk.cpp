#include "latent/walk.h"

#include <algorithm>
#include <cmath>

#include "latent/algebra.h"
#include "latent/errors.h"

namespace latent {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;
// Frames one walk may have (an hour at 60 fps is 216,000): beyond this, fps or seconds is a typo.
constexpr long kMaxFrames = 10'000'000;

// splitmix64: a tiny generator whose output is the same on every platform and standard
// library, so a seed gives the same loop everywhere (std:: distributions do not promise that).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0,1)
};

// The sinusoids of a random loop, drawn once from its seed.
struct LoopCoefficients {
  struct Wave {
    double cycles, amplitude, phase;
  };
  std::vector<std::vector<Wave>> waves;  // per dimension

  explicit LoopCoefficients(const RandomLoop& r) {
    // Whole cycles per loop, uniform on 1..kmax, average speed * seconds.
    const double wanted = std::min(2.0 * r.speed * r.seconds - 1.0, 1e6);
    const long kmax = std::max(1L, std::lround(wanted));
    const int per_dim = static_cast<int>(std::min<long>(3, kmax));
    SplitMix64 rng{r.seed};
    waves.resize(r.center.size());
    for (auto& dim : waves) {
      double power = 0;
      while (static_cast<int>(dim.size()) < per_dim) {
        const double k = 1 + static_cast<double>(rng.next() % static_cast<uint64_t>(kmax));
        if (std::any_of(dim.begin(), dim.end(), [&](const Wave& w) { return w.cycles == k; })) continue;
        const double a = 0.5 + 0.5 * rng.uniform();
        dim.push_back({k, a, kTwoPi * rng.uniform()});
        power += a * a / 2;  // mean square of a sinusoid; distinct frequencies add
      }
      const double norm = 1.0 / std::sqrt(power);
      for (auto& w : dim) w.amplitude *= norm;
    }
  }

  Latent at(const RandomLoop& r, double t) const {
    const double theta = kTwoPi * (t / r.seconds - std::floor(t / r.seconds));
    Latent z(r.center.size());
    for (size_t d = 0; d < z.size(); ++d) {
      double g = 0;
      for (const Wave& w : waves[d]) g += w.amplitude * std::sin(w.cycles * theta + w.phase);
      const double s = r.scale.empty() ? 1.0 : r.scale[d];
      z[d] = static_cast<float>(r.center[d] + r.radius * s * g);
    }
    return z;
  }
};

std::string walk_label(const Walk& w) { return w.name.empty() ? std::string("the walk") : "walk '" + w.name + "'"; }

bool finite_positive(double v) { return std::isfinite(v) && v > 0; }

}  // namespace

const char* to_string(Interpolation i) {
  switch (i) {
    case Interpolation::Linear: return "linear";
    case Interpolation::Slerp: return "slerp";
    case Interpolation::Spline: return "spline";
  }
  return "?";
}

Interpolation parse_interpolation(const std::string& name) {
  for (Interpolation i : {Interpolation::Linear, Interpolation::Slerp, Interpolation::Spline})
    if (name == to_string(i)) return i;
  throw UnsupportedError("unknown interpolation '" + name + "' (known: linear, slerp, spline)");
}

Latent interpolate_pair(const Latent& a, const Latent& b, float t, Interpolation interp) {
  return interp == Interpolation::Linear ? lerp(a, b, t) : slerp(a, b, t);
}

std::vector<Latent> interpolate_row(const Latent& a, const Latent& b, int steps, Interpolation interp) {
  std::vector<Latent> out;
  out.reserve(static_cast<size_t>(std::max(0, steps)));
  for (int i = 0; i < steps; ++i)
    out.push_back(interpolate_pair(a, b, steps > 1 ? static_cast<float>(i) / (steps - 1) : 0.f, interp));
  return out;
}

Walk Walk::through(const std::vector<Latent>& points, double seconds_per_segment, Interpolation interp, bool loop) {
  Walk w;
  w.loop = loop;
  for (size_t i = 0; i < points.size(); ++i)
    w.keys.push_back({"key " + std::to_string(i + 1), points[i], seconds_per_segment, interp});
  return w;
}

void Walk::validate(int dim) const {
  const std::string label = walk_label(*this);
  auto check_size = [&](const Latent& z, const std::string& what) {
    if (z.empty()) throw UnsupportedError(label + ": " + what + " has no latent values");
    if (dim > 0 && static_cast<int>(z.size()) != dim)
      throw UnsupportedError(label + ": " + what + " has " + std::to_string(z.size()) + " values but the model has " +
                             std::to_string(dim) + " dimensions");
  };
  if (random_loop) {
    const RandomLoop& r = *random_loop;
    check_size(r.center, "the centre");
    if (!r.scale.empty() && r.scale.size() != r.center.size())
      throw UnsupportedError(label + ": the scale has " + std::to_string(r.scale.size()) + " values for a " +
                             std::to_string(r.center.size()) + "-dimensional centre");
    for (float s : r.scale)
      if (!std::isfinite(s) || s < 0) throw UnsupportedError(label + ": the scale has a negative or non-finite value");
    if (!std::isfinite(r.radius) || r.radius < 0)
      throw UnsupportedError(label + ": the radius must be a number >= 0, not " + std::to_string(r.radius));
    if (!finite_positive(r.speed))
      throw UnsupportedError(label + ": the speed must be a positive number, not " + std::to_string(r.speed));
    if (!finite_positive(r.seconds))
      throw UnsupportedError(label + ": the loop must last a positive number of seconds, not " +
                             std::to_string(r.seconds));
    return;
  }
  if (keys.size() < 2)
    throw UnsupportedError(label + " has " + std::to_string(keys.size()) +
                           (keys.size() == 1 ? " keyframe" : " keyframes") + "; a walk needs two or more");
  const size_t segments = loop ? keys.size() : keys.size() - 1;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string what = "keyframe " + std::to_string(i + 1) + (keys[i].name.empty() ? "" : " ('" + keys[i].name + "')");
    check_size(keys[i].z, what);
    if (keys[i].z.size() != keys[0].z.size())
      throw UnsupportedError(label + ": " + what + " has " + std::to_string(keys[i].z.size()) +
                             " values but keyframe 1 has " + std::to_string(keys[0].z.size()));
    if (i < segments && !finite_positive(keys[i].seconds))
      throw UnsupportedError(label + ": " + what + " lasts " + std::to_string(keys[i].seconds) +
                             " s to the next keyframe; give it a positive number of seconds");
  }
}

double Walk::duration() const {
  if (random_loop) return random_loop->seconds;
  if (keys.size() < 2) return 0;
  double d = 0;
  const size_t segments = loop ? keys.size() : keys.size() - 1;
  for (size_t i = 0; i < segments; ++i) d += keys[i].seconds;
  return d;
}

std::vector<double> Walk::key_times() const {
  std::vector<double> t;
  if (random_loop) return t;
  double acc = 0;
  for (const Keyframe& k : keys) {
    t.push_back(acc);
    acc += k.seconds;
  }
  return t;
}

void Walk::set_duration(double seconds) {
  if (!finite_positive(seconds))
    throw UnsupportedError(walk_label(*this) + ": a walk must last a positive number of seconds, not " +
                           std::to_string(seconds));
  if (random_loop) {
    random_loop->seconds = seconds;
    return;
  }
  validate();
  const double f = seconds / duration();
  for (Keyframe& k : keys) k.seconds *= f;
}

namespace {

// The velocity (latent units per second) of the Catmull-Rom spline at keyframe i: the
// non-uniform Catmull-Rom tangent with the keyframe times as knots, so the curve is C1 in
// time, which is what a video shows. With equal durations it is the uniform spline's
// (P[i+1] - P[i-1]) / 2h. An open walk's end keyframes take the one-sided chord.
std::vector<double> spline_velocity(const Walk& w, size_t i) {
  const size_t n = w.keys.size();
  const Latent& p = w.keys[i].z;
  const bool has_prev = w.loop || i > 0, has_next = w.loop || i + 1 < n;
  const size_t ip = (i + n - 1) % n, in = (i + 1) % n;
  const double hp = has_prev ? w.keys[ip].seconds : 0, hn = has_next ? w.keys[i].seconds : 0;
  std::vector<double> m(p.size());
  for (size_t d = 0; d < p.size(); ++d) {
    const double back = has_prev ? (double(p[d]) - w.keys[ip].z[d]) / hp : 0;
    const double fwd = has_next ? (double(w.keys[in].z[d]) - p[d]) / hn : 0;
    if (!has_prev) m[d] = fwd;
    else if (!has_next) m[d] = back;
    else m[d] = (back * hn + fwd * hp) / (hp + hn);
  }
  return m;
}

// The point a fraction u of the way along segment s (from keys[s] to the next keyframe).
Latent segment_point(const Walk& w, size_t s, double u) {
  const Keyframe& a = w.keys[s];
  const Keyframe& b = w.keys[(s + 1) % w.keys.size()];
  // The ends exactly, whatever rounding the formulas below would do.
  if (u <= 0) return a.z;
  if (u >= 1) return b.z;
  switch (a.interp) {
    case Interpolation::Linear: return lerp(a.z, b.z, static_cast<float>(u));
    case Interpolation::Slerp: return slerp(a.z, b.z, static_cast<float>(u));
    case Interpolation::Spline: break;
  }
  const std::vector<double> ma = spline_velocity(w, s), mb = spline_velocity(w, (s + 1) % w.keys.size());
  const double h = a.seconds, u2 = u * u, u3 = u2 * u;
  const double h00 = 2 * u3 - 3 * u2 + 1, h10 = (u3 - 2 * u2 + u) * h, h01 = -2 * u3 + 3 * u2, h11 = (u3 - u2) * h;
  Latent z(a.z.size());
  for (size_t d = 0; d < z.size(); ++d)
    z[d] = static_cast<float>(h00 * a.z[d] + h10 * ma[d] + h01 * b.z[d] + h11 * mb[d]);
  return z;
}

}  // namespace

Latent Walk::at(double t) const {
  validate();
  if (random_loop) return LoopCoefficients(*random_loop).at(*random_loop, t);
  const double total = duration();
  if (loop) {
    t = std::fmod(t, total);
    if (t < 0) t += total;
  } else {
    if (!(t > 0)) return keys.front().z;  // also NaN
    if (t >= total) return keys.back().z;
  }
  const std::vector<double> times = key_times();
  const size_t segments = loop ? keys.size() : keys.size() - 1;
  size_t s = 0;
  while (s + 1 < segments && times[s + 1] <= t) ++s;
  return segment_point(*this, s, (t - times[s]) / keys[s].seconds);
}

int Walk::frame_count(double fps) const {
  if (!finite_positive(fps)) throw UnsupportedError("frames per second must be a positive number, not " + std::to_string(fps));
  validate();
  const double n = std::round(duration() * fps);
  if (n > kMaxFrames)
    throw UnsupportedError(walk_label(*this) + " would be " + std::to_string(static_cast<long>(n)) +
                           " frames; check the seconds and frames per second");
  return static_cast<int>(n);
}

Latent Walk::frame(long i, double fps) const {
  if (!finite_positive(fps)) throw UnsupportedError("frames per second must be a positive number, not " + std::to_string(fps));
  validate();
  if (random_loop) return LoopCoefficients(*random_loop).at(*random_loop, i / fps);
  // Segment ends in frame units; whole numbers (up to rounding in the sums) are made exact,
  // so a keyframe meant to land on a frame is that frame, bit for bit.
  const std::vector<double> times = key_times();
  const size_t segments = loop ? keys.size() : keys.size() - 1;
  auto edge = [&](size_t s) {
    const double f = (s < segments ? times[s] : duration()) * fps;
    return std::fabs(f - std::round(f)) < 1e-6 * std::max(1.0, std::fabs(f)) ? std::round(f) : f;
  };
  if (i == 0) return keys.front().z;
  if (i < 0 || i >= edge(segments)) return at(i / fps);  // outside the walk: held or wrapped
  size_t s = 0;
  while (s + 1 < segments && edge(s + 1) <= i) ++s;
  return segment_point(*this, s, (i - edge(s)) / (edge(s + 1) - edge(s)));
}

std::vector<Latent> Walk::frames(double fps) const {
  const int n = frame_count(fps);
  std::vector<Latent> out;
  out.reserve(static_cast<size_t>(n));
  if (random_loop) {
    const LoopCoefficients c(*random_loop);
    for (int i = 0; i < n; ++i) out.push_back(c.at(*random_loop, i / fps));
    return out;
  }
  for (int i = 0; i < n; ++i) out.push_back(frame(i, fps));
  return out;
}

std::vector<Latent> Walk::frames_with_end(double fps) const {
  std::vector<Latent> out = frames(fps);
  if (!closed()) out.push_back(keys.back().z);
  return out;
}

nlohmann::json walk_to_json(const Walk& w) {
  nlohmann::json j = {{"name", w.name}};
  if (w.random_loop) {
    const RandomLoop& r = *w.random_loop;
    j["kind"] = "random-loop";
    j["random_loop"] = {{"center", r.center}, {"scale", r.scale},     {"radius", r.radius},
                        {"speed", r.speed},   {"seconds", r.seconds}, {"seed", r.seed}};
    return j;
  }
  j["kind"] = "keyframes";
  j["loop"] = w.loop;
  j["keys"] = nlohmann::json::array();
  for (const Keyframe& k : w.keys)
    j["keys"].push_back({{"name", k.name}, {"z", k.z}, {"seconds", k.seconds}, {"interp", to_string(k.interp)}});
  return j;
}

Walk walk_from_json(const nlohmann::json& j, const std::string& where) {
  try {
    if (!j.is_object()) throw FormatError(where + ": a walk must be a JSON object");
    Walk w;
    w.name = j.value("name", "");
    const std::string kind = j.value("kind", "keyframes");
    if (kind == "random-loop") {
      const auto& r = j.at("random_loop");
      RandomLoop loop;
      loop.center = r.at("center").get<Latent>();
      loop.scale = r.value("scale", std::vector<float>{});
      loop.radius = r.value("radius", loop.radius);
      loop.speed = r.value("speed", loop.speed);
      loop.seconds = r.value("seconds", loop.seconds);
      loop.seed = r.value("seed", loop.seed);
      w.random_loop = loop;
    } else if (kind == "keyframes") {
      w.loop = j.value("loop", false);
      for (const auto& k : j.value("keys", nlohmann::json::array())) {
        Keyframe key;
        key.name = k.value("name", "");
        key.z = k.at("z").get<Latent>();
        key.seconds = k.value("seconds", key.seconds);
        const std::string interp = k.value("interp", to_string(key.interp));
        try {
          key.interp = parse_interpolation(interp);
        } catch (const UnsupportedError& e) {
          throw FormatError(where + ": keyframe " + std::to_string(w.keys.size() + 1) + ": " + e.what());
        }
        w.keys.push_back(std::move(key));
      }
    } else {
      throw FormatError(where + ": unknown walk kind '" + kind + "' (known: keyframes, random-loop)");
    }
    return w;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(where + ": a walk field has the wrong form (" + std::string(e.what()) + ")");
  }
}

}  // namespace latent
