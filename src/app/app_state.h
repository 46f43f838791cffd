#pragma once
// The plain state that panels read and write. Panels never call a backend: they write
// state here and push actions (actions.h); the Studio turns those into work for the
// workers' threads (workers.h).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actions.h"
#include "latent/projection.h"
#include "latent/space.h"

namespace studio {

using TextureId = uintptr_t;  // an OpenGL texture name; 0 = none

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;  // framebuffer pixels, top-left origin
};

struct AppOptions {
  float ui_scale = 1.0f;        // text and widget scale; 1.5-2.5 for a projector
  bool linear_filter = false;   // viewport magnification: false = nearest (crisp pixels)
  float slider_sigmas = 3.0f;   // slider range: +- this many standard deviations
};

// What the panels may know about the open model.
struct ModelView {
  bool loaded = false;
  latent::SpaceInfo info;
  std::vector<float> scale;         // per-dimension standard deviation
  double explained_fraction = -1;   // PCA only
  std::string check_note;           // models that run code: how the separate-process check went
};

// A word answer as the panels see it: the word, its score, and its place on the
// neighbourhood map (PCA of answers and inputs, in [-1, 1]).
struct WordPoint {
  std::string word;
  float score = 0;
  float x = 0, y = 0;
  bool input = false;  // one of the query's own words
};

struct Progress {
  bool running = false;
  float fraction = 0;
  std::string stage;
};

// A bare TorchScript generator the studio made into a package: what the probe found, in
// fields a person can correct before re-importing.
struct ImportSheet {
  bool shown = false;
  std::string generator, encoder, out_dir;
  std::string found;      // the probe's guess in words
  int latent = 0;
  int z4d = 0;            // 0: [B,D]; 1: [B,D,1,1]
  int chw[3] = {0, 0, 0};
  float range[2] = {-1.f, 1.f};
  int prior = 0;          // 0: normal; 1: uniform
  Rect rect;              // where the window was drawn (for tests)
  Rect tanh_button, reimport_button;
  std::vector<TextureId> preview;  // 8 prior samples of the imported package
  int preview_w = 0, preview_h = 0;
};

struct AppState {
  // What the person asked for this frame (actions.h): taken and applied by the Studio.
  Actions actions;
  AppOptions options;
  ImportSheet import_sheet;
  float applied_ui_scale = 0;  // the scale the fonts were last built for

  // Every error shown anywhere, in order, with the time it was shown (the Messages list).
  struct Message {
    std::string when;
    std::string text;
  };
  std::vector<Message> messages;
  bool show_messages = false;
  Rect menu_rect;                  // the menu bar (framebuffer pixels, tests)

  // The types the parts below hold (named AppState::Group etc. by the controllers).
  struct Group {
    std::string name, query;
    std::vector<long> members;
  };
  // Live attribute vectors: moving one's strength moves the point by the change times
  // (mean A - mean B); several can be in play at once.
  struct Attribute {
    int a = -1, b = -1;
    float strength = 0;
    float applied = 0;  // the strength already added to the point
    int direction = -1; // >= 0: a named direction of the model (`directions`), strength in sigma
  };
  // The model's named directions (its directions.json: "Smiling", "sefa-1", ...), each a
  // live attribute in units of sigma, the prior's spread along it.
  struct NamedDirection {
    std::string name;
    latent::Latent step;  // unit x sigma
    std::string about;    // what it is, for the tooltip
  };
  // The Journey menu's demos, each a session shipped in assets/scenes/ with a one-line
  // caption. Opening one is opening that session (its paths read beside it).
  struct Scene {
    std::string title;    // from the file name: 03-gan-glasses-smile.json -> "Gan glasses smile"
    std::string caption;  // the scene's one line
    std::string path;
  };
  // Autosaves left by a studio that did not close (its process is gone), found at start
  // beside the recent sessions: the session panel offers to restore or discard each.
  struct AutosaveOffer {
    std::string autosave, session;
    long pid = 0;
  };
  struct BookmarkView {
    std::string name;
    std::vector<float> z;
  };

