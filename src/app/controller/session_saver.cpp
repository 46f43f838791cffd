#include "controller/session_saver.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

namespace studio::controller {

SessionSaver::SessionSaver() : thread_([this] { loop(); }) {}

SessionSaver::~SessionSaver() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();  // the loop empties the queue before it stops
}

void SessionSaver::save(latent::Session session, std::string path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({false, std::move(session), std::move(path)});
  }
  cv_.notify_one();
}

void SessionSaver::autosave(latent::Session session, std::string session_path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Job& j : queue_) {
      if (j.autosave) {  // not started yet: the newer state replaces it
        j = {true, std::move(session), std::move(session_path)};
        return;
      }
    }
    queue_.push_back({true, std::move(session), std::move(session_path)});
  }
  cv_.notify_one();
}

std::vector<SessionSaver::Done> SessionSaver::take_done() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(done_, {});
}

bool SessionSaver::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_ || !queue_.empty() || !done_.empty();
}

void SessionSaver::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return !running_ && queue_.empty(); });
}

std::string SessionSaver::autosave_file() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return autosave_file_;
}

void SessionSaver::remove_autosave() {
  wait();
  std::lock_guard<std::mutex> lock(mutex_);
  if (autosave_file_.empty()) return;
  std::error_code ec;
  std::filesystem::remove(autosave_file_, ec);
  autosave_file_.clear();
}

void SessionSaver::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_, and nothing left to write
    Job job = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    lock.unlock();
    Done done = run(job);
    lock.lock();
    running_ = false;
    done_.push_back(std::move(done));
    if (queue_.empty()) idle_.notify_all();
  }
}

SessionSaver::Done SessionSaver::run(const Job& job) {
  Done done{job.autosave, job.path, {}, false};
  try {
    if (!job.autosave) {
      latent::save_session(job.session, job.path);
      return done;
    }
    // Only this thread writes these three; the UI thread reads autosave_file_ under the lock.
    std::string text = latent::session_to_json(job.session).dump();
    if (text == last_autosave_text_ && job.path == last_autosave_path_) {
      done.unchanged = true;
      return done;
    }
    latent::autosave_session(job.session, job.path);
    const std::string file = latent::autosave_path(job.path, static_cast<long>(::getpid()));
    std::string previous;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      previous = std::exchange(autosave_file_, file);
    }
    if (!previous.empty() && previous != file) {
      std::error_code ec;
      std::filesystem::remove(previous, ec);
    }
    last_autosave_text_ = std::move(text);
    last_autosave_path_ = job.path;
  } catch (const std::exception& e) {
    done.error = e.what();
  }
  return done;
}

}  // namespace studio::controller
