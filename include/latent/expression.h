#pragma once
// The latent expression language, shared by the studio and `latent arith`:
//   @man_glasses - @man + @woman          named points (or a group's mean)
//   mean(@smiling) - mean(@neutral)       a group's mean; mean("faces/*.png") a glob's
//   0.5*@a + 0.5*@b,  @a / 2,  -(@a)      scalars and vectors
//   lerp(@a, @b, 0.3), slerp(@a, @b, 0.3)
//   norm(@a - @b, 10)                    a point scaled to a length
//   enc("face.png")  z("point.json")  item(12)
//   dir("Eyeglasses")                    a named unit direction (the package's directions.json)
// Errors give the column and the offending token.
#include <memory>
#include <string>
#include <vector>

#include "latent/space.h"

namespace latent {

// Where the names in an expression come from.
class ExpressionEnv {
 public:
  virtual ~ExpressionEnv() = default;
  // A named point; nullptr-like empty vector when there is none.
  virtual bool point(const std::string& name, Latent& out) const = 0;
  // A named group of points; false when there is none.
  virtual bool group(const std::string& name, std::vector<Latent>& out) const = 0;
  // enc("file"): an image file encoded by the model.
  virtual Latent encode_file(const std::string& path) const = 0;
  // mean("pattern"): every file matching a glob, encoded.
  virtual std::vector<Latent> encode_glob(const std::string& pattern) const = 0;
  // item(N): dataset item N, encoded.
  virtual Latent item(long index) const = 0;
  // The names known, for error messages.
  virtual std::vector<std::string> names() const = 0;
  // dir("Name"): the model's named unit direction (directions.h). The default has none.
  virtual Latent direction(const std::string& name) const;
};

Latent evaluate_expression(const std::string& expr, const ExpressionEnv& env, int dim);

// A bookmark or group name as expressions write it after '@': characters that cannot
// appear in a name become '_' ("with glasses" -> with_glasses).
std::string expression_name(std::string name);

// An environment over a model, with named points and groups given in memory, image files
// encoded on demand and dataset items taken from precomputed encodings.
class SpaceExpressionEnv : public ExpressionEnv {
 public:
  explicit SpaceExpressionEnv(const Space& space) : space_(space) {}
  void add_point(const std::string& name, Latent z) { points_.emplace_back(name, std::move(z)); }
  void add_group(const std::string& name, std::vector<Latent> zs) { groups_.emplace_back(name, std::move(zs)); }
  // The dataset's points, one row each: shared, not copied (a million of them are 200 MB).
  void set_items(std::shared_ptr<const RowMatrixXf> items) { items_ = std::move(items); }
  // Directions from a file other than the package's directions.json.
  void set_directions_file(std::string path) { directions_file_ = std::move(path); }

  bool point(const std::string& name, Latent& out) const override;
  bool group(const std::string& name, std::vector<Latent>& out) const override;
  Latent encode_file(const std::string& path) const override;
  std::vector<Latent> encode_glob(const std::string& pattern) const override;
  Latent item(long index) const override;
  std::vector<std::string> names() const override;
  Latent direction(const std::string& name) const override;

 private:
  const Space& space_;
  std::vector<std::pair<std::string, Latent>> points_;
  std::vector<std::pair<std::string, std::vector<Latent>>> groups_;
  std::shared_ptr<const RowMatrixXf> items_;
  std::string directions_file_;
};

}  // namespace latent
