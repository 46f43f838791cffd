// Start-up: the command-line options become state, queued actions, and deferred work
// that waits for what it needs (a model, a dataset, the walk, the work to settle).
#include "studio.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "latent/latent_io.h"
#include "latent/model_sandbox.h"
#include "latent/session.h"
#include "latent/torch_module.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

// Orphaned autosaves (their studio's process is gone) in the folders of the recent
// sessions and of the session given on the command line.
std::vector<AppState::AutosaveOffer> find_autosave_offers(const std::vector<std::string>& recent,
                                                          const std::string& session) {
  std::vector<std::string> dirs;
  for (const std::string& p : recent) dirs.push_back(fs::path(p).parent_path().string());
  if (!session.empty()) dirs.push_back(fs::absolute(session).parent_path().string());
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::vector<AppState::AutosaveOffer> out;
  for (const std::string& d : dirs)
    for (const latent::Autosave& a : latent::find_orphan_autosaves(d)) out.push_back({a.path, a.session_path, a.pid});
  return out;
}

}  // namespace

// The options that only set the state, before the window opens.
void Studio::apply_start_options() {
  state_.options.ui_scale = opts_.ui_scale;
  state_.options.linear_filter = opts_.linear_filter;
  last_linear_ = opts_.linear_filter;
  state_.model.path_input = opts_.model;
  state_.dataset.path_input = opts_.dataset;
  state_.sliders.highlight_dim = opts_.highlight;
  if (!opts_.word_query.empty()) state_.words.query = opts_.word_query;
  state_.map.filter = opts_.filter;
  state_.map.isolate = opts_.isolate;
  state_.sliders.scroll_to_highlight = opts_.highlight >= 0;
  start_pick_ = opts_.pick;
  state_.sliders.filter = opts_.slider_filter;
  state_.sliders.top_n = std::max(0, opts_.slider_top);
  // One LibTorch thread: the decode worker, a background task and the UI share two cores
  // on small machines, and more threads made each decode many times slower there.
  latent::configure_torch_threads(1);
  try {
    latent::require_torch_module();  // linked in: registers the LibTorch kinds, applies the thread count
    latent::check_device_name(opts_.device);
    workers_.open_options.device = opts_.device;
    state_.model.device = opts_.device;
    state_.model.device_note = latent::resolve_device(opts_.device).note;
  } catch (const std::exception& e) {
    state_.model.error = e.what();
  }
  if (!opts_.z_file.empty()) {
    try {
      start_z_ = latent::read_latent_json(opts_.z_file);
    } catch (const std::exception& e) {
      state_.model.error = std::string("could not read the starting latent: ") + e.what();
    }
  }

  // Consent for models that run code: the person's trusted folders, the shipped models'
  // folder, and what was named on the command line (naming it there is the consent).
  trusted_ = latent::TrustedPlaces(opts_.trusted_places_file);
  if (!opts_.builtin_models.empty()) trusted_.add_builtin(opts_.builtin_models);
  for (const std::string* p : {&opts_.model, &opts_.then_open})
    if (!p->empty()) consented_places_.push_back(latent::model_package_key(*p));
  later_.expression = opts_.expression;
  later_.drop = opts_.drop;
  if (!opts_.describe.empty()) state_.actions.push(act::DescribeFace{opts_.describe});
  later_.bookmark = opts_.bookmark;
  later_.play_walk = opts_.play_walk;
  later_.walk_time = opts_.walk_time;
  later_.export_walk = opts_.export_walk;
  later_.labels = opts_.labels;
  later_.color_by = opts_.color_by;
  later_.map = opts_.map;
  later_.story_image = opts_.story_image;
  later_.story_captions = opts_.story_captions;
}

// The options that become actions, once the window (and its monitors) are up: the same
// actions the menus, panels and keys push. A session named here opens now; its model
// wins over --model.
void Studio::queue_start_actions() {
  state_.show.monitor = std::clamp(opts_.monitor, 0, std::max(0, static_cast<int>(state_.show.monitor_names.size()) - 1));
  if (opts_.present) state_.actions.push(act::TogglePresentation{});
  live_ = std::make_unique<LiveControl>();
  state_.actions.push(act::RefreshMidiPorts{});
  state_.live.osc_all_interfaces = opts_.osc_all_interfaces;
  state_.live.osc_allow = opts_.osc_allow;
  if (opts_.osc_port >= 0) state_.live.osc_port = opts_.osc_port, state_.actions.push(act::ToggleOsc{});
  if (!opts_.midi.empty()) state_.live.midi_port = opts_.midi == "virtual" ? "" : opts_.midi, state_.actions.push(act::ToggleMidi{});
  if (opts_.output_window) state_.actions.push(act::ToggleOutputWindow{});
  state_.session.autosave_offers = find_autosave_offers(state_.session.recent, opts_.session);
  std::string model = opts_.model;
  if (!opts_.session.empty()) {
    open_session(opts_.session);
    if (pending_session_ && state_.actions.waiting<act::OpenModel>()) model.clear();
  }
  if (!model.empty() && !state_.actions.waiting<act::OpenModel>()) state_.actions.push(act::OpenModel{model});
}

// Once a frame: the deferred work whose time has come.
void Studio::start_when_ready() {
  if (!later_.expression.empty() && settled(false) && (opts_.groups.empty() || !start_attribute_pending_)) {
    state_.points.expression = later_.expression;
    state_.actions.push(act::EvaluateExpression{state_.points.expression});
    later_.expression.clear();
  }
  if (!later_.drop.empty() && state_.model.loaded && !state_.model.load.running && !workers_.decoder.busy()) {
    on_drop(later_.drop);  // the same path as files dropped on the window
    later_.drop.clear();
  }
  // Walk actions, once the session's walk is in.
  if ((later_.play_walk || later_.walk_time >= 0 || !later_.export_walk.empty()) && state_.walk.duration > 0 &&
      !state_.model.load.running) {
    if (later_.walk_time >= 0) state_.actions.push(act::SeekWalk{static_cast<float>(later_.walk_time)});
    if (later_.play_walk) state_.actions.push(act::ToggleWalk{});
    if (!later_.export_walk.empty()) {
      state_.exports.path = later_.export_walk;
      state_.exports.size = opts_.export_size;
      state_.exports.fps = opts_.export_fps;
      state_.actions.push(act::ExportWalk{});
    }
    later_.play_walk = false, later_.walk_time = -1, later_.export_walk.clear();
  }
  if (!later_.bookmark.empty() && settled() && !state_.sliders.z.empty()) {
    state_.actions.push(act::AddBookmark{later_.bookmark});
    later_.bookmark.clear();
  }
}

// At exit: --bookmark if the work never settled, then --save-session.
bool Studio::save_on_exit() {
  if (!later_.bookmark.empty() && !state_.sliders.z.empty()) state_.points.bookmarks.push_back({later_.bookmark, state_.sliders.z});
  later_.bookmark.clear();
  saver_.wait();  // saves asked for in the studio land first
  if (opts_.save_session.empty()) return true;
  try {
    latent::save_session(make_session(), opts_.save_session);
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent-studio: %s\n", e.what());
    return false;
  }
}

}  // namespace studio
