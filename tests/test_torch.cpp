// Neural image spaces: models exported by PyTorch (interop), our own trainers,
// inversion, devices and the errors a person sees for broken files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "latent/dataset.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/registry.h"
#include "latent/torch_space.h"
#include "latent/torch_train.h"
#include "test_util.h"

namespace {
// scripts/device-check.sh runs this program with LATENT_TEST_DEVICE=cuda: models opened
// through the registry with test_open() then run there ("auto", the default, picks CUDA
// where it is too).
latent::OpenOptions test_open() {
  latent::OpenOptions o;
  if (const char* d = std::getenv("LATENT_TEST_DEVICE"); d && *d) o.device = d;
  return o;
}
}  // namespace

using namespace latent;
using test_util::TempDir;
using test_util::run;

namespace {

const char* kPython = "/usr/bin/python3";

std::string cli(const std::string& args) { return std::string(LATENT_CLI) + " " + args; }

// Models and references made by tests/interop/make_torch_models.py with Debian's
// python3-torch, once for the whole suite.
class Interop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto r = run(std::string(kPython) + " -c 'import torch' && " + kPython + " " + LATENT_SOURCE_DIR +
                       "/tests/interop/make_torch_models.py " + dir_->path.string());
    ok_ = r.code == 0;
    why_ = r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "python3-torch is not usable (scripts/install-deps.sh installs it): " << why_;
  }
  static std::string f(const std::string& name) { return (*dir_) / name; }

  static TempDir* dir_;
  static bool ok_;
  static std::string why_;
};
TempDir* Interop::dir_ = nullptr;
bool Interop::ok_ = false;
std::string Interop::why_;

std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// A package for a TorchScript decoder written by hand, as a person might.
void write_package(const std::string& dir, const std::string& pt, int latent, int c, int h, int w,
                   std::vector<float> range, const std::string& z_shape) {
  test_util::fs::create_directories(dir);
  test_util::fs::copy_file(pt, dir + "/g.pt");
  nlohmann::json j = {{"format", "latent-studio-model"},
                      {"format_version", 1},
                      {"kind", "torch-image"},
                      {"latent_dim", latent},
                      {"observation", {{"modality", "image"}, {"width", w}, {"height", h}, {"channels", c}}},
                      {"torch",
                       {{"decoder", {{"file", "g.pt"}, {"format", "torchscript"}}},
                        {"output_range", range},
                        {"z_shape", z_shape}}}};
  std::ofstream(dir + "/model.json") << j.dump(2);
}

}  // namespace

// ------------------------------------------------------------------ interop with PyTorch

TEST_F(Interop, ImportedDcganDecodesToPyTorchPixels) {
  TempDir tmp;
  const auto imp = run(cli("import-torchscript " + f("dcgan_g.pt") + " --latent 16 --shape 3,32,32 --range -1,1 "
                           "--z-shape 4d --out " + (tmp / "dcgan")));
  ASSERT_EQ(imp.code, 0) << imp.output;
  for (int k = 0; k < 4; ++k) {
    const std::string out = tmp / ("d" + std::to_string(k) + ".f32");
    const auto dec = run(cli("decode " + (tmp / "dcgan") + " -z " + f("z_dcgan_" + std::to_string(k) + ".json") +
                             " -o " + out));
    ASSERT_EQ(dec.code, 0) << dec.output;
    const float diff = max_abs_diff(read_f32(out), read_f32(f("ref_dcgan_" + std::to_string(k) + ".f32")));
    EXPECT_LT(diff, 1e-5f) << "point " << k;
  }
  // The package opens through the registry too, and says what it is.
  auto space = open_space(tmp / "dcgan", test_open());
  EXPECT_EQ(space->info().kind, "torch-image");
  EXPECT_EQ(space->info().dim, 16);
  EXPECT_FALSE(space->info().can_encode);
  EXPECT_EQ(space->info().observation.channels, 3);
  // SeFa reads its first layer (a ConvTranspose [16, C, 4, 4]) and writes directions
  // that W W^T amplifies most, in order.
  const RowMatrixXf w = dynamic_cast<const TorchImageSpace&>(*space).first_layer_weight();
  ASSERT_EQ(w.rows(), 16);
  const auto sefa = run(cli("directions " + (tmp / "dcgan") + " --unsupervised 3 --check 0 --samples 200"));
  ASSERT_EQ(sefa.code, 0) << sefa.output;
  const DirectionSet set = read_directions(tmp / "dcgan/directions.json");
  ASSERT_EQ(set.directions.size(), 3u);
  const Eigen::MatrixXf gram = w * w.transpose();
  double last = 1e30;
  for (const auto& d : set.directions) {
    const Eigen::Map<const Eigen::VectorXf> u(d.unit.data(), 16);
    const double lambda = u.dot(gram * u);
    EXPECT_LT((gram * u - lambda * u).norm(), 1e-3 * lambda) << d.name << " is not an eigenvector of W W^T";
    EXPECT_LE(lambda, last * (1 + 1e-6));
    last = lambda;
  }
}

