// The map: labels, colours and groups (by query or lasso) with their attribute vectors, the
// map's requests (compute, filter, pick), its pictures (the dataset's atlas, built on a
// worker and uploaded here), the point under the pointer decoded large, and the lasso's
// selection written out.
#include <algorithm>
#include <filesystem>

#include "latent/algebra.h"
#include "latent/analysis.h"
#include "latent/errors.h"
#include "latent/workspace.h"

#include "controller/groups.h"
#include "studio.h"
#include "gl/texture.h"

namespace fs = std::filesystem;

namespace studio {

void Studio::clear_map_pictures() {
  workers_.atlas_task.drop();
  atlas_pending_.reset();
  for (TextureId t : state_.map.atlas.pages) delete_texture(t);
  state_.map.atlas = {};
  state_.map.atlas_progress = {};
  delete_texture(state_.map.hover_texture);
  state_.map.hover_texture = 0;
  state_.map.hover_decoded = -1;
  hover_submitted_ = -1;
}

void Studio::handle_map_pictures() {
  // The atlas, once built.
  workers_.atlas_task.poll(
      state_.map.atlas_progress,
      [&](ThumbnailAtlas a) {
        if (dataset_ && a.count == state_.dataset.count) {
          for (TextureId t : state_.map.atlas.pages) delete_texture(t);
          state_.map.atlas = {};
          atlas_pending_ = std::move(a);
        }
      },
      [&](const std::string& e) { show_error(state_.map.error, "the map's pictures could not be made: " + e); });
  // Its pages go to the GPU a few a frame: a million pictures are 62 pages of 16 MB, and
  // uploading them in one frame stalled the UI for about a second. The map draws pictures
  // once every page is there (atlas.count is set last).
  if (atlas_pending_) {
    constexpr size_t kAtlasPagesPerFrame = 2;
    ThumbnailAtlas& a = *atlas_pending_;
    auto& pages = state_.map.atlas.pages;
    for (size_t k = 0; k < kAtlasPagesPerFrame && pages.size() < a.pages.size(); ++k) {
      std::vector<uint8_t>& page = a.pages[pages.size()];
      pages.push_back(create_texture_rgba8(a.page_size, a.page_size, page.data(), true));
      std::vector<uint8_t>().swap(page);  // its copy on the GPU is the one kept
    }
    if (pages.size() == a.pages.size()) {
      state_.map.atlas.cell = a.cell, state_.map.atlas.page_size = a.page_size, state_.map.atlas.per_row = a.per_row;
      state_.map.atlas.per_page = a.per_page, state_.map.atlas.count = a.count;
      state_.map.atlas_progress = {};
      atlas_pending_.reset();
    } else {
      state_.map.atlas_progress = {true, static_cast<float>(pages.size()) / a.pages.size(), "uploading the map's pictures"};
    }
  }

  // The hovered point, decoded by the model (image datasets: every item has a latent).
  if (space_ && dataset_ && state_.map.names.empty() && state_.map.hover >= 0 &&
      state_.map.hover < dataset_->latents->rows() && state_.map.hover != hover_submitted_) {
    hover_submitted_ = state_.map.hover;
    hover_generation_ = workers_.hover.submit({space_, nullptr, latent::row_latent(*dataset_->latents, state_.map.hover)});
  }
  if (auto r = workers_.hover.poll(hover_shown_)) {
    hover_shown_ = r->generation;
    if (r->value && !r->value->image.empty() && r->generation == hover_generation_) {
      const latent::Image& img = r->value->image;
      if (state_.map.hover_texture && img.width == state_.map.hover_w && img.height == state_.map.hover_h)
        update_texture(state_.map.hover_texture, img, false);
      else
        delete_texture(state_.map.hover_texture), state_.map.hover_texture = create_texture(img, false);
      state_.map.hover_w = img.width, state_.map.hover_h = img.height;
      state_.map.hover_decoded = hover_submitted_;
    }
  }

  // The lasso's selection as a list or a folder of pictures.
  const auto save = state_.actions.take_last<act::SaveSelection>();
  if (save && dataset_ && !workers_.selection_task) {
    const bool images = save->pictures;
    std::string path = state_.map.selection_path.empty() ? std::string("selection") : state_.map.selection_path;
    if (!images && std::filesystem::path(path).extension() != ".csv") path += ".csv";
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    if (const latent::LabelTable* labels = map_.labels()) {
      columns = labels->columns();
      for (long i : state_.map.selection) {
        std::vector<std::string> row;
        for (size_t c = 0; c < columns.size(); ++c) row.push_back(labels->cell(i, static_cast<int>(c)));
        rows.push_back(std::move(row));
      }
    }
    workers_.export_selection(dataset_->data, state_.map.selection, std::move(columns), std::move(rows), path, images);
    state_.map.selection_status.clear();
  }
  workers_.selection_task.poll(
      state_.map.selection_progress, [&](std::string status) { state_.map.selection_status = std::move(status); },
      [&](const std::string& e) { show_error(state_.map.selection_status, e); });
}

bool Studio::make_group(const std::string& name, const std::string& query) {
  return controller::make_group(state_, map_.labels(), name, query);
}

void Studio::handle_map_requests() {
  map_.follow_labels(state_, dataset_.has_value(), later_.color_by);
  make_pending_query_groups();
  if (map_.labels() && start_attribute_pending_ && !opts_.groups.empty()) {
    controller::make_start_groups(state_, map_.labels(), opts_.groups, opts_.live_attributes, opts_.attribute);
    start_attribute_pending_ = false;
  }
  // The map filter runs on the filter's worker (the newest text wins).
  if (auto r = map_.filter_request(state_, dataset_ ? dataset_->data : nullptr))
    map_.filter_asked(workers_.filter.submit(std::move(*r)));
  if (auto r = workers_.filter.poll(filter_shown_)) {
    filter_shown_ = r->generation;
    map_.filter_answered(r->generation, r->value ? &*r->value : nullptr, r->error, state_);
  }
  // Groups (by query or lasso) and attribute sliders (controller/groups.cpp), in the order asked.
  const std::vector<Action> actions =
      state_.actions.take_only<act::GroupFromSelection, act::MakeGroup, act::AddAttribute, act::CancelMap>();
  for (const Action& a : actions) controller::apply_groups(a, state_, {map_.labels(), dataset_.has_value()});
  const bool picking = start_pick_ >= 0 || state_.actions.waiting<act::PickItem>();
  const latent::RowMatrixXf* points = dataset_ ? dataset_->latents.get() : nullptr;
  if (!picking) controller::apply_live_attributes(state_, points);  // a pick at start comes first
  // Wait for a pick at start, so the attribute lands on the picked face.
  if (!picking && state_.actions.take_last<act::ApplyAttribute>() && points) controller::apply_attribute(state_, *points);
  if (start_map_pending_ && !later_.map.empty() && (dataset_ || (space_ && state_.model.info.modality == latent::Modality::Words))) {
    start_map_pending_ = false;
    try {
      const auto m = latent::parse_projection_method(later_.map);
      state_.map.method = m == latent::ProjectionMethod::Pca ? 0 : m == latent::ProjectionMethod::Tsne ? 1 : 2;
      state_.actions.push(act::ComputeMap{});
    } catch (const std::exception& e) {
      state_.map.error = e.what();
    }
  }
  if (std::any_of(actions.begin(), actions.end(), [](const Action& a) { return std::holds_alternative<act::CancelMap>(a); }))
    workers_.map_task.cancel();
  // A map asked for while one is computed waits for it; without a model it is dropped.
  if (!space_) state_.actions.drop_if<act::ComputeMap>([](const act::ComputeMap&) { return true; });
  if (!workers_.map_task && state_.actions.take_last<act::ComputeMap>()) {
    if (auto points = map_.points_for_map(state_, *space_, dataset_ ? dataset_->latents : nullptr)) {
      static const latent::ProjectionMethod methods[] = {latent::ProjectionMethod::Pca, latent::ProjectionMethod::Tsne,
                                                         latent::ProjectionMethod::Umap};
      workers_.open_map(std::move(points), methods[std::clamp(state_.map.method, 0, 2)]);
      state_.map.progress = {true, 0.f, "starting"};
    } else {
      return;
    }
  }
  map_.place_current(state_);
}

}  // namespace studio
