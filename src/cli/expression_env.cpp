#include "expression_env.h"

#include <algorithm>
#include <cstdio>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/labels.h"
#include "latent/latent_io.h"
#include "latent/workspace.h"

namespace latent::cli {

std::unique_ptr<SpaceExpressionEnv> make_expression_env(const Space& space, const ExpressionNames& names,
                                                        const std::optional<Session>& session) {
  Workspace ws = session ? Workspace::from_session(*session, names.session_path) : Workspace{};
  ws.space = &space;
  ws.where = names.session_path;
  if (!names.data.empty()) ws.dataset_path = names.data;
  if (!names.labels.empty()) ws.labels_path = names.labels;
  if (!ws.dataset_path.empty())
    ws.items = std::make_shared<const RowMatrixXf>(encode_dataset(space, load_dataset_for(space, ws.dataset_path)));
  if (!ws.groups.empty() && ws.item_count() == 0)
    throw UnsupportedError(names.session_path + " has groups but no dataset to take them from (give --data)");
  const bool queries = std::any_of(ws.groups.begin(), ws.groups.end(), [](const SessionGroup& g) { return !g.members_given; });
  if (!names.groups.empty() || queries) {
    if (ws.labels_path.empty() || ws.item_count() == 0)
      throw UnsupportedError(names.groups.empty() ? names.session_path + " has groups made by a label query: give --data and --labels"
                                                  : "--group needs --data and --labels");
    ws.labels = std::make_shared<const LabelTable>(LabelTable::read_csv(ws.labels_path));
    ws.settle_groups();
  }
  // The command line's groups come before the session's, as they always have.
  std::vector<SessionGroup> from_session = std::move(ws.groups);
  ws.groups.clear();
  for (const auto& def : names.groups) {
    const NamedValue g = parse_named_value(def, "--group", "NAME=QUERY");
    std::fprintf(stderr, "group @%s: %zu items\n", g.name.c_str(), ws.add_group(g.name, g.value).members.size());
  }
  ws.groups.insert(ws.groups.end(), from_session.begin(), from_session.end());
  auto env = ws.expression_env();
  for (const auto& def : names.points) {
    const NamedValue p = parse_named_value(def, "--point", "NAME=z.json");
    env->add_point(p.name, read_latent_json(p.value));
  }
  return env;
}

}  // namespace latent::cli
