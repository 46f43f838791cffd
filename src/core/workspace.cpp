#include "latent/workspace.h"

#include "latent/errors.h"

namespace latent {

NamedValue parse_named_value(const std::string& definition, const std::string& option, const std::string& form) {
  const size_t eq = definition.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UnsupportedError(option + " takes " + form + ", not '" + definition + "'");
  return {definition.substr(0, eq), definition.substr(eq + 1)};
}

std::unique_ptr<SpaceExpressionEnv> Workspace::expression_env() const {
  if (!space) throw UnsupportedError("open a model first");
  auto env = std::make_unique<SpaceExpressionEnv>(*space);
  for (const auto& b : bookmarks) env->add_point(expression_name(b.name), b.z);
  for (const auto& g : groups) {
    if (!g.members.empty() && item_count() == 0)
      throw UnsupportedError((where.empty() ? std::string("the session") : where) + " has group @" + g.name +
                             " but no dataset to take its members from");
    std::vector<Latent> zs;
    zs.reserve(g.members.size());
    for (long m : g.members) {
      if (m < 0 || m >= item_count())
        throw UnsupportedError("group @" + g.name + (where.empty() ? std::string() : " in " + where) +
                               " names item " + std::to_string(m) + " but the dataset has " +
                               std::to_string(item_count()));
      zs.push_back(row_latent(*items, m));
    }
    env->add_group(expression_name(g.name), std::move(zs));
  }
  env->set_items(items);
  return env;
}

}  // namespace latent