// A bare generator imported with no sizes given: a checking process runs it and finds the
// latent size, the z shape, the image shape and the range; the package decodes exactly
// as the one imported by hand.
TEST_F(Interop, ImportWithoutSizesProbesTheGenerator) {
  TempDir tmp;
  const auto imp = run(cli("import-torchscript " + f("dcgan_g.pt") + " --out " + (tmp / "dcgan")));
  ASSERT_EQ(imp.code, 0) << imp.output;
  EXPECT_NE(imp.output.find("found: latent 16 as [B,D,1,1], images 3,32,32, range -1,1"), std::string::npos)
      << imp.output;
  const auto j = read_model_json(tmp / "dcgan");
  EXPECT_EQ(j["latent_dim"], 16);
  EXPECT_EQ(j["torch"]["z_shape"], "4d");
  EXPECT_EQ(j["torch"]["output_range"], nlohmann::json::array({-1.0, 1.0}));
  const std::string out = tmp / "d0.f32";
  ASSERT_EQ(run(cli("decode " + (tmp / "dcgan") + " -z " + f("z_dcgan_0.json") + " -o " + out)).code, 0);
  EXPECT_LT(max_abs_diff(read_f32(out), read_f32(f("ref_dcgan_0.f32"))), 1e-5f);

  // A sigmoid VAE decoder with flat z; --prior is kept.
  const auto vae = run(cli("import-torchscript " + f("vae_dec.pt") + " --prior uniform --out " + (tmp / "vae")));
  ASSERT_EQ(vae.code, 0) << vae.output;
  const auto v = read_model_json(tmp / "vae");
  EXPECT_EQ(v["latent_dim"], 8);
  EXPECT_EQ(v["torch"]["z_shape"], "flat");
  EXPECT_EQ(v["torch"]["prior"], "uniform");
  EXPECT_EQ(v["torch"]["output_range"], nlohmann::json::array({0.0, 1.0}));
  EXPECT_EQ(v["observation"]["channels"], 1);
  // What was given wins over the guess.
  const auto given = run(cli("import-torchscript " + f("vae_dec.pt") + " --range -1,1 --out " + (tmp / "given")));
  ASSERT_EQ(given.code, 0) << given.output;
  EXPECT_EQ(read_model_json(tmp / "given")["torch"]["output_range"], nlohmann::json::array({-1.0, 1.0}));

  // A bare file checked as an encoder for a generator's shape: the VAE's encoder gives
  // (mu, logvar) for 1x32x32 images and latent 8; a generator is no encoder.
  const auto enc = run(cli("check-model " + f("vae_enc.pt") + " --encoder-for 1,32,32,8,0,1 --json"));
  ASSERT_EQ(enc.code, 0) << enc.output;
  const auto ej = nlohmann::json::parse(enc.output.substr(enc.output.find('{')));
  EXPECT_TRUE(ej["ok"].get<bool>()) << ej;
  EXPECT_EQ(ej["report"]["encoder"]["output"], "(mu, logvar)") << ej;
  const auto not_enc = run(cli("check-model " + f("dcgan_g.pt") + " --encoder-for 1,32,32,8,0,1 --json"));
  const auto nj = nlohmann::json::parse(not_enc.output.substr(not_enc.output.find('{')));
  EXPECT_FALSE(nj["ok"].get<bool>());
  EXPECT_NE(nj["message"].get<std::string>().find("not an encoder"), std::string::npos) << nj;

  // Nothing that runs: a message saying why, and no folder left.
  const auto bad = run(cli("import-torchscript " + f("random_bytes.pt") + " --out " + (tmp / "bad")));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("could not probe"), std::string::npos) << bad.output;
  EXPECT_FALSE(test_util::fs::exists(tmp / "bad"));
  const auto nan = run(cli("import-torchscript " + f("nan_out.pt") + " --out " + (tmp / "nan")));
  EXPECT_NE(nan.code, 0);
  EXPECT_NE(nan.output.find("NaN"), std::string::npos) << nan.output;
}

