#pragma once
#include <chrono>
#include <array>
#include <map>
#include <set>
// The studio shell: window, frame loop, layout, and the glue between the panels'
// AppState and the Workers's worker threads. GL uploads happen here, on the main thread.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app_state.h"
#include "controller/drops.h"
#include "controller/map.h"
#include "controller/session_saver.h"
#include "controller/story.h"
#include "latent/caption_model.h"
#include "latent/labels.h"
#include "latent/model_sandbox.h"
#include "latent/session.h"
#include "gl/map_layer.h"
#include "live_control.h"
#include "workers.h"

struct GLFWwindow;

namespace studio {

struct StudioOptions {
  std::string model;                 // model to open at start ("" = none)
  std::string dataset;               // dataset to open ("" = the model's training data, if found)
  std::string z_file;                // latent to start from (JSON array)
  std::string word_query;            // word models: the first query ("" = king - man + woman)
  std::string then_open;             // a second model to open once the first is up ("" = none)
  long pick = -1;                    // dataset item to pick at start
  int highlight = -1;                // component to highlight at start (0-based)
  std::string screenshot;            // write a PNG of the window after `frames` frames and exit
  int frames = 3;
  double screenshot_after = 0;       // > 0: take the screenshot this many seconds after start instead
  long approx_min_words = 100000;
  std::string map;                   // compute this map once the dataset is in: pca, tsne, umap ("" = none)
  std::string labels;                // label CSV for the dataset ("" = labels.csv beside it, if any)
  std::string color_by;              // colour the map by this label column
  std::vector<std::string> groups;   // NAME=QUERY groups to make once labels are in
  std::string attribute;             // A,B,STRENGTH: add strength x (mean A - mean B) at start
  std::vector<std::string> live_attributes;  // A,B,STRENGTH: live attribute sliders made at start
  std::vector<std::string> directions;       // NAME=SIGMA: a named direction's slider set at start
  std::string expression;            // evaluate this expression once loading has settled (result: the point)
  std::string filter;                // map filter at start (label query or regular expression)
  bool isolate = false;              // hide what the filter leaves out
  std::string session;               // open this session at start
  std::string save_session;          // save the session here on exit (after the screenshot, if any)
  std::string bookmark;              // bookmark the point under this name once loading has settled
  std::vector<std::string> drop;     // handle these paths as if dropped on the window, once the model is up
  std::string device = "auto";       // neural models: cpu, cuda or auto
  std::string slider_filter;         // show only these sliders ("1-10, 42")
  int slider_top = 0;                // show only the N most influential sliders (0: all)
  bool present = false;              // start in presentation mode (the output alone, full screen)
  int monitor = 0;                   // presentation / output window monitor (index, 0: primary)
  bool output_window = false;        // open the second output window at start
  int osc_port = -1;                 // >= 0: listen for OSC on this port at start (0: any free one)
  bool osc_all_interfaces = false;   // listen on every interface, not only loopback
  std::string osc_allow;             // with osc_all_interfaces: senders let in ("" = any)
  std::string midi;                  // open this MIDI input at start ("virtual" for our own port)
  bool play_walk = false;            // start playing the session's walk
  double walk_time = -1;             // >= 0: stop the walk at this time (seconds) at start
  std::string export_walk;           // export the walk here at start (.mp4, .gif or a folder)
  int export_size = 512, export_fps = 30;
  // Sentence models (storyteller)
  std::string story_images;          // a folder of images with captions (default: the shared COCO CC BY ones)
  std::string story_image;           // show this image (and take its captions) at start
  std::string vse;                   // face models: the face-text space ("" = faces-vse beside the model, if any)
  std::string describe;              // face models: start from this description (through the face-text space)
  std::string caption_model;         // images without captions: retrieve them with this caption model
  std::string story_captions;        // start with these captions (one per line)
  std::string story_style;           // start with this style ("none": no style)
  float story_strength = -1;         // >= 0: start at this strength (else the style's calibrated one)
  std::string style_a, style_b, style_name;  // make a style from these two files at start, as if typed
  // Models that run code: checked in a separate process with these limits first; and the
  // folders trusted without asking (the shipped models'), and where the person's list is.
  latent::ModelCheckOptions check;   // timeout and memory cap of that process
  std::string builtin_models;        // trusted from the start ("" = none)
  std::string layout;                // start in this layout preset ("" = the one saved for the model's kind)
  std::string layout_file;           // where layouts are kept ("" = $XDG_CONFIG_HOME/latent-studio/layout.json)
  std::string scenes_dir;            // the Journey menu's scenes ("" = none)
  std::string trusted_places_file;   // "" = $XDG_CONFIG_HOME/latent-studio/trusted-places.json
  double autosave_seconds = 60;      // autosave (to SESSION.autosave-PID) this often when something changed
  int width = 1600, height = 1000;   // window size
  float ui_scale = 1.0f;
  bool linear_filter = false;
};

class Studio {
 public:
  explicit Studio(StudioOptions options);
  ~Studio();
  // Runs until the window closes (or the screenshot is written). Returns the exit code.
  int run();

