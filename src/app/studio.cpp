#include "studio.h"
#include "file_dialog.h"
#include "layout.h"
#include "controller/points.h"

#define GLFW_INCLUDE_NONE
#include <epoxy/gl.h>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <utility>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "fonts.h"
#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/json_file.h"
#include "latent/latent_io.h"
#include "latent/memory_reserve.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/video_export.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "panels/panels.h"
#include "texture.h"

namespace fs = std::filesystem;

namespace studio {

using StudioGroup = AppState::Group;

namespace {


std::string recent_file() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".config";
  return (base / "latent-studio" / "recent-sessions.json").string();
}
std::vector<std::string> read_recent() {
  try {
    if (!fs::exists(recent_file())) return {};
    return latent::read_json_file(recent_file(), "the list of recent sessions").get<std::vector<std::string>>();
  } catch (...) {
    return {};
  }
}

// Orphaned autosaves (their studio's process is gone) in the folders of the recent
// sessions and of the session given on the command line.
std::vector<AppState::AutosaveOffer> find_autosave_offers(const std::vector<std::string>& recent,
                                                          const std::string& session) {
  std::vector<std::string> dirs;
  for (const std::string& p : recent) dirs.push_back(fs::path(p).parent_path().string());
  if (!session.empty()) dirs.push_back(fs::absolute(session).parent_path().string());
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::vector<AppState::AutosaveOffer> out;
  for (const std::string& d : dirs)
    for (const latent::Autosave& a : latent::find_orphan_autosaves(d)) out.push_back({a.path, a.session_path, a.pid});
  return out;
}

constexpr size_t kMaxThumbnails = 2048;   // uploaded dataset thumbnails kept at once
constexpr int kThumbnailsPerFrame = 96;   // uploads per frame, so scrolling never stalls
constexpr double kScreenshotTimeout = 60; // seconds to wait for work to settle

// The current context's back buffer (last frame drawn, not yet swapped... or just swapped:
// either way the last complete frame with preserved back buffers under Mesa).
latent::Image read_back_buffer(GLFWwindow* w) {
  int fw, fh;
  glfwGetFramebufferSize(w, &fw, &fh);
  std::vector<unsigned char> px(static_cast<size_t>(fw) * fh * 4);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, fw, fh, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  latent::Image img(fw, fh, 3);
  for (int y = 0; y < fh; ++y)
    for (int x = 0; x < fw; ++x)
      for (int c = 0; c < 3; ++c)
        img.at(x, y, c) = px[(static_cast<size_t>(fh - 1 - y) * fw + x) * 4 + c] / 255.f;
  return img;
}

void glfw_error(int code, const char* what) { std::fprintf(stderr, "latent-studio: GLFW error %d: %s\n", code, what); }

void drop_callback(GLFWwindow* w, int count, const char** paths) {
  auto* studio = static_cast<Studio*>(glfwGetWindowUserPointer(w));
  std::vector<std::string> v(paths, paths + count);
  studio->on_drop(v);
}


std::string lower_extension(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_image_path(const std::string& p) {
  const std::string ext = lower_extension(p);
  return fs::is_regular_file(p) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg");
}

// A session: a .json file whose first 4 KiB name the session format.
bool is_session_file(const std::string& p) {
  std::error_code ec;
  if (lower_extension(p) != ".json" || !fs::is_regular_file(p, ec)) return false;
  std::ifstream in(p, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("latent-studio-session") != std::string::npos;
}

// Word vectors open as a model by themselves (word2vec, GloVe, fastText, the .lsv cache).
bool is_vectors_file(const std::string& p) {
  std::error_code ec;
  const std::string ext = lower_extension(p);
  return fs::is_regular_file(p, ec) && (ext == ".vec" || ext == ".lsv" || ext == ".bin" || ext == ".txt");
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

// The import an import sheet describes (what the probe found, as the person corrected it).
latent::TorchScriptImport import_spec(const ImportSheet& im) {
  latent::TorchScriptImport spec;
  spec.generator = im.generator;
  spec.encoder = im.encoder;
  spec.out_dir = im.out_dir;
  spec.latent = im.latent;
  spec.z_shape = im.z4d ? "4d" : "flat";
  spec.channels = im.chw[0], spec.height = im.chw[1], spec.width = im.chw[2];
  spec.range_lo = im.range[0], spec.range_hi = im.range[1];
  spec.prior = im.prior ? "uniform" : "normal";
  return spec;
}

bool is_model_path(const std::string& p) {
  return (fs::is_directory(p) && fs::exists(fs::path(p) / "model.json")) || fs::path(p).filename() == "model.json";
}

// Mirrors a task's progress into `p`; once it has finished, hands its result to `done`
// (or its error, in words, to `failed`) and drops it. A cancelled task says nothing.
template <typename T, typename Done, typename Failed>
void poll_task(std::unique_ptr<latent::Task<T>>& task, Progress& p, Done done, Failed failed) {
  if (!task) return;
  p = {true, task->progress(), task->stage()};
  if (!task->done()) return;
  p.running = false;
  try {
    done(task->take());
  } catch (const latent::Cancelled&) {
  } catch (const std::exception& e) {
    failed(e.what());
  }
  task.reset();
}

}  // namespace

Studio::Studio(StudioOptions options) : opts_(std::move(options)) {
  state_.options.ui_scale = opts_.ui_scale;
  state_.options.linear_filter = opts_.linear_filter;
  last_linear_ = opts_.linear_filter;
  state_.model_path_input = opts_.model;
  state_.dataset_path_input = opts_.dataset;
  state_.highlight_dim = opts_.highlight;
  if (!opts_.word_query.empty()) state_.word_query = opts_.word_query;
  state_.map_filter = opts_.filter;
  state_.map_isolate = opts_.isolate;
  state_.scroll_to_highlight = opts_.highlight >= 0;
  start_pick_ = opts_.pick;
  state_.slider_filter = opts_.slider_filter;
  state_.slider_top_n = std::max(0, opts_.slider_top);
  // One LibTorch thread: the decode worker, a background task and the UI share two cores
  // on small machines, and more threads made each decode many times slower there.
  latent::configure_torch_threads(1);
  try {
    latent::require_torch_module();  // linked in: registers the LibTorch kinds, applies the thread count
    latent::check_device_name(opts_.device);
    renderer_.open_options.device = opts_.device;
    state_.device = opts_.device;
    state_.device_note = latent::resolve_device(opts_.device).note;
  } catch (const std::exception& e) {
    state_.model_error = e.what();
  }
  if (!opts_.z_file.empty()) {
    try {
      start_z_ = latent::read_latent_json(opts_.z_file);
    } catch (const std::exception& e) {
      state_.model_error = std::string("could not read the starting latent: ") + e.what();
    }
  }

  // Consent for models that run code: the person's trusted folders, the shipped models'
  // folder, and what was named on the command line (naming it there is the consent).
  trusted_ = latent::TrustedPlaces(opts_.trusted_places_file);
  if (!opts_.builtin_models.empty()) trusted_.add_builtin(opts_.builtin_models);
  for (const std::string* p : {&opts_.model, &opts_.then_open})
    if (!p->empty()) consented_places_.push_back(latent::model_package_key(*p));

  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) throw latent::Error("could not start GLFW (is there a display? try xvfb-run)");
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  window_ = glfwCreateWindow(opts_.width, opts_.height, "Latent Studio", nullptr, nullptr);
  if (!window_) {
    glfwTerminate();
    throw latent::Error("could not open a window with OpenGL 3.3");
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(opts_.screenshot.empty() ? 1 : 0);
  glfwSetWindowUserPointer(window_, this);
  glfwSetDropCallback(window_, drop_callback);
  glfwSetKeyCallback(window_, main_key_callback);  // before ImGui's, which chains to it
  refresh_monitors();
  state_.monitor = std::clamp(opts_.monitor, 0, std::max(0, static_cast<int>(state_.monitor_names.size()) - 1));
  state_.presentation_toggle = opts_.present;
  live_ = std::make_unique<LiveControl>();
  state_.osc_all_interfaces = opts_.osc_all_interfaces;
  state_.osc_allow = opts_.osc_allow;
  if (opts_.osc_port >= 0) state_.osc_port = opts_.osc_port, state_.osc_toggle = true;
  if (!opts_.midi.empty()) state_.midi_port = opts_.midi == "virtual" ? "" : opts_.midi, state_.midi_toggle = true;
  state_.output_window_toggle = opts_.output_window;

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  start_layout();
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  apply_ui_scale(state_.options.ui_scale);
  state_.applied_ui_scale = state_.options.ui_scale;

  state_.recent_sessions = read_recent();
  list_scenes();
  state_.file_dialogs = file_dialogs_available();
  state_.autosave_offers = find_autosave_offers(state_.recent_sessions, opts_.session);
  if (!opts_.session.empty()) {
    open_session(opts_.session);
    if (pending_session_ && !state_.open_model_request.empty()) opts_.model.clear();  // the session's model wins
  }
  if (!opts_.model.empty() && state_.open_model_request.empty()) state_.open_model_request = opts_.model;
  started_ = glfwGetTime();
  last_autosave_ = started_;
}

Studio::~Studio() {
  // A studio that closes normally leaves no autosave to offer at the next start.
  if (!autosave_file_.empty()) {
    std::error_code ec;
    fs::remove(autosave_file_, ec);
  }
  save_layouts();  // the last layout, restored at the next start
  // Workers stop before GL goes away; textures die with the context.
  map_layer_.reset();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  set_output_window(false);
  glfwDestroyWindow(window_);
  glfwTerminate();
}

void Studio::refresh_monitors() {
  int count = 0;
  GLFWmonitor** mons = glfwGetMonitors(&count);
  state_.monitor_names.clear();
  for (int i = 0; i < count; ++i) {
    const GLFWvidmode* mode = glfwGetVideoMode(mons[i]);
    const char* name = glfwGetMonitorName(mons[i]);
    state_.monitor_names.push_back(std::to_string(i) + ": " + (name ? name : "monitor") +
                                   (mode ? " " + std::to_string(mode->width) + "x" + std::to_string(mode->height) : ""));
  }
}

namespace {
GLFWmonitor* monitor_at(int index) {
  int count = 0;
  GLFWmonitor** mons = glfwGetMonitors(&count);
  if (count == 0) return nullptr;
  return mons[std::clamp(index, 0, count - 1)];
}
void output_key_callback(GLFWwindow* w, int key, int, int action, int) {
  if (action != GLFW_PRESS) return;
  static_cast<Studio*>(glfwGetWindowUserPointer(w))->output_keys_.push_back(key);
}
}  // namespace

// Key presses of the main window, queued: a press and release that both fall between two
// frames would be lost to a per-frame "is it down" check. ImGui's GLFW backend chains to
// this callback (it was installed first).
void Studio::main_key_callback(GLFWwindow* w, int key, int, int action, int) {
  if (action != GLFW_PRESS) return;
  static_cast<Studio*>(glfwGetWindowUserPointer(w))->main_keys_.push_back(key);
}
namespace {
}  // namespace

void Studio::set_presentation(bool on) {
  if (on == state_.presentation) return;
  GLFWmonitor* mon = monitor_at(state_.monitor);
  if (on) {
    glfwGetWindowPos(window_, &windowed_[0], &windowed_[1]);
    glfwGetWindowSize(window_, &windowed_[2], &windowed_[3]);
    if (mon) {
      const GLFWvidmode* mode = glfwGetVideoMode(mon);
      glfwSetWindowMonitor(window_, mon, 0, 0, mode->width, mode->height, mode->refreshRate);
    }
  } else {
    glfwSetWindowMonitor(window_, nullptr, windowed_[0], windowed_[1], std::max(320, windowed_[2]),
                         std::max(240, windowed_[3]), 0);
  }
  state_.presentation = on;
  state_.blackout = false;
  help_until_ = glfwGetTime() + 4;
}

void Studio::set_output_window(bool on) {
  if (on == (output_ != nullptr)) return;
  if (on) {
    // On another monitor when there is one (the projector), else a window of its own.
    int count = 0;
    glfwGetMonitors(&count);
    GLFWmonitor* mon = count > 1 ? monitor_at(state_.monitor) : nullptr;
    const GLFWvidmode* mode = mon ? glfwGetVideoMode(mon) : nullptr;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    output_ = glfwCreateWindow(mode ? mode->width : 720, mode ? mode->height : 720, "Latent Studio - output", mon,
                               window_);
    if (!output_) {
      state_.model_error = "could not open the output window";
      state_.output_window = false;
      return;
    }
    glfwSetWindowUserPointer(output_, this);
    glfwSetKeyCallback(output_, output_key_callback);
    glfwMakeContextCurrent(output_);
    glfwSwapInterval(0);  // the main window's swap paces the frames
    glGenFramebuffers(1, &output_fbo_);
    glfwMakeContextCurrent(window_);
  } else {
    glfwMakeContextCurrent(output_);
    glDeleteFramebuffers(1, &output_fbo_);
    output_fbo_ = 0;
    glfwMakeContextCurrent(window_);
    glfwDestroyWindow(output_);
    output_ = nullptr;
  }
  state_.output_window = on;
}

// The output window shows the viewport texture alone, scaled to fit (letterboxed): a blit
// from a framebuffer that reads the shared texture, so it needs no UI of its own.
void Studio::draw_output_window(bool swap) {
  if (!output_) return;
  if (glfwWindowShouldClose(output_)) {
    set_output_window(false);
    return;
  }
  glfwMakeContextCurrent(output_);
  int fw, fh;
  glfwGetFramebufferSize(output_, &fw, &fh);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(0, 0, fw, fh);
  glClearColor(0.f, 0.f, 0.f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  if (!state_.blackout && state_.view_texture && state_.view_w > 0 && state_.view_h > 0) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, output_fbo_);
    glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                           static_cast<GLuint>(state_.view_texture), 0);
    if (glCheckFramebufferStatus(GL_READ_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE) {
      float scale = std::min(static_cast<float>(fw) / state_.view_w, static_cast<float>(fh) / state_.view_h);
      if (!state_.options.linear_filter && scale >= 1.f) scale = std::floor(scale);
      const int w = static_cast<int>(state_.view_w * scale), h = static_cast<int>(state_.view_h * scale);
      const int x = (fw - w) / 2, y = (fh - h) / 2;
      // Texture row 0 is the image's top; the window's y runs upward: flip while blitting.
      glBlitFramebuffer(0, 0, state_.view_w, state_.view_h, x, y + h, x + w, y, GL_COLOR_BUFFER_BIT,
                        state_.options.linear_filter ? GL_LINEAR : GL_NEAREST);
    }
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  }
  glFinish();
  if (swap) {
    glfwSwapBuffers(output_);
    glfwMakeContextCurrent(window_);
  }  // else: the caller reads the back buffer, then swaps and switches back
}

void Studio::apply_key(int key) {
  switch (key) {
    case GLFW_KEY_ESCAPE:
      if (state_.presentation) state_.presentation_toggle = true;
      break;
    case GLFW_KEY_F5:
      state_.presentation_toggle = true;
      break;
    case GLFW_KEY_RIGHT:
    case GLFW_KEY_LEFT:
    case GLFW_KEY_PAGE_DOWN:
    case GLFW_KEY_PAGE_UP: {
      const int n = static_cast<int>(state_.bookmarks.size());
      if (n == 0) break;
      const bool next = key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN;
      state_.current_bookmark = state_.current_bookmark < 0 ? (next ? 0 : n - 1)
                                                            : (state_.current_bookmark + (next ? 1 : n - 1)) % n;
      state_.actions.push(act::GoToBookmark{state_.current_bookmark});
      break;
    }
    case GLFW_KEY_R:
      state_.randomize_request = true;
      ++state_.randomize_seed;
      break;
    case GLFW_KEY_SPACE:
      state_.walk_toggle = true;
      break;
    case GLFW_KEY_B:
      state_.blackout = !state_.blackout;
      break;
    case GLFW_KEY_H:
      state_.overlay = !state_.overlay;
      help_until_ = glfwGetTime() + 4;
      break;
    default:
      break;
  }
}

// Keys for the show: F5 everywhere (outside text fields); the rest in presentation mode
// (in the control window they belong to the widgets) and in the output window.
void Studio::handle_keys() {
  for (int k : output_keys_) apply_key(k);
  output_keys_.clear();
  std::vector<int> keys;
  keys.swap(main_keys_);
  if (!state_.consent_path.empty()) {
    // The consent prompt: Enter trusts the folder, Esc cancels. Read from GLFW's key
    // events (a press and release within one frame never reach ImGui 1.86's key state).
    for (int k : keys) {
      if (k == GLFW_KEY_ENTER || k == GLFW_KEY_KP_ENTER) state_.consent_answer = AppState::ConsentAnswer::TrustFolder;
      if (k == GLFW_KEY_ESCAPE) state_.consent_answer = AppState::ConsentAnswer::Cancel;
    }
    return;
  }
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  for (int k : keys) {
    if (k == GLFW_KEY_F5 || state_.presentation) apply_key(k);
  }
}

void Studio::handle_live() {
  auto& s = state_;
  using Kind = ControlEvent::Kind;
  if (s.osc_toggle) {
    s.osc_toggle = false;
    if (live_->status().osc_running) {
      live_->stop_osc();
    } else if (!live_->start_osc(s.osc_port, {s.osc_all_interfaces, parse_osc_allow_list(s.osc_allow)})) {
      s.osc_status = live_->last_error();
    }
  }
  if (s.midi_refresh) {
    s.midi_refresh = false;
    s.midi_ports = live_->midi_ports();
  }
  if (s.midi_toggle) {
    s.midi_toggle = false;
    if (live_->midi_open()) live_->close_midi();
    else if (!live_->open_midi(s.midi_port)) s.midi_status = live_->last_error();
  }
  if (s.learn_kind >= 0) {
    live_->arm_learn({static_cast<Kind>(s.learn_kind), s.learn_index});
    s.learning = s.learn_kind == 0 ? "dimension " + std::to_string(s.learn_index + 1)
                                   : std::string(kind_name(static_cast<Kind>(s.learn_kind))) +
                                         (s.learn_index >= 0 ? " " + std::to_string(s.learn_index + 1) : "");
    s.learn_kind = -1;
  }
  if (!s.midi_learn_mode && live_->learning()) live_->cancel_learn(), s.learning.clear();
  if (auto b = live_->take_learned()) {
    s.learning.clear();
    s.live_last = "bound " + describe(*b);
  }
  if (s.binding_remove >= 0) {
    const auto all = live_->bindings();
    if (s.binding_remove < static_cast<int>(all.size())) live_->remove_binding(all[s.binding_remove].control);
    s.binding_remove = -1;
  }
  s.bindings.clear();
  for (const auto& b : live_->bindings()) s.bindings.push_back(describe(b));
  const LiveStatus st = live_->status();
  s.osc_running = st.osc_running;
  if (st.osc_running) {
    s.osc_port = st.osc_port;
    s.osc_status = "listening on UDP " + std::to_string(st.osc_port) +
                   (st.osc_all_interfaces ? " (all interfaces)" : " (this machine only)") + ", " +
                   std::to_string(st.osc_messages) + " messages, " + std::to_string(st.osc_errors) + " errors" +
                   (st.osc_refused ? ", " + std::to_string(st.osc_refused) + " refused" : "") +
                   (st.last_error.empty() ? "" : " (" + st.last_error + ")");
  }
  s.midi_open = st.midi_open;
  if (st.midi_open)
    s.midi_status = st.midi_backend + ": " + st.midi_port + ", " + std::to_string(st.midi_messages) + " messages";

  // Events: MIDI values come 0..1 and are mapped onto each control's range; OSC values
  // are used as sent.
  const int dim = static_cast<int>(s.z.size());
  for (const ControlEvent& e : live_->poll()) {
    s.live_last = describe(e);
    switch (e.kind) {
      case Kind::SetDim:
        if (e.index >= 0 && e.index < dim) {
          const float range = s.slider_range(e.index);
          s.z[e.index] = e.normalized ? -range + 2.f * range * e.value : e.value;
        }
        break;
      case Kind::SetDims:
        if (static_cast<int>(e.values.size()) == dim) s.z = e.values;
        else s.live_last = "ignored /latent/z with " + std::to_string(e.values.size()) + " values (the model has " +
                           std::to_string(dim) + ")";
        break;
      case Kind::Attribute:
        if (!e.text.empty()) {  // a named direction, in sigma
          bool found = false;
          for (auto& a : s.attributes)
            if (a.direction >= 0 && a.direction < static_cast<int>(s.directions.size()) &&
                s.directions[static_cast<size_t>(a.direction)].name == e.text) {
              a.strength = e.normalized ? -3.f + 6.f * e.value : e.value;
              found = true;
            }
          if (!found) s.live_last = "ignored: the model has no direction \"" + e.text + "\"";
        } else if (e.index >= 0 && e.index < static_cast<int>(s.attributes.size())) {
          s.attributes[e.index].strength = e.normalized ? -3.f + 6.f * e.value : e.value;
        }
        break;
      case Kind::StyleStrength:
        s.live_last = "style strength is for sentence models (not open)";
        break;
      case Kind::WalkSpeed:
        s.walk_rate = std::clamp(e.normalized ? 0.1f + 3.9f * e.value : e.value, 0.f, 16.f);
        break;
      case Kind::WalkPlay:
        if (!s.walk_playing) s.walk_toggle = true;
        break;
      case Kind::WalkPause:
        if (s.walk_playing) s.walk_toggle = true;
        break;
      case Kind::WalkToggle:
        s.walk_toggle = true;
        break;
      case Kind::Bookmark: {
        int found = -1;
        for (int i = 0; i < static_cast<int>(s.bookmarks.size()); ++i)
          if ((!e.text.empty() && s.bookmarks[i].name == e.text) || (e.text.empty() && i == e.index)) found = i;
        if (found >= 0) s.actions.push(act::GoToBookmark{found}), s.current_bookmark = found;
        else s.live_last = "no bookmark " + (e.text.empty() ? std::to_string(e.index) : "\"" + e.text + "\"");
        break;
      }
      case Kind::NextBookmark:
        apply_key(GLFW_KEY_RIGHT);
        break;
      case Kind::PrevBookmark:
        apply_key(GLFW_KEY_LEFT);
        break;
      case Kind::Randomize:
        apply_key(GLFW_KEY_R);
        break;
      case Kind::Blackout:
        s.blackout = e.value < 0 ? !s.blackout : e.value > 0;
        break;
    }
  }
  // The state out, at most 30 times a second and only when the point moved.
  if (s.osc_send_port > 0 && !s.osc_send_host.empty() && s.z != sent_z_ && glfwGetTime() - sent_at_ > 1.0 / 30) {
    if (live_->set_send_target(s.osc_send_host, s.osc_send_port) && live_->send_state(s.z)) {
      sent_z_ = s.z;
      sent_at_ = glfwGetTime();
    }
  }
}

void Studio::on_drop(const std::vector<std::string>& paths) { dropped_.insert(dropped_.end(), paths.begin(), paths.end()); }

int Studio::run() {
  while (!glfwWindowShouldClose(window_)) {
    glfwPollEvents();
    frame();
    if (!opts_.screenshot.empty()) {
      if (settled()) ++settled_frames_;
      const double elapsed = glfwGetTime() - started_;
      const bool timed_out = opts_.screenshot_after <= 0 && elapsed > kScreenshotTimeout;
      const bool due = opts_.screenshot_after > 0 ? elapsed >= opts_.screenshot_after
                                                  : settled_frames_ >= std::max(1, opts_.frames);
      if (due || timed_out) {
        if (timed_out) std::fprintf(stderr, "latent-studio: work did not settle in %.0f s; capturing anyway\n", kScreenshotTimeout);
        const bool ok = write_screenshot();
        return save_on_exit() && ok ? 0 : 1;
      }
    }
    if (!opts_.expression.empty() && settled(false) && (opts_.groups.empty() || !start_attribute_pending_)) {
      state_.expression = opts_.expression;
      state_.actions.push(act::EvaluateExpression{state_.expression});
      opts_.expression.clear();
    }
    if (!opts_.drop.empty() && state_.model.loaded && !state_.model_load.running && renderer_.decoder.busy() == false) {
      on_drop(opts_.drop);  // the same path as files dropped on the window
      opts_.drop.clear();
    }
    // Start-up walk actions, once the session's walk is in.
    if ((opts_.play_walk || opts_.walk_time >= 0 || !opts_.export_walk.empty()) && state_.walk_duration > 0 &&
        !state_.model_load.running) {
      if (opts_.walk_time >= 0) state_.walk_time = static_cast<float>(opts_.walk_time), state_.walk_scrubbed = true;
      if (opts_.play_walk) state_.walk_toggle = true;
      if (!opts_.export_walk.empty()) {
        state_.export_path = opts_.export_walk;
        state_.export_size = opts_.export_size;
        state_.export_fps = opts_.export_fps;
        state_.export_request = true;
      }
      opts_.play_walk = false, opts_.walk_time = -1, opts_.export_walk.clear();
    }
    if (!opts_.bookmark.empty() && settled() && !state_.z.empty()) {
      state_.bookmarks.push_back({opts_.bookmark, state_.z});
      opts_.bookmark.clear();
    }
    glfwSwapBuffers(window_);
  }
  return save_on_exit() ? 0 : 1;
}

bool Studio::save_on_exit() {
  if (!opts_.bookmark.empty() && !state_.z.empty()) state_.bookmarks.push_back({opts_.bookmark, state_.z}), opts_.bookmark.clear();
  if (opts_.save_session.empty()) return true;
  try {
    latent::save_session(make_session(), opts_.save_session);
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent-studio: %s\n", e.what());
    return false;
  }
}

bool Studio::settled(bool waiting_expression_counts) const {
  return (!waiting_expression_counts || opts_.expression.empty()) && state_.actions.empty() && !state_.model_load.running && !state_.dataset_load.running && !renderer_.decoder.busy() &&
         shown_generation_ == submitted_generation_ && !renderer_.picker.busy() && pick_shown_ == pick_generation_ &&
         !renderer_.words.busy() && words_shown_ == words_generation_ && !state_.word_index.running &&
         !renderer_.story.busy() && story_shown_ == story_generation_ && !renderer_.style_task &&
         !renderer_.atlas_task && !renderer_.selection_task && !renderer_.hover.busy() &&
         !state_.style_make_request &&
         !state_.map_progress.running && !state_.map_request &&
         state_.wanted_thumbnails.empty() && state_.open_dataset_request.empty() &&
         // A model waiting for the person's consent is settled: nothing more happens until they answer.
         ((state_.open_model_request.empty() && dropped_.empty()) || !state_.consent_path.empty()) &&
         !renderer_.export_task && !state_.export_request && !state_.grid_request &&
         !renderer_.invert_task && state_.invert_request.empty() && !renderer_.influence_task && !state_.influence_request &&
         opts_.drop.empty() && opts_.export_walk.empty() && opts_.walk_time < 0 && !state_.walk_scrubbed;
}

void Studio::frame() {
  // Fonts are rebuilt between frames, and not while the scale slider is being dragged.
  if (state_.options.ui_scale != state_.applied_ui_scale && !ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    apply_ui_scale(state_.options.ui_scale);
    state_.applied_ui_scale = state_.options.ui_scale;
  }
  if (state_.presentation_toggle) {
    state_.presentation_toggle = false;
    set_presentation(!state_.presentation);
  }
  if (state_.output_window_toggle) {
    state_.output_window_toggle = false;
    set_output_window(!output_);
  }
  poll_workers();
  handle_requests();
  upload_thumbnails();
  // Memory ran out somewhere and the reserve was used: say so once, and set it aside again.
  if (const int uses = latent::memory_reserve_uses(); uses > reserve_uses_seen_) {
    reserve_uses_seen_ = uses;
    show_error(state_.session_status,
               "Memory ran out: Latent Studio used the memory it keeps in reserve, so nothing was lost. Save your "
               "session now, and close other programs or open a smaller model or dataset.");
  }
  if (reserve_uses_seen_ > 0) latent::rearm_memory_reserve();  // at once when it is in place

  // The map's points: redrawn into their texture only when something that shows changed.
  if (!map_layer_) map_layer_ = std::make_unique<MapLayer>();
  state_.map_texture = map_layer_->update(state_);
  state_.map_redraws = map_layer_->redraws();
  const double t_ui = glfwGetTime();
  before_new_frame_layout();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  layout_and_draw();
  ImGui::Render();
  const double t_draw = glfwGetTime();

  int fw, fh;
  glfwGetFramebufferSize(window_, &fw, &fh);
  glViewport(0, 0, fw, fh);
  glClearColor(0.08f, 0.08f, 0.09f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  glFinish();  // so draw_ms is the GPU's (or llvmpipe's) time, not just the submission
  if (!pending_window_shot_.empty()) {
    try {
      latent::save_png(read_back_buffer(window_), pending_window_shot_);
      state_.export_status = "saved the window to " + pending_window_shot_;
    } catch (const std::exception& e) {
      state_.export_status = std::string("could not save the window: ") + e.what();
    }
    pending_window_shot_.clear();
  }
  draw_output_window();
  const double t_end = glfwGetTime();
  auto smooth = [](double& avg, double v) { avg = avg == 0 ? v : 0.9 * avg + 0.1 * v; };
  smooth(state_.ui_ms, 1000.0 * (t_draw - t_ui));
  smooth(state_.draw_ms, 1000.0 * (t_end - t_draw));

  const ImGuiIO& io = ImGui::GetIO();
  state_.fps = io.Framerate;
  state_.frame_ms = 1000.0 * io.DeltaTime;
  if (frame_times_.size() >= 2000) frame_times_.erase(frame_times_.begin(), frame_times_.begin() + 1000);
  frame_times_.push_back({state_.frame_ms, 1000.0 * (t_draw - t_ui), 1000.0 * (t_end - t_draw)});
  ++state_.frames;
}

void Studio::layout_and_draw() {
  const ImVec2 d = ImGui::GetIO().DisplaySize;
  handle_keys();
  {
    std::string t = state_.model.loaded ? state_.model.info.name : std::string("no model");
    if (state_.current_bookmark >= 0 && state_.current_bookmark < static_cast<int>(state_.bookmarks.size()))
      t += "  |  " + state_.bookmarks[state_.current_bookmark].name;
    if (state_.walk_playing) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  |  walk %.1f / %.1f s", state_.walk_time, state_.walk_duration);
      t += buf;
    }
    state_.overlay_text = t;
  }
  if (state_.presentation) {
    state_.overlay_help = glfwGetTime() < help_until_;
    panels::presentation_view(state_, {0, 0, d.x, d.y});
    panels::consent_prompt(state_);
    return;
  }
  const float s = state_.options.ui_scale;
  const float top = panels::menu_bar(state_);
  const float H = d.y - top;
  if (state_.layout_request >= 0) state_.layout_preset = layout_preset_name(static_cast<LayoutPreset>(state_.layout_request));
  dock_space(std::exchange(state_.layout_request, -1), s);
  const float left = std::min(d.x * 0.3f, 360.f * s);
  const float right = std::min(d.x * 0.3f, 400.f * s);
  const float model_h = std::min(H * 0.4f, 250.f * s);
  const float strip_h = std::min(H * 0.3f, 200.f * s);
  const float perf_h = std::min(H * 0.2f, 110.f * s);
  const float center = std::max(50.f, d.x - left - right);

  const float marks_h = std::min(H * 0.25f, 210.f * s);
  panels::model_panel(state_, {0, top, left, model_h});
  panels::bookmarks_panel(state_, {0, top + model_h, left, marks_h});
  panels::slider_panel(state_, {0, top + model_h + marks_h, left, H - model_h - marks_h});
  if (state_.model.loaded && state_.model.info.modality == latent::Modality::Text) {
    panels::story_panel(state_, {left, top, center, H});
    const float view_h = (H - perf_h) * 0.22f, style_h = (H - perf_h) * 0.36f;
    panels::viewport_panel(state_, {left + center, top, right, view_h});
    panels::story_map_panel(state_, {left + center, top + view_h, right, H - perf_h - view_h - style_h});
    panels::style_maker_panel(state_, {left + center, top + H - perf_h - style_h, right, style_h});
  } else if (state_.model.loaded && state_.model.info.modality == latent::Modality::Words) {
    panels::words_panel(state_, {left, top, center, H});
    const float view_h = (H - perf_h) * 0.4f;
    panels::viewport_panel(state_, {left + center, top, right, view_h});
    panels::map_panel(state_, {left + center, top + view_h, right, H - perf_h - view_h});
  } else {
    const float view_w = std::floor(center * 0.5f);
    panels::viewport_panel(state_, {left, top, view_w, H - strip_h});
    panels::map_panel(state_, {left + view_w, top, center - view_w, H - strip_h});
    // The bottom strip: the eigenfaces (PCA) beside the walk and export controls.
    if (!state_.component_textures.empty()) {
      const float comp_w = std::floor(center * 0.42f);
      panels::components_panel(state_, {left, top + H - strip_h, comp_w, strip_h});
      panels::walk_panel(state_, {left + comp_w, top + H - strip_h, center - comp_w, strip_h});
    } else {
      panels::walk_panel(state_, {left, top + H - strip_h, center, strip_h});
    }
    const float live_h = std::min(H * 0.3f, 230.f * s);
    panels::dataset_panel(state_, {left + center, top, right, H - perf_h - live_h});
    panels::live_panel(state_, {left + center, top + H - perf_h - live_h, right, live_h});
  }
  panels::performance_panel(state_, {left + center, d.y - perf_h, right, perf_h});
  panels::messages_window(state_);
  panels::import_sheet(state_);
  panels::consent_prompt(state_);
}

void Studio::poll_workers() {
  poll_story();
  poll_task(
      renderer_.model_task, state_.model_load,
      [&](LoadedModel m) {
        install_model(std::move(m));
        state_.model_error.clear();
      },
      [&](const std::string& e) {
        show_error(state_.model_error, e + (space_ ? "\nStill showing '" + space_->info().name + "'." : ""));
        // A bare TorchScript file that is no generator may be an encoder dropped before
        // its generator: tried again as the encoder once a generator is imported.
        if (latent::is_torchscript_file(opening_path_) && !retried_bare_.count(opening_path_))
          unpaired_bare_.push_back(opening_path_);
      });
  poll_task(
      renderer_.index_task, state_.word_index,
      [&](std::shared_ptr<const latent::ApproxIndex> idx) {
        word_index_ = std::move(idx);
        state_.word_index_ready = true;
        state_.word_index_note = word_index_->describe();
      },
      [&](const std::string& e) { state_.word_index_note = "no approximate index: " + e; });
  poll_task(
      renderer_.map_task, state_.map_progress,
      [&](MapResult m) {
        map_ = std::move(m);
        state_.map_xy.assign(map_->xy.data(), map_->xy.data() + map_->xy.size());
        state_.map_shown_method = map_->method;
        state_.map_filter_applied = "\x01";  // recompute the filter for the new points
        state_.map_selection.clear();
        state_.map_error.clear();
        map_placed_for_.clear();
      },
      [&](const std::string& e) { state_.map_error = e; });
  if (state_.map_progress.running) {  // progressive: show the newest intermediate layout
    std::lock_guard<std::mutex> lock(renderer_.map_snapshot->mutex);
    if (renderer_.map_snapshot->version != map_snapshot_seen_) {
      map_snapshot_seen_ = renderer_.map_snapshot->version;
      const auto& xy = renderer_.map_snapshot->xy;
      state_.map_xy.assign(xy.data(), xy.data() + xy.size());
    }
  }
  poll_task(
      renderer_.dataset_task, state_.dataset_load,
      [&](LoadedDataset d) {
        install_dataset(std::move(d));
        state_.dataset_error.clear();
      },
      [&](const std::string& e) { show_error(state_.dataset_error, e); });
  poll_task(
      renderer_.invert_task, state_.invert_progress,
      [&](InvertDone d) {
        if (static_cast<int>(d.z.size()) != state_.model.info.dim) return;  // the model changed meanwhile
        state_.z = d.z;
        for (TextureId* t : {&state_.invert_original, &state_.invert_reconstruction}) delete_texture(*t);
        state_.invert_original = create_texture(d.original, false);
        state_.invert_reconstruction = create_texture(d.reconstruction, false);
        state_.invert_mse = d.mse;
        state_.invert_how = d.how;
        state_.inverted_name = fs::path(d.path).filename().string();
        state_.picked = -1;
      },
      [&](const std::string& e) { show_error(state_.invert_error, e); });
  poll_task(
      renderer_.influence_task, state_.influence_progress,
      [&](std::vector<float> v) {
        if (static_cast<int>(v.size()) == state_.model.info.dim) state_.influence = std::move(v);
      },
      [&](const std::string& e) { state_.decode_error = "ranking dimensions failed: " + e; });
  if (auto r = renderer_.decoder.poll(shown_generation_)) {
    shown_generation_ = r->generation;
    if (r->value && state_.model.info.modality == latent::Modality::Text) {
      state_.view_text = r->value->text;
      state_.decode_error.clear();
    } else if (r->value && !r->value->words.empty()) {
      state_.view_words.clear();
      for (const auto& w : r->value->words) state_.view_words.push_back({w.word, w.score});
      state_.decode_error.clear();
    } else if (r->value) {
      const latent::Image& img = r->value->image;
      last_image_ = img;
      if (state_.view_texture && img.width == state_.view_w && img.height == state_.view_h) {
        update_texture(state_.view_texture, img, state_.options.linear_filter);
      } else {
        delete_texture(state_.view_texture);
        state_.view_texture = create_texture(img, state_.options.linear_filter);
      }
      state_.view_w = img.width, state_.view_h = img.height;
      state_.decode_error.clear();
    } else {
      state_.decode_error = r->error;
    }
    state_.decode_ms = 1000.0 * r->seconds;
    state_.decode_ms_avg = state_.decode_ms_avg == 0 ? state_.decode_ms : 0.9 * state_.decode_ms_avg + 0.1 * state_.decode_ms;
  }
  state_.decodes_submitted = renderer_.decoder.submitted();
  state_.decodes_skipped = renderer_.decoder.skipped();
  if (auto r = renderer_.words.poll(words_shown_)) {
    words_shown_ = r->generation;
    if (r->value) {
      const WordResult& w = *r->value;
      state_.word_answers.clear();
      state_.word_inputs.clear();
      for (size_t i = 0; i < w.result.words.size(); ++i)
        state_.word_answers.push_back({w.result.words[i].word, w.result.words[i].score, w.answer_xy[i].first, w.answer_xy[i].second});
      for (size_t i = 0; i < w.inputs.size(); ++i)
        state_.word_inputs.push_back({w.inputs[i], 1.f, w.input_xy[i].first, w.input_xy[i].second, true});
      state_.word_status = w.result.method + "; input words " + (w.result.inputs_excluded ? "excluded" : "kept");
      state_.word_error.clear();
      if (w.query != last_word_point_query_) {
        // A new query moves the sliders to its point.
        last_word_point_query_ = w.query;
        state_.z = w.point;
      }
    } else {
      state_.word_error = r->error;
    }
  }
  if (auto r = renderer_.picker.poll(pick_shown_)) {
    pick_shown_ = r->generation;
    if (r->value && r->value->index == state_.picked) {
      for (TextureId* t : {&state_.pick_original, &state_.pick_reconstruction, &state_.pick_error}) delete_texture(*t);
      state_.pick_original = create_texture(r->value->original, false);
      state_.pick_reconstruction = create_texture(r->value->reconstruction, false);
      state_.pick_error = create_texture(r->value->error, false);
      state_.pick_rmse = r->value->rmse;
      state_.pick_max_error = r->value->max_error;
    } else if (!r->value) {
      show_error(state_.dataset_error, "could not reconstruct the picked image: " + r->error);
    }
  }
}

void Studio::handle_requests() {
  handle_consent();
  // Dropped files one at a time, each after the one before it has finished: twenty files
  // dropped together are twenty loads (and twenty messages), not the last one only.
  if (!dropped_.empty() && !busy_with_drop(drop_kind(dropped_.front()))) {
    const std::string p = dropped_.front();
    dropped_.erase(dropped_.begin());
    route_dropped(p);
  }

  if (state_.import_sheet.reimport && !renderer_.model_task) {
    state_.import_sheet.reimport = false;
    renderer_.reimport_model(import_spec(state_.import_sheet), opts_.check, import_probe_);
    state_.model_load = {true, 0.f, "re-importing"};
  }
  if (!state_.open_model_request.empty() && !renderer_.model_task && state_.consent_path.empty()) {
    const bool runs_code = latent::model_runs_code(state_.open_model_request);
    if (may_open(state_.open_model_request, runs_code)) {
      // A bare TorchScript file while the generator imported last is open, without an
      // encoder: it may be that encoder.
      const ImportSheet& im = state_.import_sheet;
      std::optional<latent::TorchScriptImport> pair;
      if (runs_code && im.encoder.empty() && !im.out_dir.empty() && latent::model_package_key(state_.model.info.source) == latent::model_package_key(im.out_dir) &&
          latent::is_torchscript_file(state_.open_model_request))
        pair = import_spec(im);
      renderer_.open_model(state_.open_model_request, runs_code ? &opts_.check : nullptr, pair ? &*pair : nullptr,
                           import_probe_);
      opening_path_ = state_.open_model_request;
      state_.model_load = {true, 0.f, "opening"};
      state_.open_model_request.clear();
    }  // else the consent prompt is up, and the request waits for the answer
  }
  if (!state_.open_dataset_request.empty() && !renderer_.dataset_task && space_) {
    renderer_.open_dataset(state_.open_dataset_request, space_);
    state_.dataset_load = {true, 0.f, "opening"};
    state_.open_dataset_request.clear();
  }
  if (!state_.invert_request.empty() && space_) {
    renderer_.invert_image(state_.invert_request, space_);
    state_.invert_progress = {true, 0.f, "starting"};
    state_.invert_error.clear();
    state_.invert_request.clear();
  }
  if (state_.influence_request && space_ && !state_.z.empty()) {
    renderer_.rank_influence(space_, state_.z);
    state_.influence_progress = {true, 0.f, "ranking dimensions"};
    state_.influence_request = false;
  }
  if (!state_.device_request.empty()) {
    try {
      latent::check_device_name(state_.device_request);
      renderer_.open_options.device = state_.device_request;
      state_.device = state_.device_request;
      state_.device_note = latent::resolve_device(state_.device).note;
      if (space_ && state_.model.info.kind == "torch-image") state_.open_model_request = state_.model.info.source;
    } catch (const std::exception& e) {
      state_.device_note = e.what();
    }
    state_.device_request.clear();
  }
  if (state_.truncate_request) {
    state_.truncate_request = false;
    for (float& v : state_.z) v *= state_.truncation;
  }
  if (state_.randomize_request && space_) {
    state_.randomize_request = false;
    try {
      state_.z = space_->sample(1, state_.randomize_seed).front();
      for (float& v : state_.z) v *= state_.truncation;
    } catch (const std::exception& e) {
      state_.decode_error = e.what();
    }
  }
  if (state_.pick_request >= 0 && dataset_ && state_.pick_request < static_cast<long>(dataset_->latents.size())) {
    const long i = state_.pick_request;
    state_.picked = i;
    state_.z = dataset_->latents[i];
    pick_generation_ = renderer_.picker.submit({space_, dataset_->data, i, state_.z});
  }
  state_.pick_request = -1;

  if (space_ && state_.model.info.modality == latent::Modality::Words) {
    if (!state_.word_continue.empty()) {
      state_.word_query = state_.word_continue;
      state_.word_continue.clear();
    }
    const auto index = state_.word_use_approx ? word_index_ : nullptr;
    const WordKey key{state_.word_query, state_.word_k, state_.word_keep_inputs, state_.word_method, space_.get(), index.get()};
    if (!(key == submitted_words_) && !state_.word_query.empty()) {
      submitted_words_ = key;
      words_generation_ = renderer_.words.submit({space_, index, state_.word_query, state_.word_k, state_.word_keep_inputs,
                                                  state_.word_method ? latent::AnalogyMethod::CosMul : latent::AnalogyMethod::CosAdd});
    }
  }
  handle_story();
  handle_map_requests();
  handle_session_requests();
  handle_file_dialog();
  handle_layout_menu();
  handle_journey();
  handle_map_pictures();
  handle_walk();
  handle_live();
  if (space_ && state_.z != submitted_z_) {
    submitted_z_ = state_.z;
    submitted_generation_ = renderer_.decoder.submit({space_, state_.word_use_approx ? word_index_ : nullptr, state_.z});
  }
  if (state_.options.linear_filter != last_linear_) {
    last_linear_ = state_.options.linear_filter;
    if (state_.view_texture) set_texture_filter(state_.view_texture, last_linear_);
  }
}

void Studio::install_model(LoadedModel loaded) {
  const bool same_space = space_ && loaded.space == space_;
  space_ = loaded.space;
  const auto& info = space_->info();
  state_.model.loaded = true;
  state_.model.info = info;
  state_.model.scale = space_->scale();
  state_.model.explained_fraction = loaded.explained_fraction;
  import_probe_ = loaded.imported.is_object() ? loaded.imported.value("probe", nlohmann::json()) : nlohmann::json();
  if (loaded.imported.is_object()) {
    const auto& j = loaded.imported;
    ImportSheet& im = state_.import_sheet;
    im.shown = true;
    im.reimport = false;
    im.generator = j.value("generator", std::string());
    im.encoder = j.value("encoder", std::string());
    im.out_dir = j.value("out_dir", std::string());
    im.latent = j.value("latent", 0);
    im.z4d = j.value("z_shape", std::string()) == "4d" ? 1 : 0;
    im.chw[0] = j.value("channels", 0), im.chw[1] = j.value("height", 0), im.chw[2] = j.value("width", 0);
    const auto r = j.value("range", std::vector<float>{-1.f, 1.f});
    if (r.size() == 2) im.range[0] = r[0], im.range[1] = r[1];
    im.prior = j.value("prior", std::string()) == "uniform" ? 1 : 0;
    char found[400];
    const auto& p = import_probe_;
    std::snprintf(found, sizeof found, "latent %d as %s, images %dx%dx%d (C,H,W), output range %g..%g (%s; 32 samples "
                  "span %.3f..%.3f), %s prior",
                  im.latent, im.z4d ? "[B,D,1,1]" : "[B,D]", im.chw[0], im.chw[1], im.chw[2], im.range[0], im.range[1],
                  p.value("range_guess", std::string("given")).c_str(), p.value("sample_min", 0.0),
                  p.value("sample_max", 0.0), im.prior ? "uniform" : "normal");
    im.found = found;
    if (!im.encoder.empty())
      im.found += "; encoder " + im.encoder + " (gives " + j.value("encoder_output", std::string("a mean")) + ")";
    for (TextureId t : im.preview) delete_texture(t);
    im.preview.clear();
    for (const latent::Image& p : loaded.preview) im.preview.push_back(create_texture(p, false));
    im.preview_w = info.observation.width, im.preview_h = info.observation.height;
    // Files that failed as generators before this one was imported: each tried once as
    // its encoder (dropped together, in any order, they pair by shape).
    if (state_.import_sheet.encoder.empty())
      for (const std::string& p : std::exchange(unpaired_bare_, {}))
        if (retried_bare_.insert(p).second) dropped_.push_back(p);
  } else if (state_.import_sheet.out_dir != info.source) {
    state_.import_sheet.shown = false;
  }
  if (loaded.check_seconds >= 0) {
    char note[160];
    std::snprintf(note, sizeof note, "checked in a separate process first: %.1f s, %ld MB", loaded.check_seconds,
                  loaded.check_peak_mb);
    state_.model.check_note = note;
  } else if (!same_space) {
    state_.model.check_note.clear();
  }
  state_.model_path_input = info.source;
  state_.z.assign(info.dim, 0.f);
  if (first_model_ && start_z_) {
    if (static_cast<int>(start_z_->size()) == info.dim) state_.z = *start_z_;
    else show_error(state_.model_error, "the starting latent has " + std::to_string(start_z_->size()) +
                                            " values, the model " + std::to_string(info.dim));
  }
  if (state_.highlight_dim >= info.dim) state_.highlight_dim = -1;
  state_.influence.clear();
  if (state_.slider_top_n > 0) state_.influence_request = true;  // rank for the new model
  state_.device_note = latent::resolve_device(renderer_.open_options.device).note;
  word_index_.reset();
  state_.word_index_ready = false;
  state_.word_index_note.clear();
  if (const auto* wv = space_->words()) {
    if (opts_.approx_min_words > 0 && wv->size() >= opts_.approx_min_words && !renderer_.index_task) {
      renderer_.open_index(space_);
    } else {
      state_.word_index_note = "exact search (" + std::to_string(wv->size()) + " words)";
    }
  }
  for (TextureId t : state_.component_textures) delete_texture(t);
  state_.component_textures.clear();
  for (const latent::Image& c : loaded.components) state_.component_textures.push_back(create_texture(c, false));
  state_.component_w = info.observation.width, state_.component_h = info.observation.height;
  glfwSetWindowTitle(window_, ("Latent Studio - " + info.name).c_str());
  layout_for_model(info.modality);
  session_styles_.clear();
  submitted_story_.clear();
  state_.story_passage.clear();
  state_.story_map_ready = false;
  state_.view_text.clear();
  setup_story();

  // The dataset must be re-encoded by the new model: reopen it.
  std::string dataset = dataset_ ? state_.dataset_path_input : std::string();
  if (first_model_ && dataset.empty()) {
    // A generator without an encoder cannot map a dataset: only open one when asked.
    dataset = opts_.dataset.empty() ? (info.can_encode ? loaded.training_data : std::string()) : opts_.dataset;
    state_.dataset_path_input = dataset;
  }
  clear_dataset();
  // A model without an encoder cannot map the open dataset: it is put away, not an error
  // (the path stays in the box for the next model that can).
  if (!first_model_ && !dataset.empty() && info.modality == latent::Modality::Image && !info.can_encode) dataset.clear();
  if (!dataset.empty()) state_.open_dataset_request = dataset;
  if (first_model_ && !opts_.then_open.empty()) state_.open_model_request = opts_.then_open;
  load_directions();
  first_model_ = false;
  if (pending_session_) {
    // The session continues with this model.
    const latent::Session ses = *pending_session_;
    pending_session_.reset();
    if (!ses.z.empty() && static_cast<int>(ses.z.size()) == info.dim) state_.z = ses.z;
    state_.bookmarks.clear();
    for (const auto& b : ses.bookmarks) state_.bookmarks.push_back({b.name, b.z});
    if (ses.controls.contains("midi") && live_) {
      try {
        live_->load_bindings(ses.controls["midi"]);
      } catch (const std::exception& e) {
        state_.session_status = std::string("MIDI bindings not restored: ") + e.what();
      }
    }
    apply_story_session(ses.story, "the session");
    if (ses.controls.contains("osc") && ses.controls["osc"].is_object()) {
      const auto& o = ses.controls["osc"];
      state_.osc_send_host = o.value("send_host", state_.osc_send_host);
      state_.osc_send_port = o.value("send_port", 0);
      state_.osc_all_interfaces = o.value("all_interfaces", false);
      state_.osc_allow.clear();
      if (o.contains("allow") && o["allow"].is_array())
        for (const auto& a : o["allow"])
          if (a.is_string()) state_.osc_allow += (state_.osc_allow.empty() ? "" : ", ") + a.get<std::string>();
      if (o.value("listening", false) && !state_.osc_running) {
        state_.osc_port = o.value("port", state_.osc_port);
        state_.osc_toggle = true;
      }
    }
    if (!ses.walks.empty()) {
      const latent::Walk& w = ses.walks.front();
      state_.walk_name = w.name;
      state_.walk_keys.clear();
      state_.walk_random = w.random_loop.has_value();
      if (w.random_loop) {
        state_.walk_radius = w.random_loop->radius;
        state_.walk_osc = w.random_loop->speed;
        state_.walk_loop_seconds = static_cast<float>(w.random_loop->seconds);
        state_.walk_seed = static_cast<int>(w.random_loop->seed);
      }
      state_.walk_loop = w.loop;
      for (const auto& k : w.keys)
        if (static_cast<int>(k.z.size()) == info.dim)
          state_.walk_keys.push_back({k.name, k.z, static_cast<float>(k.seconds), static_cast<int>(k.interp)});
    }
    pending_sliders_ = ses.sliders;
    restore_direction_sliders();
    if (!ses.layout.empty()) {
      LayoutPreset p;
      if (parse_layout_preset(ses.layout, &p)) state_.layout_request = static_cast<int>(p);
      else layout_ini_request_ = ses.layout;
    }
    if (ses.walk_playing) opts_.play_walk = true;
    state_.options.ui_scale = ses.ui_scale;
    state_.options.linear_filter = ses.linear_filter;
    if (!ses.word_query.empty()) state_.word_query = ses.word_query;
    if (!ses.dataset.empty()) {
      clear_dataset();
      state_.dataset_path_input = ses.dataset;
      state_.open_dataset_request = ses.dataset;
      opts_.labels = ses.labels;
      opts_.color_by = ses.color_by;
      opts_.map = ses.map_method;
      start_map_pending_ = true;
      pending_groups_ = ses.groups;
      state_.attr_strength = ses.attr_strength;
      pending_attr_ = {ses.attr_a, ses.attr_b};
    }
    state_.session_status = "opened the session" + std::string(ses.z.size() == static_cast<size_t>(info.dim) || ses.z.empty()
                                                                   ? ""
                                                                   : " (its point has another size: not restored)");
  }
}

void Studio::clear_dataset() {
  dataset_.reset();
  clear_map_pictures();
  for (auto& [i, t] : state_.thumbnails) delete_texture(t);
  state_.thumbnails.clear();
  for (TextureId* t : {&state_.pick_original, &state_.pick_reconstruction, &state_.pick_error}) {
    delete_texture(*t);
    *t = 0;
  }
  state_.dataset_count = 0;
  state_.picked = -1;
  if (renderer_.map_task) renderer_.map_task->cancel();
  map_.reset();
  map_points_.reset();
  state_.map_xy.clear();
  state_.map_names.clear();
  state_.map_shown_method.clear();
  state_.map_current_valid = false;
  state_.groups.clear();
  state_.attr_a = state_.attr_b = -1;
}

void Studio::install_dataset(LoadedDataset loaded) {
  clear_dataset();
  dataset_ = std::move(loaded);
  state_.dataset_count = dataset_->data->count();
  state_.dataset_name = dataset_->name;
  // Labels: as asked, or labels.csv beside the dataset.
  std::string labels = opts_.labels;
  if (labels.empty()) {
    const fs::path src = dataset_->data->source;
    for (const fs::path& cand : {src / "labels.csv", src.parent_path() / "labels.csv"})
      if (fs::is_regular_file(cand)) {
        labels = cand.string();
        break;
      }
  }
  if (!labels.empty()) state_.labels_path_input = labels;
  for (const auto& g : pending_groups_) {
    if (!g.members_given) {  // a query only (a scene): made once the labels are in
      pending_query_groups_.push_back(g);
      continue;
    }
    StudioGroup sg{g.name, g.query, {}};
    for (long m : g.members)
      if (m >= 0 && m < state_.dataset_count) sg.members.push_back(m);
    state_.groups.push_back(std::move(sg));
  }
  pending_groups_.clear();
  if (pending_query_groups_.empty()) {
    if (pending_attr_.first < static_cast<int>(state_.groups.size())) state_.attr_a = pending_attr_.first;
    if (pending_attr_.second < static_cast<int>(state_.groups.size())) state_.attr_b = pending_attr_.second;
    pending_attr_ = {-1, -1};
  }
  renderer_.build_atlas(dataset_->data);
  // The map is there on open: PCA, unless the command line or the session asks for another.
  if (!(start_map_pending_ && !opts_.map.empty()) && !renderer_.map_task) {
    state_.map_method = 0;
    state_.map_request = true;
  }
  if (start_pick_ >= 0) {
    if (start_pick_ < state_.dataset_count) state_.pick_request = start_pick_;
    else show_error(state_.dataset_error, "no item " + std::to_string(start_pick_) + " in the dataset");
    start_pick_ = -1;
  }
}

void Studio::upload_thumbnails() {
  if (!dataset_) {
    state_.wanted_thumbnails.clear();
    return;
  }
  int uploaded = 0;
  std::vector<long> still;
  for (long i : state_.wanted_thumbnails) {
    if (state_.thumbnails.count(i) || i < 0 || i >= state_.dataset_count) continue;
    if (uploaded >= kThumbnailsPerFrame) {
      still.push_back(i);
      continue;
    }
    state_.thumbnails[i] = create_texture(dataset_->data->image(i), true);
    ++uploaded;
  }
  // Keep memory bounded: drop the thumbnails furthest from what is on screen.
  if (state_.thumbnails.size() > kMaxThumbnails && !state_.wanted_thumbnails.empty()) {
    const long focus = state_.wanted_thumbnails.front();
    while (state_.thumbnails.size() > kMaxThumbnails) {
      auto first = state_.thumbnails.begin();
      auto last = std::prev(state_.thumbnails.end());
      auto victim = (focus - first->first) > (last->first - focus) ? first : last;
      delete_texture(victim->second);
      state_.thumbnails.erase(victim);
    }
  }
  state_.wanted_thumbnails = std::move(still);
}

void Studio::load_labels(const std::string& path) {
  labels_loaded_path_ = path;
  labels_.reset();
  state_.label_columns.clear();
  state_.labels_error.clear();
  colored_column_ = -2;
  if (path.empty()) return;
  try {
    latent::LabelTable t = latent::LabelTable::read_csv(path);
    if (t.rows() != state_.dataset_count)
      throw latent::FormatError(path + " has " + std::to_string(t.rows()) + " rows but the dataset has " +
                                std::to_string(state_.dataset_count) + " items");
    state_.label_columns = t.columns();
    labels_ = std::move(t);
    if (state_.color_column < 0 && !opts_.color_by.empty()) state_.color_column = labels_->column(opts_.color_by);
  } catch (const std::exception& e) {
    state_.labels_error = e.what();
  }
}

void Studio::update_colors() {
  colored_column_ = state_.color_column;
  state_.map_colors.clear();
  state_.color_names.clear();
  if (!labels_ || state_.color_column < 0 || state_.color_column >= static_cast<int>(labels_->columns().size())) return;
  for (long r = 0; r < labels_->rows(); ++r) {
    const std::string& v = labels_->cell(r, state_.color_column);
    auto it = std::find(state_.color_names.begin(), state_.color_names.end(), v);
    state_.map_colors.push_back(static_cast<int>(it - state_.color_names.begin()));
    if (it == state_.color_names.end()) state_.color_names.push_back(v);
  }
}

bool Studio::make_group(const std::string& name_in, const std::string& query) {
  if (!labels_) {
    state_.labels_error = "load a label file first: groups are made by a query on its columns";
    return false;
  }
  try {
    StudioGroup g;
    g.query = query;
    g.members = labels_->select(query);
    g.name = name_in.empty() ? query : name_in;
    if (g.members.empty()) throw latent::UnsupportedError("no item matches '" + query + "'");
    state_.groups.push_back(std::move(g));
    const int idx = static_cast<int>(state_.groups.size()) - 1;
    if (state_.attr_a < 0) state_.attr_a = idx;
    else if (state_.attr_b < 0) state_.attr_b = idx;
    state_.labels_error.clear();
    return true;
  } catch (const std::exception& e) {
    state_.labels_error = e.what();
    return false;
  }
}

void Studio::load_directions() {
  // The previous model's directions go; group attributes stay (they follow the dataset).
  auto& atts = state_.attributes;
  atts.erase(std::remove_if(atts.begin(), atts.end(), [](const AppState::Attribute& a) { return a.direction >= 0; }),
             atts.end());
  state_.directions.clear();
  state_.directions_note.clear();
  const latent::SpaceInfo& info = state_.model.info;
  const std::string path = latent::directions_path(info);
  if (path.empty() || !std::filesystem::exists(path)) return;
  try {
    const latent::DirectionSet set = latent::read_directions(path);
    latent::check_directions(set, info, path);
    std::vector<AppState::Attribute> made;
    for (const auto& d : set.directions) {
      AppState::NamedDirection nd;
      nd.name = d.name;
      nd.step.resize(d.unit.size());
      for (size_t k = 0; k < d.unit.size(); ++k) nd.step[k] = static_cast<float>(d.sigma) * d.unit[k];
      char about[200];
      if (d.energy_share > 0)
        std::snprintf(about, sizeof about, "found without labels (SeFa): %.1f%% of the first layer's energy; sigma %.2f",
                      100 * d.energy_share, d.sigma);
      else
        std::snprintf(about, sizeof about, "%s: boundary agrees %.0f%% (balanced), %.0f%% of samples positive; sigma %.2f",
                      set.classifier.c_str(), 100 * d.balanced_accuracy, 100 * d.positive_rate, d.sigma);
      nd.about = about;
      if (!d.orthogonal_to.empty()) {
        nd.about += "; orthogonal to";
        for (const auto& o : d.orthogonal_to) nd.about += " " + o;
      }
      made.push_back({-1, -1, 0.f, 0.f, static_cast<int>(state_.directions.size())});
      state_.directions.push_back(std::move(nd));
    }
    atts.insert(atts.begin(), made.begin(), made.end());
    state_.directions_note = std::to_string(set.directions.size()) + " directions from " + path;
  } catch (const std::exception& e) {
    state_.directions_note = e.what();
    state_.directions.clear();
    return;
  }
  if (!first_model_) return;
  for (const std::string& def : opts_.directions) {
    const auto eq = def.rfind('=');
    const std::string name = def.substr(0, eq);
    float sigma = 0;
    try {
      if (eq == std::string::npos) throw std::invalid_argument(def);
      sigma = std::stof(def.substr(eq + 1));
    } catch (const std::exception&) {
      state_.directions_note = "--direction takes NAME=SIGMA, not '" + def + "'";
      continue;
    }
    bool found = false;
    for (auto& a : atts)
      if (a.direction >= 0 && state_.directions[static_cast<size_t>(a.direction)].name == name) a.strength = sigma, found = true;
    if (!found) state_.directions_note = "--direction " + name + ": this model has no such direction";
  }
}

latent::Latent Studio::attribute_vector(int a, int b) const {
  auto group_mean = [&](const StudioGroup& g) {
    std::vector<latent::Latent> zs;
    for (long i : g.members) zs.push_back(dataset_->latents[i]);
    return latent::mean(zs);
  };
  latent::Latent d = group_mean(state_.groups[a]);
  const latent::Latent mb = group_mean(state_.groups[b]);
  for (size_t k = 0; k < d.size(); ++k) d[k] -= mb[k];
  return d;
}

void Studio::apply_attribute() {
  if (!dataset_ || state_.attr_a < 0 || state_.attr_b < 0 || state_.z.empty()) return;
  const latent::Latent d = attribute_vector(state_.attr_a, state_.attr_b);
  for (size_t k = 0; k < state_.z.size(); ++k) state_.z[k] += state_.attr_strength * d[k];
}

void Studio::place_current_on_map() {
  if (!map_ || !map_points_ || state_.z.empty() || static_cast<long>(state_.z.size()) != map_points_->cols()) {
    state_.map_current_valid = false;
    return;
  }
  if (state_.z == map_placed_for_) return;
  map_placed_for_ = state_.z;
  Eigen::Map<const Eigen::VectorXf> z(state_.z.data(), static_cast<Eigen::Index>(state_.z.size()));
  Eigen::VectorXf q = z;
  if (state_.model.info.modality == latent::Modality::Words) q.normalize();  // word maps are of unit vectors
  if (map_->linear) {
    const Eigen::VectorXf y = map_->axes * (q - map_->mean);
    state_.map_current[0] = y[0], state_.map_current[1] = y[1];
  } else {
    // Placed among its nearest neighbours, weighted by closeness.
    const Eigen::VectorXf d = (map_points_->rowwise() - q.transpose()).rowwise().squaredNorm();
    std::vector<std::pair<float, long>> best;
    for (long i = 0; i < d.size(); ++i) best.push_back({d[i], i});
    const size_t k = std::min<size_t>(5, best.size());
    std::partial_sort(best.begin(), best.begin() + k, best.end());
    double wx = 0, wy = 0, wsum = 0;
    for (size_t j = 0; j < k; ++j) {
      const double w = 1.0 / (1e-6 + std::sqrt(best[j].first));
      wx += w * map_->xy(best[j].second, 0), wy += w * map_->xy(best[j].second, 1), wsum += w;
    }
    state_.map_current[0] = static_cast<float>(wx / wsum), state_.map_current[1] = static_cast<float>(wy / wsum);
  }
  state_.map_current_valid = true;
}

latent::Walk Studio::make_walk() const {
  latent::Walk w;
  w.name = state_.walk_name.empty() ? "walk" : state_.walk_name;
  if (state_.walk_random) {
    latent::RandomLoop rl;
    rl.center = state_.walk_keys.empty() ? state_.z : state_.walk_keys.front().z;
    rl.scale = state_.model.scale;
    rl.radius = state_.walk_radius;
    rl.speed = state_.walk_osc;
    rl.seconds = state_.walk_loop_seconds;
    rl.seed = static_cast<uint64_t>(std::max(0, state_.walk_seed));
    w.random_loop = rl;
    return w;
  }
  for (const auto& k : state_.walk_keys)
    w.keys.push_back({k.name, k.z, k.seconds, static_cast<latent::Interpolation>(std::clamp(k.interp, 0, 2))});
  w.loop = state_.walk_loop;
  w.validate(state_.model.info.dim);
  return w;
}

void Studio::handle_walk() {
  auto& s = state_;
  if (!space_ || s.model.info.modality != latent::Modality::Image) {
    s.walk_playing = false;
    return;
  }
  const int dim = s.model.info.dim;
  // Keyframes of another model's size are dropped when the model changes.
  s.walk_keys.erase(std::remove_if(s.walk_keys.begin(), s.walk_keys.end(),
                                   [dim](const AppState::WalkKey& k) { return static_cast<int>(k.z.size()) != dim; }),
                    s.walk_keys.end());
  if (s.walk_add_current) {
    s.walk_add_current = false;
    s.walk_keys.push_back({"key " + std::to_string(s.walk_keys.size() + 1), s.z});
  }
  if (s.walk_add_bookmarks) {
    s.walk_add_bookmarks = false;
    for (const auto& b : s.bookmarks)
      if (static_cast<int>(b.z.size()) == dim) s.walk_keys.push_back({b.name, b.z});
  }
  if (s.walk_clear) s.walk_clear = false, s.walk_keys.clear(), s.walk_playing = false;
  if (s.walk_remove >= 0 && s.walk_remove < static_cast<int>(s.walk_keys.size()))
    s.walk_keys.erase(s.walk_keys.begin() + s.walk_remove);
  s.walk_remove = -1;

  std::optional<latent::Walk> walk;
  if (s.walk_random || s.walk_keys.size() >= 2) {
    try {
      walk = make_walk();
      if (s.walk_total_seconds > 0 && !s.walk_random) {
        walk->set_duration(s.walk_total_seconds);
        for (size_t i = 0; i < s.walk_keys.size(); ++i) s.walk_keys[i].seconds = static_cast<float>(walk->keys[i].seconds);
      }
      s.walk_error.clear();
    } catch (const std::exception& e) {
      s.walk_error = e.what();
    }
  }
  s.walk_total_seconds = 0;
  s.walk_duration = walk ? walk->duration() : 0;
  if (s.walk_toggle) {
    s.walk_toggle = false;
    s.walk_playing = walk && !s.walk_playing;
    if (s.walk_playing && !walk->closed() && s.walk_time >= s.walk_duration) s.walk_time = 0;
  }
  if (!walk) s.walk_playing = false;

  // Playback: one point per displayed frame; the decoder shows the newest finished one,
  // so a slow decode skips points rather than falling behind or going out of order.
  const double now = glfwGetTime();
  const double dt = last_frame_time_ > 0 ? std::min(0.25, now - last_frame_time_) : 0;
  last_frame_time_ = now;
  if (walk && s.walk_playing) {
    s.walk_time += static_cast<float>(dt * s.walk_rate);
    if (s.walk_time >= s.walk_duration) {
      if (walk->closed()) {
        s.walk_time = static_cast<float>(std::fmod(s.walk_time, std::max(1e-6, s.walk_duration)));
      } else {
        s.walk_time = static_cast<float>(s.walk_duration);
        s.walk_playing = false;
      }
    }
  }
  if (walk && (s.walk_playing || s.walk_scrubbed)) s.z = walk->at(s.walk_time);
  s.walk_scrubbed = false;

  // Exports run on a task; the panel shows progress and can cancel.
  poll_task(
      renderer_.export_task, s.export_progress, [&](std::string msg) { s.export_status = msg; },
      [&](const std::string& e) { s.export_status = "export failed: " + e; });
  if (s.export_cancel) {
    s.export_cancel = false;
    if (renderer_.export_task) renderer_.export_task->cancel();
    s.export_status = "export cancelled: nothing was written";
  }
  const auto beside = [&](const std::string& suffix) {
    fs::path p(s.export_path.empty() ? "walk" : s.export_path);
    if (p.filename().empty()) p = p.parent_path();
    return (p.parent_path() / (p.stem().string() + suffix)).string();
  };
  if (s.export_request && !renderer_.export_task) {
    s.export_request = false;
    if (!walk) {
      s.export_status = "nothing to export: add two keyframes or more, or choose a random loop";
    } else {
      latent::VideoOptions o;
      o.fps = s.export_fps;
      const auto& obs = s.model.info.observation;
      const float aspect = static_cast<float>(obs.width) / std::max(1, obs.height);
      o.width = aspect >= 1 ? s.export_size : static_cast<int>(s.export_size * aspect);
      o.height = aspect >= 1 ? static_cast<int>(s.export_size / aspect) : s.export_size;
      o.width += o.width % 2, o.height += o.height % 2;  // MP4 wants even sizes
      o.resize = s.export_smooth ? latent::ResizeFilter::Smooth : latent::ResizeFilter::Nearest;
      try {
        latent::video_format_for(s.export_path);
        renderer_.export_walk(space_, *walk, s.export_path, o);
        s.export_progress = {true, 0.f, "starting"};
        s.export_status.clear();
      } catch (const std::exception& e) {
        s.export_status = e.what();
      }
    }
  }
  s.export_request = false;
  if (s.grid_request && !renderer_.export_task) {
    s.grid_request = false;
    if (walk && !walk->random_loop) {
      const int scale = std::max(1, s.export_size / std::max(1, s.model.info.observation.width) / 4);
      renderer_.export_grid(space_, *walk, beside("-grid.png"), 8, scale);
      s.export_progress = {true, 0.f, "starting"};
    }
  }
  s.grid_request = false;
  if (s.save_image_request) {
    s.save_image_request = false;
    try {
      if (last_image_.empty()) throw latent::Error("nothing decoded yet");
      const std::string path = beside("-image.png");
      const int w = s.export_size, h = static_cast<int>(std::lround(
                                           static_cast<double>(s.export_size) * last_image_.height / last_image_.width));
      latent::save_png(latent::fit_frame(last_image_, w, h, last_image_.channels,
                                         s.export_smooth ? latent::ResizeFilter::Smooth : latent::ResizeFilter::Nearest),
                       path);
      s.export_status = "saved the image (" + std::to_string(w) + "x" + std::to_string(h) + ") to " + path;
    } catch (const std::exception& e) {
      s.export_status = std::string("could not save the image: ") + e.what();
    }
  }
  if (s.save_window_request) {
    s.save_window_request = false;
    pending_window_shot_ = beside("-window.png");
  }
}

latent::Session Studio::make_session() const {
  latent::Session s;
  s.model = state_.model.loaded ? state_.model.info.source : state_.model_path_input;
  s.dataset = dataset_ ? state_.dataset_path_input : "";
  s.labels = labels_ ? labels_loaded_path_ : "";
  s.z = state_.z;
  for (const auto& b : state_.bookmarks) s.bookmarks.push_back({b.name, b.z});
  for (const auto& g : state_.groups) s.groups.push_back({g.name, g.query, g.members});
  s.map_method = map_ ? map_->method : "";
  s.color_by = labels_ && state_.color_column >= 0 && state_.color_column < static_cast<int>(labels_->columns().size())
                   ? labels_->columns()[state_.color_column]
                   : "";
  s.attr_a = state_.attr_a, s.attr_b = state_.attr_b, s.attr_strength = state_.attr_strength;
  s.word_query = state_.model.info.modality == latent::Modality::Words ? state_.word_query : "";
  s.ui_scale = state_.options.ui_scale;
  s.linear_filter = state_.options.linear_filter;
  if (live_) {
    s.controls = {{"midi", live_->bindings_json()},
                  {"osc", {{"port", state_.osc_port}, {"listening", state_.osc_running},
                           {"send_host", state_.osc_send_host}, {"send_port", state_.osc_send_port},
                           {"all_interfaces", state_.osc_all_interfaces},
                           {"allow", parse_osc_allow_list(state_.osc_allow)}}}};
  }
  s.story = story_session();
  for (const auto& at : state_.attributes) {
    latent::SessionSlider sl;
    if (at.direction >= 0 && at.direction < static_cast<int>(state_.directions.size())) {
      if (at.strength == 0.f && at.applied == 0.f) continue;  // a direction at rest is not worth a line
      sl.direction = state_.directions[static_cast<size_t>(at.direction)].name;
    } else if (at.a >= 0 && at.b >= 0 && at.a < static_cast<int>(state_.groups.size()) &&
               at.b < static_cast<int>(state_.groups.size())) {
      sl.a = state_.groups[static_cast<size_t>(at.a)].name, sl.b = state_.groups[static_cast<size_t>(at.b)].name;
    } else {
      continue;
    }
    sl.strength = at.strength, sl.applied = at.applied;
    s.sliders.push_back(std::move(sl));
  }
  s.walk_playing = state_.walk_playing;
  s.caption = state_.scene_caption;
  s.layout = layout_ini();
  if (state_.walk_random || state_.walk_keys.size() >= 2) {
    try {
      s.walks.push_back(make_walk());
    } catch (const std::exception&) {
      // An unfinished walk is not saved; the rest of the session is.
    }
  }
  return s;
}


void Studio::remember_recent(const std::string& path) {
  const std::string abs = fs::absolute(path).lexically_normal().string();
  auto& r = state_.recent_sessions;
  r.erase(std::remove(r.begin(), r.end(), abs), r.end());
  r.insert(r.begin(), abs);
  if (r.size() > 8) r.resize(8);
  try {
    fs::create_directories(fs::path(recent_file()).parent_path());
    latent::write_file_atomic(recent_file(), nlohmann::json(r).dump(2) + "\n");
  } catch (const std::exception&) {
    // The list is a convenience: a read-only home folder costs nothing else.
  }
}

void Studio::open_session(const std::string& path, bool scene) {
  try {
    latent::Session ses = latent::load_session(path);
    // A scene is opened, not edited: saving asks for a new path, and nothing autosaves
    // beside the shipped file.
    if (!scene) remember_recent(path);
    state_.session_path_input = scene ? std::string() : path;
    state_.scene_caption = ses.caption;
    pending_query_groups_.clear();
    pending_sliders_.clear();
    const bool same_model = state_.model.loaded && !ses.model.empty() &&
                            fs::exists(ses.model) && fs::equivalent(ses.model, state_.model.info.source);
    if (!ses.model.empty() && !fs::exists(ses.model)) {
      pending_session_ = std::move(ses);
      show_error(state_.session_status, "This session's model is not at " + pending_session_->model +
                                            " any more. Open the model from where it is now (Model panel, or drop it "
                                            "on the window); the session then continues with it.");
      return;
    }
    pending_session_ = std::move(ses);
    if (same_model) {
      install_model(LoadedModel{space_, {}, state_.model.explained_fraction, {}, -1, 0, {}, {}});
      // Components were uploaded at the first install; keep them.
    } else if (!pending_session_->model.empty()) {
      state_.open_model_request = pending_session_->model;
    }
  } catch (const std::exception& e) {
    show_error(state_.session_status, e.what());
  }
}

void Studio::handle_session_requests() {
  for (const Action& action : state_.actions.take()) {
    const controller::PointsContext points{space_.get(), dataset_ ? &dataset_->latents : nullptr};
    if (controller::apply_points(action, state_, points)) continue;
    if (const auto* save = std::get_if<act::SaveSession>(&action)) {
      try {
        latent::save_session(make_session(), save->path);
        remember_recent(save->path);
        const std::time_t t = std::time(nullptr);
        char when[16];
        std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&t));
        state_.session_status = std::string("saved at ") + when;
      } catch (const std::exception& e) {
        show_error(state_.session_status, e.what());
      }
    } else if (const auto* open = std::get_if<act::OpenSession>(&action)) {
      open_session(open->path);
    }
  }
  const auto offer = [&](int& index) -> std::optional<AppState::AutosaveOffer> {
    const int i = std::exchange(index, -1);
    if (i < 0 || i >= static_cast<int>(state_.autosave_offers.size())) return std::nullopt;
    auto o = state_.autosave_offers[static_cast<size_t>(i)];
    state_.autosave_offers.erase(state_.autosave_offers.begin() + i);
    return o;
  };
  if (auto o = offer(state_.autosave_restore)) {
    try {
      latent::restore_autosave({o->autosave, o->session, o->pid});
      open_session(o->session);
    } catch (const std::exception& e) {
      show_error(state_.session_status, std::string("restoring the autosave failed: ") + e.what());
    }
  }
  if (auto o = offer(state_.autosave_discard)) {
    try {
      latent::discard_autosave({o->autosave, o->session, o->pid});
    } catch (const std::exception& e) {
      show_error(state_.session_status, e.what());
    }
  }
  // Autosave beside the session (never over it) when something changed.
  const double now = glfwGetTime();
  if (opts_.autosave_seconds > 0 && !state_.session_path_input.empty() && state_.model.loaded &&
      now - last_autosave_ > opts_.autosave_seconds) {
    last_autosave_ = now;
    const latent::Session session = make_session();
    const std::string text = latent::session_to_json(session).dump();
    if (text != autosaved_json_) {
      try {
        const std::string file = latent::autosave_path(state_.session_path_input, static_cast<long>(::getpid()));
        latent::autosave_session(session, state_.session_path_input);
        std::error_code ec;
        if (!autosave_file_.empty() && autosave_file_ != file) fs::remove(autosave_file_, ec);
        autosave_file_ = file;
        autosaved_json_ = text;
      } catch (const std::exception& e) {
        show_error(state_.session_status, std::string("autosave failed: ") + e.what());
      }
    }
  }
}

