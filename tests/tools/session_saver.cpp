// For the kill -9 test: saves the two known sessions in turn, forever, to PATH; writes
// one byte to READY_FD once the first save is done, so the test's random kill lands in
// the save loop rather than in process start-up.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "../session_states.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: latent_session_saver PATH READY_FD\n");
    return 2;
  }
  const int ready_fd = std::atoi(argv[2]);
  try {
    for (long i = 0;; ++i) {
      latent::save_session(session_states::state(static_cast<int>(i % 2)), argv[1]);
      if (i == 0) {
        const char one = 1;
        if (::write(ready_fd, &one, 1) != 1) return 3;
        ::close(ready_fd);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent_session_saver: %s\n", e.what());
    return 1;
  }
}
