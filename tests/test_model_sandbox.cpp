// Untrusted models: a TorchScript file is a program. Opening one is checked first in a
// separate process (`latent check-model --child`) under a memory cap and a timeout, so
// a crash, a hang or a runaway allocation ends only that process.
#include <sys/resource.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "latent/errors.h"
#include "latent/model_sandbox.h"
#include "test_util.h"

using namespace latent;
namespace fs = std::filesystem;

namespace {

const std::string kCli = LATENT_CLI;
const std::string kModels = std::string(LATENT_SOURCE_DIR) + "/models";

ModelCheckOptions options(double timeout = 60, size_t memory_mb = 4096) {
  ModelCheckOptions o;
  o.program = kCli;
  o.timeout_seconds = timeout;
  o.memory_mb = memory_mb;
  return o;
}

void copy_package(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from))
    if (e.is_regular_file()) fs::copy_file(e.path(), to + "/" + e.path().filename().string());
}

// The hostile packages, made once per test program (python3-torch); "" when unusable.
const std::string& hostile_dir() {
  static const std::string dir = [] {
    const std::string d = (fs::temp_directory_path() / ("latent-hostile-" + std::to_string(::getpid()))).string();
    auto r = test_util::run("/usr/bin/python3 " + std::string(LATENT_SOURCE_DIR) +
                            "/tests/interop/make_hostile_models.py " + d);
    return r.code == 0 ? d : std::string();
  }();
  return dir;
}

struct CleanHostile {
  ~CleanHostile() {
    std::error_code ec;
    if (!hostile_dir().empty()) fs::remove_all(hostile_dir(), ec);
  }
};

}  // namespace

TEST(ModelSandbox, OnlyPackagesThatLibTorchReadsRunCode) {
  EXPECT_FALSE(model_runs_code(kModels + "/olivetti-pca"));
  EXPECT_FALSE(model_runs_code(kModels + "/olivetti-pca/model.json"));
  EXPECT_TRUE(model_runs_code(kModels + "/celeba-dcgan"));
  EXPECT_TRUE(model_runs_code(kModels + "/celeba-vae/model.json"));
  EXPECT_TRUE(model_runs_code(kModels + "/storyteller"));
  test_util::TempDir tmp;
  // A bare vectors file and a package that cannot be read run nothing.
  std::ofstream(tmp / "v.txt") << "1 2\nking 1 2\n";
  EXPECT_FALSE(model_runs_code(tmp / "v.txt"));
  fs::create_directories(tmp / "broken");
  std::ofstream(tmp / "broken/model.json") << "{\"kind\": ";
  EXPECT_FALSE(model_runs_code(tmp / "broken"));
  fs::create_directories(tmp / "words");
  std::ofstream(tmp / "words/model.json") << "{\"kind\": \"word-vectors\"}";
  EXPECT_FALSE(model_runs_code(tmp / "words"));
  // The place is the folder that holds the package.
  EXPECT_EQ(model_place(kModels + "/celeba-dcgan"), fs::canonical(kModels).string());
  EXPECT_EQ(model_place(kModels + "/celeba-dcgan/model.json"), fs::canonical(kModels).string());
}

TEST(ModelSandbox, ShippedModelsPassTheirCheck) {
  for (const std::string name : {"celeba-vae", "celeba-dcgan", "storyteller"}) {
    const ModelCheckResult r = check_model_in_child(kModels + "/" + name, options());
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
    EXPECT_EQ(r.outcome, "ok");
    EXPECT_EQ(r.report["name"], name);
    EXPECT_GT(r.peak_rss_mb, 20);
    EXPECT_FALSE(r.report["forward"].empty()) << "a forward pass ran";
  }
  for (const std::string name : {"celeba-vae", "celeba-dcgan"}) {  // the GAN has an encoder too
    const ModelCheckResult r = check_model_in_child(kModels + "/" + name, options());
    EXPECT_EQ(r.report["forward"].back(), "encode(image)") << name;
  }
}

TEST(ModelSandbox, ABrokenPackageIsAnErrorInWords) {
  test_util::TempDir tmp;
  copy_package(kModels + "/celeba-dcgan", tmp / "cut");
  fs::resize_file(tmp / "cut/generator.pt", fs::file_size(tmp / "cut/generator.pt") / 3);
  const ModelCheckResult r = check_model_in_child(tmp / "cut", options());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "error");
  EXPECT_NE(r.message.find("generator.pt"), std::string::npos) << r.message;
}

