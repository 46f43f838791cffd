#include "latent/session.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "test_util.h"

using namespace latent;

namespace {
Session sample() {
  Session s;
  s.model = "models/olivetti-pca";
  s.dataset = "../shared/data/faces/olivetti";
  s.labels = "../shared/data/faces/olivetti/labels.csv";
  s.z = {1.5f, -2.f, 0.25f};
  s.bookmarks = {{"smile", {1, 2, 3}}, {"frown", {-1, 0, 0.5f}}};
  s.groups = {{"glasses", "glasses=1", {0, 5, 9}}};
  s.map_method = "tsne";
  s.color_by = "glasses";
  s.attr_a = 0;
  s.attr_strength = 1.5f;
  s.ui_scale = 2.f;
  return s;
}
}  // namespace

TEST(Session, RoundTrip) {
  test_util::TempDir tmp;
  save_session(sample(), tmp / "s.json");
  const Session back = load_session(tmp / "s.json");
  EXPECT_EQ(session_to_json(back), session_to_json(sample()));
  EXPECT_EQ(back.bookmarks[1].name, "frown");
  EXPECT_EQ(back.groups[0].members, (std::vector<long>{0, 5, 9}));
  EXPECT_FALSE(std::filesystem::exists(tmp / "s.json.saving"));
}

// A relative path that happens to name a file beside the session's folder is saved as
// written (the read-back check compares the file as written; opening it then reads the
// path against the session's folder, as always). Before, such a save was refused.
TEST(Session, ARelativePathBesideTheNewFileStillSaves) {
  test_util::TempDir tmp;
  std::filesystem::create_directories(tmp / "shared/data/faces/olivetti");
  std::filesystem::create_directories(tmp / "work");
  Session s = sample();  // its dataset is ../shared/data/faces/olivetti
  ASSERT_NO_THROW(save_session(s, tmp / "work/s.json"));
  const auto j = nlohmann::json::parse(std::ifstream(tmp / "work/s.json"));
  EXPECT_EQ(j["dataset"], "../shared/data/faces/olivetti");
  EXPECT_EQ(load_session(tmp / "work/s.json").dataset, (tmp.path / "shared/data/faces/olivetti").string());
}

TEST(Session, KeepsTheTwoPreviousVersions) {
  test_util::TempDir tmp;
  Session s = sample();
  for (int i = 0; i < 3; ++i) {
    s.z[0] = static_cast<float>(i);
    save_session(s, tmp / "s.json");
  }
  EXPECT_EQ(load_session(tmp / "s.json").z[0], 2.f);
  EXPECT_EQ(load_session(tmp / "s.json.1").z[0], 1.f);
  EXPECT_EQ(load_session(tmp / "s.json.2").z[0], 0.f);
}

TEST(Session, AFailedSaveLeavesThePreviousFile) {
  test_util::TempDir tmp;
  save_session(sample(), tmp / "s.json");
  // The temporary file cannot be created: a folder stands in its way.
  std::filesystem::create_directories(tmp / "s.json.saving");
  Session changed = sample();
  changed.z = {9, 9, 9};
  EXPECT_THROW(save_session(changed, tmp / "s.json"), IoError);
  EXPECT_EQ(load_session(tmp / "s.json").z, sample().z);
}

TEST(Session, BadFilesAreErrors) {
  test_util::TempDir tmp;
  std::ofstream(tmp / "a.json") << "{ not json";
  EXPECT_THROW(load_session(tmp / "a.json"), FormatError);
  std::ofstream(tmp / "b.json") << R"({"format": "something-else"})";
  EXPECT_THROW(load_session(tmp / "b.json"), FormatError);
  std::ofstream(tmp / "c.json") << R"({"format": "latent-studio-session", "version": 99})";
  EXPECT_THROW(load_session(tmp / "c.json"), FormatError);
  std::ofstream(tmp / "d.json") << R"({"format": "latent-studio-session", "version": 1, "bookmarks": [{"name": 3}]})";
  EXPECT_THROW(load_session(tmp / "d.json"), FormatError);
  EXPECT_THROW(load_session(tmp / "missing.json"), IoError);
}

TEST(Session, KeepsLiveControlSettings) {
  test_util::TempDir tmp;
  Session s = sample();
  s.controls = {{"midi", {{"bindings", {{{"channel", 1}, {"control", 21}, {"kind", "SetDim"}, {"index", 7}}}}}},
                {"osc", {{"port", 9000}}}};
  save_session(s, tmp / "c.json");
  const Session back = load_session(tmp / "c.json");
  EXPECT_EQ(back.controls, s.controls);
  // Older sessions have none; a controls entry that is not an object is an error.
  nlohmann::json j = session_to_json(sample());
  EXPECT_TRUE(session_from_json(j, "x").controls.empty());
  j["controls"] = 3;
  EXPECT_THROW(session_from_json(j, "x"), FormatError);
}