void Studio::handle_map_requests() {
  if (state_.labels_path_input != labels_loaded_path_ && dataset_ &&
      (state_.labels_path_input.empty() || fs::is_regular_file(state_.labels_path_input)))
    load_labels(state_.labels_path_input);
  if (state_.color_column != colored_column_) update_colors();
  make_pending_query_groups();
  if (labels_ && start_attribute_pending_ && !opts_.groups.empty()) {
    for (const std::string& def : opts_.groups) {
      try {
        const latent::NamedValue g = latent::parse_named_value(def, "--group", "NAME=QUERY");
        make_group(g.name, g.value);
      } catch (const latent::Error& e) {
        state_.labels_error = e.what();
      }
    }
    auto group_index = [&](const std::string& name) {
      for (int g = 0; g < static_cast<int>(state_.groups.size()); ++g)
        if (state_.groups[g].name == name) return g;
      state_.labels_error = "no group named '" + name + "'";
      return -1;
    };
    for (const std::string& def : opts_.live_attributes) {
      std::stringstream ss(def);
      std::string a, b, st;
      std::getline(ss, a, ','), std::getline(ss, b, ','), std::getline(ss, st, ',');
      AppState::Attribute at{group_index(a), group_index(b), 0.f, 0.f};
      try {
        at.strength = st.empty() ? 0.f : std::stof(st);
      } catch (const std::exception&) {
        state_.labels_error = "--live-attribute takes A,B,STRENGTH, not '" + def + "'";
      }
      if (at.a >= 0 && at.b >= 0) state_.attributes.push_back(at);
    }
    if (!opts_.attribute.empty()) {
      // A,B,STRENGTH by group names.
      std::string a, b;
      float strength = 1.f;
      std::stringstream ss(opts_.attribute);
      std::getline(ss, a, ','), std::getline(ss, b, ',');
      std::string st;
      if (std::getline(ss, st, ',')) strength = std::stof(st);
      for (int g = 0; g < static_cast<int>(state_.groups.size()); ++g) {
        if (state_.groups[g].name == a) state_.attr_a = g;
        if (state_.groups[g].name == b) state_.attr_b = g;
      }
      state_.attr_strength = strength;
      state_.attr_apply = true;
    }
    start_attribute_pending_ = false;
  }
  // The map filter: a label query when it compares a column, else a regular expression
  // over the points' names (words, file names) and label rows.
  if (state_.map_filter != state_.map_filter_applied) {
    state_.map_filter_applied = state_.map_filter;
    state_.map_match.clear();
    state_.map_filter_error.clear();
    const size_t n = state_.map_xy.size() / 2;
    if (!state_.map_filter.empty() && n > 0) {
      try {
        state_.map_match.assign(n, 0);
        const bool query = labels_ && state_.map_filter.find_first_of("=<>~") != std::string::npos &&
                           labels_->rows() == static_cast<long>(n);
        if (query) {
          for (long r : labels_->select(state_.map_filter)) state_.map_match[r] = 1;
        } else {
          const std::regex re(state_.map_filter, std::regex::icase);
          for (size_t i = 0; i < n; ++i) {
            std::string text = i < state_.map_names.size() ? state_.map_names[i]
                               : dataset_ && i < dataset_->data->names.size() ? dataset_->data->names[i] : "";
            if (labels_ && static_cast<long>(i) < labels_->rows())
              for (int c = 0; c < static_cast<int>(labels_->columns().size()); ++c) text += " " + labels_->cell(i, c);
            state_.map_match[i] = std::regex_search(text, re);
          }
        }
      } catch (const std::regex_error&) {
        state_.map_match.clear();
        state_.map_filter_error = "'" + state_.map_filter + "' is neither a label query nor a valid regular expression";
      } catch (const std::exception& e) {
        state_.map_match.clear();
        state_.map_filter_error = e.what();
      }
    }
  }
  if (state_.group_from_selection) {
    state_.group_from_selection = false;
    StudioGroup g{state_.group_name.empty() ? "selection " + std::to_string(state_.groups.size() + 1) : state_.group_name,
                  "", state_.map_selection};
    if (!g.members.empty() && dataset_) {
      state_.groups.push_back(std::move(g));
      const int idx = static_cast<int>(state_.groups.size()) - 1;
      if (state_.attr_a < 0) state_.attr_a = idx;
      else if (state_.attr_b < 0) state_.attr_b = idx;
      state_.group_name.clear();
    }
  }
  if (state_.group_request) {
    state_.group_request = false;
    if (make_group(state_.group_name, state_.group_query)) state_.group_name.clear();
  }
  if (state_.attribute_add && state_.attr_a >= 0 && state_.attr_b >= 0) state_.attributes.push_back({state_.attr_a, state_.attr_b, 0.f, 0.f});
  state_.attribute_add = false;
  for (auto& at : state_.attributes) {
    if (start_pick_ >= 0 || state_.pick_request >= 0) break;  // a pick at start comes first
    if (at.direction >= 0) {
      if (at.strength == at.applied || at.direction >= static_cast<int>(state_.directions.size())) continue;
      const latent::Latent& d = state_.directions[static_cast<size_t>(at.direction)].step;
      for (size_t k = 0; k < state_.z.size() && k < d.size(); ++k) state_.z[k] += (at.strength - at.applied) * d[k];
      at.applied = at.strength;
      continue;
    }
    if (at.strength == at.applied || at.a < 0 || at.b < 0 || !dataset_ || state_.z.empty() ||
        at.a >= static_cast<int>(state_.groups.size()) || at.b >= static_cast<int>(state_.groups.size()))
      continue;
    const latent::Latent d = attribute_vector(at.a, at.b);
    for (size_t k = 0; k < state_.z.size() && k < d.size(); ++k) state_.z[k] += (at.strength - at.applied) * d[k];
    at.applied = at.strength;
  }
  if (state_.attr_apply) {
    state_.attr_apply = false;
    // Wait for a pick at start, so the attribute lands on the picked face.
    if (start_pick_ < 0 && state_.pick_request < 0) apply_attribute();
    else state_.attr_apply = true;
  }
  if (start_map_pending_ && !opts_.map.empty() && (dataset_ || (space_ && state_.model.info.modality == latent::Modality::Words))) {
    start_map_pending_ = false;
    try {
      const auto m = latent::parse_projection_method(opts_.map);
      state_.map_method = m == latent::ProjectionMethod::Pca ? 0 : m == latent::ProjectionMethod::Tsne ? 1 : 2;
      state_.map_request = true;
    } catch (const std::exception& e) {
      state_.map_error = e.what();
    }
  }
  if (state_.map_cancel) {
    state_.map_cancel = false;
    if (renderer_.map_task) renderer_.map_task->cancel();
  }
  if (state_.map_request && !renderer_.map_task && space_) {
    state_.map_request = false;
    auto points = std::make_shared<latent::RowMatrixXf>();
    state_.map_names.clear();
    if (const auto* wv = space_->words()) {
      const long n = std::min<long>(wv->size(), 2000);  // the most frequent words
      points->resize(n, wv->dim());
      for (long i = 0; i < n; ++i) {
        const latent::Latent u = wv->unit_vector(i);
        std::copy(u.begin(), u.end(), points->row(i).data());
        state_.map_names.emplace_back(wv->word(i));
      }
    } else if (dataset_) {
      const auto& zs = dataset_->latents;
      points->resize(static_cast<long>(zs.size()), space_->info().dim);
      for (size_t i = 0; i < zs.size(); ++i) std::copy(zs[i].begin(), zs[i].end(), points->row(static_cast<long>(i)).data());
    } else {
      state_.map_error = "load a dataset first: the map shows its items";
      return;
    }
    if (points->rows() < 3) {
      state_.map_error = "a map needs at least 3 points";
      return;
    }
    map_points_ = points;
    map_.reset();
    state_.map_current_valid = false;
    static const latent::ProjectionMethod methods[] = {latent::ProjectionMethod::Pca, latent::ProjectionMethod::Tsne,
                                                       latent::ProjectionMethod::Umap};
    renderer_.open_map(points, methods[std::clamp(state_.map_method, 0, 2)]);
    state_.map_progress = {true, 0.f, "starting"};
  }
  state_.map_request = state_.map_request && space_;  // keep a request made while a map runs
  place_current_on_map();
}


