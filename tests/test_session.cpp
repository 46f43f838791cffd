#include "latent/session.h"

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
