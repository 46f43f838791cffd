// The studio's shell: the window and its GL context, fonts, the frame loop and the
// panels' places in it. Each concern's work is a Studio method in its own file (see
// docs/ARCHITECTURE.md); start-up options are in startup.cpp.
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
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <utility>

#include "gl/fonts.h"
#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/memory_reserve.h"
#include "panels/panels.h"
#include "gl/texture.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

constexpr double kScreenshotTimeout = 60; // seconds to wait for work to settle

void glfw_error(int code, const char* what) { std::fprintf(stderr, "latent-studio: GLFW error %d: %s\n", code, what); }

void drop_callback(GLFWwindow* w, int count, const char** paths) {
  auto* studio = static_cast<Studio*>(glfwGetWindowUserPointer(w));
  std::vector<std::string> v(paths, paths + count);
  studio->on_drop(v);
}

}  // namespace

Studio::Studio(StudioOptions options) : opts_(std::move(options)) {
  apply_start_options();

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

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  start_layout();
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  apply_ui_scale(state_.options.ui_scale);
  state_.applied_ui_scale = state_.options.ui_scale;

  state_.session.recent = read_recent();
  list_scenes();
  state_.files.dialogs = file_dialogs_available();
  queue_start_actions();
  started_ = glfwGetTime();
  last_autosave_ = started_;
}

Studio::~Studio() {
  // A studio that closes normally leaves no autosave to offer at the next start (what is
  // queued is written first).
  saver_.remove_autosave();
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

// Key presses of the main window, queued: a press and release that both fall between two
// frames would be lost to a per-frame "is it down" check. ImGui's GLFW backend chains to
// this callback (it was installed first).
void Studio::main_key_callback(GLFWwindow* w, int key, int, int action, int) {
  if (action != GLFW_PRESS) return;
  static_cast<Studio*>(glfwGetWindowUserPointer(w))->main_keys_.push_back(key);
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
    start_when_ready();
    glfwSwapBuffers(window_);
  }
  return save_on_exit() ? 0 : 1;
}

bool Studio::settled(bool waiting_expression_counts) const {
  // A model waiting for the person's consent is settled: nothing more happens until they answer.
  // A layout waits for the docked panels while the studio presents.
  const bool actions_done = state_.actions.only<act::ApplyLayout>() ||
                            (!state_.model.consent_path.empty() && state_.actions.only<act::OpenModel, act::ApplyLayout>());
  return (!waiting_expression_counts || later_.expression.empty()) && actions_done &&
         !state_.model.load.running && !state_.dataset.load.running && !workers_.decoder.busy() &&
         shown_generation_ == submitted_generation_ && !workers_.picker.busy() && pick_shown_ == pick_generation_ &&
         !workers_.words.busy() && words_shown_ == words_generation_ && !state_.words.index.running &&
         !workers_.story.busy() && story_shown_ == story_generation_ && !workers_.style_task &&
         !workers_.atlas_task && !atlas_pending_ && !workers_.selection_task && !workers_.hover.busy() &&
         !workers_.filter.busy() && filter_shown_ >= map_.filter_generation() &&
         !workers_.expression.busy() && expression_shown_ >= expression_generation_ &&
         !state_.map.progress.running && state_.dataset.wanted_thumbnails.empty() &&
         (dropped_.empty() || !state_.model.consent_path.empty()) &&
         !workers_.export_task && !workers_.invert_task && !workers_.influence_task && !saver_.busy() &&
         !workers_.face_text_task && !workers_.describe_task && !workers_.nearest_task &&
         !state_.actions.waiting<act::DescribeFace>() &&
         later_.drop.empty() && later_.export_walk.empty() && later_.walk_time < 0;
}

void Studio::frame() {
  // Fonts are rebuilt between frames, and not while the scale slider is being dragged.
  if (state_.options.ui_scale != state_.applied_ui_scale && !ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    apply_ui_scale(state_.options.ui_scale);
    state_.applied_ui_scale = state_.options.ui_scale;
  }
  for (const Action& a : state_.actions.take_only<act::TogglePresentation, act::ToggleOutputWindow>()) {
    if (std::holds_alternative<act::TogglePresentation>(a)) set_presentation(!state_.show.presentation);
    else set_output_window(!output_);
  }
  timed("poll_workers", [&] { poll_workers(); });
  timed("handle_requests", [&] { handle_requests(); });
  timed("upload_thumbnails", [&] { upload_thumbnails(); });
  // Memory ran out somewhere and the reserve was used: say so once, and set it aside again.
  if (const int uses = latent::memory_reserve_uses(); uses > reserve_uses_seen_) {
    reserve_uses_seen_ = uses;
    show_error(state_.session.status,
               "Memory ran out: Latent Studio used the memory it keeps in reserve, so nothing was lost. Save your "
               "session now, and close other programs or open a smaller model or dataset.");
  }
  if (reserve_uses_seen_ > 0) latent::rearm_memory_reserve();  // at once when it is in place

  // The map's points: redrawn into their texture only when something that shows changed.
  if (!map_layer_) map_layer_ = std::make_unique<MapLayer>();
  timed("map_layer", [&] { state_.map.texture = map_layer_->update(state_); });
  state_.map.redraws = map_layer_->redraws();
  state_.map.uploads = map_layer_->uploads();
  const double t_ui = glfwGetTime();
  timed("before_new_frame_layout", [&] { before_new_frame_layout(); });
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  layout_and_draw();
  timed("imgui_render", [&] { ImGui::Render(); });
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
      state_.exports.status = "saved the window to " + pending_window_shot_;
    } catch (const std::exception& e) {
      state_.exports.status = std::string("could not save the window: ") + e.what();
    }
    pending_window_shot_.clear();
  }
  draw_output_window();
  const double t_end = glfwGetTime();
  auto smooth = [](double& avg, double v) { avg = avg == 0 ? v : 0.9 * avg + 0.1 * v; };
  smooth(state_.perf.ui_ms, 1000.0 * (t_draw - t_ui));
  smooth(state_.perf.draw_ms, 1000.0 * (t_end - t_draw));

  const ImGuiIO& io = ImGui::GetIO();
  state_.perf.fps = io.Framerate;
  state_.perf.frame_ms = 1000.0 * io.DeltaTime;
  if (frame_times_.size() >= 2000) frame_times_.erase(frame_times_.begin(), frame_times_.begin() + 1000);
  frame_times_.push_back({state_.perf.frame_ms, 1000.0 * (t_draw - t_ui), 1000.0 * (t_end - t_draw)});
  ++state_.perf.frames;
}

