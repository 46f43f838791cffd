#include "controller/live.h"

#include <algorithm>
#include <string>

namespace studio::controller {

void step_bookmark(AppState& s, bool next) {
  const int n = static_cast<int>(s.points.bookmarks.size());
  if (n == 0) return;
  int& at = s.show.current_bookmark;
  at = at < 0 ? (next ? 0 : n - 1) : (at + (next ? 1 : n - 1)) % n;
  s.actions.push(act::GoToBookmark{s.show.current_bookmark});
}

void randomize(AppState& s) { s.actions.push(act::Randomize{++s.sliders.randomize_seed}); }

void apply_control_event(const ControlEvent& e, AppState& s) {
  using Kind = ControlEvent::Kind;
  s.live.last = describe(e);
  const int dim = static_cast<int>(s.sliders.z.size());
  switch (e.kind) {
    case Kind::SetDim:
      if (e.index >= 0 && e.index < dim) {
        const float range = s.slider_range(e.index);
        s.sliders.z[e.index] = e.normalized ? -range + 2.f * range * e.value : e.value;
      }
      break;
    case Kind::SetDims:
      if (static_cast<int>(e.values.size()) == dim) s.sliders.z = e.values;
      else s.live.last = "ignored /latent/z with " + std::to_string(e.values.size()) + " values (the model has " +
                         std::to_string(dim) + ")";
      break;
    case Kind::Attribute:
      if (!e.text.empty()) {  // a named direction, in sigma
        bool found = false;
        for (auto& a : s.attributes.live)
          if (a.direction >= 0 && a.direction < static_cast<int>(s.attributes.directions.size()) &&
              s.attributes.directions[static_cast<size_t>(a.direction)].name == e.text) {
            a.strength = e.normalized ? -3.f + 6.f * e.value : e.value;
            found = true;
          }
        if (!found) s.live.last = "ignored: the model has no direction \"" + e.text + "\"";
      } else if (e.index >= 0 && e.index < static_cast<int>(s.attributes.live.size())) {
        s.attributes.live[e.index].strength = e.normalized ? -3.f + 6.f * e.value : e.value;
      }
      break;
    case Kind::StyleStrength:
      s.live.last = "style strength is for sentence models (not open)";
      break;
    case Kind::WalkSpeed:
      s.walk.rate = std::clamp(e.normalized ? 0.1f + 3.9f * e.value : e.value, 0.f, 16.f);
      break;
    case Kind::WalkPlay:
      if (!s.walk.playing) s.actions.push(act::ToggleWalk{});
      break;
    case Kind::WalkPause:
      if (s.walk.playing) s.actions.push(act::ToggleWalk{});
      break;
    case Kind::WalkToggle:
      s.actions.push(act::ToggleWalk{});
      break;
    case Kind::Bookmark: {
      int found = -1;
      for (int i = 0; i < static_cast<int>(s.points.bookmarks.size()); ++i)
        if ((!e.text.empty() && s.points.bookmarks[i].name == e.text) || (e.text.empty() && i == e.index)) found = i;
      if (found >= 0) s.actions.push(act::GoToBookmark{found}), s.show.current_bookmark = found;
      else s.live.last = "no bookmark " + (e.text.empty() ? std::to_string(e.index) : "\"" + e.text + "\"");
      break;
    }
    case Kind::NextBookmark:
    case Kind::PrevBookmark:
      step_bookmark(s, e.kind == Kind::NextBookmark);
      break;
    case Kind::Randomize:
      randomize(s);
      break;
    case Kind::Blackout:
      s.show.blackout = e.value < 0 ? !s.show.blackout : e.value > 0;
      break;
  }
}

}  // namespace studio::controller
