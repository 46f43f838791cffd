#include "controller/walk.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace studio::controller {

latent::Walk make_walk(const AppState& s) {
  latent::Walk w;
  w.name = s.walk_name.empty() ? "walk" : s.walk_name;
  if (s.walk_random) {
    latent::RandomLoop rl;
    rl.center = s.walk_keys.empty() ? s.z : s.walk_keys.front().z;
    rl.scale = s.model.scale;
    rl.radius = s.walk_radius;
    rl.speed = s.walk_osc;
    rl.seconds = s.walk_loop_seconds;
    rl.seed = static_cast<uint64_t>(std::max(0, s.walk_seed));
    w.random_loop = rl;
    return w;
  }
  for (const auto& k : s.walk_keys)
    w.keys.push_back({k.name, k.z, k.seconds, static_cast<latent::Interpolation>(std::clamp(k.interp, 0, 2))});
  w.loop = s.walk_loop;
  w.validate(s.model.info.dim);
  return w;
}

std::optional<latent::Walk> step_walk(const std::vector<Action>& actions, AppState& s, int dim, double dt) {
  // Keyframes of another model's size are dropped when the model changes.
  s.walk_keys.erase(std::remove_if(s.walk_keys.begin(), s.walk_keys.end(),
                                   [dim](const AppState::WalkKey& k) { return static_cast<int>(k.z.size()) != dim; }),
                    s.walk_keys.end());
  std::optional<float> seek, length;
  for (const Action& a : actions) {  // the keyframes, in the order asked
    if (std::holds_alternative<act::AddKeyCurrent>(a)) {
      if (static_cast<int>(s.z.size()) == dim) s.walk_keys.push_back({"key " + std::to_string(s.walk_keys.size() + 1), s.z});
    } else if (std::holds_alternative<act::AddKeyBookmarks>(a)) {
      for (const auto& b : s.bookmarks)
        if (static_cast<int>(b.z.size()) == dim) s.walk_keys.push_back({b.name, b.z});
    } else if (std::holds_alternative<act::ClearKeys>(a)) {
      s.walk_keys.clear(), s.walk_playing = false;
    } else if (const auto* remove = std::get_if<act::RemoveKey>(&a)) {
      if (remove->index >= 0 && remove->index < static_cast<int>(s.walk_keys.size()))
        s.walk_keys.erase(s.walk_keys.begin() + remove->index);
    } else if (const auto* to = std::get_if<act::SeekWalk>(&a)) {
      seek = to->time;  // the last seek wins
    } else if (const auto* l = std::get_if<act::SetWalkLength>(&a)) {
      if (l->seconds > 0) length = l->seconds;
    }
  }

  std::optional<latent::Walk> walk;
  if (s.walk_random || s.walk_keys.size() >= 2) {
    try {
      walk = make_walk(s);
      if (length && !s.walk_random) {
        walk->set_duration(*length);
        for (size_t i = 0; i < s.walk_keys.size(); ++i) s.walk_keys[i].seconds = static_cast<float>(walk->keys[i].seconds);
      }
      s.walk_error.clear();
    } catch (const std::exception& e) {
      s.walk_error = e.what();
      walk.reset();
    }
  }
  s.walk_duration = walk ? walk->duration() : 0;
  for (const Action& a : actions) {
    if (!std::holds_alternative<act::ToggleWalk>(a)) continue;
    s.walk_playing = walk && !s.walk_playing;
    if (s.walk_playing && !walk->closed() && s.walk_time >= s.walk_duration) s.walk_time = 0;
  }
  if (!walk) {
    s.walk_playing = false;
    return walk;
  }

  // Playback: one point per displayed frame; the decoder shows the newest finished one,
  // so a slow decode skips points rather than falling behind or going out of order.
  const bool moved = s.walk_playing;  // an open walk that reaches its end this frame shows the end
  if (s.walk_playing) {
    s.walk_time += static_cast<float>(std::max(0.0, dt) * s.walk_rate);
    if (s.walk_time >= s.walk_duration) {
      if (walk->closed()) {
        s.walk_time = static_cast<float>(std::fmod(s.walk_time, std::max(1e-6, s.walk_duration)));
      } else {
        s.walk_time = static_cast<float>(s.walk_duration);
        s.walk_playing = false;
      }
    }
  }
  if (seek) s.walk_time = std::clamp(*seek, 0.f, static_cast<float>(s.walk_duration));
  if (moved || seek) s.z = walk->at(s.walk_time);
  return walk;
}

}  // namespace studio::controller