  // The model: what the panels may know of it (ModelView), the path being typed, its
  // loading, the device, and the consent prompt for a model that runs code.
  struct ModelPart : ModelView {
    std::string path_input;
    Progress load;
    std::string error;               // shown until dismissed or the next success
    // Consent: a model that runs code (TorchScript, LibTorch weights) from a folder the
    // person has not trusted waits here until they answer the prompt.
    std::string consent_path;        // non-empty: the prompt is up for this model
    std::string consent_place;       // the folder it would trust (answered with act::AnswerConsent)
    // Device for neural models (cpu, cuda, auto); a change reopens the model there.
    std::string device = "auto";
    std::string device_note;         // e.g. "CUDA was asked for, but ..."
  } model;

  // The current latent point and the sliders that show it.
  struct SlidersPart {
    std::vector<float> z;
    int highlight_dim = -1;          // slider to highlight (set by the eigenface strip)
    bool scroll_to_highlight = false;
    uint64_t randomize_seed = 1;     // the next act::Randomize's seed (Randomize, R and MIDI step it)
    float truncation = 1.f;          // random samples (and act::Shrink) scale toward the prior mean by this
    // Many sliders (a GAN has 100): a filter ("1-10, 42") and the N most influential.
    std::string filter;
    int top_n = 0;                   // 0: all; else only the N with the largest influence
    Progress influence_progress;
    std::vector<float> influence;    // per dimension: RMS pixel change for +1 sd (empty: not ranked)
    std::vector<int> visible_dims;   // what the slider panel showed last frame
    Rect rect;                       // where the slider panel was drawn
    Rect first_rect;                 // the first visible slider (for scripted drags)
    Rect first_direction_rect;       // the first visible named-direction slider
  } sliders;
  // Slider k's standard deviation, and its half range (+- slider_sigmas sd, never 0):
  // what the slider shows and what a MIDI knob's 0..1 spans.
  float slider_sd(int k) const { return k < static_cast<int>(model.scale.size()) ? model.scale[k] : 1.f; }
  float slider_range(int k) const { return std::max(1e-6f, options.slider_sigmas * slider_sd(k)); }

  // Viewport: the last finished decode (an image, the words near the point, or a
  // sentence), and the eigenface strip.
  struct ViewPart {
    TextureId texture = 0;
    int w = 0, h = 0;
    std::string error;               // the last decode's
    Rect rect;                       // where the image was drawn (for screenshots/tests)
    std::vector<WordPoint> words;    // word models: the words nearest the slider point
    std::string text;                // text models: the slider point decoded
    std::vector<TextureId> components;  // eigenfaces (components as thumbnails)
    int component_w = 0, component_h = 0;
  } view;

  // Faces and words (face_text.h): a face-text space with a map to the open face model
  // turns a typed description into the point; a dropped photo gets its nearest
  // descriptions.
  struct FacesTextPart {
    std::string vse;                 // the package open ("" none)
    bool ready = false;              // it has a map to the open model
    std::string status;              // what it is, or why the box is not offered
    std::string text;                // the description typed
    std::string described;           // the description the point last came from
    Progress progress;
    std::string error;
    std::vector<std::pair<std::string, float>> nearest;  // the dropped photo's descriptions
    std::string nearest_for;         // that photo's file name
  } faces_text;

  // An image dropped on the window (or given with --drop): put into the latent space by
  // the encoder and/or gradient descent; original and reconstruction side by side.
  struct InvertPart {
    Progress progress;
    std::string error;
    std::string name;                // file shown (empty: none)
    TextureId original = 0, reconstruction = 0;
    double mse = 0;
    std::string how;
  } invert;

  // Words (word-vector models): the query, its answers and the approximate index.
  struct WordsPart {
    std::string query = "king - man + woman";  // a word or an expression
    bool keep_inputs = false;   // default: input words are excluded from the answers
    int method = 0;             // 0: 3CosAdd, 1: 3CosMul
    int k = 12;                 // answers to show
    std::vector<WordPoint> answers;
    std::vector<WordPoint> inputs;
    std::string status;         // how the answers were found (method, exact/approximate, inputs)
    std::string error;
    bool use_approx = true;     // use the approximate index once it is ready
    bool index_ready = false;
    Progress index;             // building (or reading) the approximate index
    std::string index_note;     // why there is none, or what it is
  } words;