TEST_F(Interop, ImportedVaeDecodesAndEncodesLikePyTorch) {
  TempDir tmp;
  const auto imp = run(cli("import-torchscript " + f("vae_dec.pt") + " --encoder " + f("vae_enc.pt") +
                           " --latent 8 --shape 1,32,32 --range 0,1 --out " + (tmp / "vae")));
  ASSERT_EQ(imp.code, 0) << imp.output;
  for (int k = 0; k < 4; ++k) {
    const std::string out = tmp / "v.f32";
    ASSERT_EQ(run(cli("decode " + (tmp / "vae") + " -z " + f("z_vae_" + std::to_string(k) + ".json") + " -o " + out)).code, 0);
    EXPECT_LT(max_abs_diff(read_f32(out), read_f32(f("ref_vae_" + std::to_string(k) + ".f32"))), 1e-5f);
  }
  // The encoder returns (mu, logvar): the space takes mu. Through the CLI from the PNG...
  const auto enc = run(cli("encode " + (tmp / "vae") + " " + f("vae_input.png") + " --out " + (tmp / "mu.json")));
  ASSERT_EQ(enc.code, 0) << enc.output;
  const Latent mu = read_latent_json(tmp / "mu.json");
  const Latent ref = read_latent_json(f("ref_vae_mu_png.json"));
  ASSERT_EQ(mu.size(), ref.size());
  for (size_t i = 0; i < mu.size(); ++i) EXPECT_NEAR(mu[i], ref[i], 1e-5) << i;
  // ...and in memory from the float image.
  auto space = open_space(tmp / "vae", test_open());
  Image img(32, 32, 1);
  img.pixels = read_f32(f("vae_input.f32"));
  const Latent mu2 = space->encode(img);
  const Latent ref2 = read_latent_json(f("ref_vae_mu.json"));
  for (size_t i = 0; i < mu2.size(); ++i) EXPECT_NEAR(mu2[i], ref2[i], 1e-5) << i;
}

