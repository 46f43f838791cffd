#pragma once
// The one way the Studio follows a background Task: progress mirrored into the state,
// the result or the error handed on once, the task dropped.
#include <exception>
#include <memory>

#include "app_state.h"
#include "latent/errors.h"
#include "latent/jobs.h"

namespace studio {

// Mirrors a task's progress into `p`; once it has finished, hands its result to `done`
// (or its error, in words, to `failed`) and drops it. A cancelled task says nothing.
template <typename T, typename Done, typename Failed>
void poll_task(std::unique_ptr<latent::Task<T>>& task, Progress& p, Done done, Failed failed) {
  if (!task) return;
  p = {true, task->progress(), task->stage()};
  if (!task->done()) return;
  p.running = false;
  try {
    done(task->take());
  } catch (const latent::Cancelled&) {
  } catch (const std::exception& e) {
    failed(e.what());
  }
  task.reset();
}

}  // namespace studio