bool Studio::write_screenshot() {
  int fw, fh;
  glfwGetFramebufferSize(window_, &fw, &fh);
  const latent::Image img = read_back_buffer(window_);
  try {
    latent::save_png(img, opts_.screenshot);
    if (output_) {
      // The output window, redrawn now so its back buffer holds the current frame.
      draw_output_window(false);
      const latent::Image out = read_back_buffer(output_);
      glfwSwapBuffers(output_);
      glfwMakeContextCurrent(window_);
      latent::save_png(out, opts_.screenshot + ".output.png");
    }
    // Where things are, for tests and docs.
    auto rect = [](const Rect& r) { return nlohmann::json{{"x", r.x}, {"y", r.y}, {"w", r.w}, {"h", r.h}}; };
    nlohmann::json meta = {{"width", fw},
                           {"height", fh},
                           {"viewport", rect(state_.viewport_rect)},
                           {"viewport_image", {{"width", state_.view_w}, {"height", state_.view_h}}},
                           {"sliders", rect(state_.sliders_rect)},
                           {"first_slider", rect(state_.first_slider_rect)},
                           {"first_direction", rect(state_.first_direction_rect)},
                           {"journey", {{"menu", rect(state_.journey_rect)},
                                        {"caption", state_.scene_caption},
                                        {"caption_rect", rect(state_.caption_rect)},
                                        {"note", state_.scenes_note},
                                        {"open_seconds", state_.scene_seconds},
                                        {"scenes", [&] {
                                           nlohmann::json l = nlohmann::json::array();
                                           for (size_t i = 0; i < state_.scenes.size(); ++i)
                                             l.push_back({{"title", state_.scenes[i].title},
                                                          {"path", state_.scenes[i].path},
                                                          {"rect", i < state_.scene_item_rects.size()
                                                                       ? rect(state_.scene_item_rects[i])
                                                                       : rect(Rect{})}});
                                           return l;
                                         }()}}},
                           {"group_sliders", [&] {
                              nlohmann::json l = nlohmann::json::array();
                              for (const auto& a : state_.attributes)
                                if (a.direction < 0 && a.a >= 0 && a.b >= 0 && a.a < static_cast<int>(state_.groups.size()) &&
                                    a.b < static_cast<int>(state_.groups.size()))
                                  l.push_back({{"a", state_.groups[static_cast<size_t>(a.a)].name},
                                               {"b", state_.groups[static_cast<size_t>(a.b)].name},
                                               {"strength", a.strength}, {"applied", a.applied}});
                              return l;
                            }()},
                           {"walk_playing", state_.walk_playing},
                           {"file_dialogs", {{"available", state_.file_dialogs},
                                             {"status", state_.file_dialog_status},
                                             {"buttons", [&] {
                                                nlohmann::json b = nlohmann::json::object();
                                                const char* names[] = {"none", "model", "dataset", "labels", "session_open",
                                                                       "session_save", "export", "selection"};
                                                for (const auto& [k, r] : state_.browse_buttons)
                                                  if (k >= 0 && k < 8) b[names[k]] = rect(r);
                                                return b;
                                              }()}}},
                           {"session_path", state_.session_path_input},
                           {"layout", {{"preset", state_.layout_preset},
                                       {"kind", state_.layout_kind},
                                       {"status", state_.layout_status},
                                       {"file", layout_file_},
                                       {"menu", rect(state_.layout_menu_rect)},
                                       {"items", [&] {
                                          nlohmann::json l = nlohmann::json::array();
                                          for (const Rect& r : state_.layout_item_rects) l.push_back(rect(r));
                                          return l;
                                        }()}}},
                           {"dataset_path", state_.dataset_path_input},
                           {"import_sheet", {{"shown", state_.import_sheet.shown},
                                             {"generator", state_.import_sheet.generator},
                                             {"out_dir", state_.import_sheet.out_dir},
                                             {"found", state_.import_sheet.found},
                                             {"rect", rect(state_.import_sheet.rect)},
                                             {"tanh_button", rect(state_.import_sheet.tanh_button)},
                                             {"preview", state_.import_sheet.preview.size()},
                                             {"reimport_button", rect(state_.import_sheet.reimport_button)}}},
                           {"observation", {{"channels", state_.model.info.observation.channels},
                                            {"height", state_.model.info.observation.height},
                                            {"width", state_.model.info.observation.width}}},
                           {"directions_note", state_.directions_note},
                           {"directions", [&] {
                              nlohmann::json d = nlohmann::json::array();
                              for (const auto& a : state_.attributes)
                                if (a.direction >= 0 && a.direction < static_cast<int>(state_.directions.size()))
                                  d.push_back({{"name", state_.directions[static_cast<size_t>(a.direction)].name},
                                               {"sigma", a.strength}});
                              return d;
                            }()},
                           {"model", state_.model.loaded ? state_.model.info.name : ""},
                           {"z", state_.z},
                           {"picked", state_.picked},
                           {"dataset_count", state_.dataset_count},
                           {"model_error", state_.model_error},
                           {"model_check", state_.model.check_note},
                           {"consent_pending", state_.consent_path},
                           {"autosave_offers", state_.autosave_offers.size()},
                           {"restore_button", rect(state_.restore_button_rect)},
                           {"messages", [&] {
                              nlohmann::json m = nlohmann::json::array();
                              for (const auto& x : state_.messages) m.push_back(x.text);
                              return m;
                            }()},
                           {"decode_error", state_.decode_error},
                           {"linear_filter", state_.options.linear_filter},
                           {"word_query", state_.word_query},
                           {"word_status", state_.word_status},
                           {"word_error", state_.word_error},
                           {"map_points", state_.map_xy.size() / 2},
                           {"map_pictures", {{"atlas_pages", state_.map_atlas.pages.size()},
                                             {"atlas_cell", state_.map_atlas.cell},
                                             {"drawn", state_.map_thumbnails_drawn},
                                             {"px", state_.map_thumbnail_px},
                                             {"canvas", rect(state_.map_canvas_rect)},
                                             {"zoom", state_.map_view.zoom},
                                             {"hover", state_.map_hover},
                                             {"centre_point", {{"index", state_.map_centre_point},
                                                               {"x", state_.map_centre_point_px[0]},
                                                               {"y", state_.map_centre_point_px[1]}}},
                                             {"hover_decoded", state_.hover_decoded},
                                             {"selection", state_.map_selection.size()},
                                             {"selection_status", state_.selection_status},
                                             {"save_list_button", rect(state_.selection_list_button)},
                                             {"save_pictures_button", rect(state_.selection_images_button)}}},
                           {"map_method", state_.map_shown_method},
                           {"map_error", state_.map_error},
                           {"labels_error", state_.labels_error},
                           {"map_current_valid", state_.map_current_valid},
                           {"map_current", {state_.map_current[0], state_.map_current[1]}},
                           {"color_categories", state_.color_names},
                           {"session_status", state_.session_status},
                           {"expression_error", state_.expression_error},
                           {"map_filter_error", state_.map_filter_error},
                           {"map_matches", std::count(state_.map_match.begin(), state_.map_match.end(), 1)},
                           {"map_selection", state_.map_selection.size()},
                           {"ui_ms", state_.ui_ms},
                           {"map_redraws", state_.map_redraws},
                           {"map_gl_layer", state_.map_texture != 0},
                           {"draw_ms", state_.draw_ms},
                           {"frame_ms", state_.frame_ms},
                           {"device", state_.model.loaded ? state_.model.info.device : ""},
                           {"device_note", state_.device_note},
                           {"visible_sliders", state_.visible_dims.size()},
                           {"influence_ranked", !state_.influence.empty()},
                           {"inverted", state_.inverted_name},
                           {"invert_mse", state_.invert_mse},
                           {"invert_how", state_.invert_how},
                           {"invert_error", state_.invert_error},
                           {"decodes_submitted", state_.decodes_submitted},
                           {"presentation", state_.presentation},
                           {"osc_status", state_.osc_status},
                           {"osc_port", state_.osc_running ? state_.osc_port : -1},
                           {"midi_status", state_.midi_status},
                           {"live_last", state_.live_last},
                           {"bindings", state_.bindings},
                           {"walk_keys", state_.walk_keys.size()},
                           {"walk_playing", state_.walk_playing},
                           {"walk_time", state_.walk_time},
                           {"walk_duration", state_.walk_duration},
                           {"walk_error", state_.walk_error},
                           {"export_status", state_.export_status},
                           {"blackout", state_.blackout},
                           {"overlay", state_.overlay ? state_.overlay_text : std::string()},
                           {"current_bookmark", state_.current_bookmark},
                           {"output_window", output_ != nullptr},
                           {"monitors", state_.monitor_names},
                           {"decodes_skipped", state_.decodes_skipped},
                           {"decode_ms_avg", state_.decode_ms_avg}};
    {
      // Percentiles over the recorded frames (the last up to 2000): whole frame, UI
      // building on the CPU, and GL drawing.
      std::vector<double> fr, ui, dr;
      for (const auto& f : frame_times_) fr.push_back(f[0]), ui.push_back(f[1]), dr.push_back(f[2]);
      auto pct = [](const std::vector<double>& v) {
        return nlohmann::json{{"p50", percentile(v, 0.5)}, {"p90", percentile(v, 0.9)}, {"p99", percentile(v, 0.99)},
                              {"max", percentile(v, 1.0)}, {"frames", v.size()}};
      };
      meta["frame_times"] = {{"frame_ms", pct(fr)}, {"ui_ms", pct(ui)}, {"draw_ms", pct(dr)}};
    }
    for (const auto& b : state_.bookmarks) meta["bookmarks"].push_back(b.name);
    for (const auto& g : state_.groups) meta["groups"].push_back({{"name", g.name}, {"size", g.members.size()}});
    for (const auto& w : state_.word_answers) meta["word_answers"].push_back({{"word", w.word}, {"score", w.score}});
    for (const auto& w : state_.view_words) meta["view_words"].push_back(w.word);
    if (state_.model.info.modality == latent::Modality::Text) {
      meta["story"] = {{"captions", state_.story_captions},
                       {"image", state_.story_image_path},
                       {"style", state_.story_style >= 0 && state_.story_style < static_cast<int>(state_.story_style_names.size())
                                     ? state_.story_style_names[state_.story_style]
                                     : std::string("none")},
                       {"styles", state_.story_style_names},
                       {"strength", state_.story_strength},
                       {"passage", state_.story_passage},
                       {"novel_likeness", state_.story_novel_likeness},
                       {"content_kept", state_.story_content_kept},
                       {"map_ready", state_.story_map_ready},
                       {"map_rect", {{"x", state_.story_map_rect.x}, {"y", state_.story_map_rect.y},
                                     {"w", state_.story_map_rect.w}, {"h", state_.story_map_rect.h}}},
                       {"map_caption", {state_.story_xy_caption.first, state_.story_xy_caption.second}},
                       {"map_shifted", {state_.story_xy_shifted.first, state_.story_xy_shifted.second}},
                       {"story_ms", state_.story_ms},
                       {"error", state_.story_error},
                       {"style_status", state_.style_status},
                       {"style_error", state_.style_error},
                       {"kept", state_.story_kept},
                       {"view_text", state_.view_text}};
    }
    std::ofstream(opts_.screenshot + ".json") << meta.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent-studio: %s\n", e.what());
    return false;
  }
  std::fprintf(stderr, "latent-studio: wrote %s\n", opts_.screenshot.c_str());
  return true;
}

