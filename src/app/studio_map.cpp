// The map's pictures: the dataset's atlas (built on a worker, uploaded here), the point
// under the pointer decoded large, and the lasso's selection written out.
#include <filesystem>

#include "latent/errors.h"

#include "studio.h"
#include "texture.h"

namespace studio {

void Studio::clear_map_pictures() {
  if (renderer_.atlas_task) renderer_.atlas_task->cancel();
  renderer_.atlas_task.reset();
  for (TextureId t : state_.map_atlas.pages) delete_texture(t);
  state_.map_atlas = {};
  state_.atlas_progress = {};
  delete_texture(state_.hover_texture);
  state_.hover_texture = 0;
  state_.hover_decoded = -1;
  hover_submitted_ = -1;
}

void Studio::handle_map_pictures() {
  // The atlas, once built.
  if (renderer_.atlas_task) {
    state_.atlas_progress = {true, renderer_.atlas_task->progress(), renderer_.atlas_task->stage()};
    if (renderer_.atlas_task->done()) {
      state_.atlas_progress.running = false;
      try {
        ThumbnailAtlas a = renderer_.atlas_task->take();
        if (dataset_ && a.count == state_.dataset_count) {
          for (TextureId t : state_.map_atlas.pages) delete_texture(t);
          state_.map_atlas = {};
          for (const auto& page : a.pages)
            state_.map_atlas.pages.push_back(create_texture_rgba8(a.page_size, a.page_size, page.data(), true));
          state_.map_atlas.cell = a.cell, state_.map_atlas.page_size = a.page_size, state_.map_atlas.per_row = a.per_row;
          state_.map_atlas.per_page = a.per_page, state_.map_atlas.count = a.count;
        }
      } catch (const latent::Cancelled&) {
      } catch (const std::exception& e) {
        show_error(state_.map_error, std::string("the map's pictures could not be made: ") + e.what());
      }
      renderer_.atlas_task.reset();
    }
  }

  // The hovered point, decoded by the model (image datasets: every item has a latent).
  if (space_ && dataset_ && state_.map_names.empty() && state_.map_hover >= 0 &&
      state_.map_hover < static_cast<long>(dataset_->latents.size()) && state_.map_hover != hover_submitted_) {
    hover_submitted_ = state_.map_hover;
    hover_generation_ = renderer_.hover.submit({space_, nullptr, dataset_->latents[static_cast<size_t>(state_.map_hover)]});
  }
  if (auto r = renderer_.hover.poll(hover_shown_)) {
    hover_shown_ = r->generation;
    if (r->value && !r->value->image.empty() && r->generation == hover_generation_) {
      const latent::Image& img = r->value->image;
      if (state_.hover_texture && img.width == state_.hover_w && img.height == state_.hover_h)
        update_texture(state_.hover_texture, img, false);
      else
        delete_texture(state_.hover_texture), state_.hover_texture = create_texture(img, false);
      state_.hover_w = img.width, state_.hover_h = img.height;
      state_.hover_decoded = hover_submitted_;
    }
  }

  // The lasso's selection as a list or a folder of pictures.
  if ((state_.selection_save_list || state_.selection_save_images) && dataset_ && !renderer_.selection_task) {
    const bool images = state_.selection_save_images;
    std::string path = state_.selection_path.empty() ? std::string("selection") : state_.selection_path;
    if (!images && std::filesystem::path(path).extension() != ".csv") path += ".csv";
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    if (labels_) {
      columns = labels_->columns();
      for (long i : state_.map_selection) {
        std::vector<std::string> row;
        for (size_t c = 0; c < columns.size(); ++c) row.push_back(labels_->cell(i, static_cast<int>(c)));
        rows.push_back(std::move(row));
      }
    }
    renderer_.export_selection(dataset_->data, state_.map_selection, std::move(columns), std::move(rows), path, images);
    state_.selection_status.clear();
  }
  state_.selection_save_list = state_.selection_save_images = false;
  if (renderer_.selection_task) {
    state_.selection_progress = {true, renderer_.selection_task->progress(), renderer_.selection_task->stage()};
    if (renderer_.selection_task->done()) {
      state_.selection_progress.running = false;
      try {
        state_.selection_status = renderer_.selection_task->take();
      } catch (const latent::Cancelled&) {
      } catch (const std::exception& e) {
        show_error(state_.selection_status, e.what());
      }
      renderer_.selection_task.reset();
    }
  }
}

}  // namespace studio
