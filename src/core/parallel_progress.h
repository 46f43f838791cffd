#pragma once
// Work split over the machine's cores, internal to the core: plain chunks (the maps, the
// t-SNE grid) and a pool with progress and cancel (the HNSW index, the approximate k-NN graph).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latent/errors.h"
#include "latent/types.h"

namespace latent::detail {

// Worker threads for the core's parallel loops: the machine's cores, 1 to 16.
inline unsigned worker_threads() { return std::clamp(std::thread::hardware_concurrency(), 1u, 16u); }

// Runs f(begin, end) over [0, n) split into contiguous chunks, one per hardware thread
// but at least min_per_thread items each (the calling thread takes the first). f must
// not throw.
template <class F>
void parallel_chunks(long n, F&& f, long min_per_thread = 256) {
  const long t = std::min<long>(worker_threads(), std::max<long>(1, n / min_per_thread));
  if (t <= 1) {
    f(0L, n);
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(t - 1);
  for (long c = 1; c < t; ++c) threads.emplace_back([&f, n, t, c] { f(n * c / t, n * (c + 1) / t); });
  f(0L, n / t);
  for (auto& th : threads) th.join();
}

// Runs body(i, thread) for i in [0, n) on `threads` worker threads while the calling
// thread reports progress from `from` to `to` under `stage` every 50 ms. body returns ""
// or what failed; the first failure stops the workers and is thrown as Error(prefix +
// failure). A cancel (progress returning false) stops the workers before Cancelled is
// rethrown.
template <class Body>
void run_with_progress(long n, int threads, const ProgressFn& progress, float from, float to, const std::string& stage,
                       const std::string& prefix, Body&& body) {
  std::atomic<long> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::string failure;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (long i; !stop.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;) {
        std::string why = body(i, static_cast<size_t>(t));
        if (!why.empty()) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (failure.empty()) failure = std::move(why);
          stop = true;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  try {
    while (done.load() < n && !stop.load()) {
      if (progress && !progress(from + (to - from) * done.load() / n, stage)) throw Cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } catch (...) {
    stop = true;
    for (auto& th : pool) th.join();
    throw;
  }
  for (auto& th : pool) th.join();
  if (!failure.empty()) throw Error(prefix + failure);
}

}  // namespace latent::detail
