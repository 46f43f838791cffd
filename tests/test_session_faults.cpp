// Fault injection on the session save and load paths: each open, read, write, fsync,
// close, rename, link and unlink, and each memory allocation, fails in turn. Every
// failure must be a latent::Error with a message, the previous file must be intact,
// and nothing may crash.
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/session.h"
#include "session_states.h"
#include "latent/memory_reserve.h"
#include "test_util.h"

using namespace latent;

// ---------------------------------------------------------------- allocation failures
// This test binary's operator new fails the Nth allocation after arming, once.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // new is malloc here, so delete is free
namespace {
long g_alloc_countdown = 0;  // 0: disarmed; N: the Nth allocation from now fails
}  // namespace

// As the standard's operator new does when malloc fails: call the new handler (the
// memory reserve, where one is installed) and try again, or throw std::bad_alloc.
void* operator new(size_t n) {
  bool injected = g_alloc_countdown > 0 && --g_alloc_countdown == 0;
  for (;;) {
    if (!injected)
      if (void* p = std::malloc(n ? n : 1)) return p;
    injected = false;  // the system refused once; the retry after the handler is real
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

// ---------------------------------------------------------------- system call failures
enum Op { kOpen, kRead, kWrite, kFsync, kClose, kRename, kLink, kUnlink, kOps };
const char* kOpNames[kOps] = {"open", "read", "write", "fsync", "close", "rename", "link", "unlink"};

int g_fail_op = -1;   // which call fails
long g_fail_at = 0;   // on its Nth use
long g_calls = 0;     // uses of that call so far
bool g_injected = false;

bool should_fail(Op op, int err) {
  if (op != g_fail_op || ++g_calls != g_fail_at) return false;
  g_injected = true;
  errno = err;
  return true;
}

const FileOps kFaulty = {
    [](const char* p, int f, mode_t m) { return should_fail(kOpen, EACCES) ? -1 : real_file_ops().open(p, f, m); },
    [](int fd, void* b, size_t n) -> ssize_t { return should_fail(kRead, EIO) ? -1 : real_file_ops().read(fd, b, n); },
    [](int fd, const void* b, size_t n) -> ssize_t {
      return should_fail(kWrite, ENOSPC) ? -1 : real_file_ops().write(fd, b, n);
    },
    [](int fd) { return should_fail(kFsync, EIO) ? -1 : real_file_ops().fsync(fd); },
    [](int fd) {
      if (should_fail(kClose, EIO)) {
        real_file_ops().close(fd);  // the descriptor is gone either way, as on Linux
        return -1;
      }
      return real_file_ops().close(fd);
    },
    [](const char* a, const char* b) { return should_fail(kRename, EXDEV) ? -1 : real_file_ops().rename(a, b); },
    [](const char* a, const char* b) { return should_fail(kLink, EIO) ? -1 : real_file_ops().link(a, b); },
    [](const char* p) { return should_fail(kUnlink, EIO) ? -1 : real_file_ops().unlink(p); },
};

struct FaultyOps {
  FaultyOps(int op, long at) {
    g_fail_op = op, g_fail_at = at, g_calls = 0, g_injected = false;
    file_ops() = kFaulty;
  }
  ~FaultyOps() {
    file_ops() = real_file_ops();
    g_fail_op = -1;
  }
};

std::string json_of(const std::string& path) { return session_to_json(load_session(path)).dump(); }

// What a run with one injected failure did: "error", "saved" or "crash"-like surprises
// fail the test inside.
struct Outcome {
  bool injected = false;
  bool error = false;
  std::string message;
};

template <typename F>
Outcome attempt(F f) {
  Outcome o;
  try {
    f();
  } catch (const Error& e) {
    o.error = true;
    o.message = e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a latent::Error: " << e.what();
    o.error = true;
  }
  return o;
}

}  // namespace

TEST(SessionFaults, EverySystemCallOnTheSavePathFailsInTurn) {
  test_util::TempDir tmp;
  const std::string path = tmp / "s.json";
  const Session old_s = session_states::state(0), new_s = session_states::state(1);
  long injected = 0, errors = 0, survived = 0;
  for (int op = 0; op < kOps; ++op) {
    for (long at = 1;; ++at) {
      // A fresh start each time: PATH holds the old state, with a version before it.
      std::filesystem::remove_all(tmp.path);
      std::filesystem::create_directories(tmp.path);
      save_session(new_s, path);
      save_session(old_s, path);
      const std::string before = json_of(path);
      Outcome o;
      {
        FaultyOps faults(op, at);
        o = attempt([&] { save_session(new_s, path); });
        o.injected = g_injected;
      }
      if (!o.injected) {
        EXPECT_FALSE(o.error) << o.message;
        break;  // every use of this call has failed once
      }
      ++injected;
      if (o.error) {
        ++errors;
        EXPECT_NE(o.message.find(path), std::string::npos) << o.message;
        EXPECT_EQ(json_of(path), before) << kOpNames[op] << " #" << at << ": the previous file changed";
        if (op != kUnlink) {
          EXPECT_FALSE(std::filesystem::exists(path + ".saving")) << kOpNames[op] << " #" << at;
        }
      } else {
        // Only a best-effort step may fail quietly (the folder's fsync, a cleanup).
        ++survived;
        EXPECT_EQ(json_of(path), session_to_json(new_s).dump()) << kOpNames[op] << " #" << at;
      }
    }
  }
  std::printf("[ faults ] save: %ld injected failures, %ld reported as errors with the previous file intact, "
              "%ld in best-effort steps that still saved\n", injected, errors, survived);
  EXPECT_GT(injected, 10);
}

TEST(SessionFaults, EverySystemCallOnTheLoadPathFailsInTurn) {
  test_util::TempDir tmp;
  const std::string path = tmp / "s.json";
  save_session(session_states::state(1), path);
  const std::string expected = json_of(path);
  long injected = 0;
  for (int op = 0; op < kOps; ++op) {
    for (long at = 1;; ++at) {
      Outcome o;
      std::string got;
      {
        FaultyOps faults(op, at);
        o = attempt([&] { got = session_to_json(load_session(path)).dump(); });
        o.injected = g_injected;
      }
      if (!o.injected) break;
      ++injected;
      if (o.error) EXPECT_NE(o.message.find(path), std::string::npos) << o.message;
      else EXPECT_EQ(got, expected);
    }
  }
  EXPECT_EQ(json_of(path), expected);
  std::printf("[ faults ] load: %ld injected failures\n", injected);
  EXPECT_GE(injected, 2);  // at least the open and the read
}

// Each allocation fails in turn, in a child process, because nlohmann::json's destructor
// (json_value::destroy, noexcept) allocates a work stack for nested values: a failure
// there ends the process in std::terminate whatever the caller does. The child says
// how its save ended; the parent checks the file after every one, aborts included.
namespace {
enum AllocOutcome { kDone = 0, kReported = 1, kNotInjected = 2, kWrongType = 3 };

// Runs `f` in a child with its Nth allocation failing; the child's exit code is an
// AllocOutcome, or it dies by a signal (std::terminate: SIGABRT).
template <typename F>
int in_child_with_failing_allocation(long n, F f, const std::string& must_name, bool with_reserve = false) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(::open("/dev/null", O_WRONLY), 2);  // std::terminate's note would flood the log
    if (with_reserve && !install_memory_reserve(size_t{1} << 20)) ::_exit(kWrongType);
    g_alloc_countdown = n;
    try {
      f();
    } catch (const Error& e) {
      const bool named = std::string(e.what()).find(must_name) != std::string::npos;
      ::_exit(named ? kReported : kWrongType);
    } catch (...) {
      ::_exit(kWrongType);
    }
    ::_exit(g_alloc_countdown > 0 ? kNotInjected : kDone);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}
}  // namespace