TEST_F(Interop, BrokenFilesGiveMessagesNamingTheFile) {
  TempDir tmp;
  for (const std::string bad : {"not_torchscript.pt", "random_bytes.pt"}) {
    const auto r = run(cli("import-torchscript " + f(bad) + " --latent 8 --shape 1,32,32 --out " + (tmp / bad)));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find(bad), std::string::npos) << r.output;
    // Random bytes stop at the zip pre-check, before LibTorch sees them.
    EXPECT_NE(r.output.find(bad == "random_bytes.pt" ? "not a valid PyTorch archive" : "not a TorchScript file"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(test_util::fs::exists(tmp / bad)) << "a failed import leaves no half package";
  }
  const auto shape = run(cli("import-torchscript " + f("bad_shape.pt") + " --latent 8 --shape 1,32,32 --range 0,1 "
                             "--out " + (tmp / "shape")));
  EXPECT_EQ(shape.code, 1);
  EXPECT_NE(shape.output.find("[1,1,16,16]"), std::string::npos) << shape.output;
  EXPECT_NE(shape.output.find("[1,1,32,32]"), std::string::npos) << shape.output;

  write_package(tmp / "nan", f("nan_out.pt"), 8, 1, 32, 32, {0, 1}, "flat");
  try {
    open_space(tmp / "nan", test_open());
    FAIL() << "NaN output opened";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("NaN or Inf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("g.pt"), std::string::npos) << e.what();
  }
  // A latent of the wrong size is a message, not a crash inside LibTorch.
  write_package(tmp / "ok", f("vae_dec.pt"), 8, 1, 32, 32, {0, 1}, "flat");
  auto space = open_space(tmp / "ok", test_open());
  EXPECT_THROW(space->decode(Latent(7, 0.f)), UnsupportedError);
  // model.json saying 3 channels for a 1-channel decoder.
  write_package(tmp / "chan", f("vae_dec.pt"), 8, 3, 32, 32, {0, 1}, "flat");
  EXPECT_THROW(open_space(tmp / "chan", test_open()), FormatError);
}

TEST_F(Interop, InvertFindsAPointThatReproducesADecodedImage) {
  TempDir tmp;
  write_package(tmp / "g", f("dcgan_g.pt"), 16, 3, 32, 32, {-1, 1}, "4d");
  auto space = open_space(tmp / "g", test_open());
  auto* t = dynamic_cast<TorchImageSpace*>(space.get());
  ASSERT_NE(t, nullptr);
  const Latent truth = t->sample(1, 77).front();
  const Image target = t->decode(truth);
  TorchImageSpace::InvertOptions o;
  o.steps = 250;
  o.restarts = 4;
  o.seed = 3;
  int calls = 0;
  const auto res = t->invert(target, o, [&](float, const std::string&) { return ++calls > 0; });
  EXPECT_GT(calls, 0);
  EXPECT_LT(res.mse, res.start_mse * 0.1) << "start " << res.start_mse << " end " << res.mse;
  EXPECT_LT(res.mse, 2e-3);
  ASSERT_EQ(res.z.size(), 16u);
  // The reconstruction is the decoding of the returned z.
  const Image again = t->decode(res.z);
  EXPECT_LT(max_abs_diff(again.pixels, res.reconstruction.pixels), 1e-5f);
  // Cancelling stops it.
  EXPECT_THROW(t->invert(target, o, [](float, const std::string&) { return false; }), Cancelled);
}

// ------------------------------------------------------------------ devices

TEST(TorchDevice, CudaWithoutAGpuFallsBackToTheCpuWithANote) {
  const DeviceChoice d = resolve_device("cuda");
  if (cuda_available()) {
    EXPECT_EQ(d.used, "cuda");
  } else {
    EXPECT_EQ(d.used, "cpu");
    EXPECT_NE(d.note.find("CUDA"), std::string::npos);
  }
  EXPECT_EQ(resolve_device("cpu").used, "cpu");
  EXPECT_THROW(resolve_device("tpu"), UnsupportedError);
  const auto r = run(cli("--device tpu info " + std::string(LATENT_SOURCE_DIR) + "/models/olivetti-pca"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("unknown device"), std::string::npos) << r.output;
}

// ------------------------------------------------------------------ our trainers

namespace {

// 64 small RGB images with a little structure: coloured discs on a gradient.
void write_disc_folder(const std::string& dir, int n, int size) {
  test_util::fs::create_directories(dir);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int i = 0; i < n; ++i) {
    Image img(size, size, 3);
    const float cx = u(rng) * size, cy = u(rng) * size, r = 3 + u(rng) * size / 4;
    const float col[3] = {u(rng), u(rng), u(rng)};
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        for (int c = 0; c < 3; ++c) {
          const bool in = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
          img.at(x, y, c) = in ? col[c] : 0.2f + 0.5f * y / size;
        }
    char name[32];
    std::snprintf(name, sizeof name, "d_%03d.png", i);
    save_png(img, (test_util::fs::path(dir) / name).string());
  }
}

TrainImageOptions tiny(const std::string& kind, const std::string& data, const std::string& out) {
  TrainImageOptions o;
  o.kind = kind;
  o.data = data;
  o.out_dir = out;
  o.latent = 8;
  o.epochs = 2;
  o.batch = 16;
  o.width = 8;
  o.seed = 11;
  o.device = "cpu";
  o.command = "test";
  return o;
}

std::vector<Image> decode_fixed(const std::string& model) {
  auto space = open_space(model, test_open());
  std::vector<Image> out;
  for (const auto& z : space->sample(3, 9)) out.push_back(space->decode(z));
  return out;
}

bool same_images(const std::vector<Image>& a, const std::vector<Image>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].pixels != b[i].pixels) return false;
  return a.size() == b.size();
}

}  // namespace

