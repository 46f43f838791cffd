#pragma once
// Progress of the CLI's long commands, as lines on stderr.
#include <functional>
#include <string>

#include "latent/types.h"

namespace latent::cli {

// Prints "TASK:  40% STAGE" when the stage's name changes and every `step_pct` percent.
// A stage's name is its text before any number, " (" or ", ": counters and rates after
// it ("step 10/300, best mse 0.01", "training, 700k words/s") do not make a new stage.
// The returned callback cancels the work once `keep_going` (if given) returns false.
ProgressFn stderr_progress(const std::string& task, int step_pct = 10, std::function<bool()> keep_going = {});

// "42s", "3m05s", "1h12m"; "?" for a negative or unknown time (ETAs).
std::string duration_text(double seconds);

}  // namespace latent::cli