TEST(Session, AutosavesAreNamedByProcessAndOrphansAreFound) {
  test_util::TempDir tmp;
  const std::string path = tmp / "s.json";
  save_session(sample(), path);
  Session changed = sample();
  changed.z = {7, 7, 7};
  autosave_session(changed, path);
  const std::string mine = autosave_path(path, static_cast<long>(::getpid()));
  EXPECT_EQ(mine, path + ".autosave-" + std::to_string(::getpid()));
  EXPECT_EQ(load_session(mine).z, changed.z);
  EXPECT_EQ(load_session(path).z, sample().z);  // never over the session itself
  EXPECT_FALSE(std::filesystem::exists(mine + ".1"));
  // This process is alive: its autosave is no orphan.
  EXPECT_TRUE(find_orphan_autosaves(tmp.path.string()).empty());

  // A process that has ended leaves an orphan.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  ASSERT_FALSE(process_running(child));
  std::filesystem::copy_file(mine, autosave_path(path, child));
  std::ofstream(tmp / "other.json.autosave-x12") << "{}";  // not a process id: ignored
  const auto orphans = find_orphan_autosaves(tmp.path.string());
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].pid, static_cast<long>(child));
  EXPECT_EQ(orphans[0].session_path, path);

  // Restore puts it over the session (the old one becomes PATH.1) and removes it.
  EXPECT_EQ(restore_autosave(orphans[0]).z, changed.z);
  EXPECT_EQ(load_session(path).z, changed.z);
  EXPECT_EQ(load_session(path + ".1").z, sample().z);
  EXPECT_TRUE(find_orphan_autosaves(tmp.path.string()).empty());

  std::filesystem::copy_file(mine, autosave_path(path, child));
  discard_autosave(find_orphan_autosaves(tmp.path.string()).at(0));
  EXPECT_TRUE(find_orphan_autosaves(tmp.path.string()).empty());
  EXPECT_EQ(load_session(path).z, changed.z);
}

// A Journey scene, written by hand: groups by query only, live sliders, a playing walk and
// a caption; its relative paths are read beside the file when they are there.
TEST(Session, ScenesKeepSlidersQueryGroupsAndPathsBesideTheFile) {
  test_util::TempDir tmp;
  std::filesystem::create_directories(tmp / "repo/assets/scenes");
  std::filesystem::create_directories(tmp / "repo/models/m");
  std::ofstream(tmp / "repo/image.png") << "x";
  std::ofstream(tmp / "repo/assets/scenes/s.json") << R"({
    "format": "latent-studio-session", "version": 1,
    "caption": "Eigenfaces: drag a slider",
    "model": "../../models/m", "dataset": "../../no-such-data", "z": [1, 2],
    "groups": [{"name": "glasses", "query": "glasses=1"}, {"name": "kept", "members": [3, 4]}],
    "sliders": [{"direction": "Smiling", "strength": 2.5}, {"a": "glasses", "b": "kept", "strength": 1, "applied": 0.5}],
    "walk_playing": true,
    "story": {"image": "../../image.png"}
  })";
  const Session s = load_session(tmp / "repo/assets/scenes/s.json");
  EXPECT_EQ(s.caption, "Eigenfaces: drag a slider");
  EXPECT_TRUE(std::filesystem::equivalent(s.model, tmp / "repo/models/m")) << s.model;
  EXPECT_EQ(s.dataset, "../../no-such-data");  // not beside the file: left for the working folder
  EXPECT_TRUE(std::filesystem::equivalent(s.story["image"].get<std::string>(), tmp / "repo/image.png"));
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_FALSE(s.groups[0].members_given);
  EXPECT_TRUE(s.groups[0].members.empty());
  EXPECT_TRUE(s.groups[1].members_given);
  EXPECT_EQ(s.groups[1].members, (std::vector<long>{3, 4}));
  ASSERT_EQ(s.sliders.size(), 2u);
  EXPECT_EQ(s.sliders[0].direction, "Smiling");
  EXPECT_FLOAT_EQ(s.sliders[0].strength, 2.5f);
  EXPECT_FLOAT_EQ(s.sliders[0].applied, 0.f);
  EXPECT_EQ(s.sliders[1].a, "glasses");
  EXPECT_FLOAT_EQ(s.sliders[1].applied, 0.5f);
  EXPECT_TRUE(s.walk_playing);
  // Saved and read back, all of it stays (a query-only group stays query-only).
  save_session(s, tmp / "back.json");
  const Session back = load_session(tmp / "back.json");
  EXPECT_EQ(session_to_json(back), session_to_json(s));
  EXPECT_FALSE(back.groups[0].members_given);

  // A slider that names neither a direction nor two groups, and a group with neither
  // members nor a query, are errors that say where.
  std::ofstream(tmp / "bad.json") << R"({"format": "latent-studio-session", "version": 1, "sliders": [{"a": "x"}]})";
  try {
    load_session(tmp / "bad.json");
    ADD_FAILURE() << "a slider without its groups was read";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("slider 1"), std::string::npos) << e.what();
  }
  std::ofstream(tmp / "bad2.json") << R"({"format": "latent-studio-session", "version": 1, "groups": [{"name": "g"}]})";
  EXPECT_THROW(load_session(tmp / "bad2.json"), FormatError);
}
