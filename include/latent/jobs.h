#pragma once
// Worker threads for the studio and tools:
//  - LatestWorker: a latest-request-wins queue. Submitting replaces any request that has
//    not started; results carry the generation of their request, so stale results can
//    be told apart and dropped.
//  - Task: one long job on its own thread with progress, cancel and a captured error.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace latent {

template <typename Result>
struct Stamped {
  uint64_t generation = 0;
  std::optional<Result> value;  // empty when the job failed
  std::string error;            // the failure, in words
  double seconds = 0;           // how long the job ran
};

template <typename Request, typename Result>
class LatestWorker {
 public:
  using Fn = std::function<Result(const Request&)>;

  explicit LatestWorker(Fn fn) : fn_(std::move(fn)), thread_([this] { loop(); }) {}
  ~LatestWorker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  LatestWorker(const LatestWorker&) = delete;
  LatestWorker& operator=(const LatestWorker&) = delete;

  // Queues `request`, replacing one that has not started. Returns its generation.
  uint64_t submit(Request request) {
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pending_) ++skipped_;
      gen = ++submitted_;
      pending_.emplace(std::move(request));
      pending_generation_ = gen;
    }
    cv_.notify_one();
    return gen;
  }

  // The newest finished result with a generation above `after`, if there is one.
  std::optional<Stamped<Result>> poll(uint64_t after) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!latest_ || latest_->generation <= after) return std::nullopt;
    return latest_;
  }

  // True while a request is queued or running.
  bool busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_.has_value() || running_;
  }
  uint64_t submitted() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return submitted_;
  }
  // Requests replaced before they started (the UI moved on).
  uint64_t skipped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return skipped_;
  }

 private:
  void loop() {
    for (;;) {
      Request request;
      uint64_t gen;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || pending_.has_value(); });
        if (stop_) return;
        request = std::move(*pending_);
        pending_.reset();
        gen = pending_generation_;
        running_ = true;
      }
      Stamped<Result> out;
      out.generation = gen;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        out.value.emplace(fn_(request));
      } catch (const std::exception& e) {
        out.error = e.what();
      } catch (...) {
        out.error = "unknown error";
      }
      out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        running_ = false;
        if (!latest_ || latest_->generation < gen) latest_ = std::move(out);
      }
    }
  }

  Fn fn_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Request> pending_;
  uint64_t pending_generation_ = 0;
  std::optional<Stamped<Result>> latest_;
  uint64_t submitted_ = 0;
  uint64_t skipped_ = 0;
  bool running_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

// Passed to a task's function: report progress, and learn whether to stop.
class TaskContext {
 public:
  // Returns false once cancel() was called: the job should throw Cancelled or return.
  bool progress(float fraction, const std::string& stage) {
    fraction_.store(fraction);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stage_ = stage;
    }
    return !cancelled_.load();
  }
  bool cancelled() const { return cancelled_.load(); }

 private:
  template <typename T>
  friend class Task;
  std::atomic<float> fraction_{0.f};
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  std::string stage_;
};

template <typename T>
class Task {
 public:
  explicit Task(std::function<T(TaskContext&)> fn)
      : thread_([this, fn = std::move(fn)] {
          try {
            result_.emplace(fn(context_));
          } catch (...) {
            error_ = std::current_exception();
          }
          done_.store(true);
        }) {}
  ~Task() {
    cancel();
    thread_.join();
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  bool done() const { return done_.load(); }
  void cancel() { context_.cancelled_.store(true); }
  float progress() const { return context_.fraction_.load(); }
  std::string stage() const {
    std::lock_guard<std::mutex> lock(context_.mutex_);
    return context_.stage_;
  }
  // After done(): the result, or the job's exception rethrown.
  T take() {
    if (error_) std::rethrow_exception(error_);
    return std::move(*result_);
  }

 private:
  TaskContext context_;
  std::optional<T> result_;
  std::exception_ptr error_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace latent
