#pragma once
// What a person works on with one model: the space, the dataset's points and the
// session's named points and groups. The studio and the CLI both make their expression
// environments here, so `@name`, `mean(@group)` and `item(N)` mean the same in both.
#include <memory>
#include <string>
#include <vector>

#include "latent/expression.h"
#include "latent/session.h"
#include "latent/space.h"

namespace latent {

// NAME=VALUE as given on a command line (--group, --point, --direction): split at the
// first '='. UnsupportedError naming `option` and `form` when there is no name or '='.
struct NamedValue {
  std::string name, value;
};
NamedValue parse_named_value(const std::string& definition, const std::string& option, const std::string& form);

struct Workspace {
  const Space* space = nullptr;
  // The dataset's points, a row each (shared, never copied): item(N); group members index them.
  std::shared_ptr<const RowMatrixXf> items;
  std::vector<Bookmark> bookmarks;    // @name points (names made expression-safe)
  std::vector<SessionGroup> groups;   // @name groups (members index items)
  std::string where;                  // names the session in errors ("" = none)

  long item_count() const { return items ? static_cast<long>(items->rows()) : 0; }

  // An environment over `space` with the bookmarks, then the groups, then the items.
  // A group member outside the items is an UnsupportedError naming the group and `where`.
  std::unique_ptr<SpaceExpressionEnv> expression_env() const;
};

}  // namespace latent
