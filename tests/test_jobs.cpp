#include "latent/jobs.h"

#include <gtest/gtest.h>

#include "latent/errors.h"

using namespace latent;
using namespace std::chrono_literals;

namespace {
template <typename P>
bool wait_for(P pred, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}
}  // namespace

TEST(LatestWorker, NewestRequestWinsAndStaleOnesAreSkipped) {
  std::atomic<bool> release{false};
  std::atomic<int> runs{0};
  LatestWorker<int, int> worker([&](const int& x) {
    ++runs;
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return x * 10;
  });
  worker.submit(1);                                 // starts running, blocks
  ASSERT_TRUE(wait_for([&] { return runs.load() == 1; }));
  worker.submit(2);                                 // queued...
  worker.submit(3);                                 // ...replaced by 3
  const uint64_t last = worker.submit(4);           // ...replaced by 4
  release = true;
  ASSERT_TRUE(wait_for([&] { return !worker.busy(); }));
  auto r = worker.poll(0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->generation, last);
  EXPECT_EQ(*r->value, 40);
  EXPECT_EQ(runs.load(), 2);  // 1 and 4; 2 and 3 never ran
  EXPECT_EQ(worker.skipped(), 2u);
  EXPECT_FALSE(worker.poll(last).has_value());  // nothing newer
}

TEST(LatestWorker, ErrorsAreCapturedNotThrown) {
  LatestWorker<int, int> worker([](const int& x) -> int {
    if (x < 0) throw FormatError("negative input");
    return x;
  });
  const uint64_t g = worker.submit(-1);
  ASSERT_TRUE(wait_for([&] { return worker.poll(g - 1).has_value(); }));
  auto r = worker.poll(0);
  EXPECT_FALSE(r->value.has_value());
  EXPECT_EQ(r->error, "negative input");
  const uint64_t g2 = worker.submit(5);
  ASSERT_TRUE(wait_for([&] { return worker.poll(g2 - 1).has_value(); }));
  EXPECT_EQ(*worker.poll(0)->value, 5);
}

TEST(Task, ReportsProgressAndResult) {
  std::atomic<bool> go{false};
  Task<int> task([&](TaskContext& ctx) {
    ctx.progress(0.5f, "halfway");
    while (!go.load()) std::this_thread::sleep_for(1ms);
    return 7;
  });
  ASSERT_TRUE(wait_for([&] { return task.progress() == 0.5f; }));
  EXPECT_EQ(task.stage(), "halfway");
  EXPECT_FALSE(task.done());
  go = true;
  ASSERT_TRUE(wait_for([&] { return task.done(); }));
  EXPECT_EQ(task.take(), 7);
}

TEST(Task, CancelStopsTheJobAndErrorsRethrow) {
  Task<int> task([](TaskContext& ctx) -> int {
    while (ctx.progress(0.f, "spinning")) std::this_thread::sleep_for(1ms);
    throw Cancelled();
  });
  task.cancel();
  ASSERT_TRUE(wait_for([&] { return task.done(); }));
  EXPECT_THROW(task.take(), Cancelled);

  Task<int> failing([](TaskContext&) -> int { throw IoError("disk on fire"); });
  ASSERT_TRUE(wait_for([&] { return failing.done(); }));
  EXPECT_THROW(failing.take(), IoError);
}