// ------------------------------------------------------------------ errors, drops, consent

void Studio::show_error(std::string& slot, const std::string& text) {
  slot = text;
  const std::time_t t = std::time(nullptr);
  char when[16];
  std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&t));
  state_.messages.push_back({when, text});
  if (state_.messages.size() > 500) state_.messages.erase(state_.messages.begin());
  std::fprintf(stderr, "latent-studio: %s\n", text.c_str());
}

Studio::DropKind Studio::drop_kind(const std::string& p) const {
  const auto modality = state_.model.info.modality;
  if (is_model_path(p) || latent::is_torchscript_file(p) || is_vectors_file(p)) return DropKind::Model;
  if (is_image_path(p) && space_ && modality == latent::Modality::Image) return DropKind::Invert;
  if (is_image_path(p) && space_ && modality == latent::Modality::Text) return DropKind::Story;
  if (is_session_file(p)) return DropKind::Session;
  return DropKind::Dataset;
}

bool Studio::busy_with_drop(DropKind kind) const {
  // Whatever comes next waits for a model being opened (or waiting for consent): it
  // belongs to the model that will be there.
  const bool model_busy = renderer_.model_task || !state_.open_model_request.empty() || !state_.consent_path.empty();
  const bool dataset_busy = renderer_.dataset_task || !state_.open_dataset_request.empty();
  switch (kind) {
    case DropKind::Model: return model_busy;
    case DropKind::Invert: return model_busy || renderer_.invert_task || !state_.invert_request.empty();
    case DropKind::Story: return model_busy || !story_drop_.empty();
    case DropKind::Session: return model_busy || dataset_busy;
    case DropKind::Dataset: return model_busy || dataset_busy;
  }
  return false;
}

