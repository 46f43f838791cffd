#include "controller/map.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "latent/analysis.h"
#include "latent/errors.h"
#include "latent/word_vectors.h"
#include "latent/workspace.h"
#include "controller/groups.h"

namespace studio::controller {

void Map::load_labels(const std::string& path, AppState& s, const std::string& color_by) {
  labels_path_ = path;
  labels_.reset();
  s.labels.columns.clear();
  s.labels.error.clear();
  colored_column_ = -2;
  if (path.empty()) return;
  try {
    latent::LabelTable t = latent::LabelTable::read_csv(path);
    if (t.rows() != s.dataset.count)
      throw latent::FormatError(path + " has " + std::to_string(t.rows()) + " rows but the dataset has " +
                                std::to_string(s.dataset.count) + " items");
    s.labels.columns = t.columns();
    labels_ = std::make_shared<const latent::LabelTable>(std::move(t));
    s.map.filter_applied = "\x01";  // a label query may mean something now
    if (s.labels.color_column < 0 && !color_by.empty()) s.labels.color_column = labels_->column(color_by);
  } catch (const std::exception& e) {
    s.labels.error = e.what();
  }
}

void Map::follow_labels(AppState& s, bool dataset, const std::string& color_by) {
  std::error_code ec;
  if (s.labels.path_input != labels_path_ && dataset &&
      (s.labels.path_input.empty() || std::filesystem::is_regular_file(s.labels.path_input, ec)))
    load_labels(s.labels.path_input, s, color_by);
  if (s.labels.color_column == colored_column_) return;
  colored_column_ = s.labels.color_column;
  ++s.map.style_version;
  s.map.colors.clear();
  s.labels.color_names.clear();
  if (!labels_ || s.labels.color_column < 0 || s.labels.color_column >= static_cast<int>(labels_->columns().size()))
    return;
  for (long r = 0; r < labels_->rows(); ++r) {
    const std::string& v = labels_->cell(r, s.labels.color_column);
    auto it = std::find(s.labels.color_names.begin(), s.labels.color_names.end(), v);
    s.map.colors.push_back(static_cast<int>(it - s.labels.color_names.begin()));
    if (it == s.labels.color_names.end()) s.labels.color_names.push_back(v);
  }
}

std::string Map::color_by(const AppState& s) const {
  const int c = s.labels.color_column;
  return labels_ && c >= 0 && c < static_cast<int>(labels_->columns().size()) ? labels_->columns()[static_cast<size_t>(c)]
                                                                               : std::string();
}

std::shared_ptr<const latent::RowMatrixXf> Map::points_for_map(AppState& s, const latent::Space& space,
                                                               std::shared_ptr<const latent::RowMatrixXf> dataset) {
  std::shared_ptr<const latent::RowMatrixXf> points;
  s.map.names.clear();
  if (const auto* wv = space.words()) {
    const long n = std::min<long>(wv->size(), 2000);  // the most frequent words
    auto words = std::make_shared<latent::RowMatrixXf>(n, wv->dim());
    for (long i = 0; i < n; ++i) {
      const latent::Latent u = wv->unit_vector(i);
      std::copy(u.begin(), u.end(), words->row(i).data());
      s.map.names.emplace_back(wv->word(i));
    }
    points = std::move(words);
  } else if (dataset) {
    points = std::move(dataset);  // shared with the map's worker, not copied
  } else {
    s.map.error = "load a dataset first: the map shows its items";
    return nullptr;
  }
  if (points->rows() < 3) {
    s.map.error = "a map needs at least 3 points";
    return nullptr;
  }
  points_ = points;
  map_.reset();
  s.map.current_valid = false;
  return points;
}

void Map::show(MapResult m, AppState& s) {
  map_ = std::move(m);
  s.map.xy.assign(map_->xy.data(), map_->xy.data() + map_->xy.size());
  ++s.map.xy_version;
  if (map_->index) s.map.index = map_->index, s.map.index_version = s.map.xy_version;
  s.map.shown_method = map_->method;
  s.map.filter_applied = "\x01";  // recompute the filter for the new points
  s.map.selection.clear();
  s.map.error.clear();
  placed_for_.clear();
}

void Map::clear(AppState& s) {
  map_.reset();
  points_.reset();
  s.map.xy.clear();
  ++s.map.xy_version;
  s.map.names.clear();
  s.map.shown_method.clear();
  s.map.current_valid = false;
}

void Map::place_current(AppState& s) {
  const std::vector<float>& zv = s.sliders.z;
  if (!map_ || !points_ || zv.empty() || static_cast<long>(zv.size()) != points_->cols()) {
    s.map.current_valid = false;
    return;
  }
  if (zv == placed_for_) return;
  placed_for_ = zv;
  Eigen::Map<const Eigen::VectorXf> z(zv.data(), static_cast<Eigen::Index>(zv.size()));
  Eigen::VectorXf q = z;
  if (s.model.info.modality == latent::Modality::Words) q.normalize();  // word maps are of unit vectors
  if (map_->linear) {
    const Eigen::VectorXf y = map_->axes * (q - map_->mean);
    s.map.current[0] = y[0], s.map.current[1] = y[1];
  } else {
    // Placed among its nearest neighbours, weighted by closeness.
    const Eigen::VectorXf d = (points_->rowwise() - q.transpose()).rowwise().squaredNorm();
    std::vector<std::pair<float, long>> best;
    best.reserve(static_cast<size_t>(d.size()));
    for (long i = 0; i < d.size(); ++i) best.push_back({d[i], i});
    const size_t k = std::min<size_t>(5, best.size());
    std::partial_sort(best.begin(), best.begin() + static_cast<long>(k), best.end());
    double wx = 0, wy = 0, wsum = 0;
    for (size_t j = 0; j < k; ++j) {
      const double w = 1.0 / (1e-6 + std::sqrt(best[j].first));
      wx += w * map_->xy(best[j].second, 0), wy += w * map_->xy(best[j].second, 1), wsum += w;
    }
    s.map.current[0] = static_cast<float>(wx / wsum), s.map.current[1] = static_cast<float>(wy / wsum);
  }
  s.map.current_valid = true;
}

std::optional<FilterRequest> Map::filter_request(AppState& s, std::shared_ptr<const latent::ImageDataset> data) {
  // A label query when it compares a column, else a regular expression over the points'
  // names (words, file names) and label rows; the points show unfiltered until the answer.
  const size_t n = s.map.xy.size() / 2;
  if (!s.map.match.empty() && s.map.match.size() != n) {  // made for other points
    s.map.match.clear();
    ++s.map.style_version;
  }
  if (s.map.filter == s.map.filter_applied) return std::nullopt;
  s.map.filter_applied = s.map.filter;
  if (s.map.filter.empty() || n == 0) {
    filter_generation_ = 0;  // an answer still on its way is dropped
    if (!s.map.match.empty() || !s.map.filter_error.empty()) ++s.map.style_version;
    s.map.match.clear();
    s.map.filter_error.clear();
    return std::nullopt;
  }
  FilterRequest r{s.map.filter, n, nullptr, nullptr, labels_};
  // Words for a word model's map, else the dataset's file names.
  if (!s.map.names.empty() || !data) r.names = std::make_shared<const std::vector<std::string>>(s.map.names);
  else r.data = std::move(data);
  return r;
}

void Map::filter_answered(uint64_t generation, FilterResult* r, const std::string& error, AppState& s) {
  const size_t n = s.map.xy.size() / 2;
  if (generation != filter_generation_ || (r && r->match.size() != n)) return;
  s.map.match = r ? std::move(r->match) : std::vector<char>();
  s.map.filter_error = r ? std::string() : error;
  ++s.map.style_version;
}

void make_start_groups(AppState& s, const latent::LabelTable* labels, const std::vector<std::string>& groups,
                       const std::vector<std::string>& live_attributes, const std::string& attribute) {
  for (const std::string& def : groups) {
    try {
      const latent::NamedValue g = latent::parse_named_value(def, "--group", "NAME=QUERY");
      make_group(s, labels, g.name, g.value);
    } catch (const latent::Error& e) {
      s.labels.error = e.what();
    }
  }
  auto group_index = [&](const std::string& name) {
    const int g = group_named(s, name);
    if (g < 0) s.labels.error = "no group named '" + name + "'";
    return g;
  };
  for (const std::string& def : live_attributes) {
    std::stringstream ss(def);
    std::string a, b, st;
    std::getline(ss, a, ','), std::getline(ss, b, ','), std::getline(ss, st, ',');
    AppState::Attribute at{group_index(a), group_index(b), 0.f, 0.f};
    try {
      at.strength = st.empty() ? 0.f : std::stof(st);
    } catch (const std::exception&) {
      s.labels.error = "--live-attribute takes A,B,STRENGTH, not '" + def + "'";
    }
    if (at.a >= 0 && at.b >= 0) s.attributes.live.push_back(at);
  }
  if (!attribute.empty()) {
    // A,B,STRENGTH by group names.
    std::string a, b, st;
    float strength = 1.f;
    std::stringstream ss(attribute);
    std::getline(ss, a, ','), std::getline(ss, b, ',');
    try {
      if (std::getline(ss, st, ',')) strength = std::stof(st);
    } catch (const std::exception&) {
      s.labels.error = "--attribute takes A,B,STRENGTH, not '" + attribute + "'";
      return;
    }
    for (int g = 0; g < static_cast<int>(s.groups.list.size()); ++g) {
      if (s.groups.list[static_cast<size_t>(g)].name == a) s.groups.attr_a = g;
      if (s.groups.list[static_cast<size_t>(g)].name == b) s.groups.attr_b = g;
    }
    s.groups.attr_strength = strength;
    s.actions.push(act::ApplyAttribute{});
  }
}

namespace {

// mean(group a) - mean(group b) over `points`; nothing, with the reason in the map panel,
// when a group is empty.
std::optional<latent::Latent> group_difference(AppState& s, const latent::RowMatrixXf& points, int a, int b) {
  try {
    return latent::attribute_vector(points, s.groups.list.at(static_cast<size_t>(a)).members,
                                    s.groups.list.at(static_cast<size_t>(b)).members);
  } catch (const std::exception& e) {
    s.labels.error = std::string("no attribute vector: ") + e.what();
    return std::nullopt;
  }
}

void add_scaled(std::vector<float>& z, float scale, const latent::Latent& d) {
  for (size_t k = 0; k < z.size() && k < d.size(); ++k) z[k] += scale * d[k];
}

}  // namespace

void apply_live_attributes(AppState& s, const latent::RowMatrixXf* points) {
  const int groups = static_cast<int>(s.groups.list.size());
  for (auto& at : s.attributes.live) {
    if (at.direction >= 0) {
      if (at.strength == at.applied || at.direction >= static_cast<int>(s.attributes.directions.size())) continue;
      add_scaled(s.sliders.z, at.strength - at.applied, s.attributes.directions[static_cast<size_t>(at.direction)].step);
      at.applied = at.strength;
      continue;
    }
    if (at.strength == at.applied || at.a < 0 || at.b < 0 || !points || s.sliders.z.empty() || at.a >= groups ||
        at.b >= groups)
      continue;
    if (const auto d = group_difference(s, *points, at.a, at.b)) add_scaled(s.sliders.z, at.strength - at.applied, *d);
    at.applied = at.strength;  // a failed one is reported once, not every frame
  }
}

void apply_attribute(AppState& s, const latent::RowMatrixXf& points) {
  if (s.groups.attr_a < 0 || s.groups.attr_b < 0 || s.sliders.z.empty()) return;
  if (const auto d = group_difference(s, points, s.groups.attr_a, s.groups.attr_b))
    add_scaled(s.sliders.z, s.groups.attr_strength, *d);
}

}  // namespace studio::controller
