#include "latent/registry.h"

#include <fstream>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "latent/pca_space.h"
#include "latent/torch_module.h"
#include "test_util.h"

using namespace latent;

namespace {

std::string error_of(const std::string& path) {
  try {
    open_space(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A small valid PCA package to break in different ways.
void write_package(const std::string& dir) {
  RowMatrixXf x(6, 4);
  for (int i = 0; i < x.size(); ++i) x.data()[i] = float((i * 7) % 5) / 5.f;
  PcaSpace::fit(x, {2, 2, 1, 0.f, 1.f}, PcaOptions{3, 0.0})->save(dir);
}

}  // namespace

TEST(Registry, OpensByFolderOrModelJson) {
  test_util::TempDir tmp;
  write_package(tmp / "m");
  EXPECT_EQ(open_space(tmp / "m")->info().dim, 3);
  EXPECT_EQ(open_space(tmp / "m/model.json")->info().kind, "pca");
}

TEST(Registry, UnknownKindListsKnownKinds) {
  test_util::TempDir tmp;
  write_package(tmp / "m");
  std::ofstream(tmp / "m/model.json") << R"({"kind": "hologram", "latent_dim": 3})";
  const std::string e = error_of(tmp / "m");
  EXPECT_NE(e.find("unknown model kind \"hologram\""), std::string::npos) << e;
  EXPECT_NE(e.find("known kinds: pca"), std::string::npos) << e;
  EXPECT_NE(e.find("model.json"), std::string::npos) << e;
}

TEST(Registry, MalformedJsonGivesLineAndColumn) {
  test_util::TempDir tmp;
  write_package(tmp / "m");
  std::ofstream(tmp / "m/model.json") << "{\n  \"kind\": \"pca\",\n  \"latent_dim\": ,\n}";
  const std::string e = error_of(tmp / "m");
  EXPECT_NE(e.find("model.json: malformed JSON at line 3"), std::string::npos) << e;
}

TEST(Registry, MissingFilesAndFields) {
  test_util::TempDir tmp;
  EXPECT_NE(error_of(tmp / "nothing").find("no such file"), std::string::npos);
  std::filesystem::create_directories(tmp / "empty");
  EXPECT_NE(error_of(tmp / "empty").find("model.json: missing"), std::string::npos);

  write_package(tmp / "m");
  std::filesystem::remove(tmp / "m/components.f32");
  const std::string e = error_of(tmp / "m");
  EXPECT_NE(e.find("components.f32: missing"), std::string::npos) << e;

  write_package(tmp / "n");
  std::ofstream(tmp / "n/model.json") << R"({"kind": "pca"})";
  EXPECT_NE(error_of(tmp / "n").find("missing field \"observation\""), std::string::npos);
}

TEST(Registry, ShapesThatDoNotMatch) {
  test_util::TempDir tmp;
  write_package(tmp / "m");
  std::ofstream(tmp / "m/components.f32", std::ios::binary) << "12345678";
  const std::string e = error_of(tmp / "m");
  EXPECT_NE(e.find("components.f32: expected 48 bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("found 8"), std::string::npos) << e;

  write_package(tmp / "k");
  std::ifstream in(tmp / "k/model.json");
  auto j = nlohmann::json::parse(in);
  j["latent_dim"] = 7;
  std::ofstream(tmp / "k/model.json") << j.dump();
  EXPECT_NE(error_of(tmp / "k").find("has 3 values but \"latent_dim\" is 7"), std::string::npos);
}

TEST(Registry, CustomKindsCanRegister) {
  test_util::TempDir tmp;
  std::filesystem::create_directories(tmp / "c");
  std::ofstream(tmp / "c/model.json") << R"({"kind": "test-kind"})";
  register_kind("test-kind", [](const std::string&, const nlohmann::json&, const OpenOptions& o) -> std::unique_ptr<Space> {
    throw UnsupportedError("reached the custom factory on device " + o.device);
  });
  EXPECT_NE(error_of(tmp / "c").find("reached the custom factory on device auto"), std::string::npos);
  const auto kinds = known_kinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "test-kind"), kinds.end());
  // The options reach the factory as given: nothing about them is process-wide.
  OpenOptions cpu;
  cpu.device = "cuda:1";
  try {
    open_space(tmp / "c", cpu);
    ADD_FAILURE() << "no error";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("on device cuda:1"), std::string::npos) << e.what();
  }
  EXPECT_NE(error_of(tmp / "c").find("on device auto"), std::string::npos);
  OpenOptions tpu;
  tpu.device = "tpu";
  try {
    open_space(tmp / "c", tpu);
    ADD_FAILURE() << "no error";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown device \"tpu\""), std::string::npos) << e.what();
  }
}

// What a model can do beyond encode and decode is asked of the Space, not found by
// testing its type: a PCA model has a linear basis and nothing else.
TEST(Registry, CapabilitiesAreAskedOfTheSpace) {
  test_util::TempDir tmp;
  write_package(tmp / "m");
  auto space = open_space(tmp / "m");
  const Space& s = *space;
  ASSERT_NE(s.basis(), nullptr);
  EXPECT_EQ(s.basis()->n_samples(), 6);
  EXPECT_GT(s.basis()->explained_fraction(), 0.0);
  EXPECT_EQ(s.basis()->component_image(0).pixels.size(), 4u);
  EXPECT_EQ(s.words(), nullptr);
  EXPECT_EQ(s.sentences(), nullptr);
  EXPECT_FALSE(s.decodes_in_batches());
  EXPECT_FALSE(s.can_invert());
  EXPECT_THROW(s.invert(Image(2, 2, 1, 0.5f), InvertOptions{}), UnsupportedError);
  EXPECT_THROW(s.first_layer_weight(), UnsupportedError);
}

// The LibTorch kinds are known before latent_torch is opened, and opening a PCA package
// does not open it (a core program never loads LibTorch for numbers-only models).
TEST(Registry, LibTorchKindsAreKnownWithoutLoadingLibTorch) {
  const auto kinds = known_kinds();
  for (const char* k : {"pca", "word-vectors", "torch-image", "skipthought"})
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k;
  test_util::TempDir tmp;
  const std::string dir = tmp / "p";
  RowMatrixXf data = RowMatrixXf::Random(10, 12);
  ObservationShape shape;
  shape.width = 4, shape.height = 3, shape.channels = 1;
  PcaOptions opt;
  opt.components = 3;
  PcaSpace::fit(data, shape, opt)->save(dir);
  EXPECT_EQ(open_space(dir)->info().kind, "pca");
  EXPECT_FALSE(torch_module_loaded());
}
