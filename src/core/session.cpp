#include "latent/session.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/json_file.h"

namespace fs = std::filesystem;

namespace latent {

namespace {
constexpr int kSessionVersion = 1;
}

nlohmann::json session_to_json(const Session& s) {
  nlohmann::json j = {{"format", "latent-studio-session"},
                      {"version", kSessionVersion},
                      {"model", s.model},
                      {"dataset", s.dataset},
                      {"labels", s.labels},
                      {"z", s.z},
                      {"map", {{"method", s.map_method}, {"color_by", s.color_by}}},
                      {"attribute", {{"a", s.attr_a}, {"b", s.attr_b}, {"strength", s.attr_strength}}},
                      {"word_query", s.word_query},
                      {"view", {{"ui_scale", s.ui_scale}, {"linear_filter", s.linear_filter}}}};
  j["bookmarks"] = nlohmann::json::array();
  for (const auto& b : s.bookmarks) j["bookmarks"].push_back({{"name", b.name}, {"z", b.z}});
  j["groups"] = nlohmann::json::array();
  for (const auto& g : s.groups) {
    nlohmann::json o = {{"name", g.name}, {"query", g.query}};
    if (g.members_given) o["members"] = g.members;
    j["groups"].push_back(std::move(o));
  }
  if (!s.sliders.empty()) {
    j["sliders"] = nlohmann::json::array();
    for (const auto& l : s.sliders) {
      nlohmann::json o = {{"strength", l.strength}, {"applied", l.applied}};
      if (!l.direction.empty()) o["direction"] = l.direction;
      else o["a"] = l.a, o["b"] = l.b;
      j["sliders"].push_back(std::move(o));
    }
  }
  if (s.walk_playing) j["walk_playing"] = true;
  if (!s.caption.empty()) j["caption"] = s.caption;
  if (!s.layout.empty()) j["layout"] = s.layout;
  if (!s.controls.empty()) j["controls"] = s.controls;
  if (!s.story.empty()) j["story"] = s.story;
  j["walks"] = nlohmann::json::array();
  for (const auto& w : s.walks) j["walks"].push_back(walk_to_json(w));
  return j;
}

namespace {

// nlohmann's message without its "[json.exception.type_error.302] " prefix.
std::string plain(const nlohmann::json::exception& e) {
  const std::string w = e.what();
  const auto close = w.find("] ");
  return close == std::string::npos ? w : w.substr(close + 2);
}

// The array under `key` (an empty one when there is none), by reference: copying it
// would only make another tree to allocate and free.
const nlohmann::json& list_field(const nlohmann::json& obj, const char* key, const std::string& file) {
  static const nlohmann::json empty = nlohmann::json::array();
  if (!obj.contains(key)) return empty;
  const auto& v = obj[key];
  if (!v.is_array()) throw FormatError(file + ": \"" + key + "\" must be an array (found " + json_type_words(v) + ")");
  return v;
}

// An integer field that must fit an int: a double such as 1e300 is refused instead of
// being converted (which would be undefined).
int int_field(const nlohmann::json& obj, const char* key, int fallback, const std::string& where) {
  if (!obj.contains(key)) return fallback;
  const auto& v = obj[key];
  if (!v.is_number_integer() || v.get<double>() < -2147483648.0 || v.get<double>() > 2147483647.0)
    throw FormatError(where + ": \"" + key + "\" must be a whole number (found " + json_type_words(v) + ")");
  return v.get<int>();
}

}  // namespace

Session session_from_json(const nlohmann::json& j, const std::string& file) {
  // Which part is being read, so a type error says where it is.
  std::string at = "the top level";
  try {
    if (!j.is_object() || !j.contains("format") || j["format"] != "latent-studio-session")
      throw FormatError(file + ": not a Latent Studio session (no \"format\": \"latent-studio-session\")");
    const int version = int_field(j, "version", 0, file);
    if (version < 1 || version > kSessionVersion)
      throw FormatError(file + ": session version " + std::to_string(version) + " is not supported (this build reads 1)");
    Session s;
    s.model = j.value("model", "");
    s.dataset = j.value("dataset", "");
    s.labels = j.value("labels", "");
    at = "\"z\"";
    s.z = j.value("z", Latent{});
    if (j.contains("map")) {
      at = "\"map\"";
      s.map_method = j["map"].value("method", "");
      s.color_by = j["map"].value("color_by", "");
    }
    if (j.contains("attribute")) {
      at = "\"attribute\"";
      if (!j["attribute"].is_object()) throw FormatError(file + ": \"attribute\" must be an object");
      s.attr_a = int_field(j["attribute"], "a", -1, file + ": \"attribute\"");
      s.attr_b = int_field(j["attribute"], "b", -1, file + ": \"attribute\"");
      s.attr_strength = j["attribute"].value("strength", 1.f);
    }
    at = "\"word_query\"";
    s.word_query = j.value("word_query", "");
    if (j.contains("view")) {
      at = "\"view\"";
      s.ui_scale = j["view"].value("ui_scale", 1.f);
      s.linear_filter = j["view"].value("linear_filter", false);
    }
    at = "\"bookmarks\"";
    for (const auto& b : list_field(j, "bookmarks", file)) {
      at = "bookmark " + std::to_string(s.bookmarks.size() + 1);
      s.bookmarks.push_back({b.at("name").get<std::string>(), b.at("z").get<Latent>()});
    }
    at = "\"groups\"";
    for (const auto& g : list_field(j, "groups", file)) {
      at = "group " + std::to_string(s.groups.size() + 1);
      SessionGroup group{g.at("name").get<std::string>(), g.value("query", ""), {}};
      if (!g.contains("members")) {
        if (group.query.empty()) throw FormatError(file + ": " + at + " has neither \"members\" nor a \"query\"");
        group.members_given = false;
        s.groups.push_back(std::move(group));
        continue;
      }
      if (!g.at("members").is_array()) throw FormatError(file + ": " + at + ": \"members\" must be an array");
      for (const auto& m : g.at("members")) {
        if (!m.is_number_integer())
          throw FormatError(file + ": " + at + ": members must be item numbers (found " + json_type_words(m) + ")");
        group.members.push_back(m.get<long>());
      }
      s.groups.push_back(std::move(group));
    }
    if (j.contains("story")) {
      if (!j["story"].is_object()) throw FormatError(file + ": \"story\" must be an object");
      s.story = j["story"];
    }
    if (j.contains("controls")) {
      if (!j["controls"].is_object()) throw FormatError(file + ": \"controls\" must be an object");
      s.controls = j["controls"];
    }
    at = "\"sliders\"";
    for (const auto& l : list_field(j, "sliders", file)) {
      at = "slider " + std::to_string(s.sliders.size() + 1);
      SessionSlider sl;
      sl.direction = l.value("direction", "");
      sl.a = l.value("a", ""), sl.b = l.value("b", "");
      if (sl.direction.empty() && (sl.a.empty() || sl.b.empty()))
        throw FormatError(file + ": " + at + " needs a \"direction\", or groups \"a\" and \"b\"");
      sl.strength = l.value("strength", 0.f);
      sl.applied = l.value("applied", 0.f);
      s.sliders.push_back(std::move(sl));
    }
    at = "\"walk_playing\"";
    s.walk_playing = j.value("walk_playing", false);
    at = "\"caption\"";
    s.caption = j.value("caption", "");
    at = "\"layout\"";
    s.layout = j.value("layout", "");
    // Optional: version 1 sessions written before walks existed have none.
    at = "\"walks\"";
    for (const auto& w : list_field(j, "walks", file))
      s.walks.push_back(walk_from_json(w, file + ": walk " + std::to_string(s.walks.size() + 1)));
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file + ": " + at + " has the wrong form (" + plain(e) + ")");
  }
}