void Studio::layout_and_draw() {
  const ImVec2 d = ImGui::GetIO().DisplaySize;
  handle_keys();
  {
    std::string t = state_.model.loaded ? state_.model.info.name : std::string("no model");
    if (state_.show.current_bookmark >= 0 && state_.show.current_bookmark < static_cast<int>(state_.points.bookmarks.size()))
      t += "  |  " + state_.points.bookmarks[state_.show.current_bookmark].name;
    if (state_.walk.playing) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  |  walk %.1f / %.1f s", state_.walk.time, state_.walk.duration);
      t += buf;
    }
    state_.show.overlay_text = t;
  }
  if (state_.show.presentation) {
    state_.show.overlay_help = glfwGetTime() < help_until_;
    timed("presentation_view", [&] { panels::presentation_view(state_, {0, 0, d.x, d.y}); });
    timed("consent_prompt", [&] { panels::consent_prompt(state_); });
    return;
  }
  const float s = state_.options.ui_scale;
  float top = 0;
  timed("menu_bar", [&] { top = panels::menu_bar(state_); });
  const float H = d.y - top;
  const auto layout = state_.actions.take_last<act::ApplyLayout>();
  if (layout) state_.layout.preset = layout_preset_name(static_cast<LayoutPreset>(layout->preset));
  dock_space(layout ? layout->preset : -1, s);
  const float left = std::min(d.x * 0.3f, 360.f * s);
  const float right = std::min(d.x * 0.3f, 400.f * s);
  const float model_h = std::min(H * 0.4f, 250.f * s);
  const float strip_h = std::min(H * 0.3f, 200.f * s);
  const float perf_h = std::min(H * 0.2f, 110.f * s);
  const float center = std::max(50.f, d.x - left - right);

  const float marks_h = std::min(H * 0.25f, 210.f * s);
  timed("model_panel", [&] { panels::model_panel(state_, {0, top, left, model_h}); });
  timed("bookmarks_panel", [&] { panels::bookmarks_panel(state_, {0, top + model_h, left, marks_h}); });
  timed("slider_panel", [&] {
    panels::slider_panel(state_, {0, top + model_h + marks_h, left, H - model_h - marks_h});
  });
  if (state_.model.loaded && state_.model.info.modality == latent::Modality::Text) {
    timed("story_panel", [&] { panels::story_panel(state_, {left, top, center, H}); });
    const float view_h = (H - perf_h) * 0.22f, style_h = (H - perf_h) * 0.36f;
    timed("viewport_panel", [&] { panels::viewport_panel(state_, {left + center, top, right, view_h}); });
    timed("story_map_panel", [&] {
      panels::story_map_panel(state_, {left + center, top + view_h, right, H - perf_h - view_h - style_h});
    });
    timed("style_maker_panel", [&] {
      panels::style_maker_panel(state_, {left + center, top + H - perf_h - style_h, right, style_h});
    });
  } else if (state_.model.loaded && state_.model.info.modality == latent::Modality::Words) {
    timed("words_panel", [&] { panels::words_panel(state_, {left, top, center, H}); });
    const float view_h = (H - perf_h) * 0.4f;
    timed("viewport_panel", [&] { panels::viewport_panel(state_, {left + center, top, right, view_h}); });
    timed("map_panel", [&] { panels::map_panel(state_, {left + center, top + view_h, right, H - perf_h - view_h}); });
  } else {
    const float view_w = std::floor(center * 0.5f);
    timed("viewport_panel", [&] { panels::viewport_panel(state_, {left, top, view_w, H - strip_h}); });
    timed("map_panel", [&] { panels::map_panel(state_, {left + view_w, top, center - view_w, H - strip_h}); });
    // The bottom strip: the eigenfaces (PCA) beside the walk and export controls.
    if (!state_.view.components.empty()) {
      const float comp_w = std::floor(center * 0.42f);
      timed("components_panel", [&] { panels::components_panel(state_, {left, top + H - strip_h, comp_w, strip_h}); });
      timed("walk_panel", [&] {
        panels::walk_panel(state_, {left + comp_w, top + H - strip_h, center - comp_w, strip_h});
      });
    } else {
      timed("walk_panel", [&] { panels::walk_panel(state_, {left, top + H - strip_h, center, strip_h}); });
    }
    const float live_h = std::min(H * 0.3f, 230.f * s);
    timed("dataset_panel", [&] { panels::dataset_panel(state_, {left + center, top, right, H - perf_h - live_h}); });
    timed("live_panel", [&] { panels::live_panel(state_, {left + center, top + H - perf_h - live_h, right, live_h}); });
  }
  timed("performance_panel", [&] { panels::performance_panel(state_, {left + center, d.y - perf_h, right, perf_h}); });
  timed("messages_window", [&] { panels::messages_window(state_); });
  timed("import_sheet", [&] { panels::import_sheet(state_); });
  timed("consent_prompt", [&] { panels::consent_prompt(state_); });
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
