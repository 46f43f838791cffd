#include "controller/walk.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace studio::controller {

latent::Walk make_walk(const AppState& s) {
  latent::Walk w;
  w.name = s.walk.name.empty() ? "walk" : s.walk.name;
  if (s.walk.random) {
    latent::RandomLoop rl;
    rl.center = s.walk.keys.empty() ? s.sliders.z : s.walk.keys.front().z;
    rl.scale = s.model.scale;
    rl.radius = s.walk.radius;
    rl.speed = s.walk.osc;
    rl.seconds = s.walk.loop_seconds;
    rl.seed = static_cast<uint64_t>(std::max(0, s.walk.seed));
    w.random_loop = rl;
    return w;
  }
  for (const auto& k : s.walk.keys)
    w.keys.push_back({k.name, k.z, k.seconds, static_cast<latent::Interpolation>(std::clamp(k.interp, 0, 2))});
  w.loop = s.walk.loop;
  w.validate(s.model.info.dim);
  return w;
}

std::optional<latent::Walk> step_walk(const std::vector<Action>& actions, AppState& s, int dim, double dt) {
  // Keyframes of another model's size are dropped when the model changes.
  s.walk.keys.erase(std::remove_if(s.walk.keys.begin(), s.walk.keys.end(),
                                   [dim](const AppState::WalkKey& k) { return static_cast<int>(k.z.size()) != dim; }),
                    s.walk.keys.end());
  std::optional<float> seek, length;
  for (const Action& a : actions) {  // the keyframes, in the order asked
    if (std::holds_alternative<act::AddKeyCurrent>(a)) {
      if (static_cast<int>(s.sliders.z.size()) == dim)
        s.walk.keys.push_back({"key " + std::to_string(s.walk.keys.size() + 1), s.sliders.z});
    } else if (std::holds_alternative<act::AddKeyBookmarks>(a)) {
      for (const auto& b : s.points.bookmarks)
        if (static_cast<int>(b.z.size()) == dim) s.walk.keys.push_back({b.name, b.z});
    } else if (std::holds_alternative<act::ClearKeys>(a)) {
      s.walk.keys.clear(), s.walk.playing = false;
    } else if (const auto* remove = std::get_if<act::RemoveKey>(&a)) {
      if (remove->index >= 0 && remove->index < static_cast<int>(s.walk.keys.size()))
        s.walk.keys.erase(s.walk.keys.begin() + remove->index);
    } else if (const auto* to = std::get_if<act::SeekWalk>(&a)) {
      seek = to->time;  // the last seek wins
    } else if (const auto* l = std::get_if<act::SetWalkLength>(&a)) {
      if (l->seconds > 0) length = l->seconds;
    }
  }

  std::optional<latent::Walk> walk;
  if (s.walk.random || s.walk.keys.size() >= 2) {
    try {
      walk = make_walk(s);
      if (length && !s.walk.random) {
        walk->set_duration(*length);
        for (size_t i = 0; i < s.walk.keys.size(); ++i)
          s.walk.keys[i].seconds = static_cast<float>(walk->keys[i].seconds);
      }
      s.walk.error.clear();
    } catch (const std::exception& e) {
      s.walk.error = e.what();
      walk.reset();
    }
  }
  s.walk.duration = walk ? walk->duration() : 0;
  for (const Action& a : actions) {
    if (!std::holds_alternative<act::ToggleWalk>(a)) continue;
    s.walk.playing = walk && !s.walk.playing;
    if (s.walk.playing && !walk->closed() && s.walk.time >= s.walk.duration) s.walk.time = 0;
  }
  if (!walk) {
    s.walk.playing = false;
    return walk;
  }

  // Playback: one point per displayed frame; the decoder shows the newest finished one,
  // so a slow decode skips points rather than falling behind or going out of order.
  const bool moved = s.walk.playing;  // an open walk that reaches its end this frame shows the end
  if (s.walk.playing) {
    s.walk.time += static_cast<float>(std::max(0.0, dt) * s.walk.rate);
    if (s.walk.time >= s.walk.duration) {
      if (walk->closed()) {
        s.walk.time = static_cast<float>(std::fmod(s.walk.time, std::max(1e-6, s.walk.duration)));
      } else {
        s.walk.time = static_cast<float>(s.walk.duration);
        s.walk.playing = false;
      }
    }
  }
  if (seek) s.walk.time = std::clamp(*seek, 0.f, static_cast<float>(s.walk.duration));
  if (moved || seek) s.sliders.z = walk->at(s.walk.time);
  return walk;
}

}  // namespace studio::controller
