#include "latent/dataset.h"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <zlib.h>

#include "latent/errors.h"
#include "test_util.h"

using namespace latent;

namespace {

std::string idx_bytes(int n, int h, int w, unsigned char fill_base = 0) {
  std::string s = {0, 0, 8, 3};
  for (int v : {n, h, w}) {
    s += char((v >> 24) & 255), s += char((v >> 16) & 255), s += char((v >> 8) & 255), s += char(v & 255);
  }
  for (int i = 0; i < n * h * w; ++i) s += char((fill_base + i) & 255);
  return s;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

using test_util::error_of;

}  // namespace

TEST(Idx, ReadsPlainAndGzip) {
  test_util::TempDir tmp;
  const std::string bytes = idx_bytes(3, 2, 4);
  write(tmp / "x-idx3-ubyte", bytes);
  write_gz(tmp / "x-idx3-ubyte.gz", bytes);
  for (const char* name : {"x-idx3-ubyte", "x-idx3-ubyte.gz"}) {
    const ImageDataset ds = load_image_dataset(tmp / name);
    EXPECT_EQ(ds.format, "idx");
    ASSERT_EQ(ds.count(), 3);
    EXPECT_EQ(ds.width, 4);
    EXPECT_EQ(ds.height, 2);
    EXPECT_EQ(ds.channels, 1);
    EXPECT_FLOAT_EQ(ds.data(1, 3), 11 / 255.f);  // image 1, pixel 3 = byte 8+3
  }
}

// One-member gzip files are decompressed whole (libdeflate); two members, a lying size
// trailer and damaged data go through zlib's stream, which reads or reports them as before.
TEST(Idx, GzipMembersTrailersAndDamage) {
  test_util::TempDir tmp;
  const std::string bytes = idx_bytes(4, 3, 5);
  const std::string half = bytes.substr(0, bytes.size() / 2), rest = bytes.substr(bytes.size() / 2);
  write_gz(tmp / "a.gz", half);
  write_gz(tmp / "b.gz", rest);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  write(tmp / "two-members-idx3-ubyte.gz", slurp(tmp / "a.gz") + slurp(tmp / "b.gz"));
  write_gz(tmp / "one-idx3-ubyte.gz", bytes);
  std::string lying = slurp(tmp / "one-idx3-ubyte.gz");
  lying[lying.size() - 1] = '\x7f';  // ISIZE: far more than the data
  write(tmp / "lying-idx3-ubyte.gz", lying);
  for (const char* name : {"two-members-idx3-ubyte.gz", "one-idx3-ubyte.gz"}) {
    const ImageDataset ds = load_image_dataset(tmp / name);
    ASSERT_EQ(ds.count(), 4) << name;
    EXPECT_FLOAT_EQ(ds.data(2, 7), uint8_t(bytes[16 + 2 * 15 + 7]) / 255.f) << name;
  }
  // A size trailer that claims 2 GB is not believed (nothing that size is allocated) and
  // zlib reports the mismatch, as it did before libdeflate.
  const std::string lie = error_of([&] { load_image_dataset(tmp / "lying-idx3-ubyte.gz"); });
  EXPECT_NE(lie.find("lying-idx3-ubyte.gz: compressed data is corrupt"), std::string::npos) << lie;
  std::string damaged = slurp(tmp / "one-idx3-ubyte.gz");
  for (size_t i = 20; i < damaged.size() - 8; i += 3) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
  write(tmp / "damaged-idx3-ubyte.gz", damaged);
  const std::string e = error_of([&] { load_image_dataset(tmp / "damaged-idx3-ubyte.gz"); });
  EXPECT_NE(e.find("damaged-idx3-ubyte.gz"), std::string::npos) << e;
}

// 8,192 images or more are converted by two threads: every value, the names and a
// cancel from the progress callback must be as for one.
TEST(Idx, LargeFilesConvertedInTwoHalvesExactly) {
  test_util::TempDir tmp;
  const int n = 9001;
  const std::string bytes = idx_bytes(n, 3, 2, 7);
  write_gz(tmp / "big-idx3-ubyte.gz", bytes);
  const ImageDataset ds = load_image_dataset(tmp / "big-idx3-ubyte.gz");
  ASSERT_EQ(ds.count(), n);
  for (long i = 0; i < n; ++i)
    for (long k = 0; k < 6; ++k) ASSERT_EQ(ds.data(i, k), uint8_t(bytes[16 + i * 6 + k]) * (1.f / 255.f)) << i;
  EXPECT_EQ(ds.names[4500], "#4500");
  EXPECT_EQ(ds.names.back(), "#9000");
  DatasetOptions o;
  int calls = 0;
  o.progress = [&](float, const std::string& stage) { return stage != "converting IDX" || ++calls < 2; };
  EXPECT_THROW(load_image_dataset(tmp / "big-idx3-ubyte.gz", o), Cancelled);
}

TEST(Idx, LimitAndResize) {
  test_util::TempDir tmp;
  write(tmp / "x.idx", idx_bytes(5, 4, 4));
  DatasetOptions opt;
  opt.limit = 2;
  opt.width = 2, opt.height = 2, opt.channels = 3;
  const ImageDataset ds = load_idx(tmp / "x.idx", opt);
  EXPECT_EQ(ds.count(), 2);
  EXPECT_EQ(ds.data.cols(), 2 * 2 * 3);
}

TEST(Idx, MalformedFilesSayWhereAndWhat) {
  test_util::TempDir tmp;
  std::string bad_magic = idx_bytes(1, 2, 2);
  bad_magic[0] = 'P';
  write(tmp / "magic.idx", bad_magic);
  const std::string m = error_of([&] { load_idx(tmp / "magic.idx"); });
  EXPECT_NE(m.find("magic.idx"), std::string::npos) << m;
  EXPECT_NE(m.find("bad magic at byte offset 0"), std::string::npos) << m;

  std::string truncated = idx_bytes(10, 4, 4);
  truncated.resize(16 + 4 * 16 + 5);
  write(tmp / "short.idx", truncated);
  const std::string t = error_of([&] { load_idx(tmp / "short.idx"); });
  EXPECT_NE(t.find("truncated at byte offset 85"), std::string::npos) << t;
  EXPECT_NE(t.find("176 bytes"), std::string::npos) << t;

  write(tmp / "long.idx", idx_bytes(1, 2, 2) + "xx");
  EXPECT_NE(error_of([&] { load_idx(tmp / "long.idx"); }).find("2 unexpected bytes"), std::string::npos);

  write(tmp / "tiny.idx", std::string("\0\0", 2));
  EXPECT_NE(error_of([&] { load_idx(tmp / "tiny.idx"); }).find("truncated at byte offset 2"), std::string::npos);

  std::string wrong_type = idx_bytes(1, 2, 2);
  wrong_type[2] = 0x0D;  // float
  write(tmp / "float.idx", wrong_type);
  EXPECT_NE(error_of([&] { load_idx(tmp / "float.idx"); }).find("element type"), std::string::npos);
}

TEST(RawArray, ReadsAndChecksSizes) {
  test_util::TempDir tmp;
  std::string px;
  for (int i = 0; i < 2 * 3 * 3; ++i) px += char(i * 10);
  write(tmp / "px.bin", px);
  std::ofstream(tmp / "h.json") << R"({"file": "px.bin", "count": 2, "height": 3, "width": 3, "channels": 1, "dtype": "uint8"})";
  const ImageDataset ds = load_image_dataset(tmp / "h.json");
  EXPECT_EQ(ds.format, "raw");
  ASSERT_EQ(ds.count(), 2);
  EXPECT_FLOAT_EQ(ds.data(1, 0), 90 / 255.f);

  write(tmp / "px.bin", px.substr(0, 12));
  const std::string e = error_of([&] { load_raw_array(tmp / "h.json"); });
  EXPECT_NE(e.find("px.bin: truncated"), std::string::npos) << e;
  EXPECT_NE(e.find("18 bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("ends inside image 1"), std::string::npos) << e;

  std::ofstream(tmp / "nodtype.json") << R"({"file": "px.bin", "count": 2, "height": 3, "width": 3})";
  EXPECT_NE(error_of([&] { load_raw_array(tmp / "nodtype.json"); }).find("dtype"), std::string::npos);
  std::ofstream(tmp / "broken.json") << R"({"file": )";
  EXPECT_NE(error_of([&] { load_raw_array(tmp / "broken.json"); }).find("malformed JSON"), std::string::npos);
}

TEST(ImageFolder, ReadsSortedAndConverts) {
  test_util::TempDir tmp;
  test_util::write_blob_folder(tmp / "faces", 5, 12, 10, 1);
  std::ofstream(tmp / "faces/notes.txt") << "ignored";
  const ImageDataset ds = load_image_dataset(tmp / "faces");
  EXPECT_EQ(ds.format, "folder");
  ASSERT_EQ(ds.count(), 5);
  EXPECT_EQ(ds.width, 12);
  EXPECT_EQ(ds.height, 10);
  EXPECT_EQ(ds.names.front(), "img_000.png");
  DatasetOptions opt;
  opt.width = 6, opt.height = 5, opt.channels = 3;
  EXPECT_EQ(load_image_folder(tmp / "faces", opt).data.cols(), 6 * 5 * 3);
}

TEST(ImageFolder, EmptyOrBadFilesAreErrors) {
  test_util::TempDir tmp;
  std::filesystem::create_directories(tmp / "empty");
  EXPECT_NE(error_of([&] { load_image_dataset(tmp / "empty"); }).find("no PNG or JPEG images"), std::string::npos);
  test_util::write_blob_folder(tmp / "mixed", 2, 8, 8, 2);
  std::ofstream(tmp / "mixed/zz_broken.jpg") << "garbage";
  const std::string e = error_of([&] { load_image_dataset(tmp / "mixed"); });
  EXPECT_NE(e.find("zz_broken.jpg"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { load_image_dataset(tmp / "nope"); }).find("no such file"), std::string::npos);
}

TEST(RealData, OlivettiAndFashionMnist) {
  if (test_util::has_data_dir()) {
    const ImageDataset ds = load_image_dataset(std::string(LATENT_DATA_DIR) + "/faces/olivetti");
    EXPECT_EQ(ds.count(), 400);
    EXPECT_EQ(ds.width, 64);
    EXPECT_LE(ds.data.maxCoeff(), 242 / 255.f + 1e-6f);  // the source's maximum is 242
  }
  const std::string fm = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (std::filesystem::exists(fm)) {
    const ImageDataset ds = load_image_dataset(fm);
    EXPECT_EQ(ds.count(), 10000);
    EXPECT_EQ(ds.width, 28);
  }
}
