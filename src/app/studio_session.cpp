// Sessions: what a session holds, saving and opening it, recent sessions, and the
// frame's actions (actions.h) handed to their controllers.
#include "studio.h"
#include "layout.h"
#include "controller/points.h"
#include "controller/session.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/json_file.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"

namespace fs = std::filesystem;

namespace studio {

std::string recent_file() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".config";
  return (base / "latent-studio" / "recent-sessions.json").string();
}
std::vector<std::string> read_recent() {
  try {
    if (!fs::exists(recent_file())) return {};
    return latent::read_json_file(recent_file(), "the list of recent sessions").get<std::vector<std::string>>();
  } catch (...) {
    return {};
  }
}

latent::Session Studio::make_session() const {
  controller::SessionSources src;
  src.dataset_open = dataset_.has_value();
  src.labels_path = map_.labels_path();
  src.map_method = map_.method();
  src.color_by = map_.color_by(state_);
  if (live_) src.midi = live_->bindings_json();
  src.story = story_session();
  src.layout = layout_ini();
  return controller::session_of(state_, src);
}

void Studio::remember_recent(const std::string& path) {
  const std::string abs = fs::absolute(path).lexically_normal().string();
  auto& r = state_.session.recent;
  r.erase(std::remove(r.begin(), r.end(), abs), r.end());
  r.insert(r.begin(), abs);
  if (r.size() > 8) r.resize(8);
  try {
    fs::create_directories(fs::path(recent_file()).parent_path());
    latent::write_file_atomic(recent_file(), nlohmann::json(r).dump(2) + "\n");
  } catch (const std::exception&) {
    // The list is a convenience: a read-only home folder costs nothing else.
  }
}

void Studio::open_session(const std::string& path, bool scene) {
  try {
    latent::Session ses = latent::load_session(path);
    // A scene is opened, not edited: saving asks for a new path, and nothing autosaves
    // beside the shipped file.
    if (!scene) remember_recent(path);
    state_.session.path_input = scene ? std::string() : path;
    state_.journey.caption = ses.caption;
    pending_query_groups_.clear();
    pending_sliders_.clear();
    const bool same_model = state_.model.loaded && !ses.model.empty() &&
                            fs::exists(ses.model) && fs::equivalent(ses.model, state_.model.info.source);
    if (!ses.model.empty() && !fs::exists(ses.model)) {
      pending_session_ = std::move(ses);
      show_error(state_.session.status, "This session's model is not at " + pending_session_->model +
                                            " any more. Open the model from where it is now (Model panel, or drop it "
                                            "on the window); the session then continues with it.");
      return;
    }
    pending_session_ = std::move(ses);
    if (same_model) {
      install_model(LoadedModel{space_, {}, state_.model.explained_fraction, {}, -1, 0, {}, {}});
      // Components were uploaded at the first install; keep them.
    } else if (!pending_session_->model.empty()) {
      state_.actions.push(act::OpenModel{pending_session_->model});
    }
  } catch (const std::exception& e) {
    show_error(state_.session.status, e.what());
  }
}

void Studio::handle_session_requests() {
  for (const Action& action :
       state_.actions.take_only<act::AddBookmark, act::GoToBookmark, act::DeleteBookmark, act::EvaluateExpression,
                                act::Randomize, act::Shrink, act::SaveSession, act::OpenSession>()) {
    const controller::PointsContext points{space_.get(), dataset_ ? dataset_->latents : nullptr};
    // An expression runs on its worker (it may encode pictures or average a million points);
    // its answer becomes the point unless the point was moved another way since.
    if (const auto* e = std::get_if<act::EvaluateExpression>(&action)) {
      try {
        expression_generation_ =
            workers_.expression.submit(controller::prepare_expression(*e, state_, space_, points.items));
        expression_space_ = space_.get();
      } catch (const std::exception& ex) {
        controller::show_expression(state_, nullptr, ex.what());
      }
      continue;
    }
    if (std::holds_alternative<act::GoToBookmark>(action) || std::holds_alternative<act::Randomize>(action) ||
        std::holds_alternative<act::Shrink>(action))
      expression_generation_ = 0;
    if (controller::apply_points(action, state_, points)) continue;
    if (const auto* save = std::get_if<act::SaveSession>(&action)) {
      // The state is taken now; writing it (verified and synced) happens on the saver's thread.
      saver_.save(make_session(), save->path);
      state_.session.status = "saving to " + save->path;
    } else if (const auto* open = std::get_if<act::OpenSession>(&action)) {
      saver_.wait();  // a save asked for before lands before it is read
      open_session(open->path);
    }
  }
  if (auto r = workers_.expression.poll(expression_shown_)) {
    expression_shown_ = r->generation;
    if (r->generation == expression_generation_ && expression_space_ == space_.get())
      controller::show_expression(state_, r->value ? &*r->value : nullptr, r->error);
  }
  // The autosaves offered at start: each answered offer leaves the list.
  for (const Action& a : state_.actions.take_only<act::RestoreAutosave, act::DiscardAutosave>()) {
    const auto* restore = std::get_if<act::RestoreAutosave>(&a);
    const int i = restore ? restore->index : std::get<act::DiscardAutosave>(a).index;
    if (i < 0 || i >= static_cast<int>(state_.session.autosave_offers.size())) continue;
    const AppState::AutosaveOffer o = state_.session.autosave_offers[static_cast<size_t>(i)];
    state_.session.autosave_offers.erase(state_.session.autosave_offers.begin() + i);
    saver_.wait();
    try {
      if (restore) {
        latent::restore_autosave({o.autosave, o.session, o.pid});
        open_session(o.session);
      } else {
        latent::discard_autosave({o.autosave, o.session, o.pid});
      }
    } catch (const std::exception& e) {
      show_error(state_.session.status, restore ? std::string("restoring the autosave failed: ") + e.what() : e.what());
    }
  }
  // Autosave beside the session (never over it); the saver skips it when nothing changed.
  const double now = glfwGetTime();
  if (opts_.autosave_seconds > 0 && !state_.session.path_input.empty() && state_.model.loaded &&
      now - last_autosave_ > opts_.autosave_seconds) {
    last_autosave_ = now;
    saver_.autosave(make_session(), state_.session.path_input);
  }
  // What the saver finished since the last frame.
  for (const controller::SessionSaver::Done& done : saver_.take_done()) {
    if (!done.error.empty()) {
      show_error(state_.session.status, done.autosave ? "autosave failed: " + done.error : done.error);
    } else if (!done.autosave) {
      remember_recent(done.path);
      const std::time_t t = std::time(nullptr);
      char when[16];
      std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&t));
      state_.session.status = std::string("saved at ") + when;
    }
  }
}

}  // namespace studio
