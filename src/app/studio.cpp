#include "studio.h"
#include "file_dialog.h"
#include "layout.h"

#define GLFW_INCLUDE_NONE
#include <epoxy/gl.h>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "fonts.h"
#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/memory_reserve.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "panels/panels.h"
#include "texture.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

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

constexpr double kScreenshotTimeout = 60; // seconds to wait for work to settle

void glfw_error(int code, const char* what) { std::fprintf(stderr, "latent-studio: GLFW error %d: %s\n", code, what); }

void drop_callback(GLFWwindow* w, int count, const char** paths) {
  auto* studio = static_cast<Studio*>(glfwGetWindowUserPointer(w));
  std::vector<std::string> v(paths, paths + count);
  studio->on_drop(v);
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
  if (opts_.present) state_.actions.push(act::TogglePresentation{});
  live_ = std::make_unique<LiveControl>();
  state_.actions.push(act::RefreshMidiPorts{});
  state_.osc_all_interfaces = opts_.osc_all_interfaces;
  state_.osc_allow = opts_.osc_allow;
  if (opts_.osc_port >= 0) state_.osc_port = opts_.osc_port, state_.actions.push(act::ToggleOsc{});
  if (!opts_.midi.empty()) state_.midi_port = opts_.midi == "virtual" ? "" : opts_.midi, state_.actions.push(act::ToggleMidi{});
  if (opts_.output_window) state_.actions.push(act::ToggleOutputWindow{});

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
      if (opts_.play_walk) state_.actions.push(act::ToggleWalk{});
      if (!opts_.export_walk.empty()) {
        state_.export_path = opts_.export_walk;
        state_.export_size = opts_.export_size;
        state_.export_fps = opts_.export_fps;
        state_.actions.push(act::ExportWalk{});
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
         !renderer_.export_task && !renderer_.invert_task && !renderer_.influence_task &&
         opts_.drop.empty() && opts_.export_walk.empty() && opts_.walk_time < 0 && !state_.walk_scrubbed;
}

void Studio::frame() {
  // Fonts are rebuilt between frames, and not while the scale slider is being dragged.
  if (state_.options.ui_scale != state_.applied_ui_scale && !ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    apply_ui_scale(state_.options.ui_scale);
    state_.applied_ui_scale = state_.options.ui_scale;
  }
  for (const Action& a : state_.actions.take_only<act::TogglePresentation, act::ToggleOutputWindow>()) {
    if (std::holds_alternative<act::TogglePresentation>(a)) set_presentation(!state_.presentation);
    else set_output_window(!output_);
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

}  // namespace studio
