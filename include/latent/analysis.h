#pragma once
// Analyses a person asks of a model, in the studio and from the shell (`latent rank`,
// `latent invert --error`): which dimensions matter at a point, how far a decoding is from
// an image and where, and the point that stands for an image.
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "latent/image.h"
#include "latent/labels.h"
#include "latent/space.h"
#include "latent/types.h"

namespace latent {

// How much each latent dimension changes the decoding at z: the RMS pixel change when
// dimension k moves by its scale()[k]. Batched for spaces that decode in batches.
// UnsupportedError for a space that does not decode images.
std::vector<float> rank_influence(const Space& space, const Latent& z, const ProgressFn& progress = {});

// Dimensions ordered from the most influential, ties by index.
std::vector<int> influence_order(const std::vector<float>& influence);

// How far a reconstruction is from its original: RMS and largest absolute error per
// value, and a black-red-yellow heat map of the error amplified `gain` times.
struct ReconstructionError {
  double rmse = 0;
  double max_error = 0;
  Image heatmap;  // RGB, the original's size
};
ReconstructionError reconstruction_error(const Image& original, const Image& reconstruction, float gain = 4.f);
// The heat map alone, from an absolute error image (the largest channel per pixel).
Image error_heatmap(const Image& abs_error, float gain);

// The point that stands for an image (already at the model's shape): by gradient search
// from the encoder's mean where the space can invert (a short refinement when it has an
// encoder), else by its encoder. UnsupportedError when it can do neither.
struct Placement {
  Latent z;
  Image reconstruction;
  double mse = 0;
  std::string how;  // "encoder", or "encoder mean, then gradient descent, 100 steps, best of 2"
};
Placement place_image(const Space& space, const Image& target, const ProgressFn& progress = {});

// A small set of points (a query's answers, a style's examples) on a plane: their first two
// principal axes, scaled so the farthest coordinate is 1.
std::vector<std::pair<float, float>> project_small(const std::vector<Latent>& points);

// A style's map (the story panel's): the thoughts of the style's example sentences, A and
// B, on their first two principal axes, the first turned to point from B towards A along
// the style's `direction`, scaled so the farthest example sits at 1. Other thoughts (the
// captions' before and after the shift) are placed on the same plane. UnsupportedError
// when a group is empty or the thoughts differ in size.
class StyleMap {
 public:
  StyleMap(const std::vector<Latent>& a, const std::vector<Latent>& b, const Latent& direction);
  const std::vector<std::pair<float, float>>& a() const { return a_; }
  const std::vector<std::pair<float, float>>& b() const { return b_; }
  std::pair<float, float> place(const Latent& z) const;

 private:
  Eigen::VectorXf mean_;
  Eigen::MatrixXf axes_;  // D x 2
  float scale_ = 1;
  std::vector<std::pair<float, float>> a_, b_;
};

// The attribute vector of the essay's arithmetic (glasses - plain): the mean of the items
// in group `a` minus the mean of those in `b`, each an index into `items`. Error, naming
// the group, when one is empty or holds an index out of range.
Latent attribute_vector(const RowMatrixXf& items, const std::vector<long>& a, const std::vector<long>& b);

// Which of n points (a map's) a filter keeps, 1 per kept point. A filter that compares a
// column (glasses=1, age>30, name~ann) is a label query when `labels` has a row per point;
// anything else is a case-insensitive regular expression searched in each point's name
// (`names[i]`, a word or a file name; missing: "") followed by its label row. An empty
// filter keeps every point. Error, with a message for people, when the filter is neither
// a query nor a valid expression.
std::vector<char> filter_points(const std::string& filter, size_t n, const std::vector<std::string>& names,
                                const LabelTable* labels);

}  // namespace latent
