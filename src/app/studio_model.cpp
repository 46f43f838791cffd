// Models and datasets: the requests that open them (typed, dropped, re-imported, paired,
// another device), and installing what the workers opened in the state, with their
// directions, labels and thumbnails.
#include "studio.h"
#include "controller/model.h"
#include "controller/session.h"
#include "layout.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "gl/texture.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

constexpr size_t kMaxThumbnails = 2048;   // uploaded dataset thumbnails kept at once
constexpr int kThumbnailsPerFrame = 96;   // uploads per frame, so scrolling never stalls

}  // namespace

void Studio::install_model(LoadedModel loaded) {
  const bool same_space = space_ && loaded.space == space_;
  space_ = loaded.space;
  const auto& info = space_->info();
  import_probe_ = loaded.imported.is_object() ? loaded.imported.value("probe", nlohmann::json()) : nlohmann::json();
  if (loaded.imported.is_object()) {
    controller::fill_import_sheet(loaded.imported, import_probe_, state_);
    ImportSheet& im = state_.import_sheet;
    for (TextureId t : im.preview) delete_texture(t);
    im.preview.clear();
    for (const latent::Image& p : loaded.preview) im.preview.push_back(create_texture(p, false));
    im.preview_w = info.observation.width, im.preview_h = info.observation.height;
    // Files that failed as generators before this one was imported: each tried once as
    // its encoder (dropped together, in any order, they pair by shape).
    if (state_.import_sheet.encoder.empty())
      for (const std::string& p : std::exchange(unpaired_bare_, {}))
        if (retried_bare_.insert(p).second) dropped_.push_back(p);
  } else if (state_.import_sheet.out_dir != info.source) {
    state_.import_sheet.shown = false;
  }
  if (loaded.check_seconds >= 0) {
    char note[160];
    std::snprintf(note, sizeof note, "checked in a separate process first: %.1f s, %ld MB", loaded.check_seconds,
                  loaded.check_peak_mb);
    state_.model.check_note = note;
  } else if (!same_space) {
    state_.model.check_note.clear();
  }
  const std::string start_error = controller::show_model(info, space_->scale(), loaded.explained_fraction,
                                                        first_model_ ? start_z_ : std::nullopt, state_);
  if (!start_error.empty()) show_error(state_.model.error, start_error);
  state_.model.device_note = latent::resolve_device(workers_.open_options.device).note;
  word_index_.reset();
  state_.words.index_ready = false;
  state_.words.index_note.clear();
  if (const auto* wv = space_->words()) {
    if (opts_.approx_min_words > 0 && wv->size() >= opts_.approx_min_words && !workers_.index_task) {
      workers_.open_index(space_);
    } else {
      state_.words.index_note = "exact search (" + std::to_string(wv->size()) + " words)";
    }
  }
  for (TextureId t : state_.view.components) delete_texture(t);
  state_.view.components.clear();
  for (const latent::Image& c : loaded.components) state_.view.components.push_back(create_texture(c, false));
  state_.view.component_w = info.observation.width, state_.view.component_h = info.observation.height;
  glfwSetWindowTitle(window_, ("Latent Studio - " + info.name).c_str());
  layout_for_model(info.modality);
  open_face_text_for_model();
  story_.new_model();
  state_.story.passage.clear();
  state_.story.map_ready = false;
  state_.view.text.clear();
  setup_story();

  // The dataset must be re-encoded by the new model: reopen it.
  std::string dataset = dataset_ ? state_.dataset.path_input : std::string();
  if (first_model_ && dataset.empty()) {
    // A generator without an encoder cannot map a dataset: only open one when asked.
    dataset = opts_.dataset.empty() ? (info.can_encode ? loaded.training_data : std::string()) : opts_.dataset;
    state_.dataset.path_input = dataset;
  }
  clear_dataset();
  // A model without an encoder cannot map the open dataset: it is put away, not an error
  // (the path stays in the box for the next model that can).
  if (!first_model_ && !dataset.empty() && info.modality == latent::Modality::Image && !info.can_encode) dataset.clear();
  if (!dataset.empty()) state_.actions.push(act::OpenDataset{dataset});
  if (first_model_ && !opts_.then_open.empty()) state_.actions.push(act::OpenModel{opts_.then_open});
  load_directions();
  first_model_ = false;
  if (pending_session_) {
    // The session continues with this model.
    const latent::Session ses = *pending_session_;
    pending_session_.reset();
    controller::restore_session(ses, info.dim, state_);
    if (ses.controls.contains("midi") && live_) {
      try {
        live_->load_bindings(ses.controls["midi"]);
      } catch (const std::exception& e) {
        state_.session.status = std::string("MIDI bindings not restored: ") + e.what();
      }
    }
    apply_story_session(ses.story, "the session");
    pending_sliders_ = ses.sliders;
    restore_direction_sliders();
    if (!ses.layout.empty()) {
      LayoutPreset p;
      if (parse_layout_preset(ses.layout, &p)) state_.actions.push(act::ApplyLayout{static_cast<int>(p)});
      else layout_ini_request_ = ses.layout;
    }
    if (ses.walk_playing) later_.play_walk = true;
    if (!ses.dataset.empty()) {
      clear_dataset();
      state_.dataset.path_input = ses.dataset;
      state_.actions.push(act::OpenDataset{ses.dataset});
      later_.labels = ses.labels;
      later_.color_by = ses.color_by;
      later_.map = ses.map_method;
      start_map_pending_ = true;
      pending_groups_ = ses.groups;
      pending_attr_ = {ses.attr_a, ses.attr_b};
    }
  }
}

