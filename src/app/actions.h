#pragma once
// What a person asks the studio to do, as typed values. Panels, keys, MIDI/OSC and the
// start-up options push actions; the Studio takes them once per frame and hands each to
// the controller of its concern (src/app/controller/). Nothing waits in a flag to be
// polled. (Concerns not yet moved here still use AppState's request fields; see
// docs/ARCHITECTURE.md, "The studio".)
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace studio {

namespace act {
// Bookmarks and expressions (controller/points.h).
struct AddBookmark {
  std::string name;  // "" = "point N"
};
struct GoToBookmark {
  int index = -1;
};
struct DeleteBookmark {
  int index = -1;
};
struct EvaluateExpression {
  std::string text;  // "@smile - @frown + item(3)"
};
// Sessions (the Studio, which owns what a session holds).
struct SaveSession {
  std::string path;
};
struct OpenSession {
  std::string path;
};
}  // namespace act

using Action = std::variant<act::AddBookmark, act::GoToBookmark, act::DeleteBookmark, act::EvaluateExpression,
                            act::SaveSession, act::OpenSession>;

// The frame's queue: pushed to from anywhere on the UI thread, taken whole by the Studio.
class Actions {
 public:
  void push(Action a) { pending_.push_back(std::move(a)); }
  std::vector<Action> take() { return std::exchange(pending_, {}); }
  bool empty() const { return pending_.empty(); }
  // Whether an action of type T waits (tests and the settle check).
  template <class T>
  bool waiting() const {
    for (const Action& a : pending_)
      if (std::holds_alternative<T>(a)) return true;
    return false;
  }

 private:
  std::vector<Action> pending_;
};

}  // namespace studio