TEST(TorchTrain, DcganIsReproducibleAndResumable) {
  TempDir tmp;
  write_disc_folder(tmp / "data", 64, 32);
  int reports = 0, epoch_ends = 0;
  const auto r1 = train_image_model(tiny("dcgan", tmp / "data", tmp / "a"), [&](const TrainProgress& p) {
    ++reports;
    epoch_ends += p.epoch_end;
    EXPECT_GT(p.steps, 0);
    EXPECT_TRUE(p.losses.count("loss_d") && p.losses.count("loss_g"));
    return true;
  });
  EXPECT_EQ(r1.epochs_done, 2);
  EXPECT_EQ(epoch_ends, 2);
  EXPECT_GT(reports, 2);
  train_image_model(tiny("dcgan", tmp / "data", tmp / "b"));
  EXPECT_TRUE(same_images(decode_fixed(tmp / "a"), decode_fixed(tmp / "b"))) << "same seed, same model";

  auto other = tiny("dcgan", tmp / "data", tmp / "c");
  other.seed = 12;
  train_image_model(other);
  EXPECT_FALSE(same_images(decode_fixed(tmp / "a"), decode_fixed(tmp / "c"))) << "another seed, another model";

  // One epoch, then --resume to two, equals two straight.
  auto first = tiny("dcgan", tmp / "data", tmp / "d");
  first.epochs = 1;
  train_image_model(first);
  auto rest = tiny("dcgan", tmp / "data", tmp / "d");
  rest.resume = true;
  EXPECT_EQ(train_image_model(rest).epochs_done, 2);
  EXPECT_TRUE(same_images(decode_fixed(tmp / "a"), decode_fixed(tmp / "d")));
  // Resuming with other settings is refused with the reason.
  auto wrong = rest;
  wrong.width = 16;
  EXPECT_THROW(train_image_model(wrong), UnsupportedError);
  // The learning rate may change on resume (lowered for the last epochs): it is used, and
  // the schedule is recorded; no other setting may.
  auto lowered = rest;
  lowered.out_dir = tmp / "e";
  auto first_e = first;
  first_e.out_dir = tmp / "e";
  train_image_model(first_e);
  lowered.learning_rate = 2e-5;
  EXPECT_EQ(train_image_model(lowered).epochs_done, 2);
  EXPECT_FALSE(same_images(decode_fixed(tmp / "a"), decode_fixed(tmp / "e"))) << "the lower rate was used";
  const auto schedule = read_model_json(tmp / "e")["training"]["learning_rate_schedule"];
  ASSERT_EQ(schedule.size(), 2u) << schedule.dump();
  EXPECT_EQ(schedule[0]["from_epoch"], 1);
  EXPECT_NEAR(schedule[0]["learning_rate"].get<double>(), 2e-4, 1e-10);
  EXPECT_EQ(schedule[1]["from_epoch"], 2);
  EXPECT_NEAR(schedule[1]["learning_rate"].get<double>(), 2e-5, 1e-10);
  EXPECT_FALSE(read_model_json(tmp / "a")["training"].contains("learning_rate_schedule")) << "one rate: no schedule";

  // The package records what made it, and the sample grids are there.
  const auto header = read_model_json(tmp / "a");
  EXPECT_EQ(header["kind"], "torch-image");
  EXPECT_EQ(header["training"]["seed"], 11);
  EXPECT_EQ(header["training"]["epochs"], 2);
  EXPECT_EQ(header["training"]["command"], "test");
  EXPECT_TRUE(header["metrics"].contains("final_epoch_loss_g"));
  EXPECT_TRUE(test_util::fs::exists(tmp / "a/samples/epoch_001.png"));
  EXPECT_TRUE(test_util::fs::exists(tmp / "a/samples/epoch_002.png"));
  const Image grid = load_image(tmp / "a/samples.png");
  EXPECT_EQ(grid.width, 8 * 32 + 9 * 2);  // 2-pixel gaps and border
}

TEST(TorchTrain, VaeLearnsAndItsEncoderRoundTrips) {
  TempDir tmp;
  write_disc_folder(tmp / "data", 96, 32);
  auto o = tiny("vae", tmp / "data", tmp / "vae");
  o.epochs = 1;
  o.holdout = 16;
  const auto r1 = train_image_model(o);
  o.epochs = 8;
  o.resume = true;
  o.half_weights = true;
  std::vector<double> losses;
  const auto r2 = train_image_model(o, [&](const TrainProgress& p) {
    if (p.epoch_end) losses.push_back(p.losses.at("loss"));
    return true;
  });
  ASSERT_EQ(losses.size(), 7u);
  EXPECT_LT(losses.back(), losses.front()) << "the loss goes down";
  const double rmse1 = r1.metrics["heldout_rmse"].get<double>(), rmse2 = r2.metrics["heldout_rmse"].get<double>();
  EXPECT_LT(rmse2, rmse1) << "held-out reconstruction improves with training";
  const auto header = read_model_json(tmp / "vae");
  EXPECT_EQ(header["torch"]["weights_dtype"], "float16");

  auto space = open_space(tmp / "vae", test_open());
  ASSERT_TRUE(space->info().can_encode);
  const Image x = load_image(tmp / "data/d_090.png");  // held out
  const Latent z = space->encode(x);
  ASSERT_EQ(z.size(), 8u);
  const Image y = space->decode(z);
  EXPECT_EQ(y.width, 32);
  EXPECT_EQ(y.channels, 3);
  // Invert with an encoder starts from its mean and refines it.
  auto* t = dynamic_cast<TorchImageSpace*>(space.get());
  TorchImageSpace::InvertOptions io;
  io.steps = 60;
  const auto inv = t->invert(x, io);
  EXPECT_LE(inv.mse, inv.start_mse + 1e-9);
  io.steps = 0;
  const auto enc_only = t->invert(x, io);
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(enc_only.z[i], z[i], 1e-6);
}

