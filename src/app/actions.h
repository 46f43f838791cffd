#pragma once
// What a person asks the studio to do, as typed values. Panels, keys, MIDI/OSC and the
// start-up options push actions; once per frame each concern takes its own
// (Actions::take_only) and applies them, in controllers without GL where it can
// (src/app/controller/). Nothing waits in a flag to be polled. An action whose work
// cannot start yet (a model opens while another loads, a map is asked for while one is
// computed) stays queued until its concern is ready (take_last under a condition, or
// put_back), so the request made last wins as it did when requests were fields.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace studio {

// What a path chosen in the desktop's file dialog is for (AppState::PathFor).
enum class PathFor { None, Model, Dataset, Labels, SessionOpen, SessionSave, Export, Selection };

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
// The model and the dataset (studio_model.cpp).
struct OpenModel {
  std::string path;       // waits while a model loads or the consent prompt is up
};
struct Reimport {};       // the import sheet's generator, encoder and shapes, again
enum class Consent { TrustFolder, OnceOnly, Cancel };
struct AnswerConsent {
  Consent answer = Consent::Cancel;  // to the prompt for the model that runs code
};
struct OpenDataset {
  std::string path;       // waits for a model and for the dataset loading now
};
struct PickItem {
  long index = -1;        // make this dataset item the current point
};
struct ContinueWords {
  std::string word;       // a word answer (or map point) clicked: query from it
};
struct RankInfluence {};  // rank the dimensions at the current point
struct SetDevice {
  std::string device;     // cpu, cuda or auto; a neural model open now is reopened there
};
struct PlaceImage {
  std::string path;       // put this image into the space (encoder and/or gradient search)
};
struct DescribeFace {
  std::string text;       // a description -> the point (through the face-text space; waits while it opens)
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
struct SetWalkLength {
  float seconds = 0;      // rescale the keyframes' segments so the walk lasts this long
};
struct SeekWalk {
  float time = 0;         // seconds into the walk: the point there becomes the current one
};
struct ExportWalk {};     // to the Walk panel's path, size and fps
struct ExportGrid {};     // the keyframes' in-betweens as a contact sheet beside that path
struct CancelExport {};
struct SaveImage {};      // the decoded image, at the export size
struct SaveWindow {};     // the window as it is drawn
// Walk keyframes (studio_walk.cpp).
struct AddKeyCurrent {};
struct AddKeyBookmarks {};
struct ClearKeys {};
struct RemoveKey {
  int index = -1;
};
// The map, its groups and attribute vectors (studio_map.cpp).
struct ComputeMap {};         // with the map panel's method; waits for a map being computed
struct CancelMap {};
struct SaveSelection {
  bool pictures = false;      // the lasso's items as a CSV list, or their pictures in a folder
};
struct MakeGroup {};          // from the map panel's name and label query
struct GroupFromSelection {}; // the lasso's selection, under the map panel's name
struct AddAttribute {};       // a live slider along mean(group A) - mean(group B)
struct ApplyAttribute {};     // add the attribute vector A - B once, at the panel's strength
// The story (studio_story.cpp).
struct ShowStoryImage {
  int index = -1;             // into the story's images
};
struct KeepPassage {};
struct MakeStyle {};          // from the two groups of sentences; waits for a style being made
// The desktop's file dialog, shown between frames; the path chosen goes into the field
// and is acted on as the field's own button would (studio_files.cpp).
struct ChooseFile {
  PathFor what = PathFor::None;
};
// Layout and scenes (studio_layout.cpp, studio_journey.cpp).
struct ApplyLayout {
  int preset = 0;             // a LayoutPreset
};
struct SaveLayout {};
struct OpenScene {
  int index = -1;             // into the scenes found at start
};
// Autosaves offered at start (studio_session.cpp).
struct RestoreAutosave {
  int index = -1;             // into AppState::autosave_offers
};
struct DiscardAutosave {
  int index = -1;
};
// The shell (studio.cpp).
struct TogglePresentation {};
struct ToggleOutputWindow {};
// Live control (studio_live.cpp).
struct ToggleOsc {};
struct ToggleMidi {};
struct RefreshMidiPorts {};
struct ArmLearn {
  int kind = 0;               // a ControlEvent::Kind: the next MIDI control moved binds to it
  int index = -1;             // the dimension or attribute slider, where the kind has one
};
struct RemoveBinding {
  int index = -1;             // into the bindings as the Live panel lists them
};
}  // namespace act

using Action =
    std::variant<act::AddBookmark, act::GoToBookmark, act::DeleteBookmark, act::EvaluateExpression, act::Randomize,
                 act::Shrink, act::OpenModel, act::Reimport, act::AnswerConsent, act::OpenDataset, act::PickItem,
                 act::ContinueWords, act::RankInfluence, act::SetDevice, act::PlaceImage, act::DescribeFace, act::SaveSession,
                 act::OpenSession, act::RestoreAutosave, act::DiscardAutosave, act::ToggleWalk, act::SeekWalk,
                 act::SetWalkLength, act::ExportWalk, act::ExportGrid, act::CancelExport, act::SaveImage,
                 act::SaveWindow, act::AddKeyCurrent, act::AddKeyBookmarks, act::ClearKeys, act::RemoveKey,
                 act::ComputeMap, act::CancelMap, act::SaveSelection, act::MakeGroup, act::GroupFromSelection,
                 act::AddAttribute, act::ApplyAttribute, act::ShowStoryImage, act::KeepPassage, act::MakeStyle,
                 act::ApplyLayout, act::SaveLayout, act::OpenScene, act::ChooseFile, act::TogglePresentation,
                 act::ToggleOutputWindow, act::ToggleOsc, act::ToggleMidi, act::RefreshMidiPorts, act::ArmLearn,
                 act::RemoveBinding>;

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
  // Takes every action of type T and returns the one pushed last (a newer request
  // replaces an older one of the same kind), or nothing.
  template <class T>
  std::optional<T> take_last() {
    std::optional<T> last;
    for (Action& a : take_only<T>()) last = std::move(std::get<T>(a));
    return last;
  }
  // Queues an action again ahead of the others, for work that could not start this
  // frame: an action of the same kind pushed later still wins.
  template <class T>
  void put_back(T a) {
    pending_.emplace(pending_.begin(), std::in_place_type<T>, std::move(a));
  }
  // Drops the queued actions of type T that `pred` holds for.
  template <class T, class Pred>
  void drop_if(Pred pred) {
    const auto match = [&](const Action& a) { return std::holds_alternative<T>(a) && pred(std::get<T>(a)); };
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(), match), pending_.end());
  }
  // Whether every queued action is of one of the given types (none queued: true).
  template <class... Ts>
  bool only() const {
    for (const Action& a : pending_)
      if (!(std::holds_alternative<Ts>(a) || ...)) return false;
    return true;
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
