// Word-vector timings in one process, for bench/run_word_bench.sh (compare with
// bench/word_vectors_peers.py, which does the same with gensim).
//
//   bench_word_vectors FILE.bin [--mode MODE] [--cache PATH] [--queries N] [--seed S] [--k K]
//
// MODE (default all):
//   all          load FILE.bin (WordVectors::open, use_cache=false) and answer one query;
//                write the native cache (save_native); free everything; open the cache and
//                answer one query (timed together: "open to first answer"); then the
//                steady-state latency of N queries on the opened cache
//   load-bin     only: load FILE.bin (use_cache=false) + the first query, then exit
//   write-cache  only: load FILE.bin (use_cache=false) + save_native, then exit
//   open-native  only: open the cache + the first query + N steady-state queries, then exit
// The modes other than `all` exist so that peak memory can be measured per step, each in a
// process of its own under /usr/bin/time -v.
//
// A query is WordVectors::neighbors(word, K) (exact cosine search, input word excluded), the
// same question as gensim's most_similar(word, topn=K). The query words are the words at
// indices splitmix64(seed + j) % count, j = 0..N-1 (word_vectors_peers.py picks the same);
// the first query is the first of them.
//
// Output: one "key=value" line per measurement on stdout (times in seconds or ms as the
// key says); progress and notes on stderr.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "latent/errors.h"
#include "latent/word_vectors.h"

using latent::WordVectors;
using latent::WordVectorsOptions;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::vector<long> query_indices(long count, int n, uint64_t seed) {
  std::vector<long> out;
  for (int j = 0; j < n; ++j) out.push_back(static_cast<long>(splitmix64(seed + j) % static_cast<uint64_t>(count)));
  return out;
}

void print_answer(const char* key, const latent::QueryResult& r) {
  std::printf("%s=", key);
  for (size_t i = 0; i < r.words.size(); ++i) std::printf("%s%s", i ? "," : "", r.words[i].word.c_str());
  std::printf("\n");
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

void steady_state(const WordVectors& wv, const std::vector<long>& idx, int k, const char* prefix) {
  std::vector<double> ms;
  for (long i : idx) {
    const std::string w(wv.word(i));
    const auto t0 = Clock::now();
    const auto r = wv.neighbors(w, k);
    ms.push_back(1000.0 * since(t0));
    if (r.words.empty()) std::fprintf(stderr, "no answer for %s\n", w.c_str());
  }
  std::printf("%s_queries=%zu\n", prefix, ms.size());
  std::printf("%s_median_ms=%.3f\n", prefix, percentile(ms, 0.5));
  std::printf("%s_p90_ms=%.3f\n", prefix, percentile(ms, 0.9));
  std::printf("%s_min_ms=%.3f\n", prefix, *std::min_element(ms.begin(), ms.end()));
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_word_vectors: %s\nusage: bench_word_vectors FILE.bin [--mode all|load-bin|write-cache|open-native]"
               " [--cache PATH] [--queries N] [--seed S] [--k K]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string file, mode = "all", cache;
  int queries = 50, k = 10;
  uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--mode") mode = value();
    else if (a == "--cache") cache = value();
    else if (a == "--queries") queries = std::atoi(value().c_str());
    else if (a == "--seed") seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--k") k = std::atoi(value().c_str());
    else if (!a.empty() && a[0] == '-') usage(("unknown option " + a).c_str());
    else if (file.empty()) file = a;
    else usage("more than one file given");
  }
  if (file.empty()) usage("no file given");
  if (mode != "all" && mode != "load-bin" && mode != "write-cache" && mode != "open-native") usage("unknown mode");
  if (queries < 1 || k < 1) usage("--queries and --k must be at least 1");
  if (cache.empty()) cache = WordVectors::cache_path_for(file);

  try {
    std::printf("mode=%s\nfile=%s\n", mode.c_str(), file.c_str());
    if (mode == "all" || mode == "load-bin" || mode == "write-cache") {
      WordVectorsOptions opt;
      opt.use_cache = false;
      auto t0 = Clock::now();
      auto wv = WordVectors::open(file, opt);
      const double load = since(t0);
      std::printf("count=%ld\ndim=%d\nload_bin_s=%.4f\n", wv->size(), wv->dim(), load);
      for (const auto& w : wv->warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());
      const auto idx = query_indices(wv->size(), queries, seed);
      std::printf("query_word0=%s\n", std::string(wv->word(idx[0])).c_str());
      if (mode != "write-cache") {
        t0 = Clock::now();
        const auto r = wv->neighbors(wv->word(idx[0]), k);
        std::printf("load_bin_first_query_s=%.4f\n", since(t0));
        print_answer("load_bin_answer0", r);
      }
      if (mode == "all") steady_state(*wv, idx, k, "inmem_query");
      if (mode != "load-bin") {
        t0 = Clock::now();
        wv->save_native(cache, latent::Storage::Float32);
        std::printf("save_native_s=%.4f\ncache=%s\n", since(t0), cache.c_str());
      }
      if (mode != "all") return 0;
    }
    // open-native (and the second half of `all`): the cache, as `latent neighbors FILE.bin`
    // opens it once it exists.
    WordVectorsOptions opt;
    opt.format = latent::VectorFormat::Native;
    auto t0 = Clock::now();
    auto wv = WordVectors::open(cache, opt);
    const double open = since(t0);
    const auto idx = query_indices(wv->size(), queries, seed);
    const std::string w0(wv->word(idx[0]));
    const auto r = wv->neighbors(w0, k);
    const double open_query = since(t0);
    std::printf("count=%ld\ndim=%d\nquery_word0=%s\n", wv->size(), wv->dim(), w0.c_str());
    std::printf("open_native_s=%.4f\nopen_native_first_query_s=%.4f\n", open, open_query);
    print_answer("native_answer0", r);
    steady_state(*wv, idx, k, "native_query");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_word_vectors: %s\n", e.what());
    return 1;
  }
}