namespace {

// `p` against the session's folder when it is relative and there; else unchanged.
std::string beside_session(const std::string& p, const fs::path& dir) {
  if (p.empty()) return p;
  const fs::path rel(p);
  if (rel.is_absolute()) return p;
  std::error_code ec;
  const fs::path there = dir / rel;
  if (fs::exists(there, ec)) return there.lexically_normal().string();
  return p;
}

// The session as the file says, relative paths as written.
Session read_session_file(const std::string& path) {
  try {
    return session_from_json(read_json_file(path, "the session"), path);
  } catch (const std::bad_alloc&) {
    throw Error(path + ": out of memory while reading the session");
  }
}

}  // namespace

Session load_session(const std::string& path) {
  try {
    Session s = read_session_file(path);
    const fs::path dir = fs::path(path).parent_path();
    s.model = beside_session(s.model, dir);
    s.dataset = beside_session(s.dataset, dir);
    s.labels = beside_session(s.labels, dir);
    if (s.story.contains("image") && s.story["image"].is_string())
      s.story["image"] = beside_session(s.story["image"].get<std::string>(), dir);
    return s;
  } catch (const std::bad_alloc&) {
    throw Error(path + ": out of memory while reading the session");
  }
}

namespace {

const char* kAutosaveTag = ".autosave-";

// Saves through a verified temporary file; with `keep_versions` the file being replaced
// stays as PATH.1 and the one before it as PATH.2.
void save_verified(const Session& s, const std::string& path, bool keep_versions) {
  FileOps& ops = file_ops();
  const std::string text = session_to_json(s).dump(2) + "\n";
  const std::string tmp = write_temp_file(path, text, "the session");
  const auto give_up = [&](const std::string& why) {
    ops.unlink(tmp.c_str());
    throw IoError(path + ": " + why + "; the previous session is untouched");
  };
  // Read back what reached the disk before it replaces anything. As written: a relative
  // path that also names a file beside the new file is not a difference.
  bool same = false;
  try {
    same = session_to_json(read_session_file(tmp)) == session_to_json(s);
  } catch (const Error& e) {
    give_up(std::string("the saved session did not verify (") + e.what() + ")");
  }
  if (!same) give_up("the saved file reads back differently");
  std::error_code ec;
  if (keep_versions && fs::exists(path, ec)) {
    const std::string v1 = path + ".1", v2 = path + ".2";
    if (fs::exists(v1, ec) && ops.rename(v1.c_str(), v2.c_str()) != 0)
      give_up("cannot keep the older version as " + v2 + " (" + std::strerror(errno) + ")");
    // rename() does nothing when both names are links to one file (left so by a save
    // killed after its link below), so PATH.1 may still be there.
    if (ops.unlink(v1.c_str()) != 0 && errno != ENOENT)
      give_up("cannot replace the previous version " + v1 + " (" + std::strerror(errno) + ")");
    // A hard link keeps the current file as PATH.1 while PATH stays in place until the
    // rename below; where links are not allowed, a copy does the same.
    if (ops.link(path.c_str(), v1.c_str()) != 0) {
      const int link_err = errno;
      if (link_err != EPERM && link_err != EXDEV && link_err != ENOTSUP && link_err != EMLINK)
        give_up("cannot keep the previous version as " + v1 + " (" + std::strerror(link_err) + ")");
      std::string copy_tmp;
      try {
        copy_tmp = write_temp_file(v1, read_whole_file(path, "the previous session"), "the previous version");
      } catch (const Error& e) {
        give_up(std::string("cannot keep the previous version (") + e.what() + ")");
      }
      if (ops.rename(copy_tmp.c_str(), v1.c_str()) != 0) {
        const int err = errno;
        ops.unlink(copy_tmp.c_str());
        give_up("cannot keep the previous version as " + v1 + " (" + std::strerror(err) + ")");
      }
    }
  }
  if (ops.rename(tmp.c_str(), path.c_str()) != 0)
    give_up(std::string("cannot move the saved session into place (") + std::strerror(errno) + ")");
  sync_parent_folder(path);  // the rename itself, durable
}

void save_guarded(const Session& s, const std::string& path, bool keep_versions) {
  try {
    save_verified(s, path, keep_versions);
  } catch (const std::bad_alloc&) {
    file_ops().unlink((path + ".saving").c_str());
    throw Error(path + ": out of memory while saving the session; the previous session is untouched");
  }
}

}  // namespace

