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
    if (labels_) {
      columns = labels_->columns();
      for (long i : state_.map.selection) {
        std::vector<std::string> row;
        for (size_t c = 0; c < columns.size(); ++c) row.push_back(labels_->cell(i, static_cast<int>(c)));
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

void Studio::load_labels(const std::string& path) {
  labels_loaded_path_ = path;
  labels_.reset();
  state_.labels.columns.clear();
  state_.labels.error.clear();
  colored_column_ = -2;
  if (path.empty()) return;
  try {
    latent::LabelTable t = latent::LabelTable::read_csv(path);
    if (t.rows() != state_.dataset.count)
      throw latent::FormatError(path + " has " + std::to_string(t.rows()) + " rows but the dataset has " +
                                std::to_string(state_.dataset.count) + " items");
    state_.labels.columns = t.columns();
    labels_ = std::make_shared<const latent::LabelTable>(std::move(t));
    state_.map.filter_applied = "\x01";  // a label query may mean something now
    if (state_.labels.color_column < 0 && !later_.color_by.empty()) state_.labels.color_column = labels_->column(later_.color_by);
  } catch (const std::exception& e) {
    state_.labels.error = e.what();
  }
}

void Studio::update_colors() {
  colored_column_ = state_.labels.color_column;
  ++state_.map.style_version;
  state_.map.colors.clear();
  state_.labels.color_names.clear();
  if (!labels_ || state_.labels.color_column < 0 || state_.labels.color_column >= static_cast<int>(labels_->columns().size())) return;
  for (long r = 0; r < labels_->rows(); ++r) {
    const std::string& v = labels_->cell(r, state_.labels.color_column);
    auto it = std::find(state_.labels.color_names.begin(), state_.labels.color_names.end(), v);
    state_.map.colors.push_back(static_cast<int>(it - state_.labels.color_names.begin()));
    if (it == state_.labels.color_names.end()) state_.labels.color_names.push_back(v);
  }
}

bool Studio::make_group(const std::string& name, const std::string& query) {
  return controller::make_group(state_, labels_ ? &*labels_ : nullptr, name, query);
}

// mean(group a) - mean(group b) over the dataset's points (analysis.h); nothing, with the
// reason in the map panel, when a group is empty.
std::optional<latent::Latent> Studio::attribute_vector(int a, int b) {
  try {
    return latent::attribute_vector(*dataset_->latents, state_.groups.list.at(static_cast<size_t>(a)).members,
                                    state_.groups.list.at(static_cast<size_t>(b)).members);
  } catch (const std::exception& e) {
    show_error(state_.labels.error, std::string("no attribute vector: ") + e.what());
    return std::nullopt;
  }
}

void Studio::apply_attribute() {
  if (!dataset_ || state_.groups.attr_a < 0 || state_.groups.attr_b < 0 || state_.sliders.z.empty()) return;
  const std::optional<latent::Latent> d = attribute_vector(state_.groups.attr_a, state_.groups.attr_b);
  if (!d) return;
  for (size_t k = 0; k < state_.sliders.z.size() && k < d->size(); ++k) state_.sliders.z[k] += state_.groups.attr_strength * (*d)[k];
}

void Studio::place_current_on_map() {
  if (!map_ || !map_points_ || state_.sliders.z.empty() || static_cast<long>(state_.sliders.z.size()) != map_points_->cols()) {
    state_.map.current_valid = false;
    return;
  }
  if (state_.sliders.z == map_placed_for_) return;
  map_placed_for_ = state_.sliders.z;
  Eigen::Map<const Eigen::VectorXf> z(state_.sliders.z.data(), static_cast<Eigen::Index>(state_.sliders.z.size()));
  Eigen::VectorXf q = z;
  if (state_.model.info.modality == latent::Modality::Words) q.normalize();  // word maps are of unit vectors
  if (map_->linear) {
    const Eigen::VectorXf y = map_->axes * (q - map_->mean);
    state_.map.current[0] = y[0], state_.map.current[1] = y[1];
  } else {
    // Placed among its nearest neighbours, weighted by closeness.
    const Eigen::VectorXf d = (map_points_->rowwise() - q.transpose()).rowwise().squaredNorm();
    std::vector<std::pair<float, long>> best;
    for (long i = 0; i < d.size(); ++i) best.push_back({d[i], i});
    const size_t k = std::min<size_t>(5, best.size());
    std::partial_sort(best.begin(), best.begin() + k, best.end());
    double wx = 0, wy = 0, wsum = 0;
    for (size_t j = 0; j < k; ++j) {
      const double w = 1.0 / (1e-6 + std::sqrt(best[j].first));
      wx += w * map_->xy(best[j].second, 0), wy += w * map_->xy(best[j].second, 1), wsum += w;
    }
    state_.map.current[0] = static_cast<float>(wx / wsum), state_.map.current[1] = static_cast<float>(wy / wsum);
  }
  state_.map.current_valid = true;
}

void Studio::handle_map_requests() {
  if (state_.labels.path_input != labels_loaded_path_ && dataset_ &&
      (state_.labels.path_input.empty() || fs::is_regular_file(state_.labels.path_input)))
    load_labels(state_.labels.path_input);
  if (state_.labels.color_column != colored_column_) update_colors();
  make_pending_query_groups();
  if (labels_ && start_attribute_pending_ && !opts_.groups.empty()) {
    for (const std::string& def : opts_.groups) {
      try {
        const latent::NamedValue g = latent::parse_named_value(def, "--group", "NAME=QUERY");
        make_group(g.name, g.value);
      } catch (const latent::Error& e) {
        state_.labels.error = e.what();
      }
    }
    auto group_index = [&](const std::string& name) {
      for (int g = 0; g < static_cast<int>(state_.groups.list.size()); ++g)
        if (state_.groups.list[g].name == name) return g;
      state_.labels.error = "no group named '" + name + "'";
      return -1;
    };
    for (const std::string& def : opts_.live_attributes) {
      std::stringstream ss(def);
      std::string a, b, st;
      std::getline(ss, a, ','), std::getline(ss, b, ','), std::getline(ss, st, ',');
      AppState::Attribute at{group_index(a), group_index(b), 0.f, 0.f};
      try {
        at.strength = st.empty() ? 0.f : std::stof(st);
      } catch (const std::exception&) {
        state_.labels.error = "--live-attribute takes A,B,STRENGTH, not '" + def + "'";
      }
      if (at.a >= 0 && at.b >= 0) state_.attributes.live.push_back(at);
    }
    if (!opts_.attribute.empty()) {
      // A,B,STRENGTH by group names.
      std::string a, b;
      float strength = 1.f;
      std::stringstream ss(opts_.attribute);
      std::getline(ss, a, ','), std::getline(ss, b, ',');
      std::string st;
      if (std::getline(ss, st, ',')) strength = std::stof(st);
      for (int g = 0; g < static_cast<int>(state_.groups.list.size()); ++g) {
        if (state_.groups.list[g].name == a) state_.groups.attr_a = g;
        if (state_.groups.list[g].name == b) state_.groups.attr_b = g;
      }
      state_.groups.attr_strength = strength;
      state_.actions.push(act::ApplyAttribute{});
    }
    start_attribute_pending_ = false;
  }
  // The map filter: a label query when it compares a column, else a regular expression
  // over the points' names (words, file names) and label rows. It runs on the filter's
  // worker (the newest text wins); the points show unfiltered until its answer comes.
  const size_t n = state_.map.xy.size() / 2;
  if (!state_.map.match.empty() && state_.map.match.size() != n) {  // made for other points
    state_.map.match.clear();
    ++state_.map.style_version;
  }
  if (state_.map.filter != state_.map.filter_applied) {
    state_.map.filter_applied = state_.map.filter;
    if (state_.map.filter.empty() || n == 0) {
      filter_generation_ = 0;  // an answer still on its way is dropped
      if (!state_.map.match.empty() || !state_.map.filter_error.empty()) ++state_.map.style_version;
      state_.map.match.clear();
      state_.map.filter_error.clear();
    } else {
      FilterRequest r{state_.map.filter, n, nullptr, nullptr, labels_};
      // Words for a word model's map, else the dataset's file names.
      if (!state_.map.names.empty() || !dataset_) r.names = std::make_shared<const std::vector<std::string>>(state_.map.names);
      else r.data = dataset_->data;
      filter_generation_ = workers_.filter.submit(std::move(r));
    }
  }
  if (auto r = workers_.filter.poll(filter_shown_)) {
    filter_shown_ = r->generation;
    if (r->generation == filter_generation_ && (!r->value || r->value->match.size() == n)) {
      state_.map.match = r->value ? std::move(r->value->match) : std::vector<char>();
      state_.map.filter_error = r->value ? std::string() : r->error;
      ++state_.map.style_version;
    }
  }
  // Groups (by query or lasso) and attribute sliders (controller/groups.cpp), in the order asked.
  const std::vector<Action> actions =
      state_.actions.take_only<act::GroupFromSelection, act::MakeGroup, act::AddAttribute, act::CancelMap>();
  for (const Action& a : actions)
    controller::apply_groups(a, state_, {labels_ ? &*labels_ : nullptr, dataset_.has_value()});
  const auto asked = [&](auto type) {
    using T = decltype(type);
    return std::any_of(actions.begin(), actions.end(), [](const Action& a) { return std::holds_alternative<T>(a); });
  };
  const bool picking = start_pick_ >= 0 || state_.actions.waiting<act::PickItem>();
  for (auto& at : state_.attributes.live) {
    if (picking) break;  // a pick at start comes first
    if (at.direction >= 0) {
      if (at.strength == at.applied || at.direction >= static_cast<int>(state_.attributes.directions.size())) continue;
      const latent::Latent& d = state_.attributes.directions[static_cast<size_t>(at.direction)].step;
      for (size_t k = 0; k < state_.sliders.z.size() && k < d.size(); ++k) state_.sliders.z[k] += (at.strength - at.applied) * d[k];
      at.applied = at.strength;
      continue;
    }
    if (at.strength == at.applied || at.a < 0 || at.b < 0 || !dataset_ || state_.sliders.z.empty() ||
        at.a >= static_cast<int>(state_.groups.list.size()) || at.b >= static_cast<int>(state_.groups.list.size()))
      continue;
    const std::optional<latent::Latent> d = attribute_vector(at.a, at.b);
    if (d)
      for (size_t k = 0; k < state_.sliders.z.size() && k < d->size(); ++k) state_.sliders.z[k] += (at.strength - at.applied) * (*d)[k];
    at.applied = at.strength;  // a failed one is reported once, not every frame
  }
  // Wait for a pick at start, so the attribute lands on the picked face.
  if (!picking && state_.actions.take_last<act::ApplyAttribute>()) apply_attribute();
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
  if (asked(act::CancelMap{})) workers_.map_task.cancel();
  // A map asked for while one is computed waits for it; without a model it is dropped.
  if (!space_) state_.actions.drop_if<act::ComputeMap>([](const act::ComputeMap&) { return true; });
  if (!workers_.map_task && state_.actions.take_last<act::ComputeMap>()) {
    std::shared_ptr<const latent::RowMatrixXf> points;
    state_.map.names.clear();
    if (const auto* wv = space_->words()) {
      const long n = std::min<long>(wv->size(), 2000);  // the most frequent words
      auto words = std::make_shared<latent::RowMatrixXf>(n, wv->dim());
      for (long i = 0; i < n; ++i) {
        const latent::Latent u = wv->unit_vector(i);
        std::copy(u.begin(), u.end(), words->row(i).data());
        state_.map.names.emplace_back(wv->word(i));
      }
      points = std::move(words);
    } else if (dataset_) {
      points = dataset_->latents;  // shared with the map's worker, not copied
    } else {
      state_.map.error = "load a dataset first: the map shows its items";
      return;
    }
    if (points->rows() < 3) {
      state_.map.error = "a map needs at least 3 points";
      return;
    }
    map_points_ = points;
    map_.reset();
    state_.map.current_valid = false;
    static const latent::ProjectionMethod methods[] = {latent::ProjectionMethod::Pca, latent::ProjectionMethod::Tsne,
                                                       latent::ProjectionMethod::Umap};
    workers_.open_map(points, methods[std::clamp(state_.map.method, 0, 2)]);
    state_.map.progress = {true, 0.f, "starting"};
  }
  place_current_on_map();
}

}  // namespace studio