namespace {

// The cosine of each point's encoding of its own decoding with the point, averaged.
double round_trip_cosine(const Space& space, int n, uint64_t seed) {
  double sum = 0;
  for (const auto& z : space.sample(n, seed)) {
    const Latent e = space.encode(space.decode(z));
    double dot = 0, a = 0, b = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      dot += z[i] * e[i];
      a += z[i] * z[i];
      b += e[i] * e[i];
    }
    sum += dot / std::sqrt(a * b + 1e-12);
  }
  return sum / n;
}

}  // namespace

TEST(TorchTrain, AnEncoderLearnedThroughAGeneratorRoundTrips) {
  TempDir tmp;
  write_disc_folder(tmp / "data", 96, 32);
  auto g = tiny("dcgan", tmp / "data", tmp / "gan");
  g.epochs = 30;  // fewer, and its pictures hardly depend on z
  train_image_model(g);

  TrainEncoderOptions o;
  o.model = tmp / "gan";
  o.data = tmp / "data";
  o.out_dir = tmp / "enc";
  o.width = 8;
  o.batch = 16;
  o.synthetic_rounds = 1;
  o.round_steps = 40;
  o.epochs = 0;
  o.holdout = 16;
  o.seed = 3;
  o.device = "cpu";
  o.command = "test";
  const auto first = train_encoder(o);
  o.synthetic_rounds = 3;
  o.epochs = 2;
  o.resume = true;
  std::vector<std::string> keys;
  const auto done = train_encoder(o, [&](const TrainProgress& p) {
    if (p.epoch_end && p.epoch == 5) for (const auto& [k, v] : p.losses) keys.push_back(k);
    return true;
  });
  EXPECT_EQ(done.epochs_done, 5);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "real_mse"), keys.end()) << "stage 2 reports the real images' error";
  // Training recovers the codes better, and real held-out images come back closer.
  EXPECT_GT(done.metrics["synthetic_z_cosine"].get<double>(), first.metrics["synthetic_z_cosine"].get<double>() + 0.1);
  EXPECT_GT(done.metrics["synthetic_z_cosine"].get<double>(), 0.7);
  EXPECT_LT(done.metrics["heldout_image_rmse"].get<double>(), first.metrics["heldout_image_rmse"].get<double>());

  // The copy can encode; the generator's own package is untouched.
  EXPECT_FALSE(read_model_json(tmp / "gan")["torch"].contains("encoder"));
  const auto header = read_model_json(tmp / "enc");
  EXPECT_EQ(header["torch"]["encoder"]["arch"]["type"], "vae-encoder");
  EXPECT_EQ(header["encoder_training"]["real_epochs"], 2);
  EXPECT_EQ(header["encoder_training"]["synthetic_steps"], 120);
  EXPECT_EQ(header["metrics"]["encoder"]["heldout_images"], 16);
  auto space = open_space(tmp / "enc", test_open());
  ASSERT_TRUE(space->info().can_encode);
  const double cosine = round_trip_cosine(*space, 32, 77);
  EXPECT_GT(cosine, 0.7) << "encode(decode(z)) points where z does";
  // Inversion starts from the encoder.
  auto* t = dynamic_cast<TorchImageSpace*>(space.get());
  TorchImageSpace::InvertOptions io;
  io.steps = 0;
  io.restarts = 1;
  const Image x = load_image(tmp / "data/d_090.png");  // held out
  const auto enc_only = t->invert(x, io);
  const Latent z = space->encode(x);
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(enc_only.z[i], z[i], 1e-6);
  // A batch is one forward pass with the same answers; a dataset is encoded in batches.
  const Image x2 = load_image(tmp / "data/d_091.png");
  const auto both = space->encode_batch({x, x2});
  ASSERT_EQ(both.size(), 2u);
  const Latent z2 = space->encode(x2);
  for (size_t i = 0; i < z.size(); ++i) {
    EXPECT_NEAR(both[0][i], z[i], 1e-5);
    EXPECT_NEAR(both[1][i], z2[i], 1e-5);
  }
  const RowMatrixXf rows = encode_dataset(*space, load_dataset_for(*space, tmp / "data"));
  ASSERT_EQ(rows.rows(), 96);
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(rows(90, static_cast<long>(i)), z[i], 1e-5);
  EXPECT_THROW(space->encode_batch({x, Image(16, 16, 3)}), UnsupportedError);

  // Stopped and resumed, it is the same encoder as one straight run.
  auto straight = o;
  straight.resume = false;
  straight.out_dir = tmp / "straight";
  train_encoder(straight);
  const Latent zs = open_space(tmp / "straight", test_open())->encode(x);
  for (size_t i = 0; i < z.size(); ++i) EXPECT_FLOAT_EQ(zs[i], z[i]);

  // What cannot be done says why.
  auto other = o;
  other.width = 16;
  EXPECT_THROW(train_encoder(other), UnsupportedError) << "resuming with other settings";
  auto no_data = straight;
  no_data.data.clear();
  no_data.out_dir = tmp / "x";
  EXPECT_THROW(train_encoder(no_data), UnsupportedError) << "real epochs without images";
  const auto pca = run(cli("fit-pca " + (tmp / "data") + " --components 4 --out " + (tmp / "pca")));
  ASSERT_EQ(pca.code, 0) << pca.output;
  const auto refused = run(cli("train encoder " + (tmp / "pca") + " --rounds 1 --round-steps 1 --epochs 0"));
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.output.find("torch-image"), std::string::npos) << refused.output;
  // From the shell, in place: the package gains its encoder.
  const auto cl = run(cli("train encoder " + (tmp / "gan") + " --rounds 1 --round-steps 5 --epochs 0 --width 8 --batch 8"));
  ASSERT_EQ(cl.code, 0) << cl.output;
  EXPECT_NE(cl.output.find("synthetic_z_cosine"), std::string::npos) << cl.output;
  const auto enc = run(cli("encode " + (tmp / "gan") + " " + (tmp / "data/d_001.png")));
  EXPECT_EQ(enc.code, 0) << enc.output;
}

