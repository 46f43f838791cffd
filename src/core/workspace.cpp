#include "latent/workspace.h"

#include <algorithm>

#include "latent/errors.h"

namespace latent {

NamedValue parse_named_value(const std::string& definition, const std::string& option, const std::string& form) {
  const size_t eq = definition.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UnsupportedError(option + " takes " + form + ", not '" + definition + "'");
  return {definition.substr(0, eq), definition.substr(eq + 1)};
}

Workspace Workspace::from_session(const Session& s, const std::string& where) {
  Workspace ws;
  ws.dataset_path = s.dataset;
  ws.labels_path = s.labels;
  ws.z = s.z;
  ws.bookmarks = s.bookmarks;
  ws.groups = s.groups;
  ws.walks = s.walks;
  ws.where = where;
  return ws;
}

void Workspace::into_session(Session& s) const {
  s.dataset = dataset_path;
  s.labels = labels_path;
  s.z = z;
  s.bookmarks = bookmarks;
  s.groups = groups;
  s.walks = walks;
}

std::vector<std::string> Workspace::fit(int dim) {
  std::vector<std::string> left_out;
  const auto fits = [dim](const Latent& p) { return static_cast<int>(p.size()) == dim; };
  if (!z.empty() && !fits(z)) {
    z.clear();
    left_out.push_back("its point has another size: not restored");
  }
  const size_t marks = bookmarks.size();
  bookmarks.erase(std::remove_if(bookmarks.begin(), bookmarks.end(), [&](const Bookmark& b) { return !fits(b.z); }),
                  bookmarks.end());
  if (bookmarks.size() != marks)
    left_out.push_back(std::to_string(marks - bookmarks.size()) + " bookmark" + (marks - bookmarks.size() == 1 ? "" : "s") +
                       " of another size left out");
  for (auto w = walks.begin(); w != walks.end();) {
    const size_t keys = w->keys.size();
    w->keys.erase(std::remove_if(w->keys.begin(), w->keys.end(), [&](const Keyframe& k) { return !fits(k.z); }),
                  w->keys.end());
    const bool loop_fits = !w->random_loop || w->random_loop->center.empty() || fits(w->random_loop->center);
    if (!loop_fits || (!w->random_loop && w->keys.size() < 2 && keys >= 2)) {
      left_out.push_back("walk '" + w->name + "' is of another size: left out");
      w = walks.erase(w);
      continue;
    }
    if (w->keys.size() != keys)
      left_out.push_back("walk '" + w->name + "': " + std::to_string(keys - w->keys.size()) + " key" +
                         (keys - w->keys.size() == 1 ? "" : "s") + " of another size left out");
    ++w;
  }
  return left_out;
}

namespace {

// " in S.json" after a group's name, or nothing when no session is named.
std::string in_where(const std::string& where) { return where.empty() ? std::string() : " in " + where; }
// The session by its file, or "the session".
std::string session_named(const std::string& where) { return where.empty() ? std::string("the session") : where; }

std::vector<long> members_of(const LabelTable* labels, const std::string& labels_path, long items,
                             const std::string& query, const std::string& what) {
  if (!labels) throw UnsupportedError(what + " is made by a label query ('" + query + "'): give the labels first");
  if (labels->rows() != items)
    throw UnsupportedError((labels_path.empty() ? std::string("the labels") : labels_path) + " has " +
                           std::to_string(labels->rows()) + " rows but the dataset has " +
                           std::to_string(items) + " items, so " + what + " cannot be made from them");
  try {
    return label_group(*labels, query);
  } catch (const UnsupportedError& e) {
    throw UnsupportedError(what + ": " + e.what());
  }
}

}  // namespace

std::vector<long> label_group(const LabelTable& labels, const std::string& query) {
  std::vector<long> members = labels.select(query);
  if (members.empty()) throw UnsupportedError("no item matches '" + query + "'");
  return members;
}

const SessionGroup& Workspace::add_group(const std::string& name, const std::string& query) {
  const std::string group_name = name.empty() ? query : name;
  groups.push_back({group_name, query, members_of(labels.get(), labels_path, item_count(), query, "group @" + group_name)});
  return groups.back();
}

int Workspace::settle_groups() {
  int made = 0;
  for (SessionGroup& g : groups) {
    if (g.members_given) continue;
    g.members = members_of(labels.get(), labels_path, item_count(), g.query,
                           "group @" + g.name + in_where(where));
    g.members_given = true;
    ++made;
  }
  return made;
}

const Walk& Workspace::walk(const std::string& name, const std::string& hint) const {
  std::string known;
  for (const Walk& w : walks) {
    if (w.name == name) return w;
    known += (known.empty() ? "" : ", ") + w.name;
  }
  throw UnsupportedError(session_named(where) + " has no walk named '" + name + "' (" +
                         (known.empty() ? "it has none" + (hint.empty() ? std::string() : "; " + hint)
                                        : "its walks: " + known) +
                         ")");
}

void Workspace::keep_walk(Walk w) {
  auto same = std::find_if(walks.begin(), walks.end(), [&](const Walk& k) { return k.name == w.name; });
  if (same != walks.end()) *same = std::move(w);
  else walks.push_back(std::move(w));
}

std::unique_ptr<SpaceExpressionEnv> Workspace::expression_env() const {
  if (!space) throw UnsupportedError("open a model first");
  auto env = std::make_unique<SpaceExpressionEnv>(*space);
  for (const auto& b : bookmarks) env->add_point(expression_name(b.name), b.z);
  for (const auto& g : groups) {
    if (!g.members_given)
      throw UnsupportedError("group @" + g.name + in_where(where) +
                             " is a label query ('" + g.query + "'): give the labels to make it");
    if (!g.members.empty() && item_count() == 0)
      throw UnsupportedError(session_named(where) + " has group @" + g.name +
                             " but no dataset to take its members from");
    std::vector<Latent> zs;
    zs.reserve(g.members.size());
    for (long m : g.members) {
      if (m < 0 || m >= item_count())
        throw UnsupportedError("group @" + g.name + in_where(where) +
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
