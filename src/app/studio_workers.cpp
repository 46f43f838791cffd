// What the workers finished: each task's result or error taken into the state once a
// frame (decodes, picks, words, stories, exports, ...).
#include "studio.h"

#define GLFW_INCLUDE_NONE

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

void Studio::poll_workers() {
  poll_story();
  workers_.model_task.poll(
      state_.model.load,
      [&](LoadedModel m) {
        install_model(std::move(m));
        state_.model.error.clear();
      },
      [&](const std::string& e) {
        show_error(state_.model.error, e + (space_ ? "\nStill showing '" + space_->info().name + "'." : ""));
        // A bare TorchScript file that is no generator may be an encoder dropped before
        // its generator: tried again as the encoder once a generator is imported.
        if (latent::is_torchscript_file(opening_path_) && !retried_bare_.count(opening_path_))
          unpaired_bare_.push_back(opening_path_);
      });
  workers_.index_task.poll(
      state_.words.index,
      [&](std::shared_ptr<const latent::ApproxIndex> idx) {
        word_index_ = std::move(idx);
        state_.words.index_ready = true;
        state_.words.index_note = word_index_->describe();
      },
      [&](const std::string& e) { state_.words.index_note = "no approximate index: " + e; });
  workers_.map_task.poll(
      state_.map.progress,
      [&](MapResult m) { map_.show(std::move(m), state_); },
      [&](const std::string& e) { state_.map.error = e; });
  if (state_.map.progress.running) {  // progressive: show the newest intermediate layout
    std::lock_guard<std::mutex> lock(workers_.map_snapshot->mutex);
    if (workers_.map_snapshot->version != map_snapshot_seen_) {
      map_snapshot_seen_ = workers_.map_snapshot->version;
      const auto& xy = workers_.map_snapshot->xy;
      state_.map.xy.assign(xy.data(), xy.data() + xy.size());
      ++state_.map.xy_version;
      if (workers_.map_snapshot->index)
        state_.map.index = workers_.map_snapshot->index, state_.map.index_version = state_.map.xy_version;
    }
  }
  workers_.dataset_task.poll(
      state_.dataset.load,
      [&](LoadedDataset d) {
        install_dataset(std::move(d));
        state_.dataset.error.clear();
      },
      [&](const std::string& e) { show_error(state_.dataset.error, e); });
  workers_.invert_task.poll(
      state_.invert.progress,
      [&](InvertDone d) {
        if (static_cast<int>(d.z.size()) != state_.model.info.dim) return;  // the model changed meanwhile
        state_.sliders.z = d.z;
        for (TextureId* t : {&state_.invert.original, &state_.invert.reconstruction}) delete_texture(*t);
        state_.invert.original = create_texture(d.original, false);
        state_.invert.reconstruction = create_texture(d.reconstruction, false);
        state_.invert.mse = d.mse;
        state_.invert.how = d.how;
        state_.invert.name = fs::path(d.path).filename().string();
        state_.dataset.picked = -1;
      },
      [&](const std::string& e) { show_error(state_.invert.error, e); });
  poll_face_text();
  workers_.influence_task.poll(
      state_.sliders.influence_progress,
      [&](std::vector<float> v) {
        if (static_cast<int>(v.size()) == state_.model.info.dim) state_.sliders.influence = std::move(v);
      },
      [&](const std::string& e) { state_.view.error = "ranking dimensions failed: " + e; });
  if (auto r = workers_.decoder.poll(shown_generation_)) {
    shown_generation_ = r->generation;
    if (r->value && state_.model.info.modality == latent::Modality::Text) {
      state_.view.text = r->value->text;
      state_.view.error.clear();
    } else if (r->value && !r->value->words.empty()) {
      state_.view.words.clear();
      for (const auto& w : r->value->words) state_.view.words.push_back({w.word, w.score});
      state_.view.error.clear();
    } else if (r->value) {
      const latent::Image& img = r->value->image;
      last_image_ = img;
      if (state_.view.texture && img.width == state_.view.w && img.height == state_.view.h) {
        update_texture(state_.view.texture, img, state_.options.linear_filter);
      } else {
        delete_texture(state_.view.texture);
        state_.view.texture = create_texture(img, state_.options.linear_filter);
      }
      state_.view.w = img.width, state_.view.h = img.height;
      state_.view.error.clear();
    } else {
      state_.view.error = r->error;
    }
    state_.perf.decode_ms = 1000.0 * r->seconds;
    state_.perf.decode_ms_avg = state_.perf.decode_ms_avg == 0 ? state_.perf.decode_ms : 0.9 * state_.perf.decode_ms_avg + 0.1 * state_.perf.decode_ms;
  }
  state_.perf.decodes_submitted = workers_.decoder.submitted();
  state_.perf.decodes_skipped = workers_.decoder.skipped();
  if (auto r = workers_.words.poll(words_shown_)) {
    words_shown_ = r->generation;
    if (r->value) {
      const WordResult& w = *r->value;
      state_.words.answers.clear();
      state_.words.inputs.clear();
      for (size_t i = 0; i < w.result.words.size(); ++i)
        state_.words.answers.push_back({w.result.words[i].word, w.result.words[i].score, w.answer_xy[i].first, w.answer_xy[i].second});
      for (size_t i = 0; i < w.inputs.size(); ++i)
        state_.words.inputs.push_back({w.inputs[i], 1.f, w.input_xy[i].first, w.input_xy[i].second, true});
      state_.words.status = w.result.method + "; input words " + (w.result.inputs_excluded ? "excluded" : "kept");
      state_.words.error.clear();
      if (w.query != last_word_point_query_) {
        // A new query moves the sliders to its point.
        last_word_point_query_ = w.query;
        state_.sliders.z = w.point;
      }
    } else {
      state_.words.error = r->error;
    }
  }
  if (auto r = workers_.picker.poll(pick_shown_)) {
    pick_shown_ = r->generation;
    if (r->value && r->value->index == state_.dataset.picked) {
      for (TextureId* t : {&state_.dataset.pick_original, &state_.dataset.pick_reconstruction, &state_.dataset.pick_error}) delete_texture(*t);
      state_.dataset.pick_original = create_texture(r->value->original, false);
      state_.dataset.pick_reconstruction = create_texture(r->value->reconstruction, false);
      state_.dataset.pick_error = create_texture(r->value->error, false);
      state_.dataset.pick_rmse = r->value->rmse;
      state_.dataset.pick_max_error = r->value->max_error;
    } else if (!r->value) {
      show_error(state_.dataset.error, "could not reconstruct the picked image: " + r->error);
    }
  }
}

}  // namespace studio