TEST(TorchTrain, AWhitenedVaeSamplesWhereItsCodesAre) {
  TempDir tmp;
  write_disc_folder(tmp / "data", 96, 32);
  auto o = tiny("vae", tmp / "data", tmp / "plain");
  o.epochs = 3;
  o.holdout = 16;
  o.beta = 0.1f;
  train_image_model(o);
  o.out_dir = tmp / "white";
  o.whiten = true;
  const auto r = train_image_model(o);
  ASSERT_TRUE(r.metrics.contains("prior"));
  EXPECT_EQ(r.metrics["prior"]["codes"], 80);
  EXPECT_GE(r.metrics["prior"]["variance_largest"].get<double>(), r.metrics["prior"]["variance_smallest"].get<double>());
  EXPECT_TRUE(read_model_json(tmp / "white")["training"]["whiten"].get<bool>());

  auto plain = open_space(tmp / "plain", test_open());
  auto white = open_space(tmp / "white", test_open());
  // The same model, re-coordinated: a held-out face comes back the same through both.
  const Image x = load_image(tmp / "data/d_090.png");
  const Image a = plain->decode(plain->encode(x)), b = white->decode(white->encode(x));
  ASSERT_EQ(a.pixels.size(), b.pixels.size());
  for (size_t i = 0; i < a.pixels.size(); ++i) ASSERT_NEAR(a.pixels[i], b.pixels[i], 2e-3) << i;
  // The training images' codes are white: mean 0, covariance I, widest axis first.
  DatasetOptions first80;
  first80.limit = 80;
  const RowMatrixXf codes = encode_dataset(*white, load_dataset_for(*white, tmp / "data", first80));
  const Eigen::MatrixXd c = codes.cast<double>();
  const Eigen::RowVectorXd mean = c.colwise().mean();
  const Eigen::MatrixXd centred = c.rowwise() - mean;
  const Eigen::MatrixXd cov = centred.transpose() * centred / (c.rows() - 1);
  for (long i = 0; i < cov.rows(); ++i) {
    EXPECT_NEAR(mean(i), 0.0, 1e-3);
    for (long j = 0; j < cov.cols(); ++j) EXPECT_NEAR(cov(i, j), i == j ? 1.0 : 0.0, 1e-3) << i << "," << j;
  }
  // A GAN has no codes to fit.
  auto gan = tiny("dcgan", tmp / "data", tmp / "gan");
  gan.whiten = true;
  EXPECT_THROW(train_image_model(gan), UnsupportedError);
}

