// The presentation view on a chosen monitor and the output window for a projector.
#include "studio.h"

#define GLFW_INCLUDE_NONE
#include <epoxy/gl.h>
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>

namespace studio {

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

void Studio::refresh_monitors() {
  int count = 0;
  GLFWmonitor** mons = glfwGetMonitors(&count);
  state_.show.monitor_names.clear();
  for (int i = 0; i < count; ++i) {
    const GLFWvidmode* mode = glfwGetVideoMode(mons[i]);
    const char* name = glfwGetMonitorName(mons[i]);
    state_.show.monitor_names.push_back(std::to_string(i) + ": " + (name ? name : "monitor") +
                                   (mode ? " " + std::to_string(mode->width) + "x" + std::to_string(mode->height) : ""));
  }
}

void Studio::set_presentation(bool on) {
  if (on == state_.show.presentation) return;
  GLFWmonitor* mon = monitor_at(state_.show.monitor);
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
  state_.show.presentation = on;
  state_.show.blackout = false;
  help_until_ = glfwGetTime() + 4;
}

void Studio::set_output_window(bool on) {
  if (on == (output_ != nullptr)) return;
  if (on) {
    // On another monitor when there is one (the projector), else a window of its own.
    int count = 0;
    glfwGetMonitors(&count);
    GLFWmonitor* mon = count > 1 ? monitor_at(state_.show.monitor) : nullptr;
    const GLFWvidmode* mode = mon ? glfwGetVideoMode(mon) : nullptr;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    output_ = glfwCreateWindow(mode ? mode->width : 720, mode ? mode->height : 720, "Latent Studio - output", mon,
                               window_);
    if (!output_) {
      state_.model.error = "could not open the output window";
      state_.show.output_window = false;
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
  state_.show.output_window = on;
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
  if (!state_.show.blackout && state_.view.texture && state_.view.w > 0 && state_.view.h > 0) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, output_fbo_);
    glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                           static_cast<GLuint>(state_.view.texture), 0);
    if (glCheckFramebufferStatus(GL_READ_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE) {
      float scale = std::min(static_cast<float>(fw) / state_.view.w, static_cast<float>(fh) / state_.view.h);
      if (!state_.options.linear_filter && scale >= 1.f) scale = std::floor(scale);
      const int w = static_cast<int>(state_.view.w * scale), h = static_cast<int>(state_.view.h * scale);
      const int x = (fw - w) / 2, y = (fh - h) / 2;
      // Texture row 0 is the image's top; the window's y runs upward: flip while blitting.
      glBlitFramebuffer(0, 0, state_.view.w, state_.view.h, x, y + h, x + w, y, GL_COLOR_BUFFER_BIT,
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

}  // namespace studio
