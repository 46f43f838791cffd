#pragma once
// What a person asks the studio to do, as typed values. Panels, keys, MIDI/OSC and the
// start-up options push actions; once per frame each concern takes its own
// (Actions::take_only) and applies them, in controllers without GL where it can
// (src/app/controller/). Nothing waits in a flag to be polled. (Requests not yet moved
// here, such as opening a model or a dataset, the map's and the story's, still use
// AppState's request fields; see docs/ARCHITECTURE.md, "latent-studio".)
#include <cstdint>
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
// The current point (controller/points.h).
struct Randomize {
  uint64_t seed = 1;  // a draw from the prior with this seed, scaled by the truncation
};
struct Shrink {};     // the point times the truncation
// The model's work (studio_model.cpp).
struct RankInfluence {};  // rank the dimensions at the current point
struct SetDevice {
  std::string device;     // cpu, cuda or auto; a neural model open now is reopened there
};
struct PlaceImage {
  std::string path;       // put this image into the space (encoder and/or gradient search)
};
// Sessions (the Studio, which owns what a session holds).
struct SaveSession {
  std::string path;
};
struct OpenSession {
  std::string path;
};
// Walks and exports (studio_walk.cpp).
struct ToggleWalk {};     // play or pause
struct ExportWalk {};     // to the Walk panel's path, size and fps
struct ExportGrid {};     // the keyframes' in-betweens as a contact sheet beside that path
struct CancelExport {};
struct SaveImage {};      // the decoded image, at the export size
struct SaveWindow {};     // the window as it is drawn
// Groups and attribute vectors on the map (studio_map.cpp).
struct MakeGroup {};          // from the map panel's name and label query
struct GroupFromSelection {}; // the lasso's selection, under the map panel's name
struct AddAttribute {};       // a live slider along mean(group A) - mean(group B)
// The shell (studio.cpp).
struct TogglePresentation {};
struct ToggleOutputWindow {};
// Live control (studio_live.cpp).
struct ToggleOsc {};
struct ToggleMidi {};
struct RefreshMidiPorts {};
}  // namespace act

using Action = std::variant<act::AddBookmark, act::GoToBookmark, act::DeleteBookmark, act::EvaluateExpression,
                            act::Randomize, act::Shrink, act::RankInfluence, act::SetDevice, act::PlaceImage,
                            act::SaveSession, act::OpenSession, act::ToggleWalk, act::ExportWalk, act::ExportGrid,
                            act::CancelExport, act::SaveImage, act::SaveWindow, act::TogglePresentation,
                            act::ToggleOutputWindow, act::ToggleOsc, act::ToggleMidi, act::RefreshMidiPorts,
                            act::MakeGroup, act::GroupFromSelection, act::AddAttribute>;

// The frame's queue: pushed to from anywhere on the UI thread, taken whole by the Studio.
class Actions {
 public:
  // Built in place in the queue (no temporary variant to move).
  template <class T>
  void push(T a) {
    pending_.emplace_back(std::in_place_type<T>, std::move(a));
  }
  std::vector<Action> take() { return std::exchange(pending_, {}); }
  // Takes only the actions of the given types, in order; the others stay queued for the
  // concerns that take them later in the frame.
  template <class... Ts>
  std::vector<Action> take_only() {
    std::vector<Action> out, rest;
    for (Action& a : pending_) ((std::holds_alternative<Ts>(a) || ...) ? out : rest).push_back(std::move(a));
    pending_ = std::move(rest);
    return out;
  }
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