void Studio::clear_dataset() {
  dataset_.reset();
  clear_map_pictures();
  for (auto& [i, t] : state_.dataset.thumbnails) delete_texture(t);
  state_.dataset.thumbnails.clear();
  for (TextureId* t : {&state_.dataset.pick_original, &state_.dataset.pick_reconstruction, &state_.dataset.pick_error}) {
    delete_texture(*t);
    *t = 0;
  }
  state_.dataset.count = 0;
  state_.dataset.picked = -1;
  workers_.map_task.cancel();
  map_.clear(state_);
  state_.groups.list.clear();
  state_.groups.attr_a = state_.groups.attr_b = -1;
}

void Studio::install_dataset(LoadedDataset loaded) {
  clear_dataset();
  dataset_ = std::move(loaded);
  state_.dataset.count = dataset_->data->count();
  state_.dataset.name = dataset_->name;
  // Labels: as asked, or labels.csv beside the dataset.
  std::string labels = later_.labels;
  if (labels.empty()) {
    const fs::path src = dataset_->data->source;
    for (const fs::path& cand : {src / "labels.csv", src.parent_path() / "labels.csv"})
      if (fs::is_regular_file(cand)) {
        labels = cand.string();
        break;
      }
  }
  if (!labels.empty()) state_.labels.path_input = labels;
  for (const auto& g : pending_groups_) {
    if (!g.members_given) {  // a query only (a scene): made once the labels are in
      pending_query_groups_.push_back(g);
      continue;
    }
    AppState::Group sg{g.name, g.query, {}};
    for (long m : g.members)
      if (m >= 0 && m < state_.dataset.count) sg.members.push_back(m);
    state_.groups.list.push_back(std::move(sg));
  }
  pending_groups_.clear();
  if (pending_query_groups_.empty()) {
    if (pending_attr_.first < static_cast<int>(state_.groups.list.size())) state_.groups.attr_a = pending_attr_.first;
    if (pending_attr_.second < static_cast<int>(state_.groups.list.size())) state_.groups.attr_b = pending_attr_.second;
    pending_attr_ = {-1, -1};
  }
  workers_.build_atlas(dataset_->data);
  // The map is there on open: PCA, unless the command line or the session asks for another.
  if (!(start_map_pending_ && !later_.map.empty()) && !workers_.map_task) {
    state_.map.method = 0;
    state_.actions.push(act::ComputeMap{});
  }
  if (start_pick_ >= 0) {
    if (start_pick_ < state_.dataset.count) state_.actions.push(act::PickItem{start_pick_});
    else show_error(state_.dataset.error, "no item " + std::to_string(start_pick_) + " in the dataset");
    start_pick_ = -1;
  }
}

