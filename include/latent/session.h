#pragma once
// A studio session: the model, the dataset and labels, the current point, bookmarks,
// groups, walks, map settings and view. Saved as JSON, atomically: a crash or a full disk
// during a save never destroys the previous file.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/space.h"
#include "latent/walk.h"

namespace latent {

struct Bookmark {
  std::string name;
  Latent z;
};

struct SessionGroup {
  std::string name;
  std::string query;           // how it was made (label query), if it was
  std::vector<long> members;   // dataset items
  // A group written by hand (a Journey scene) may give only its query: the members are
  // then found from the labels once the dataset is open.
  bool members_given = true;
};

// A live slider kept in a session: a named direction of the model (in sigma) or the
// attribute "mean of group A - mean of group B" (by group names). `applied` is how much of
// it the saved point already holds; a scene written by hand leaves it 0, so opening the
// scene adds the whole strength to its point.
struct SessionSlider {
  std::string direction;       // a named direction, or "" for a group attribute
  std::string a, b;            // group names (group attributes)
  float strength = 0.f;
  float applied = 0.f;
};

struct Session {
  std::string model;           // model path, as opened
  std::string dataset;         // dataset path ("" = none)
  std::string labels;          // label CSV ("" = none)
  Latent z;                    // the current point
  std::vector<Bookmark> bookmarks;
  std::vector<SessionGroup> groups;
  std::vector<Walk> walks;     // sessions saved before walks existed load with none
  std::string map_method;      // "" (no map), "pca", "tsne", "umap"
  std::string color_by;        // label column colouring the map
  int attr_a = -1, attr_b = -1;
  float attr_strength = 1.f;
  std::string word_query;      // word models
  float ui_scale = 1.f;
  bool linear_filter = false;
  // Live control: MIDI bindings and OSC settings, as the studio's LiveControl writes them
  // (an object; empty when there are none).
  nlohmann::json controls = nlohmann::json::object();
  // Sentence models: captions, style and strength, kept passages, styles made from typed
  // text (an object, as the studio writes it; empty for other models).
  nlohmann::json story = nlohmann::json::object();
  std::vector<SessionSlider> sliders;
  bool walk_playing = false;   // the first walk plays once it is loaded (a projector loop)
  std::string caption;         // one line shown on screen (the Journey's scenes)
  // The studio's layout: a preset's name ("perform") or Dear ImGui's ini text of the
  // docked panels ("" = keep the studio's own).
  std::string layout;
};

nlohmann::json session_to_json(const Session& s);
// `file` names the source in errors.
Session session_from_json(const nlohmann::json& j, const std::string& file);

// Writes to a temporary file, flushes it to disk, reads it back and checks it parses to
// the same session, keeps the previous file as PATH.1 (and that one as PATH.2), then
// renames the new file into place. Every failure (disk full, a failed fsync or rename,
// out of memory) is an Error that names the file; the previous file is then untouched.
void save_session(const Session& s, const std::string& path);
// Relative paths in a session (model, dataset, labels, the story's image) are read
// against the session's own folder when the file is there, else against the working
// folder as before. A scene shipped in assets/scenes/ can so name ../../models/...
Session load_session(const std::string& path);

// Autosave: the same verified save, to PATH.autosave-PID (this process's id), never
// over the session itself and without keeping versions. A studio that exits normally
// removes its autosave; one left by a process that is no longer running is an orphan,
// offered for restore or discard at the next start.
std::string autosave_path(const std::string& session_path, long pid);
void autosave_session(const Session& s, const std::string& session_path);

struct Autosave {
  std::string path;          // the autosave file
  std::string session_path;  // the session it belongs to
  long pid = 0;              // the process that wrote it
};
// Autosaves in `dir` whose process is not running (a recycled process id hides one
// until that process ends), newest first.
std::vector<Autosave> find_orphan_autosaves(const std::string& dir);
bool process_running(long pid);
// Restore: saves the autosave over its session (the session's current file becomes
// PATH.1), removes the autosave and returns the session. Discard: removes it.
Session restore_autosave(const Autosave& a);
void discard_autosave(const Autosave& a);

}  // namespace latent