  void on_drop(const std::vector<std::string>& paths);

 private:
  void frame();
  void layout_and_draw();
  // Runs f, keeping the slowest time of the frame's part `name` (PerfPart::section_max_ms).
  template <class F>
  void timed(const char* name, F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    double& slowest = state_.perf.section_max_ms[name];
    slowest = std::max(slowest, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  // Presentation and the output window.
  void handle_keys();
  void apply_key(int glfw_key);
  void set_presentation(bool on);
  void set_output_window(bool on);
  void draw_output_window(bool swap = true);
  void refresh_monitors();
  // Live control: MIDI and OSC events applied to the state once a frame.
  void handle_live();
  // Walks: keyframe edits, playback, exports.
  void handle_walk();
  latent::Walk make_walk() const;
  void poll_workers();
  void handle_requests();
  void open_model_requested();  // the last act::OpenModel, unless it waits for consent
  void take_model_actions();    // place image, rank, device, pick
  void install_model(LoadedModel loaded);
  // Faces and words (studio_faces_text.cpp).
  void open_face_text_for_model();
  void take_face_text_actions();
  void poll_face_text();
  void describe_photo_if_ready();
  void install_dataset(LoadedDataset loaded);
  void upload_thumbnails();
  // Nothing loading, decoding or waiting to run (a start-up expression counts unless told not to).
  bool settled(bool waiting_expression_counts = true) const;
  bool write_screenshot();
  bool save_on_exit();
  void clear_dataset();
  void handle_map_requests();
  bool make_group(const std::string& name, const std::string& query);
  // The model's directions.json as live attribute sliders in sigma (replacing the last
  // model's); --direction NAME=SIGMA applied for the first model.
  void load_directions();
  nlohmann::json import_probe_;  // the probe of the bare generator the open model was made from
  void handle_session_requests();
  latent::Session make_session() const;
  void open_session(const std::string& path, bool scene = false);
  void remember_recent(const std::string& path);
  // The Journey (studio_journey.cpp): scenes listed at start, opened from the menu; a
  // session's sliders restored once their directions and groups exist.
  void list_scenes();
  void handle_journey();
  void restore_direction_sliders();
  void make_pending_query_groups();
  // The map's pictures (studio_map.cpp): the atlas, the hovered point decoded, the
  // selection written out.
  void handle_map_pictures();
  void clear_map_pictures();
  // A path asked for with the desktop's file dialog (studio_files.cpp).
  void handle_file_dialog();
  // The dockable layout (studio_layout.cpp).
  void start_layout();
  void apply_start_options();   // startup.cpp: options that set the state, before the window
  void queue_start_actions();   // ... and those that become actions, once the window is up
  void start_when_ready();      // ... and the deferred ones whose time has come, each frame
  void layout_for_model(latent::Modality m);
  void before_new_frame_layout();
  void handle_layout_menu();
  bool save_layouts();
  // Errors: shown in their panel (slot) and kept, in order, in the Messages list.
  void show_error(std::string& slot, const std::string& text);
  // Dropped files, one at a time and in order: each waits until the work it needs (the
  // model, the dataset, the inversion) is free, so several dropped together all count.
  using DropKind = controller::DropKind;
  DropKind drop_kind(const std::string& path) const;
  bool busy_with_drop(DropKind kind) const;
  void route_dropped(const std::string& path);
  // Consent for models that run code: true when `path` may be opened now; otherwise
  // the prompt is put up (once) and the open waits for the answer.
  bool may_open(const std::string& path, bool runs_code);
  void handle_consent();
  // Sentence models (studio_story.cpp)
  const latent::StorytellerSpace* storyteller() const;
  // The open storyteller's own styles (not copied: asked for every frame).
  const std::vector<latent::StyleVector>& model_styles() const;
  void setup_story();
  void show_story_image(const std::string& path);
  void handle_story();
  void poll_story();
  nlohmann::json story_session() const;
  void apply_story_session(const nlohmann::json& j, const std::string& file);

  struct WordKey {
    std::string query;
    int k = 0;
    bool keep = false;
    int method = 0;
    const void* space = nullptr;
    const void* index = nullptr;
    bool operator==(const WordKey& o) const {
      return query == o.query && k == o.k && keep == o.keep && method == o.method && space == o.space &&
             index == o.index;
    }
  };

  // Work named on the command line or by an opened session that waits for something to
  // load first (the model, the dataset, the walk, the work to settle); each part is taken
  // once (startup.cpp). The options themselves stay as given.
  struct Deferred {
    std::string expression;        // evaluated once the work settles (and --group's attribute is in)
    std::vector<std::string> drop; // dropped once a model is up
    std::string bookmark;          // the settled point, bookmarked under this name
    bool play_walk = false;        // once the walk is in
    double walk_time = -1;         // seek there, once the walk is in
    std::string export_walk;       // export to this path, once the walk is in
    std::string labels, color_by;  // the dataset's labels and colouring, once it is in
    std::string map;               // the map's method, computed once the dataset is in
    std::string story_image, story_captions;  // once a storyteller is up
  };

  const StudioOptions opts_;
  Deferred later_;
  AppState state_;
  Workers workers_;
  GLFWwindow* window_ = nullptr;
  std::unique_ptr<LiveControl> live_;
  std::vector<float> sent_z_;           // the point last sent out over OSC
  double sent_at_ = 0;
  GLFWwindow* output_ = nullptr;        // the second (output-only) window, sharing textures
  unsigned output_fbo_ = 0;             // in the output window's context
  int windowed_[4] = {0, 0, 0, 0};      // x, y, w, h before presentation
 public:
  std::vector<int> output_keys_;        // keys pressed in the output window (its callback)
  std::vector<int> main_keys_;          // keys pressed in the main window, in order
  static void main_key_callback(GLFWwindow* w, int key, int scancode, int action, int mods);
 private:
  std::unique_ptr<MapLayer> map_layer_;  // GL: created with the context, destroyed before it

  std::shared_ptr<const latent::Space> space_;
  std::shared_ptr<const latent::FaceText> face_text_;  // for the open face model (faces_text part)
  std::string face_text_path_, last_photo_;
  std::shared_ptr<const latent::ApproxIndex> word_index_;
  std::optional<LoadedDataset> dataset_;
  std::optional<ThumbnailAtlas> atlas_pending_;  // the map's pictures, their pages uploaded a few a frame
  std::vector<float> submitted_z_;
  WordKey submitted_words_;
  uint64_t words_generation_ = 0, words_shown_ = 0;
  std::string last_word_point_query_;
  uint64_t submitted_generation_ = 0, shown_generation_ = 0, pick_generation_ = 0, pick_shown_ = 0;
  std::optional<latent::Latent> start_z_;
  long start_pick_ = -1;
  bool first_model_ = true;
  bool last_linear_ = false;
  std::vector<std::string> dropped_;
  latent::TrustedPlaces trusted_;
  int reserve_uses_seen_ = 0;                  // latent::memory_reserve_uses() already reported
  std::vector<std::string> consented_places_;  // this run only: "Open once" and the command line
  std::vector<std::string> last_errors_;       // what show_error last put in each slot (dedup)
  latent::Image last_image_;            // the last decoded image (for "Save image")
  double last_frame_time_ = 0;
  std::string pending_window_shot_;
  double help_until_ = 0;               // presentation: show the keys over the output until then     // save the window here after this frame is drawn
  std::vector<std::array<double, 3>> frame_times_;  // frame, UI, draw (ms)
  controller::Map map_;  // the layout, labels, colours, filter and the point's place
  uint64_t map_snapshot_seen_ = 0;
  bool start_map_pending_ = true, start_attribute_pending_ = true;
  std::optional<latent::Session> pending_session_;   // waiting for its model / dataset
  std::vector<latent::SessionGroup> pending_groups_;
  std::pair<int, int> pending_attr_{-1, -1};
  std::vector<latent::SessionGroup> pending_query_groups_;  // made once the labels are in
  std::vector<latent::SessionSlider> pending_sliders_;      // the session's live sliders
  long hover_submitted_ = -1;
  uint64_t hover_generation_ = 0, hover_shown_ = 0;
  uint64_t filter_shown_ = 0;  // the newest map filter answer seen
  // The expression asked for (0: none, or overtaken by another change of the point), the
  // newest answer seen, and the model it was asked of.
  uint64_t expression_generation_ = 0, expression_shown_ = 0;
  const latent::Space* expression_space_ = nullptr;
  std::map<std::string, std::string> layouts_;  // saved layouts by kind of model
  std::string layout_file_;
  std::string layout_ini_request_;  // applied before the next frame
  int forced_layout_ = -1;          // --layout, for the first model
  std::string opening_path_;                 // the model being opened
  std::vector<std::string> unpaired_bare_;   // bare .pt files that failed as generators
  std::set<std::string> retried_bare_;       // ... and were tried again as an encoder
  double scene_opened_at_ = 0;                              // a Journey scene is opening (glfwGetTime)
  double last_autosave_ = 0;
  controller::SessionSaver saver_;  // saves and autosaves, written off the UI thread
  int settled_frames_ = 0;
  double started_ = 0;
  // Sentence models
  controller::Story story_;  // styles, requests, results and the session's story part
  std::shared_ptr<latent::CaptionModel> caption_model_;  // --caption-model, opened on first use
  std::string story_drop_;
  uint64_t story_generation_ = 0, story_shown_ = 0;
};

// Recent sessions, kept in $XDG_CONFIG_HOME/latent-studio/recent-sessions.json
// (studio_session.cpp).
std::string recent_file();
std::vector<std::string> read_recent();

}  // namespace studio