namespace {

// Every allocation of a save (phase 0) and of a load (phase 1) made to fail in turn,
// each in a child (every Nth with LATENT_TEST_STRIDE=N, the sanitizer run), with the
// outcomes counted. After every case the session file must hold the old state, or the
// new one after a save that completed. Stops at the first case that ends otherwise than
// done, reported or std::terminate (`unexpected`) or that changes the file (`damaged`).
struct AllocationFaults {
  long tried[2] = {0, 0}, reported[2] = {0, 0}, completed[2] = {0, 0}, aborted[2] = {0, 0};
  std::string unexpected, damaged, first_abort;  // "" when none
};

AllocationFaults fail_each_allocation(const std::string& path, bool with_reserve) {
  AllocationFaults f;
  const Session old_s = session_states::state(0), new_s = session_states::state(1);
  save_session(old_s, path);
  const std::string before = json_of(path), after = session_to_json(new_s).dump();
  for (int phase = 0; phase < 2; ++phase) {  // 0: saving, 1: loading
    save_session(old_s, path);
    for (long at = 1;; at += test_util::test_stride()) {
      const int r =
          phase == 0 ? in_child_with_failing_allocation(at, [&] { save_session(new_s, path); }, path, with_reserve)
                     : in_child_with_failing_allocation(at, [&] { load_session(path); }, path, with_reserve);
      if (r == kNotInjected) break;
      ++f.tried[phase];
      const std::string where = "allocation #" + std::to_string(at) + " (phase " + std::to_string(phase) + ")";
      if (r == kReported) {
        ++f.reported[phase];
      } else if (r == kDone) {
        ++f.completed[phase];
      } else if (r == -SIGABRT) {
        ++f.aborted[phase];
        if (f.first_abort.empty()) f.first_abort = where + ": std::terminate";
      } else {
        f.unexpected = where + (r == kWrongType ? ": a failure that is not a latent::Error naming the file"
                                                : ": the child ended with " + std::to_string(r));
        return f;
      }
      // Whatever happened, the file holds the old state, or the new one after a save that completed.
      const std::string now = json_of(path);
      if (!(now == before || (phase == 0 && now == after))) {
        f.damaged = where + ": the session file changed";
        return f;
      }
      if (now != before) save_session(old_s, path);
    }
  }
  return f;
}

}  // namespace

