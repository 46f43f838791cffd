// kill -9 during saves: a child process saves two known sessions in turn; it is killed
// with SIGKILL at a random moment, 1,000 times. After every kill the session file (and
// the versions kept beside it) must parse and equal one of the two states.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "session_states.h"
#include "test_util.h"

using namespace latent;

namespace {

// Which known state the file at `path` holds: 0, 1, or -1 with `why` set.
int which_state(const std::string& path, std::string& why) {
  try {
    const auto j = session_to_json(load_session(path));
    for (int k = 0; k < 2; ++k)
      if (j == session_to_json(session_states::state(k))) return k;
    why = path + ": parses but is neither known state";
  } catch (const std::exception& e) {
    why = e.what();
  }
  return -1;
}

pid_t start_saver(const std::string& path, int& ready_read_fd) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const std::string fd = std::to_string(fds[1]);
    ::execl(LATENT_SESSION_SAVER, LATENT_SESSION_SAVER, path.c_str(), fd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  ready_read_fd = fds[0];
  return pid;
}

}  // namespace

TEST(SessionCrash, KillNineAThousandTimesNeverLosesTheSession) {
  test_util::TempDir tmp;
  const std::string path = tmp / "s.json";
  save_session(session_states::state(0), path);
  std::mt19937 rng(20261127);
  // A save here takes a few milliseconds (two fsyncs); kill anywhere in up to ~8 saves.
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int good = 0, changed = 0, killed_mid_save = 0, last = 0;
  // 1,000 kills; under the sanitizers (`make sanitize-test` sets LATENT_TEST_STRIDE=4)
  // every 4th round, since the normal suite runs all of them.
  const int rounds = 1000 / test_util::test_stride();
  for (int round = 0; round < rounds; ++round) {
    int ready = -1;
    const pid_t pid = start_saver(path, ready);
    ASSERT_GT(pid, 0);
    char byte = 0;
    ASSERT_EQ(::read(ready, &byte, 1), 1) << "the saver did not start (round " << round << ")";
    ::close(ready);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the saver ended on its own (round " << round << "): it must still be saving when killed";
    if (std::filesystem::exists(path + ".saving")) ++killed_mid_save;

    std::string why;
    const int now = which_state(path, why);
    EXPECT_GE(now, 0) << "round " << round << ": " << why;
    for (const char* v : {".1", ".2"})
      if (std::filesystem::exists(path + v)) {
        EXPECT_GE(which_state(path + v, why), 0) << "round " << round << ": " << why;
      }
    if (now >= 0) {
      ++good;
      if (now != last) ++changed;
      last = now;
    }
  }
  std::printf("[ kill -9 ] %d/%d kills left a session that parses and equals the old or new state; "
              "%d killed with a temporary file on disk (mid-save), the state changed %d times\n",
              good, rounds, killed_mid_save, changed);
  EXPECT_EQ(good, rounds);
  // The kills must have landed inside saves, not only between them.
  EXPECT_GT(killed_mid_save, rounds / 10);
}
