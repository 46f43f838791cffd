#include "latent/approx_index.h"

#include <fstream>
#include <random>

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
  EXPECT_GT(idx->lists(), 64);
  EXPECT_GE(recall_at_10(*wv, *idx, 200), 0.95);
  // Scores are exact (re-ranked), best first, the excluded word absent.
  const auto r = idx->search(*wv, wv->unit_vector(5), 10, {5});
  for (size_t i = 1; i < r.size(); ++i) EXPECT_GE(r[i - 1].score, r[i].score);
  for (const auto& w : r) EXPECT_NE(w.index, 5);
  // Probing every list is exhaustive.
  idx->set_default_nprobe(idx->lists());
  EXPECT_GE(recall_at_10(*wv, *idx, 100), 0.99);
}

TEST(ApproxIndex, SavesLoadsAndRefusesOtherVectors) {
  test_util::TempDir tmp;
  auto wv = clustered(tmp / "a.bin", 3000, 16, 50, 2);
  auto idx = ApproxIndex::build(*wv);
  idx->save(tmp / "a.ivf");
  auto back = ApproxIndex::load(tmp / "a.ivf", *wv);
  const auto q = wv->unit_vector(10);
  const auto r1 = idx->search(*wv, q, 5), r2 = back->search(*wv, q, 5);
  ASSERT_EQ(r1.size(), r2.size());
  for (size_t i = 0; i < r1.size(); ++i) EXPECT_EQ(r1[i].index, r2[i].index);
  auto other = clustered(tmp / "b.bin", 3000, 16, 50, 3);
  EXPECT_THROW(ApproxIndex::load(tmp / "a.ivf", *other), FormatError);
  std::ofstream(tmp / "junk.ivf") << "not an index";
  EXPECT_THROW(ApproxIndex::load(tmp / "junk.ivf", *wv), FormatError);
}

TEST(ApproxIndex, GloveSubsetRecall) {
  if (!test_util::has_data_dir()) GTEST_SKIP() << "no shared data";
  WordVectorsOptions o;
  o.use_cache = false;
  auto wv = WordVectors::open(std::string(LATENT_DATA_DIR) + "/vectors/glove.6B.50d.subset5k.w2v.bin", o);
  auto idx = ApproxIndex::build(*wv);
  EXPECT_GE(recall_at_10(*wv, *idx, 300), 0.95);
}
