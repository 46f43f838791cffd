#include "latent/session.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "latent/errors.h"

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
  for (const auto& g : s.groups) j["groups"].push_back({{"name", g.name}, {"query", g.query}, {"members", g.members}});
  if (!s.controls.empty()) j["controls"] = s.controls;
  if (!s.story.empty()) j["story"] = s.story;
  j["walks"] = nlohmann::json::array();
  for (const auto& w : s.walks) j["walks"].push_back(walk_to_json(w));
  return j;
}

Session session_from_json(const nlohmann::json& j, const std::string& file) {
  try {
    if (!j.is_object() || j.value("format", "") != "latent-studio-session")
      throw FormatError(file + ": not a Latent Studio session (no \"format\": \"latent-studio-session\")");
    const int version = j.value("version", 0);
    if (version < 1 || version > kSessionVersion)
      throw FormatError(file + ": session version " + std::to_string(version) + " is not supported (this build reads 1)");
    Session s;
    s.model = j.value("model", "");
    s.dataset = j.value("dataset", "");
    s.labels = j.value("labels", "");
    s.z = j.value("z", Latent{});
    if (j.contains("map")) {
      s.map_method = j["map"].value("method", "");
      s.color_by = j["map"].value("color_by", "");
    }
    if (j.contains("attribute")) {
      s.attr_a = j["attribute"].value("a", -1);
      s.attr_b = j["attribute"].value("b", -1);
      s.attr_strength = j["attribute"].value("strength", 1.f);
    }
    s.word_query = j.value("word_query", "");
    if (j.contains("view")) {
      s.ui_scale = j["view"].value("ui_scale", 1.f);
      s.linear_filter = j["view"].value("linear_filter", false);
    }
    for (const auto& b : j.value("bookmarks", nlohmann::json::array()))
      s.bookmarks.push_back({b.at("name").get<std::string>(), b.at("z").get<Latent>()});
    for (const auto& g : j.value("groups", nlohmann::json::array()))
      s.groups.push_back({g.at("name").get<std::string>(), g.value("query", ""), g.at("members").get<std::vector<long>>()});
    if (j.contains("story")) {
      if (!j["story"].is_object()) throw FormatError(file + ": \"story\" must be an object");
      s.story = j["story"];
    }
    if (j.contains("controls")) {
      if (!j["controls"].is_object()) throw FormatError(file + ": \"controls\" must be an object");
      s.controls = j["controls"];
    }
    // Optional: version 1 sessions written before walks existed have none.
    for (const auto& w : j.value("walks", nlohmann::json::array()))
      s.walks.push_back(walk_from_json(w, file + ": walk " + std::to_string(s.walks.size() + 1)));
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file + ": a session field has the wrong form (" + std::string(e.what()) + ")");
  }
}

Session load_session(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open the session");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(path + ": the session is not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  return session_from_json(j, path);
}

void save_session(const Session& s, const std::string& path) {
  const std::string text = session_to_json(s).dump(2) + "\n";
  const std::string tmp = path + ".saving";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IoError(path + ": cannot save the session (" + std::strerror(errno) + ")");
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw IoError(path + ": saving failed (" + why + "); the previous session is untouched");
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw IoError(path + ": saving failed (" + why + "); the previous session is untouched");
  }
  // Read back what reached the disk before it replaces anything.
  try {
    const Session back = load_session(tmp);
    if (session_to_json(back) != session_to_json(s)) throw FormatError("the saved file reads back differently");
  } catch (const Error& e) {
    ::unlink(tmp.c_str());
    throw IoError(path + ": the saved session did not verify (" + e.what() + "); the previous session is untouched");
  }
  std::error_code ec;
  if (fs::exists(path)) {
    if (fs::exists(path + ".1")) fs::rename(path + ".1", path + ".2", ec);
    fs::copy_file(path, path + ".1", fs::copy_options::overwrite_existing, ec);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw IoError(path + ": cannot move the saved session into place (" + why + ")");
  }
  // Make the rename itself durable.
  const std::string dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace latent