void Studio::route_dropped(const std::string& p) {
  switch (drop_kind(p)) {
    case DropKind::Model: state_.open_model_request = p, state_.model_path_input = p; break;
    case DropKind::Invert: state_.invert_request = p; break;
    case DropKind::Story: story_drop_ = p; break;
    case DropKind::Session: state_.session_path_input = p, open_session(p); break;
    case DropKind::Dataset: state_.open_dataset_request = p, state_.dataset_path_input = p; break;
  }
}

bool Studio::may_open(const std::string& path, bool runs_code) {
  if (!runs_code || trusted_.trusted(path)) return true;
  const std::string key = latent::model_package_key(path);
  if (std::find(consented_places_.begin(), consented_places_.end(), key) != consented_places_.end()) return true;
  state_.consent_path = path;
  state_.consent_place = latent::model_place(path);
  state_.consent_answer = AppState::ConsentAnswer::None;
  return false;
}

void Studio::handle_consent() {
  using A = AppState::ConsentAnswer;
  if (state_.consent_path.empty() || state_.consent_answer == A::None) return;
  const std::string path = std::exchange(state_.consent_path, "");
  const A answer = std::exchange(state_.consent_answer, A::None);
  if (answer == A::Cancel) {
    if (state_.open_model_request == path) state_.open_model_request.clear();
    show_error(state_.model_error, path + " was not opened: you chose not to run a model from " + state_.consent_place +
                                       (space_ ? ". Still showing '" + space_->info().name + "'." : "."));
    return;
  }
  consented_places_.push_back(latent::model_package_key(path));
  if (answer == A::TrustFolder) {
    try {
      trusted_.trust(path);
    } catch (const std::exception& e) {
      show_error(state_.model_error, std::string(e.what()) + " (the model opens this time; you will be asked again)");
    }
  }
}

}  // namespace studio
