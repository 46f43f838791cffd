#pragma once
// A background task the Workers run, as the rest of the studio sees it: whether it runs,
// its progress, and its result or error handed on once. Only the Workers start one (the
// Task itself stays private), so no caller can take a result twice or leave a finished
// task behind.
#include <exception>
#include <memory>
#include <utility>

#include "app_state.h"
#include "latent/errors.h"
#include "latent/jobs.h"

namespace studio {

class Workers;

template <typename T>
class TaskSlot {
 public:
  // Started and not yet handed on (finished tasks count until poll takes them).
  bool running() const { return task_ != nullptr; }
  explicit operator bool() const { return running(); }
  // Asks the task to stop; poll then ends it without a word.
  void cancel() {
    if (task_) task_->cancel();
  }
  // Cancels it and waits for its thread to stop (latent::Task's destructor).
  void drop() { task_.reset(); }
  // Mirrors the progress into `p`; once the task has finished, hands its result to `done`
  // (or its error, in words, to `failed`) and ends it. A cancelled task says nothing.
  template <typename Done, typename Failed>
  void poll(Progress& p, Done done, Failed failed) {
    if (!task_) return;
    p = {true, task_->progress(), task_->stage()};
    if (!task_->done()) return;
    p.running = false;
    std::unique_ptr<latent::Task<T>> finished = std::move(task_);
    try {
      done(finished->take());
    } catch (const latent::Cancelled&) {
    } catch (const std::exception& e) {
      failed(e.what());
    }
  }

 private:
  friend class Workers;
  // A task still running is cancelled and waited for (its destructor), then replaced.
  void start(std::unique_ptr<latent::Task<T>> task) { task_ = std::move(task); }
  std::unique_ptr<latent::Task<T>> task_;
};

}  // namespace studio
