#include "latent/approx_index.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "test_util.h"

using namespace latent;

namespace {

// Clustered synthetic vectors (word vectors have structure; uniform noise would not).
std::unique_ptr<WordVectors> clustered(const std::string& path, long n, int d, int clusters, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(d));
  for (auto& c : centres)
    for (float& v : c) v = g(rng);
  std::ofstream out(path, std::ios::binary);
  out << n << " " << d << "\n";
  std::vector<float> v(d);
  for (long i = 0; i < n; ++i) {
    const auto& c = centres[rng() % clusters];
    for (int k = 0; k < d; ++k) v[k] = c[k] + 0.6f * g(rng);
    out << "w" << i << " ";
    out.write(reinterpret_cast<const char*>(v.data()), d * 4);
    out << "\n";
  }
  out.close();
  WordVectorsOptions o;
  o.use_cache = false;
  return WordVectors::open(path, o);
}

double recall_at_10(const WordVectors& wv, const ApproxIndex& idx, int queries) {
  long hits = 0, total = 0;
  for (int qi = 0; qi < queries; ++qi) {
    const long w = (qi * 7919L) % wv.size();
    const Latent q = wv.unit_vector(w);
    const auto exact = wv.nearest(q, 10, {w});
    const auto approx = idx.search(wv, q, 10, {w});
    for (const auto& e : exact)
      for (const auto& a : approx) hits += a.index == e.index;
    total += static_cast<long>(exact.size());
  }
  return double(hits) / total;
}

}  // namespace

TEST(ApproxIndex, HighRecallOnClusteredVectors) {
  test_util::TempDir tmp;
  auto wv = clustered(tmp / "c.bin", 20000, 32, 300, 1);
  auto idx = ApproxIndex::build(*wv);
  EXPECT_EQ(idx->size(), 20000);
  EXPECT_GE(recall_at_10(*wv, *idx, 200), 0.95);
  // Scores are exact (re-ranked), best first, the excluded word absent.
  const Latent q = wv->unit_vector(5);
  const auto r = idx->search(*wv, q, 10, {5});
  ASSERT_EQ(r.size(), 10u);
  for (size_t i = 1; i < r.size(); ++i) EXPECT_GE(r[i - 1].score, r[i].score);
  for (const auto& w : r) {
    EXPECT_NE(w.index, 5);
    EXPECT_EQ(w.word, std::string(wv->word(w.index)));
    const Latent u = wv->unit_vector(w.index);
    double dot = 0;
    for (size_t j = 0; j < u.size(); ++j) dot += double(u[j]) * q[j];
    EXPECT_NEAR(w.score, dot, 1e-5);
  }
}

TEST(ApproxIndex, SmallSetsGetTheExactAnswers) {
  test_util::TempDir tmp;
  auto wv = clustered(tmp / "s.bin", 2000, 24, 40, 4);
  ApproxOptions o;
  o.threads = 1;
  auto idx = ApproxIndex::build(*wv, o);
  for (int qi = 0; qi < 60; ++qi) {
    const long w = (qi * 131L) % wv->size();
    const Latent q = wv->unit_vector(w);
    const auto exact = wv->nearest(q, 10, {w});
    const auto approx = idx->search(*wv, q, 10, {w}, static_cast<int>(wv->size()));
    ASSERT_EQ(approx.size(), exact.size());
    for (size_t i = 0; i < exact.size(); ++i) {
      EXPECT_EQ(approx[i].index, exact[i].index) << "query " << w << " rank " << i;
      EXPECT_NEAR(approx[i].score, exact[i].score, 1e-5);
    }
  }
  // k larger than the vocabulary: every other word, once.
  auto tiny = clustered(tmp / "t.bin", 12, 8, 3, 5);
  auto tidx = ApproxIndex::build(*tiny);
  const auto all = tidx->search(*tiny, tiny->unit_vector(0), 50, {0});
  EXPECT_EQ(all.size(), 11u);
}

TEST(ApproxIndex, BuildingCanBeCancelled) {
  test_util::TempDir tmp;
  auto wv = clustered(tmp / "x.bin", 20000, 32, 100, 6);
  int calls = 0;
  EXPECT_THROW(ApproxIndex::build(*wv, {}, [&](float, const std::string&) { return ++calls < 2; }), Cancelled);
}