TEST(SessionFaults, EveryAllocationFailsInTurn) {
  test_util::TempDir tmp;
  const AllocationFaults f = fail_each_allocation(tmp / "s.json", false);
  ASSERT_EQ(f.unexpected, "");
  ASSERT_EQ(f.damaged, "");
  std::printf("[ faults ] allocations: saving %ld failed in turn (%ld reported as Errors, %ld still completed, %ld "
              "ended in std::terminate: a bad_alloc inside a noexcept function, nlohmann::json's destructor where examined); loading %ld (%ld, %ld, %ld); "
              "the session file was intact after every one\n",
              f.tried[0], f.reported[0], f.completed[0], f.aborted[0], f.tried[1], f.reported[1], f.completed[1],
              f.aborted[1]);
  EXPECT_GT(f.tried[0], 100 / test_util::test_stride());
  EXPECT_GT(f.tried[1], 20 / test_util::test_stride());
  EXPECT_GT(f.reported[0], f.tried[0] / 2);  // most failures are reported, not fatal
}

// The studio and the CLI set 16 MB aside at start (install_memory_reserve) and hand it
// back when an allocation fails: then no failure ends in std::terminate, not even one
// inside nlohmann::json's destructor, and the file is never damaged.
TEST(SessionFaults, WithTheMemoryReserveNoAllocationFailureEndsTheProcess) {
  test_util::TempDir tmp;
  const AllocationFaults f = fail_each_allocation(tmp / "s.json", true);
  ASSERT_EQ(f.unexpected, "");
  ASSERT_EQ(f.damaged, "");
  EXPECT_EQ(f.first_abort, "");
  EXPECT_EQ(f.aborted[0] + f.aborted[1], 0);
  std::printf("[ faults ] with the reserve: saving %ld allocations failed in turn (%ld completed, %ld reported), loading "
              "%ld (%ld, %ld); none ended the process\n",
              f.tried[0], f.completed[0], f.reported[0], f.tried[1], f.completed[1], f.reported[1]);
  EXPECT_GT(f.tried[0], 100 / test_util::test_stride());
}

TEST(MemoryReserve, IsGivenOnceThenAllocationsFailAgainUntilRearmed) {
  ASSERT_TRUE(install_memory_reserve(size_t{1} << 20));
  std::new_handler h = std::get_new_handler();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(memory_reserve_uses(), 0);
  h();  // what operator new does when malloc fails: the reserve is freed, new retries
  EXPECT_EQ(memory_reserve_uses(), 1);
  EXPECT_THROW(h(), std::bad_alloc) << "nothing left: fail as usual";
  EXPECT_TRUE(rearm_memory_reserve());
  EXPECT_TRUE(rearm_memory_reserve()) << "already in place";
  h();
  EXPECT_EQ(memory_reserve_uses(), 2);
  std::set_new_handler(nullptr);
}