  // Story (sentence models): captions -> mean thought + strength x style -> a passage.
  struct StoryPart {
    std::string captions;              // one caption per line
    std::vector<std::string> images;   // images with captions beside them (picker)
    int image = -1;                    // shown image (index into images)
    std::string image_path;            // shown image's path (picked or dropped)
    TextureId image_texture = 0;
    int image_w = 0, image_h = 0;
    std::vector<std::string> style_names;  // the model's styles, then the session's
    std::vector<std::string> style_notes;  // where each came from, calibrated strength
    std::vector<float> style_defaults;
    int style = 0;                     // index; -1: no style
    float strength = 1.f;
    bool strength_default = true;      // follow the style's calibrated strength
    int method = 0;                    // 0 greedy (live), 1 beam, 2 sample
    int beam = 5;
    float temperature = 0.8f;
    int seed = 0;
    int sentences = 4;
    float keep_bonus = 3.f;            // "stay on the scene": the caption's words favoured (PassageOptions)
    std::vector<std::string> passage;  // the newest finished passage
    std::string passage_for;           // what it was made from (captions | style | strength)
    double novel_likeness = 0, content_kept = 0, ms = 0;
    bool busy = false;
    std::string error;
    std::vector<std::string> kept;     // passages the person kept
    // The map: the style's example sentences (A, B) and the captions' thought before and
    // after the shift, in 2-D (PCA of the examples' thoughts).
    std::vector<std::pair<float, float>> map_a, map_b;
    std::pair<float, float> xy_caption{0, 0}, xy_shifted{0, 0};
    bool map_ready = false;
    Rect map_rect;                     // where the map was drawn (framebuffer pixels, for tests)
    // A style from two texts typed here (saved in the session)
    std::string style_a_text, style_b_text, style_name = "my-style";
    Progress style_progress;
    std::string style_error, style_status;
  } story;


  // Dataset: its items, their thumbnails, and the one picked into the sliders.
  struct DatasetPart {
    std::string path_input;
    Progress load;
    std::string error;
    std::string name;
    long count = 0;
    int w = 0, h = 0;
    std::map<long, TextureId> thumbnails;   // uploaded so far
    std::vector<long> wanted_thumbnails;    // visible this frame, not yet uploaded
    long picked = -1;                       // item whose latent is in the sliders
    TextureId pick_original = 0, pick_reconstruction = 0, pick_error = 0;
    double pick_rmse = 0, pick_max_error = 0;
  } dataset;

  // Map (2-D projection of the dataset's latents, or of the first words): the projection,
  // its view, filter, lasso and pictures.
  struct MapPart {
    int method = 0;                      // 0 PCA, 1 t-SNE, 2 UMAP-style
    // (act::ComputeMap computes it with this method, act::CancelMap stops it)
    Progress progress;
    std::string error;
    std::string shown_method;            // method of the map on screen
    std::vector<float> xy;               // x0, y0, x1, y1, ... (data units)
    uint64_t xy_version = 0;             // bumped whenever xy changes
    uint64_t style_version = 0;          // bumped whenever colors or match change
    // xy in a 2-d tree (hover, the centre point, pictures): built by the map's worker
    // with each layout, or by the panel for points set another way.
    std::shared_ptr<const latent::MapIndex> index;
    uint64_t index_version = ~0ULL;      // the xy_version it was built for
    std::vector<std::string> names;      // words, for word models
    float current[2] = {0, 0};           // where the current latent is on the map
    bool current_valid = false;
    std::vector<int> colors;             // category per point (-1: none)
    long hover = -1;
    float canvas_px[2] = {0, 0};   // canvas size in framebuffer pixels
    float point_px = 6;            // point size in framebuffer pixels
    TextureId texture = 0;         // the points, drawn by the GL layer (0: the panel draws them)
    uint64_t redraws = 0;          // times the GL layer drew the points...
    uint64_t uploads = 0;          // ...and uploaded them (a pan or zoom only draws)
    std::string filter;                  // a label query (glasses=1) or a regular expression over names
    bool isolate = false;                // hide the points the filter leaves out
    std::vector<char> match;             // per point: 1 if the filter keeps it (empty: all)
    std::string filter_error;
    std::string filter_applied = "\x01";  // the filter `match` was computed for
    std::vector<long> selection;         // points chosen with the lasso (shift + drag)
    bool pictures = true;                // draw pictures when there is room
    long thumbnails_drawn = 0;           // in the last frame (tests, performance)
    long panel_points_drawn = 0;         // points the panel drew itself (no GL layer), since the start
    float thumbnail_px = 0;              // their size then (framebuffer pixels)
    Rect canvas_rect;                    // framebuffer pixels (tests)
    long centre_point = -1;              // the point drawn nearest the canvas centre (tests)
    float centre_point_px[2] = {0, 0};
    struct MapView {
      float cx = 0, cy = 0;      // data point at the canvas centre
      float scale_px = 1;        // pixels per data unit
      float zoom = 1;            // over the fit
      size_t fitted_for = 0;     // point count the view was fitted to
    } view;
    // The dataset's pictures on the map: an atlas of small copies, drawn in place of the
    // points once zooming leaves room for them.
    struct MapAtlas {
      std::vector<TextureId> pages;
      int cell = 0, page_size = 0, per_row = 0;
      long per_page = 0, count = 0;
    } atlas;
    Progress atlas_progress;                 // building the map's picture atlas
    // The point under the pointer, decoded by the model, shown large beside its picture.
    TextureId hover_texture = 0;
    long hover_decoded = -1;                 // the item hover_texture shows
    int hover_w = 0, hover_h = 0;
    // The lasso's selection written out: a list (PATH.csv) or a folder of pictures (PATH/).
    std::string selection_path = "selection";
    Progress selection_progress;
    Rect selection_list_button, selection_images_button;  // framebuffer pixels (tests)
    std::string selection_status;
  } map;