void save_session(const Session& s, const std::string& path) { save_guarded(s, path, true); }

std::string autosave_path(const std::string& session_path, long pid) {
  return session_path + kAutosaveTag + std::to_string(pid);
}

void autosave_session(const Session& s, const std::string& session_path) {
  save_guarded(s, autosave_path(session_path, static_cast<long>(::getpid())), false);
}

bool process_running(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::vector<Autosave> find_orphan_autosaves(const std::string& dir) {
  std::vector<std::pair<fs::file_time_type, Autosave>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir.empty() ? "." : dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t tag = name.rfind(kAutosaveTag);
    if (tag == std::string::npos || tag == 0) continue;
    const std::string digits = name.substr(tag + std::strlen(kAutosaveTag));
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    Autosave a;
    a.path = it->path().string();
    a.session_path = (it->path().parent_path() / name.substr(0, tag)).string();
    a.pid = std::stol(digits);
    if (a.pid == static_cast<long>(::getpid()) || process_running(a.pid)) continue;
    found.emplace_back(it->last_write_time(fec), a);
  }
  std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<Autosave> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

Session restore_autosave(const Autosave& a) {
  Session s = load_session(a.path);
  save_session(s, a.session_path);
  std::error_code ec;
  fs::remove(a.path, ec);
  return s;
}

void discard_autosave(const Autosave& a) {
  std::error_code ec;
  fs::remove(a.path, ec);
  if (ec) throw IoError(a.path + ": cannot remove the autosave (" + ec.message() + ")");
}

}  // namespace latent
