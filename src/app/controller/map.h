#pragma once
// The map's state apart from drawing: the layout the worker made (and the points it was
// made from), the dataset's labels and the colours they give, the filter asked of the
// filter worker, where the current point falls, and the live attribute sliders that move
// it. No GL or ImGui: the studio runs the requests on its workers and uploads pictures;
// tests/test_controllers.cpp drives this without a window.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app_state.h"
#include "latent/dataset.h"
#include "latent/labels.h"
#include "latent/projection.h"
#include "latent/space.h"
#include "latent/types.h"

namespace studio::controller {

// A map: the 2-D layout and, for PCA maps, the projection itself (to place any latent
// exactly).
struct MapResult {
  latent::RowMatrixXf xy;                 // N x 2
  std::shared_ptr<const latent::MapIndex> index;  // of xy, built on the worker
  bool linear = false;
  Eigen::VectorXf mean;                   // linear maps: y = axes (z - mean)
  latent::RowMatrixXf axes;               // 2 x D
  std::string method;
};

// The map filter (analysis.h, filter_points) over the map's points, off the UI thread: a
// regular expression over a million names takes about a second.
struct FilterRequest {
  std::string filter;
  size_t count = 0;                                        // points on the map
  std::shared_ptr<const std::vector<std::string>> names;   // a word map's words, or
  std::shared_ptr<const latent::ImageDataset> data;        // the dataset whose file names are searched
  std::shared_ptr<const latent::LabelTable> labels;        // for label queries, or nullptr
};
struct FilterResult {
  std::vector<char> match;  // 1 per kept point
};

class Map {
 public:
  // --- Labels and colours
  // Reads the labels of the dataset's s.dataset.count items from `path` ("" = none); the
  // panel lists their columns, or says why they were not read (s.labels.error). With no
  // colouring chosen yet, `color_by` names the column to colour by.
  void load_labels(const std::string& path, AppState& s, const std::string& color_by = "");
  // Follows the panel: new labels once its path names a file (or is cleared) while a
  // dataset is open, new colours when another column is chosen.
  void follow_labels(AppState& s, bool dataset, const std::string& color_by);
  const latent::LabelTable* labels() const { return labels_.get(); }
  std::shared_ptr<const latent::LabelTable> shared_labels() const { return labels_; }
  // The labels' file as a session records it ("" without labels).
  std::string labels_path() const { return labels_ ? labels_path_ : std::string(); }
  // The colouring column's name ("" when none).
  std::string color_by(const AppState& s) const;

  // --- The layout
  // The points a new map is made of: a word model's 2,000 most frequent words (their
  // names go to s.map.names), else the dataset's points. Nothing, with the reason in
  // s.map.error, without a dataset or with fewer than 3 points. The old layout is dropped.
  std::shared_ptr<const latent::RowMatrixXf> points_for_map(AppState& s, const latent::Space& space,
                                                            std::shared_ptr<const latent::RowMatrixXf> dataset);
  // The worker's finished layout becomes the map.
  void show(MapResult m, AppState& s);
  // No map (a new model or dataset).
  void clear(AppState& s);
  std::string method() const { return map_ ? map_->method : std::string(); }
  bool has_map() const { return map_.has_value(); }
  // Where the current point (s.sliders.z) falls: exactly for a linear map, else among its
  // 5 nearest points weighted by closeness. s.map.current_valid says whether it could.
  void place_current(AppState& s);

  // --- The filter
  // The filter to ask for when the panel's text changed (nothing when it was cleared, or
  // for no points: the matches go at once). Words for a word map, else `data`'s names.
  std::optional<FilterRequest> filter_request(AppState& s, std::shared_ptr<const latent::ImageDataset> data);
  // Its number as the filter worker gave it; only the newest one asked is shown.
  void filter_asked(uint64_t generation) { filter_generation_ = generation; }
  uint64_t filter_generation() const { return filter_generation_; }
  // An answer: shown if it is the newest asked and fits the points (`error` when it failed);
  // its matches are moved into the state (a million of them, on the UI thread).
  void filter_answered(uint64_t generation, FilterResult* r, const std::string& error, AppState& s);

 private:
  std::optional<MapResult> map_;
  std::shared_ptr<const latent::RowMatrixXf> points_;  // what the map was made from
  std::vector<float> placed_for_;                      // the point last placed
  std::shared_ptr<const latent::LabelTable> labels_;
  std::string labels_path_;
  int colored_column_ = -2;
  uint64_t filter_generation_ = 0;  // the newest filter asked (0: none)
};

// The session's and --group's groups are made by label queries; these, given on the
// command line, then make live attribute sliders (--live-attribute A,B,STRENGTH) and the
// attribute added at start (--attribute A,B,STRENGTH, pushed as act::ApplyAttribute).
// Problems go to s.labels.error.
void make_start_groups(AppState& s, const latent::LabelTable* labels, const std::vector<std::string>& groups,
                       const std::vector<std::string>& live_attributes, const std::string& attribute);

// Moves the point by each live attribute slider's change since it was last applied: a
// named direction's step, or mean(A) - mean(B) over the dataset's `points` (nullptr: no
// dataset, and group sliders wait). A failed vector is reported once in s.labels.error.
void apply_live_attributes(AppState& s, const latent::RowMatrixXf* points);

// Adds s.groups.attr_strength x (mean A - mean B) to the point (act::ApplyAttribute).
void apply_attribute(AppState& s, const latent::RowMatrixXf& points);

}  // namespace studio::controller
