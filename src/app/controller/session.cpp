#include "controller/session.h"

#include "controller/walk.h"
#include "latent/workspace.h"
#include "live_control.h"

namespace studio::controller {

latent::Session session_of(const AppState& s, const SessionSources& src) {
  // The work (the core's Workspace), then the studio's view of it.
  latent::Workspace work;
  work.dataset_path = src.dataset_open ? s.dataset.path_input : "";
  work.labels_path = src.labels_path;
  work.z = s.sliders.z;
  for (const auto& b : s.points.bookmarks) work.bookmarks.push_back({b.name, b.z});
  for (const auto& g : s.groups.list) work.groups.push_back({g.name, g.query, g.members});
  if (s.walk.random || s.walk.keys.size() >= 2) {
    try {
      work.walks.push_back(make_walk(s));
    } catch (const std::exception&) {
      // An unfinished walk is not saved; the rest of the session is.
    }
  }
  latent::Session ses;
  ses.model = s.model.loaded ? s.model.info.source : s.model.path_input;
  work.into_session(ses);
  ses.map_method = src.map_method;
  ses.color_by = src.color_by;
  ses.attr_a = s.groups.attr_a, ses.attr_b = s.groups.attr_b, ses.attr_strength = s.groups.attr_strength;
  ses.word_query = s.model.info.modality == latent::Modality::Words ? s.words.query : "";
  ses.ui_scale = s.options.ui_scale;
  ses.linear_filter = s.options.linear_filter;
  if (!src.midi.is_null()) {
    ses.controls = {{"midi", src.midi},
                    {"osc", {{"port", s.live.osc_port}, {"listening", s.live.osc_running},
                             {"send_host", s.live.osc_send_host}, {"send_port", s.live.osc_send_port},
                             {"all_interfaces", s.live.osc_all_interfaces},
                             {"allow", parse_osc_allow_list(s.live.osc_allow)}}}};
  }
  ses.story = src.story;
  const auto& groups = s.groups.list;
  for (const auto& at : s.attributes.live) {
    latent::SessionSlider sl;
    if (at.direction >= 0 && at.direction < static_cast<int>(s.attributes.directions.size())) {
      if (at.strength == 0.f && at.applied == 0.f) continue;  // a direction at rest is not worth a line
      sl.direction = s.attributes.directions[static_cast<size_t>(at.direction)].name;
    } else if (at.a >= 0 && at.b >= 0 && at.a < static_cast<int>(groups.size()) && at.b < static_cast<int>(groups.size())) {
      sl.a = groups[static_cast<size_t>(at.a)].name, sl.b = groups[static_cast<size_t>(at.b)].name;
    } else {
      continue;
    }
    sl.strength = at.strength, sl.applied = at.applied;
    ses.sliders.push_back(std::move(sl));
  }
  ses.walk_playing = s.walk.playing;
  ses.caption = s.journey.caption;
  ses.layout = src.layout;
  return ses;
}

void restore_session(const latent::Session& ses, int dim, AppState& s) {
  latent::Workspace work = latent::Workspace::from_session(ses, "");
  const std::vector<std::string> left_out = work.fit(dim);
  if (!work.z.empty()) s.sliders.z = work.z;
  s.points.bookmarks.clear();
  for (const auto& b : work.bookmarks) s.points.bookmarks.push_back({b.name, b.z});
  if (ses.controls.contains("osc") && ses.controls["osc"].is_object()) {
    const auto& o = ses.controls["osc"];
    s.live.osc_send_host = o.value("send_host", s.live.osc_send_host);
    s.live.osc_send_port = o.value("send_port", 0);
    s.live.osc_all_interfaces = o.value("all_interfaces", false);
    s.live.osc_allow.clear();
    if (o.contains("allow") && o["allow"].is_array())
      for (const auto& a : o["allow"])
        if (a.is_string()) s.live.osc_allow += (s.live.osc_allow.empty() ? "" : ", ") + a.get<std::string>();
    if (o.value("listening", false) && !s.live.osc_running) {
      s.live.osc_port = o.value("port", s.live.osc_port);
      s.actions.push(act::ToggleOsc{});
    }
  }
  if (!ses.walks.empty()) s.walk.keys.clear();  // the session's walk replaces this one, even one that does not fit
  if (!work.walks.empty()) {
    const latent::Walk& w = work.walks.front();
    s.walk.name = w.name;
    s.walk.random = w.random_loop.has_value();
    if (w.random_loop) {
      s.walk.radius = w.random_loop->radius;
      s.walk.osc = w.random_loop->speed;
      s.walk.loop_seconds = static_cast<float>(w.random_loop->seconds);
      s.walk.seed = static_cast<int>(w.random_loop->seed);
    }
    s.walk.loop = w.loop;
    for (const auto& k : w.keys) s.walk.keys.push_back({k.name, k.z, static_cast<float>(k.seconds), static_cast<int>(k.interp)});
  }
  s.options.ui_scale = ses.ui_scale;
  s.options.linear_filter = ses.linear_filter;
  if (!ses.word_query.empty()) s.words.query = ses.word_query;
  if (!ses.dataset.empty()) s.groups.attr_strength = ses.attr_strength;
  std::string notes;
  for (const auto& n : left_out) notes += (notes.empty() ? " (" : "; ") + n;
  s.session.status = "opened the session" + notes + (notes.empty() ? "" : ")");
}

}  // namespace studio::controller
