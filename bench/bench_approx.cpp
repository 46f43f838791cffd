// Approximate word search: build (or load) the IVF index of a vectors file, then
// measure recall@10 against exact search and the latency of both, on the same queries.
//   bench_approx VECTORS [--queries N] [--nprobe P]...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "latent/approx_index.h"
#include "latent/word_vectors.h"

using namespace latent;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
static double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_approx VECTORS [--queries N] [--nprobe P]...\n");
    return 2;
  }
  const std::string path = argv[1];
  int queries = 200;
  std::vector<int> probes;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--queries")) queries = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--nprobe")) probes.push_back(std::atoi(argv[i + 1]));
  }
  auto t0 = Clock::now();
  auto wv = WordVectors::open(path);
  std::printf("open: %.1f ms (%ld words x %d%s)\n", ms_since(t0), wv->size(), wv->dim(),
              wv->memory_mapped() ? ", memory-mapped cache" : "");
  const std::string ipath = ApproxIndex::path_for(path);
  std::unique_ptr<ApproxIndex> idx;
  t0 = Clock::now();
  if (std::filesystem::exists(ipath)) {
    idx = ApproxIndex::load(ipath, *wv);
    std::printf("index: loaded in %.1f s: %s\n", ms_since(t0) / 1000, idx->describe().c_str());
  } else {
    idx = ApproxIndex::build(*wv);
    std::printf("index: built in %.1f s: %s\n", ms_since(t0) / 1000, idx->describe().c_str());
    idx->save(ipath);
  }
  if (probes.empty()) probes = {idx->default_nprobe()};
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<long> any(0, wv->size() - 1);
  std::vector<long> words(queries);
  for (long& w : words) w = any(rng);
  // Exact answers (and their latency).
  std::vector<std::vector<long>> exact(queries);
  std::vector<double> exact_ms;
  for (int q = 0; q < queries; ++q) {
    const Latent u = wv->unit_vector(words[q]);
    t0 = Clock::now();
    for (const auto& r : wv->nearest(u, 10, {words[q]})) exact[q].push_back(r.index);
    exact_ms.push_back(ms_since(t0));
  }
  std::printf("exact:  p50 %.2f ms  p90 %.2f ms\n", pct(exact_ms, 0.5), pct(exact_ms, 0.9));
  for (int nprobe : probes) {
    std::vector<double> ms;
    long hits = 0;
    for (int q = 0; q < queries; ++q) {
      const Latent u = wv->unit_vector(words[q]);
      t0 = Clock::now();
      const auto r = idx->search(*wv, u, 10, {words[q]}, nprobe);
      ms.push_back(ms_since(t0));
      for (const auto& a : r) hits += std::count(exact[q].begin(), exact[q].end(), a.index);
    }
    std::printf("approx: nprobe %4d  p50 %.2f ms  p90 %.2f ms  recall@10 %.4f\n", nprobe, pct(ms, 0.5), pct(ms, 0.9),
                double(hits) / (10.0 * queries));
  }
  return 0;
}
