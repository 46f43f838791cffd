#include "progress.h"

#include <algorithm>
#include <cstdio>
#include <memory>

namespace latent::cli {

ProgressFn stderr_progress(const std::string& task, int step_pct, std::function<bool()> keep_going) {
  auto last_stage = std::make_shared<std::string>();
  auto last_pct = std::make_shared<int>(-step_pct);
  return [=](float f, const std::string& stage) {
    const int pct = static_cast<int>(f * 100);
    const std::string name = stage.substr(0, std::min({stage.find(" ("), stage.find(", "), stage.find_first_of("0123456789")}));
    if (name != *last_stage || pct >= *last_pct + step_pct || (pct == 100 && *last_pct != 100)) {
      std::fprintf(stderr, "%s: %3d%% %s\n", task.c_str(), pct, stage.c_str());
      *last_stage = name;
      *last_pct = pct;
    }
    return keep_going ? keep_going() : true;
  };
}

}  // namespace latent::cli
