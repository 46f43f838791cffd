#include "progress.h"

#include <algorithm>
#include <cmath>
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

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

}  // namespace latent::cli
