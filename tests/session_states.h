#pragma once
// The two sessions the kill -9 test alternates between: different sizes, so a torn
// write could not pass for either.
#include "latent/session.h"

namespace session_states {

inline latent::Session state(int which) {
  latent::Session s;
  s.model = "models/olivetti-pca";
  if (which == 0) {
    s.z = {1.f, 2.f, 3.f};
    s.bookmarks = {{"a", {0.5f, 0.25f, 0.125f}}};
  } else {
    s.z = latent::Latent(123, -0.75f);
    for (int i = 0; i < 40; ++i) s.bookmarks.push_back({"mark " + std::to_string(i), latent::Latent(123, float(i))});
    s.groups = {{"g", "glasses=1", {1, 2, 3, 4, 5}}};
  }
  return s;
}

}  // namespace session_states
