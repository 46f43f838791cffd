// Approximate word search: build (or map) the HNSW index of a vectors file, then measure
// recall@10 against exact search and the latency of both, on the same queries.
//   bench_approx VECTORS [--queries N] [--ef E]... [--connectivity M] [--expansion-add A] [--rebuild] [--answers FILE]
// Prints build (or load) time, the peak resident memory, and the index's size against the
// vectors file's; one line per ef.
#include <sys/resource.h>

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
static double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_approx VECTORS [--queries N] [--ef E]... [--connectivity M] [--expansion-add A] [--rebuild] [--answers FILE]\n");
    return 2;
  }
  const std::string path = argv[1];
  int queries = 200;
  bool rebuild = false;
  std::string answers_out;
  std::vector<int> efs;
  ApproxOptions opt;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rebuild")) rebuild = true;
    if (i + 1 >= argc) continue;
    if (!std::strcmp(argv[i], "--queries")) queries = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--ef")) efs.push_back(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--answers")) answers_out = argv[++i];
    else if (!std::strcmp(argv[i], "--connectivity")) opt.connectivity = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--expansion-add")) opt.expansion_add = std::atoi(argv[++i]);
  }
  auto t0 = Clock::now();
  auto wv = WordVectors::open(path);
  std::printf("open: %.1f ms (%ld words x %d%s), peak RSS %.0f MB\n", ms_since(t0), wv->size(), wv->dim(),
              wv->memory_mapped() ? ", memory-mapped cache" : "", peak_rss_mb());
  const std::string ipath = ApproxIndex::path_for(path);
  std::unique_ptr<ApproxIndex> idx;
  const double rss_before = peak_rss_mb();
  t0 = Clock::now();
  if (!rebuild && std::filesystem::exists(ipath)) {
    idx = ApproxIndex::load(ipath, *wv);
    std::printf("index: mapped in %.1f ms: %s\n", ms_since(t0), idx->describe().c_str());
  } else {
    idx = ApproxIndex::build(*wv, opt);
    std::printf("index: built in %.1f s: %s; peak RSS %.0f MB (%.0f MB before building)\n", ms_since(t0) / 1000,
                idx->describe().c_str(), peak_rss_mb(), rss_before);
    t0 = Clock::now();
    idx->save(ipath);
    std::printf("index: saved in %.1f s\n", ms_since(t0) / 1000);
  }
  std::printf("index size %.0f MB; vectors file %.0f MB (%.2fx)\n", idx->bytes() / 1e6,
              std::filesystem::file_size(path) / 1e6, double(idx->bytes()) / std::filesystem::file_size(path));
  if (efs.empty()) efs = {idx->default_ef()};
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
  if (!answers_out.empty()) {  // the queries and their exact answers, for bench/ann_peers.py
    FILE* f = std::fopen(answers_out.c_str(), "w");
    for (int q = 0; f && q < queries; ++q) {
      std::fprintf(f, "%ld", words[q]);
      for (long e : exact[q]) std::fprintf(f, " %ld", e);
      std::fprintf(f, "\n");
    }
    if (f) std::fclose(f);
  }
  std::printf("exact:  p50 %.2f ms  p90 %.2f ms\n", pct(exact_ms, 0.5), pct(exact_ms, 0.9));
  for (int ef : efs) {
    std::vector<double> ms;
    long hits = 0;
    for (int q = 0; q < queries; ++q) {
      const Latent u = wv->unit_vector(words[q]);
      t0 = Clock::now();
      const auto r = idx->search(*wv, u, 10, {words[q]}, ef);
      ms.push_back(ms_since(t0));
      for (const auto& a : r) hits += std::count(exact[q].begin(), exact[q].end(), a.index);
    }
    std::printf("approx: ef %4d  p50 %.2f ms  p90 %.2f ms  recall@10 %.4f\n", ef, pct(ms, 0.5), pct(ms, 0.9),
                double(hits) / (10.0 * queries));
  }
  std::printf("peak RSS %.0f MB\n", peak_rss_mb());
  return 0;
}
