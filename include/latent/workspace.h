#pragma once
// What a person works on with one model, apart from how the studio shows it: the space,
// the dataset's points and its labels, the current point, the named points, the groups
// and the walks. The studio and the CLI both make their expression environments here, so
// `@name`, `mean(@group)` and `item(N)` mean the same in both, and both turn a session's
// work into a Workspace and back here (the studio adds its view: map, sliders, layout,
// live control, story).
#include <memory>
#include <string>
#include <vector>

#include "latent/expression.h"
#include "latent/labels.h"
#include "latent/session.h"
#include "latent/space.h"
#include "latent/walk.h"

namespace latent {

// NAME=VALUE as given on a command line (--group, --point, --direction): split at the
// first '='. UnsupportedError naming `option` and `form` when there is no name or '='.
struct NamedValue {
  std::string name, value;
};
NamedValue parse_named_value(const std::string& definition, const std::string& option, const std::string& form);

// The rows of `labels` that match `query` (labels.h): a group's members. UnsupportedError
// when none does (an empty group is never made).
std::vector<long> label_group(const LabelTable& labels, const std::string& query);

struct Workspace {
  const Space* space = nullptr;
  // The dataset's points, a row each (shared, never copied): item(N); group members index them.
  std::shared_ptr<const RowMatrixXf> items;
  // The labels, a row per item in the items' order (nullptr = none): groups made by a query.
  std::shared_ptr<const LabelTable> labels;
  std::string dataset_path, labels_path;  // where the items and labels came from ("" = none)
  Latent z;                               // the current point (empty = none yet)
  std::vector<Bookmark> bookmarks;        // @name points (names made expression-safe)
  std::vector<SessionGroup> groups;       // @name groups (members index items)
  std::vector<Walk> walks;
  std::string where;                      // names the session in errors ("" = none)

  long item_count() const { return items ? static_cast<long>(items->rows()) : 0; }

  // The work a session holds: its dataset and labels paths, point, bookmarks, groups
  // (those saved as a query alone wait for the labels) and walks. `where` names the file.
  static Workspace from_session(const Session& s, const std::string& where);
  // Writes the same parts into `s`, leaving the rest of it (model, view, story) as it is.
  void into_session(Session& s) const;

  // Keeps only what fits a model of `dim` numbers: the point, the bookmarks and each walk's
  // keys (a walk left with fewer than two keys, or a random loop of another size, goes).
  // Returns what was left out, a phrase each, for a person ("its point has another size").
  std::vector<std::string> fit(int dim);

  // A group of the items whose labels match `query` (labels.h), added under `name` (the
  // query when empty). UnsupportedError when there are no labels, they do not have a row
  // per item, or nothing matches.
  const SessionGroup& add_group(const std::string& name, const std::string& query);
  // Groups saved as a query only (a scene written by hand) take their members from the
  // labels. Returns how many were made. UnsupportedError as add_group's, naming the group.
  int settle_groups();

  // The walk of that name; UnsupportedError naming `where` and the walks it has (`hint`
  // follows "it has none").
  const Walk& walk(const std::string& name, const std::string& hint = "") const;
  // Adds `w`, or replaces the walk of its name.
  void keep_walk(Walk w);

  // An environment over `space` with the bookmarks, then the groups, then the items.
  // A group member outside the items is an UnsupportedError naming the group and `where`.
  std::unique_ptr<SpaceExpressionEnv> expression_env() const;
};

}  // namespace latent