TEST(TorchTrain, BadRequestsAreMessages) {
  TempDir tmp;
  write_disc_folder(tmp / "data", 8, 32);
  auto o = tiny("dcgan", tmp / "data", tmp / "m");
  EXPECT_THROW(train_image_model(o), UnsupportedError);  // 8 images < one batch of 16
  o.kind = "gan";
  EXPECT_THROW(train_image_model(o), UnsupportedError);
  auto r = tiny("vae", tmp / "data", tmp / "none");
  r.batch = 4;
  r.resume = true;
  EXPECT_THROW(train_image_model(r), IoError);  // nothing to resume
  const auto cl = run(cli("train dcgan " + (tmp / "missing") + " --out " + (tmp / "x")));
  EXPECT_EQ(cl.code, 1);
  EXPECT_NE(cl.output.find("missing"), std::string::npos) << cl.output;
}

TEST(TorchCli, TrainBenchAndInvertEndToEnd) {
  TempDir tmp;
  write_disc_folder(tmp / "data", 32, 32);
  const auto tr = run(cli("train vae " + (tmp / "data") + " --out " + (tmp / "m") +
                          " --latent 4 --epochs 1 --batch 8 --width 8 --seed 2"));
  ASSERT_EQ(tr.code, 0) << tr.output;
  EXPECT_NE(tr.output.find("epoch 1/1"), std::string::npos) << tr.output;
  EXPECT_NE(tr.output.find("img/s"), std::string::npos);
  const auto b = run(cli("bench " + (tmp / "m") + " --batch 4 --iters 3 --json"));
  ASSERT_EQ(b.code, 0) << b.output;
  const auto j = nlohmann::json::parse(b.output.substr(b.output.find('{')));
  EXPECT_EQ(j["batch"], 4);
  EXPECT_GT(j["images_per_s"].get<double>(), 0);
  EXPECT_GE(j["p90_ms"].get<double>(), j["median_ms"].get<double>());
  const auto inv = run(cli("invert " + (tmp / "m") + " " + (tmp / "data/d_003.png") + " --steps 20 --out " +
                           (tmp / "z.json") + " --recon " + (tmp / "r.png")));
  ASSERT_EQ(inv.code, 0) << inv.output;
  EXPECT_EQ(read_latent_json(tmp / "z.json").size(), 4u);
  const Image r = load_image(tmp / "r.png");
  EXPECT_EQ(r.width, 32 + 2 * 2);  // one column: original above its reconstruction
  EXPECT_EQ(r.height, 2 * 32 + 3 * 2);

  // Several images: each one's z, and their mean in --out.
  const auto many = run(cli("invert " + (tmp / "m") + " " + (tmp / "data/d_001.png") + " " + (tmp / "data/d_002.png") +
                            " --steps 5 --out " + (tmp / "mean.json") + " --each " + (tmp / "each")));
  ASSERT_EQ(many.code, 0) << many.output;
  const Latent za = read_latent_json(tmp / "each/d_001.json"), zb = read_latent_json(tmp / "each/d_002.json");
  const Latent mean = read_latent_json(tmp / "mean.json");
  for (size_t i = 0; i < mean.size(); ++i) EXPECT_NEAR(mean[i], 0.5f * (za[i] + zb[i]), 1e-5);
  // decode takes several points and lays them out as a grid.
  const auto grid = run(cli("decode " + (tmp / "m") + " -z " + (tmp / "each/d_001.json") + " -z " +
                            (tmp / "each/d_002.json") + " -z " + (tmp / "mean.json") + " --cols 3 -o " + (tmp / "g.png")));
  ASSERT_EQ(grid.code, 0) << grid.output;
  EXPECT_EQ(load_image(tmp / "g.png").width, 3 * 32 + 4 * 2);
  // SeFa on the VAE's decoder (a Linear first layer), and its refusal on a PCA model.
  const auto sefa = run(cli("directions " + (tmp / "m") + " --unsupervised 2 --check 0 --json"));
  ASSERT_EQ(sefa.code, 0) << sefa.output;
  EXPECT_EQ(read_directions(tmp / "m/directions.json").names(), (std::vector<std::string>{"sefa-1", "sefa-2"}));
  const auto too_many = run(cli("directions " + (tmp / "m") + " --unsupervised 5 --check 0"));
  EXPECT_NE(too_many.code, 0);
  EXPECT_NE(too_many.output.find("1 to 4 directions"), std::string::npos) << too_many.output;
}