void Studio::upload_thumbnails() {
  if (!dataset_) {
    state_.dataset.wanted_thumbnails.clear();
    return;
  }
  int uploaded = 0;
  std::vector<long> still;
  for (long i : state_.dataset.wanted_thumbnails) {
    if (state_.dataset.thumbnails.count(i) || i < 0 || i >= state_.dataset.count) continue;
    if (uploaded >= kThumbnailsPerFrame) {
      still.push_back(i);
      continue;
    }
    state_.dataset.thumbnails[i] = create_texture(dataset_->data->image(i), true);
    ++uploaded;
  }
  // Keep memory bounded: drop the thumbnails furthest from what is on screen.
  if (state_.dataset.thumbnails.size() > kMaxThumbnails && !state_.dataset.wanted_thumbnails.empty()) {
    const long focus = state_.dataset.wanted_thumbnails.front();
    while (state_.dataset.thumbnails.size() > kMaxThumbnails) {
      auto first = state_.dataset.thumbnails.begin();
      auto last = std::prev(state_.dataset.thumbnails.end());
      auto victim = (focus - first->first) > (last->first - focus) ? first : last;
      delete_texture(victim->second);
      state_.dataset.thumbnails.erase(victim);
    }
  }
  state_.dataset.wanted_thumbnails = std::move(still);
}

void Studio::load_directions() {
  // The previous model's directions go; group attributes stay (they follow the dataset).
  auto& atts = state_.attributes.live;
  atts.erase(std::remove_if(atts.begin(), atts.end(), [](const AppState::Attribute& a) { return a.direction >= 0; }),
             atts.end());
  state_.attributes.directions.clear();
  state_.attributes.directions_note.clear();
  const latent::SpaceInfo& info = state_.model.info;
  const std::string path = latent::directions_path(info);
  if (path.empty() || !std::filesystem::exists(path)) return;
  try {
    const latent::DirectionSet set = latent::read_directions(path);
    latent::check_directions(set, info, path);
    std::vector<AppState::Attribute> made;
    for (const auto& d : set.directions) {
      AppState::NamedDirection nd;
      nd.name = d.name;
      nd.step.resize(d.unit.size());
      for (size_t k = 0; k < d.unit.size(); ++k) nd.step[k] = static_cast<float>(d.sigma) * d.unit[k];
      char about[200];
      if (d.energy_share > 0)
        std::snprintf(about, sizeof about, "found without labels (SeFa): %.1f%% of the first layer's energy; sigma %.2f",
                      100 * d.energy_share, d.sigma);
      else
        std::snprintf(about, sizeof about, "%s: boundary agrees %.0f%% (balanced), %.0f%% of samples positive; sigma %.2f",
                      set.classifier.c_str(), 100 * d.balanced_accuracy, 100 * d.positive_rate, d.sigma);
      nd.about = about;
      if (!d.orthogonal_to.empty()) {
        nd.about += "; orthogonal to";
        for (const auto& o : d.orthogonal_to) nd.about += " " + o;
      }
      made.push_back({-1, -1, 0.f, 0.f, static_cast<int>(state_.attributes.directions.size())});
      state_.attributes.directions.push_back(std::move(nd));
    }
    atts.insert(atts.begin(), made.begin(), made.end());
    state_.attributes.directions_note = std::to_string(set.directions.size()) + " directions from " + path;
  } catch (const std::exception& e) {
    state_.attributes.directions_note = e.what();
    state_.attributes.directions.clear();
    return;
  }
  if (!first_model_) return;
  for (const std::string& def : opts_.directions) {
    const auto eq = def.rfind('=');
    const std::string name = def.substr(0, eq);
    float sigma = 0;
    try {
      if (eq == std::string::npos) throw std::invalid_argument(def);
      sigma = std::stof(def.substr(eq + 1));
    } catch (const std::exception&) {
      state_.attributes.directions_note = "--direction takes NAME=SIGMA, not '" + def + "'";
      continue;
    }
    bool found = false;
    for (auto& a : atts)
      if (a.direction >= 0 && state_.attributes.directions[static_cast<size_t>(a.direction)].name == name) a.strength = sigma, found = true;
    if (!found) state_.attributes.directions_note = "--direction " + name + ": this model has no such direction";
  }
}

