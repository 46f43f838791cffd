#include "expression_env.h"

#include <cstdio>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/labels.h"
#include "latent/latent_io.h"
#include "latent/workspace.h"

namespace latent::cli {

std::unique_ptr<SpaceExpressionEnv> make_expression_env(const Space& space, const ExpressionNames& names,
                                                        const std::optional<Session>& session) {
  Workspace ws;
  ws.space = &space;
  ws.where = names.session_path;
  std::string data = names.data;
  if (session) {
    if (data.empty()) data = session->dataset;
    ws.bookmarks = session->bookmarks;
  }
  if (!data.empty()) ws.items = std::make_shared<const RowMatrixXf>(encode_dataset(space, load_dataset_for(space, data)));
  if (!names.groups.empty()) {
    if (names.labels.empty() || ws.item_count() == 0) throw UnsupportedError("--group needs --data and --labels");
    const LabelTable labels = LabelTable::read_csv(names.labels);
    if (labels.rows() != ws.item_count())
      throw UnsupportedError(names.labels + " has " + std::to_string(labels.rows()) + " rows but the dataset has " +
                             std::to_string(ws.item_count()) + " items");
    for (const auto& def : names.groups) {
      const NamedValue g = parse_named_value(def, "--group", "NAME=QUERY");
      SessionGroup group{g.name, g.value, labels.select(g.value)};
      std::fprintf(stderr, "group @%s: %zu items\n", g.name.c_str(), group.members.size());
      ws.groups.push_back(std::move(group));
    }
  }
  if (session) {
    if (!session->groups.empty() && ws.item_count() == 0)
      throw UnsupportedError(names.session_path + " has groups but no dataset to take them from (give --data)");
    ws.groups.insert(ws.groups.end(), session->groups.begin(), session->groups.end());
  }
  auto env = ws.expression_env();
  for (const auto& def : names.points) {
    const NamedValue p = parse_named_value(def, "--point", "NAME=z.json");
    env->add_point(p.name, read_latent_json(p.value));
  }
  return env;
}

}  // namespace latent::cli
