#pragma once
// Sessions are written off the UI thread. A save verifies what it wrote and syncs it to
// the disk (session.h), which on a slow disk or with large groups takes a visible part of
// a second: one thread writes them, in the order asked, and a newer autosave replaces
// one that has not started. The studio takes what finished once a frame; closing writes
// what is queued first. No GL or ImGui: tested without a window (tests/test_controllers.cpp).
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latent/session.h"

namespace studio::controller {

class SessionSaver {
 public:
  struct Done {
    bool autosave = false;
    std::string path;        // the session's path, as asked
    std::string error;       // empty: written (or, for an autosave, nothing new to write)
    bool unchanged = false;  // an autosave equal to the last one written: nothing was written
  };

  SessionSaver();
  ~SessionSaver();  // writes what is queued, then stops
  SessionSaver(const SessionSaver&) = delete;
  SessionSaver& operator=(const SessionSaver&) = delete;

  // A save to `path` (latent::save_session), after every save asked before it.
  void save(latent::Session session, std::string path);
  // An autosave beside `session_path` (latent::autosave_session), skipped when it would
  // write what the last one wrote; it replaces an autosave still waiting in the queue. A
  // new session path moves the autosave: the previous file is removed once the new is in.
  void autosave(latent::Session session, std::string session_path);

  std::vector<Done> take_done();  // finished since the last call, in order
  bool busy() const;              // something is queued, being written, or done but not taken
  void wait();                    // until nothing is queued or being written
  // This process's current autosave file ("" when none). remove_autosave() waits for the
  // queue and removes it: a studio that closes normally leaves none to offer.
  std::string autosave_file() const;
  void remove_autosave();

 private:
  struct Job {
    bool autosave = false;
    latent::Session session;
    std::string path;
  };
  void loop();
  Done run(const Job& job);

  mutable std::mutex mutex_;
  std::condition_variable cv_, idle_;
  std::deque<Job> queue_;
  std::vector<Done> done_;
  bool running_ = false, stop_ = false;
  std::string last_autosave_text_, last_autosave_path_, autosave_file_;  // the writer's (under mutex_ when read)
  std::thread thread_;
};

}  // namespace studio::controller