void Studio::handle_requests() {
  handle_consent();
  // Dropped files one at a time, each after the one before it has finished: twenty files
  // dropped together are twenty loads (and twenty messages), not the last one only.
  if (!dropped_.empty() && !busy_with_drop(drop_kind(dropped_.front()))) {
    const std::string p = dropped_.front();
    dropped_.erase(dropped_.begin());
    route_dropped(p);
  }

  if (!workers_.model_task && state_.actions.take_last<act::Reimport>()) {
    workers_.reimport_model(controller::import_spec(state_.import_sheet), opts_.check, import_probe_);
    state_.model.load = {true, 0.f, "re-importing"};
  }
  if (!workers_.model_task && state_.model.consent_path.empty()) open_model_requested();
  if (!workers_.dataset_task && space_) {
    if (const auto open = state_.actions.take_last<act::OpenDataset>()) {
      workers_.open_dataset(open->path, space_);
      state_.dataset.load = {true, 0.f, "opening"};
    }
  }
  take_model_actions();
  take_face_text_actions();
  const auto cont = state_.actions.take_last<act::ContinueWords>();
  if (space_ && state_.model.info.modality == latent::Modality::Words) {
    if (cont) state_.words.query = cont->word;
    const auto index = state_.words.use_approx ? word_index_ : nullptr;
    const WordKey key{state_.words.query, state_.words.k, state_.words.keep_inputs, state_.words.method, space_.get(), index.get()};
    if (!(key == submitted_words_) && !state_.words.query.empty()) {
      submitted_words_ = key;
      words_generation_ = workers_.words.submit({space_, index, state_.words.query, state_.words.k, state_.words.keep_inputs,
                                                  state_.words.method ? latent::AnalogyMethod::CosMul : latent::AnalogyMethod::CosAdd});
    }
  }
  handle_story();
  handle_map_requests();
  handle_session_requests();
  handle_file_dialog();
  handle_layout_menu();
  handle_journey();
  handle_map_pictures();
  handle_walk();
  handle_live();
  if (space_ && state_.sliders.z != submitted_z_) {
    submitted_z_ = state_.sliders.z;
    submitted_generation_ = workers_.decoder.submit({space_, state_.words.use_approx ? word_index_ : nullptr, state_.sliders.z});
  }
  if (state_.options.linear_filter != last_linear_) {
    last_linear_ = state_.options.linear_filter;
    if (state_.view.texture) set_texture_filter(state_.view.texture, last_linear_);
  }
}

void Studio::open_model_requested() {
  const auto open = state_.actions.take_last<act::OpenModel>();
  if (!open) return;
  const std::string& path = open->path;
  {
    const bool runs_code = latent::model_runs_code(path);
    if (may_open(path, runs_code)) {
      // A bare TorchScript file while the generator imported last is open, without an
      // encoder: it may be that encoder.
      const ImportSheet& im = state_.import_sheet;
      std::optional<latent::TorchScriptImport> pair;
      if (runs_code && im.encoder.empty() && !im.out_dir.empty() && latent::model_package_key(state_.model.info.source) == latent::model_package_key(im.out_dir) &&
          latent::is_torchscript_file(path))
        pair = controller::import_spec(im);
      workers_.open_model(path, runs_code ? &opts_.check : nullptr, pair ? &*pair : nullptr, import_probe_);
      opening_path_ = path;
      state_.model.load = {true, 0.f, "opening"};
    } else {
      state_.actions.put_back(*open);  // the consent prompt is up: the request waits for the answer
    }
  }
}

void Studio::take_model_actions() {
  for (const Action& a : state_.actions.take_only<act::PlaceImage, act::RankInfluence, act::SetDevice, act::PickItem>()) {
    if (const auto* place = std::get_if<act::PlaceImage>(&a)) {
      if (!space_) continue;
      workers_.invert_image(place->path, space_);
      last_photo_ = place->path;
      describe_photo_if_ready();
      state_.invert.progress = {true, 0.f, "starting"};
      state_.invert.error.clear();
    } else if (std::holds_alternative<act::RankInfluence>(a)) {
      if (!space_ || state_.sliders.z.empty()) continue;
      workers_.rank_influence(space_, state_.sliders.z);
      state_.sliders.influence_progress = {true, 0.f, "ranking dimensions"};
    } else if (const auto* device = std::get_if<act::SetDevice>(&a)) {
      try {
        latent::check_device_name(device->device);
        workers_.open_options.device = device->device;
        state_.model.device = device->device;
        state_.model.device_note = latent::resolve_device(state_.model.device).note;
        if (space_ && state_.model.info.kind == "torch-image") state_.actions.push(act::OpenModel{state_.model.info.source});
      } catch (const std::exception& e) {
        state_.model.device_note = e.what();
      }
    } else if (const auto* pick = std::get_if<act::PickItem>(&a)) {
      const long i = pick->index;
      if (!dataset_ || i < 0 || i >= dataset_->latents->rows()) continue;
      state_.dataset.picked = i;
      state_.sliders.z = latent::row_latent(*dataset_->latents, i);
      pick_generation_ = workers_.picker.submit({space_, dataset_->data, i, state_.sliders.z});
    }
  }
}

}  // namespace studio
