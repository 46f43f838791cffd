#pragma once
// The names a CLI expression can use (`arith`, `walk`, `grid`).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latent/expression.h"
#include "latent/session.h"

namespace latent::cli {

struct ExpressionNames {
  std::string session_path;         // the session's file, for messages ("" = none)
  std::string data;                 // dataset for item(N) and groups ("" = the session's)
  std::string labels;               // label CSV for `groups`
  std::vector<std::string> groups;  // NAME=QUERY over the labels
  std::vector<std::string> points;  // NAME=z.json
};

// An environment over `space` with the session's bookmarks as @points and its groups as
// @groups (under their expression names), the dataset's items encoded, label groups and
// named points. Each mistake is an UnsupportedError that says what to give.
std::unique_ptr<SpaceExpressionEnv> make_expression_env(const Space& space, const ExpressionNames& names,
                                                        const std::optional<Session>& session);

}  // namespace latent::cli
