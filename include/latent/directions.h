#pragma once
// Named directions in a model's latent space (InterFaceGAN, Shen et al. 2020): prior
// samples are decoded and labelled by an attribute classifier; for each attribute a
// linear boundary is fitted in z (logistic regression), and the boundary's unit normal is
// the direction that adds the attribute. A direction may be made orthogonal to others
// ("smiling, keeping sex and age": InterFaceGAN's conditional manipulation), so that
// moving along it leaves their boundaries' scores unchanged.
//
// A model's directions live in its package as directions.json; `latent directions`
// writes them, `dir("Eyeglasses")` in expressions reads them, and the studio's
// Attributes panel shows one slider per direction, in units of sigma (the spread of the
// prior along the direction, 1 for a N(0, I) prior).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/types.h"
#include "latent/space.h"

namespace latent {

struct AttributeDirection {
  std::string name;
  Latent unit;                  // unit vector in z; adding it moves towards the attribute
  double sigma = 1;             // spread of the prior along `unit` (std of unit . z)
  double bias = 0;              // the boundary is unit . z * scale + bias = 0 (logit units)
  double scale = 1;             // logit per unit of z along `unit`
  double boundary_accuracy = 0; // held-out agreement of the boundary with the classifier
  double balanced_accuracy = 0; // the same, averaged over the two classes
  double positive_rate = 0;     // share of the samples the classifier called positive
  std::vector<std::string> orthogonal_to;  // the directions it was made orthogonal to
  double energy_share = 0;      // unsupervised (SeFa): share of the first layer's energy along it
};

struct DirectionSet {
  std::string model;        // the model's name
  std::string classifier;   // what labelled the samples (a package name)
  int latent = 0;           // the latent size the directions belong to
  long samples = 0;         // prior samples labelled
  std::vector<AttributeDirection> directions;

  const AttributeDirection* find(const std::string& name) const;
  std::vector<std::string> names() const;
  // The direction's unit vector; UnsupportedError naming the directions that exist.
  const AttributeDirection& at(const std::string& name) const;
};

struct DirectionFitOptions {
  double l2 = 1e-2;              // ridge on the boundary's weights (per sample)
  double holdout_fraction = 0.2; // samples kept out to measure boundary_accuracy
  int iterations = 30;           // Newton steps at most
  bool balanced = true;          // weigh the two classes alike (rare attributes: glasses)
  uint64_t seed = 0;             // which samples are held out
};

// Fits one direction per column of `probabilities` (N x A, values in [0,1], the
// classifier's outputs for the N points in `z`, N x D). Each boundary is a logistic
// regression of the soft labels on z. Throws UnsupportedError on mismatched sizes or
// fewer than 10 samples.
DirectionSet fit_directions(const RowMatrixXf& z, const RowMatrixXf& probabilities,
                            const std::vector<std::string>& names, const DirectionFitOptions& options = {});

// Makes every direction not named in `keep` orthogonal to the span of the `keep`
// directions (and records them in orthogonal_to). Unknown names are refused, naming the
// directions that exist.
void make_orthogonal(DirectionSet& set, const std::vector<std::string>& keep, const RowMatrixXf* prior_samples = nullptr);

// Unsupervised directions (SeFa, Shen & Zhou 2021): the generator's first layer reads z
// through a weight W (one row per latent dimension, D x m); the directions that move its
// output most are the top eigenvectors of W W^T. Named "sefa-1".."sefa-K", largest first,
// each with its eigenvalue's share of the trace; the sign puts the largest component
// positive; sigma from `prior_samples` (rows are z) when given, else 1.
DirectionSet sefa_directions(const RowMatrixXf& weight, int k, const RowMatrixXf* prior_samples = nullptr);

nlohmann::json to_json(const DirectionSet& set);
// `file` names the source in errors (FormatError).
DirectionSet directions_from_json(const nlohmann::json& j, const std::string& file);
DirectionSet read_directions(const std::string& path);
void write_directions(const DirectionSet& set, const std::string& path);

// Refuses (UnsupportedError) a set whose latent size is not the model's, naming both.
void check_directions(const DirectionSet& set, const SpaceInfo& model, const std::string& file);

// The package's directions.json path ("" for a model built in memory).
std::string directions_path(const SpaceInfo& model);

}  // namespace latent