TEST(ApproxIndex, SavesLoadsAndRefusesOtherVectors) {
  test_util::TempDir tmp;
  auto wv = clustered(tmp / "a.bin", 3000, 16, 50, 2);
  auto idx = ApproxIndex::build(*wv);
  const std::string path = tmp / "a.ann";
  idx->save(path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(std::filesystem::file_size(path), idx->bytes() + 64);
  auto back = ApproxIndex::load(path, *wv);
  EXPECT_EQ(back->default_ef(), idx->default_ef());
  EXPECT_EQ(back->describe(), idx->describe());
  for (long w : {10L, 777L, 2999L}) {
    const auto q = wv->unit_vector(w);
    const auto r1 = idx->search(*wv, q, 5, {w}), r2 = back->search(*wv, q, 5, {w});
    ASSERT_EQ(r1.size(), r2.size());
    for (size_t i = 0; i < r1.size(); ++i) EXPECT_EQ(r1[i].index, r2[i].index);
  }
  EXPECT_GE(recall_at_10(*wv, *back, 100), 0.95);
  auto other = clustered(tmp / "b.bin", 3000, 16, 50, 3);
  EXPECT_THROW(ApproxIndex::load(path, *other), FormatError);
  std::ofstream(tmp / "junk.ann") << "not an index";
  EXPECT_THROW(ApproxIndex::load(tmp / "junk.ann", *wv), FormatError);
  // Cut short, padded, or with the graph's own header damaged: refused, never crashed on.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& b) {
    std::ofstream(tmp / name, std::ios::binary) << b;
    return std::string(tmp / name);
  };
  EXPECT_THROW(ApproxIndex::load(write("cut.ann", bytes.substr(0, bytes.size() - 1)), *wv), FormatError);
  EXPECT_THROW(ApproxIndex::load(write("pad.ann", bytes + "x"), *wv), FormatError);
  EXPECT_THROW(ApproxIndex::load(write("head.ann", bytes.substr(0, 64 + 1000)), *wv), FormatError);
  std::string damaged = bytes;
  const size_t usearch_magic = 64 + 8 + 3000 * 16;  // after the int8 matrix
  damaged[usearch_magic] ^= 0x5a;
  EXPECT_THROW(ApproxIndex::load(write("magic.ann", damaged), *wv), FormatError);
  // The graph's own header (after USearch's 64-byte head): a node count past the file, and
  // no edges per node.
  const size_t graph_at = usearch_magic + 64;
  damaged = bytes;
  damaged[graph_at + 5] = 0x7f;
  EXPECT_THROW(ApproxIndex::load(write("count.ann", damaged), *wv), FormatError);
  damaged = bytes;
  for (int b = 0; b < 8; ++b) damaged[graph_at + 8 + b] = 0;
  EXPECT_THROW(ApproxIndex::load(write("edges.ann", damaged), *wv), FormatError);
  // A loaded index saves the same bytes it was read from.
  back->save(tmp / "again.ann");
  std::ifstream again(tmp / "again.ann", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(again), {}), bytes);
}

TEST(ApproxIndex, ALoadedIndexAnswersFromManyThreadsAtOnce) {
  test_util::TempDir tmp;
  auto wv = clustered(tmp / "a.bin", 2000, 16, 40, 4);
  auto built = ApproxIndex::build(*wv);
  built->save(tmp / "a.ann");
  auto idx = ApproxIndex::load(tmp / "a.ann", *wv);
  // More threads than the index keeps search contexts for (8): the others wait their turn.
  std::vector<std::thread> threads;
  std::atomic<int> differ{0};
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&, t] {
      for (long w = t; w < 2000; w += 97) {
        const auto q = wv->unit_vector(w);
        const auto a = idx->search(*wv, q, 10, {w}), b = built->search(*wv, q, 10, {w});
        if (a.size() != b.size()) ++differ;
        for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) differ += a[i].index != b[i].index;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(differ.load(), 0);
}

TEST(ApproxIndex, GloveSubsetRecall) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  WordVectorsOptions o;
  o.use_cache = false;
  auto wv = WordVectors::open(std::string(LATENT_DATA_DIR) + "/vectors/glove.6B.50d.subset5k.w2v.bin", o);
  auto idx = ApproxIndex::build(*wv);
  EXPECT_GE(recall_at_10(*wv, *idx, 300), 0.95);
}
