#include "expression_env.h"

#include <cstdio>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/labels.h"
#include "latent/latent_io.h"

namespace latent::cli {

std::unique_ptr<SpaceExpressionEnv> make_expression_env(const Space& space, const ExpressionNames& names,
                                                        const std::optional<Session>& session) {
  auto env = std::make_unique<SpaceExpressionEnv>(space);
  std::string data = names.data;
  if (session) {
    if (data.empty()) data = session->dataset;
    for (const auto& b : session->bookmarks) env->add_point(expression_name(b.name), b.z);
  }
  std::vector<Latent> items;
  if (!data.empty()) items = to_latents(encode_dataset(space, load_dataset_for(space, data)));
  if (!names.groups.empty()) {
    if (names.labels.empty() || items.empty()) throw UnsupportedError("--group needs --data and --labels");
    const LabelTable labels = LabelTable::read_csv(names.labels);
    if (labels.rows() != static_cast<long>(items.size()))
      throw UnsupportedError(names.labels + " has " + std::to_string(labels.rows()) + " rows but the dataset has " +
                             std::to_string(items.size()) + " items");
    for (const auto& def : names.groups) {
      const size_t eq = def.find('=');
      if (eq == std::string::npos || eq == 0) throw UnsupportedError("--group takes NAME=QUERY, not '" + def + "'");
      std::vector<Latent> zs;
      for (long r : labels.select(def.substr(eq + 1))) zs.push_back(items[r]);
      std::fprintf(stderr, "group @%s: %zu items\n", def.substr(0, eq).c_str(), zs.size());
      env->add_group(def.substr(0, eq), std::move(zs));
    }
  }
  if (session && !session->groups.empty()) {
    if (items.empty())
      throw UnsupportedError(names.session_path + " has groups but no dataset to take them from (give --data)");
    for (const auto& g : session->groups) {
      std::vector<Latent> zs;
      for (long m : g.members) {
        if (m < 0 || m >= static_cast<long>(items.size()))
          throw UnsupportedError("group @" + g.name + " in " + names.session_path + " names item " + std::to_string(m) +
                                 " but the dataset has " + std::to_string(items.size()));
        zs.push_back(items[m]);
      }
      env->add_group(expression_name(g.name), std::move(zs));
    }
  }
  for (const auto& def : names.points) {
    const size_t eq = def.find('=');
    if (eq == std::string::npos || eq == 0) throw UnsupportedError("--point takes NAME=z.json, not '" + def + "'");
    env->add_point(def.substr(0, eq), read_latent_json(def.substr(eq + 1)));
  }
  env->set_items(std::move(items));
  return env;
}

}  // namespace latent::cli