TEST(ModelSandbox, AMissingProgramIsSaidNotThrown) {
  ModelCheckOptions o = options();
  o.program = "/nonexistent/latent";
  const ModelCheckResult r = check_model_in_child(kModels + "/celeba-dcgan", o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "no-program");
  EXPECT_NE(r.message.find("/nonexistent/latent"), std::string::npos) << r.message;
}

TEST(ModelSandbox, HostileProgramsEndOnlyTheirCheck) {
  static CleanHostile clean;
  if (hostile_dir().empty()) GTEST_SKIP() << "python3-torch is not usable";
  const std::string h = hostile_dir();

  const ModelCheckResult good = check_model_in_child(h + "/good", options());
  EXPECT_TRUE(good.ok) << good.message;

  // A segmentation fault inside LibTorch (an unchecked sparse index written to).
  const ModelCheckResult crash = check_model_in_child(h + "/crash", options());
  EXPECT_FALSE(crash.ok);
  EXPECT_EQ(crash.outcome, "crashed");
  EXPECT_NE(crash.message.find("Segmentation fault"), std::string::npos) << crash.message;

  // An endless loop: stopped at the timeout.
  const ModelCheckResult hang = check_model_in_child(h + "/hang", options(3));
  EXPECT_FALSE(hang.ok);
  EXPECT_EQ(hang.outcome, "timeout");
  EXPECT_GE(hang.seconds, 2.9);
  EXPECT_NE(hang.message.find("within 3 s"), std::string::npos) << hang.message;

  // 16 GiB asked for: the cap refuses it, and the child stays far below it.
  const ModelCheckResult memory = check_model_in_child(h + "/memory", options(60, 2048));
  EXPECT_FALSE(memory.ok);
  EXPECT_EQ(memory.outcome, "memory");
  EXPECT_NE(memory.message.find("2048 MB"), std::string::npos) << memory.message;
  EXPECT_LT(memory.peak_rss_mb, 2048);
}

TEST(ModelSandbox, TheCommandLineSaysTheSame) {
  auto ok = test_util::run(kCli + " check-model " + kModels + "/celeba-dcgan --json");
  ASSERT_EQ(ok.code, 0) << ok.output;
  const auto j = nlohmann::json::parse(ok.output.substr(ok.output.find('{')));
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["report"]["kind"], "torch-image");
  test_util::TempDir tmp;
  copy_package(kModels + "/celeba-dcgan", tmp / "cut");
  fs::resize_file(tmp / "cut/generator.pt", 100);
  auto bad = test_util::run(kCli + " check-model " + (tmp / "cut"));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find("generator.pt"), std::string::npos) << bad.output;
}

TEST(TrustedPlaces, RememberedAcrossRunsAndADamagedListTrustsNothing) {
  test_util::TempDir tmp;
  const std::string file = tmp / "config/trusted.json";
  fs::create_directories(tmp / "downloads/gan");
  {
    TrustedPlaces t(file);
    EXPECT_FALSE(t.trusted(tmp / "downloads/gan"));
    t.trust(tmp / "downloads/gan/model.json");
    EXPECT_TRUE(t.trusted(tmp / "downloads/gan"));
  }
  TrustedPlaces again(file);
  EXPECT_TRUE(again.trusted(tmp / "downloads/gan"));
  EXPECT_TRUE(again.trusted(tmp / "downloads/other-model")) << "the whole folder is trusted";
  EXPECT_FALSE(again.trusted(tmp / "elsewhere/gan"));
  ASSERT_EQ(again.places().size(), 1u);
  EXPECT_EQ(again.places()[0], fs::canonical(tmp / "downloads").string());

  std::ofstream(file) << "{\"places\": [";
  TrustedPlaces damaged(file);
  EXPECT_FALSE(damaged.trusted(tmp / "downloads/gan"));
  damaged.add_builtin(kModels);
  EXPECT_TRUE(damaged.trusted(kModels + "/celeba-vae"));
  damaged.trust(tmp / "downloads/gan");  // rewrites the damaged list
  EXPECT_TRUE(TrustedPlaces(file).trusted(tmp / "downloads/gan"));
  EXPECT_FALSE(TrustedPlaces(file).trusted(kModels + "/celeba-vae")) << "built-in places are not written down";
}

TEST(TrustedPlaces, AnUnwritableListIsAnError) {
  // A folder that cannot be made (a file is in its way; root writes anywhere else).
  test_util::TempDir tmp;
  std::ofstream(tmp / "file") << "x";
  TrustedPlaces t(tmp / "file/sub/trusted.json");
  EXPECT_THROW(t.trust(tmp / "a/b"), Error);
  EXPECT_TRUE(t.trusted(tmp / "a/b")) << "this run still trusts it";
}