  // Labels: a CSV with one row per dataset item; the map can be coloured by a column.
  struct LabelsPart {
    std::string path_input;
    std::string error;
    std::vector<std::string> columns;       // from the loaded labels
    int color_column = -1;                  // colour the map by this column (-1: none)
    std::vector<std::string> color_names;   // category names, in palette order
  } labels;

  // Groups (by label query or lasso) and the attribute vector mean(A) - mean(B).
  struct GroupsPart {
    std::string query;                      // e.g. glasses=1
    std::string name;
    std::vector<Group> list;
    int attr_a = -1, attr_b = -1;           // attribute vector: mean(A) - mean(B)
    float attr_strength = 1.f;
  } groups;

  // Live attributes: attribute vectors and the model's named directions as sliders.
  struct AttributesPart {
    std::vector<Attribute> live;
    std::vector<NamedDirection> directions;
    std::string directions_note;  // where they came from, or why none
    std::string direction_filter;
  } attributes;

  // The Journey menu: the essay's demos (Scene above).
  struct JourneyPart {
    std::vector<Scene> scenes;
    std::string note;            // where they came from, or why there are none
    std::string caption;         // the open scene's line, shown under the menu bar
    double seconds = -1;         // how long the last scene took to open (click to first picture)
    Rect rect, caption_rect;     // framebuffer pixels (tests)
    std::vector<Rect> item_rects;  // while the Journey menu is open
  } journey;

  // A path chosen with the desktop's file dialog: a panel's "..." button asks, the Studio
  // shows the (modal) dialog between frames, puts the path in the field and does what
  // the field's own button does (open the model, load the dataset, save the session...).
  using PathFor = studio::PathFor;
  struct FilesPart {
    bool dialogs = false;                 // this build and display can show them
    std::string status;                   // why a dialog could not be shown
    std::map<int, Rect> browse_buttons;   // where each "..." button is (framebuffer pixels, tests)
  } files;

  // The dockable layout (layout.h): the kind of model it is kept for, the preset last
  // built, and what happened to the saved one.
  struct LayoutPart {
    std::string kind;             // "image", "words", "text"
    std::string preset;           // the preset last built ("" after a saved layout was restored)
    std::string status;
    Rect menu_rect;
    std::vector<Rect> item_rects; // while the Layout menu is open
  } layout;

  // Bookmarks and expressions over bookmarks (@name), groups (mean(@group)), dataset
  // items (item(N)), files (enc("a.png"), z("a.json")): the result becomes the current
  // point (controller/points.h).
  struct PointsPart {
    std::string expression;                 // what the box holds; Go pushes act::EvaluateExpression
    std::string expression_error;
    std::string bookmark_name;              // the name act::AddBookmark is given from the panel
    std::vector<BookmarkView> bookmarks;
    int bookmark_rename = -1;
    std::string bookmark_rename_to;
  } points;

