// The .pt pre-check: zip records are checked against the file before LibTorch reads it.
#include "latent/pt_check.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "latent/registry.h"
#include "test_util.h"

using namespace latent;

namespace {

const std::string kCorpus = std::string(LATENT_SOURCE_DIR) + "/tests/fuzz/corpus/pt_check/";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string refusal(const std::string& bytes) {
  try {
    check_pt_archive_bytes(bytes, "m.pt");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

void put_u32(std::string& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

TEST(PtCheck, FilesPyTorchAndLibTorchWrotePass) {
  for (const char* f : {"traced.pt", "tensors.pt"}) {
    const auto sum = check_pt_archive(kCorpus + f);
    EXPECT_GT(sum.entries, 1u) << f;
  }
  // The shipped models: our own LibTorch weights, saved by torch::save.
  for (const char* f : {"models/fashion-dcgan/generator.pt", "models/celeba-vae/encoder.pt"}) {
    const auto sum = check_pt_archive(std::string(LATENT_SOURCE_DIR) + "/" + f);
    EXPECT_GT(sum.stored_bytes, 100000u) << f;
  }
}

TEST(PtCheck, EveryTruncationIsRefused) {
  const std::string full = read_bytes(kCorpus + "traced.pt");
  ASSERT_GT(full.size(), 1000u);
  for (size_t n = 0; n < full.size(); ++n) {
    const std::string e = refusal(full.substr(0, n));
    ASSERT_NE(e.find("m.pt: "), std::string::npos) << "cut at " << n << " bytes passed";
  }
}

TEST(PtCheck, DeclaredSizesAndOffsetsMustFitTheFile) {
  const std::string full = read_bytes(kCorpus + "traced.pt");
  const size_t cd = full.find("PK\x01\x02");
  ASSERT_NE(cd, std::string::npos);
  std::string b = full;
  put_u32(b, cd + 20, 0x7fff0000);  // compressed size
  put_u32(b, cd + 24, 0x7fff0000);  // uncompressed size
  EXPECT_NE(refusal(b).find("run past the data area"), std::string::npos) << refusal(b);
  b = full;
  put_u32(b, cd + 42, 0x40000000);  // local header offset
  EXPECT_NE(refusal(b).find("no local record at offset 1073741824"), std::string::npos) << refusal(b);
  b = full;
  put_u32(b, cd + 24, 0x7fff0000);  // stored, yet claims to be bigger
  EXPECT_NE(refusal(b).find("stored, yet its two sizes differ"), std::string::npos) << refusal(b);
  b = full;
  const size_t eocd = full.rfind("PK\x05\x06");
  put_u32(b, eocd + 16, static_cast<uint32_t>(full.size()));  // directory offset past the end
  EXPECT_NE(refusal(b).find("does not fit in the file"), std::string::npos) << refusal(b);
  EXPECT_NE(refusal("hello, world, this is not a zip").find("does not start like a zip archive"), std::string::npos);
}

TEST(PtCheck, ATruncatedModelIsRefusedBeforeLibTorchSeesIt) {
  test_util::TempDir tmp;
  const std::string src = std::string(LATENT_SOURCE_DIR) + "/models/fashion-dcgan";
  std::filesystem::create_directories(tmp / "m");
  std::filesystem::copy_file(src + "/model.json", tmp / "m/model.json");
  const std::string weights = read_bytes(src + "/generator.pt");
  std::ofstream(tmp / "m/generator.pt", std::ios::binary).write(weights.data(), 300000);
  try {
    open_space(tmp / "m");
    FAIL() << "a truncated generator opened";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("generator.pt: not a valid PyTorch archive"), std::string::npos) << msg;
    EXPECT_NE(msg.find("it was not given to LibTorch"), std::string::npos) << msg;
  }
}