  // Sessions: where Save/Open go, the recent ones, and autosave offers.
  struct SessionPart {
    std::string path_input;                 // act::SaveSession, act::OpenSession
    std::string status;                     // "saved 12:03:04 to ...", or the error
    std::vector<std::string> recent;
    std::vector<AutosaveOffer> autosave_offers;
    Rect restore_button_rect;               // the first offer's Restore button (for scripted clicks)
  } session;

  // Walk: keyframes (the current point or bookmarks) played in the viewport and exported.
  struct WalkKey {
    std::string name;
    std::vector<float> z;
    float seconds = 2.f;   // to the next keyframe
    int interp = 1;        // 0 linear, 1 slerp, 2 spline
  };
  // The walk: keyframes, how it moves, and where it is (controller/walk.h).
  struct WalkPart {
    std::vector<WalkKey> keys;
    std::string name = "walk";
    bool loop = true;
    bool random = false;          // a random loop around the current point instead
    float radius = 0.8f, osc = 0.25f, loop_seconds = 12.f;
    int seed = 1;
    bool playing = false;
    float time = 0.f;             // seconds into the walk
    float rate = 1.f;             // playback speed
    double duration = 0;
    std::string error;
  } walk;
  // Export: MP4, GIF or PNG frames of the walk; a grid of its keyframes; the image; the window.
  struct ExportPart {
    int format = 0;             // 0 MP4, 1 GIF, 2 PNG frames
    int size = 512, fps = 30;
    bool smooth = false;        // enlarge smoothly instead of nearest
    std::string path = "walk.mp4";
    Progress progress;
    std::string status;
  } exports;

  // Live control: OSC (UDP) and MIDI (with MIDI learn). The Studio owns the LiveControl;
  // panels push act::ToggleOsc, act::ToggleMidi and act::RefreshMidiPorts and read the
  // status lines here.
  struct LivePart {
    int osc_port = 9000;
    bool osc_running = false;
    bool osc_all_interfaces = false;          // opt-in: listen beyond this machine (loopback otherwise)
    std::string osc_allow;                    // with all interfaces: sender addresses let in ("" = any)
    std::string osc_status;
    std::string osc_send_host = "127.0.0.1";
    int osc_send_port = 0;                    // 0: do not send the state out
    std::vector<std::string> midi_ports;
    std::string midi_port;                    // "" = our virtual port
    bool midi_open = false;
    std::string midi_status;
    bool midi_learn_mode = false;             // clicking a control arms learn for it
    std::string learning;                     // what is armed ("dimension 4"), "" when none
    std::vector<std::string> bindings;        // "ch 1 CC 21 -> set_dim 7"
    std::string last;                         // the last message, for the panel
  } live;

  // Presentation: the output alone, full screen on a chosen monitor, driven from the
  // keyboard (arrows: bookmarks, space: walk, R: randomize, B: blackout, H: overlay, Esc).
  struct ShowPart {
    bool presentation = false;
    bool overlay = true;                      // a minimal line of text over the output
    bool overlay_help = false;                // the keys over the output (the first seconds)
    bool blackout = false;
    int monitor = 0;                          // index into monitor_names
    std::vector<std::string> monitor_names;   // "0: Xvfb 1600x1000", ...
    bool output_window = false;               // a second window with the output only: for a projector
    int current_bookmark = -1;                // the last one jumped to from the keyboard
    std::string overlay_text;                 // what the overlay says (also for tests)
  } show;

  // Performance: decode, frame, UI and draw times and counts.
  struct PerfPart {
    double decode_ms = 0;          // last decode, on the worker
    double decode_ms_avg = 0;      // smoothed
    double frame_ms = 0;
    double ui_ms = 0;              // building the UI (panels, draw lists) on the CPU, smoothed
    double draw_ms = 0;            // OpenGL drawing of it, smoothed (software GL makes this large)
    double fps = 0;
    uint64_t decodes_submitted = 0;
    uint64_t decodes_skipped = 0;  // replaced by a newer request before they ran
    uint64_t frames = 0;
    // The slowest time, in ms, of each part of a frame since the start: the work before the
    // UI (polling workers, requests, thumbnails, the map's layer) and each panel. What a
    // long frame was spent on (the probe reports it).
    std::map<std::string, double> section_max_ms;
  } perf;
};

}  // namespace studio
