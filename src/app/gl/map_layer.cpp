#include "gl/map_layer.h"

#include <epoxy/gl.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "latent/hash.h"
#include "map_colors.h"
#include "map_shaders.h"

namespace studio {

namespace {

unsigned compile(GLenum type, const char* src) {
  const unsigned sh = glCreateShader(type);
  glShaderSource(sh, 1, &src, nullptr);
  glCompileShader(sh);
  GLint ok = 0;
  glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[1024];
    glGetShaderInfoLog(sh, sizeof log, nullptr, log);
    std::fprintf(stderr, "latent-studio: map shader did not compile: %s\n", log);
    glDeleteShader(sh);
    return 0;
  }
  return sh;
}


}  // namespace

MapLayer::~MapLayer() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
  if (tex_) glDeleteTextures(1, &tex_);
  if (vbo_) glDeleteBuffers(1, &vbo_);
  if (vao_) glDeleteVertexArrays(1, &vao_);
  if (program_) glDeleteProgram(program_);
}

bool MapLayer::init() {
  const unsigned vs = compile(GL_VERTEX_SHADER, kShader_map_points_vert);
  const unsigned fs = compile(GL_FRAGMENT_SHADER, kShader_map_points_frag);
  if (!vs || !fs) return false;
  program_ = glCreateProgram();
  glAttachShader(program_, vs);
  glAttachShader(program_, fs);
  glLinkProgram(program_);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(program_, GL_LINK_STATUS, &ok);
  if (!ok) return false;
  glGenVertexArrays(1, &vao_);
  glGenBuffers(1, &vbo_);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 6 * sizeof(float), nullptr);
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 4, GL_FLOAT, GL_FALSE, 6 * sizeof(float), reinterpret_cast<void*>(2 * sizeof(float)));
  glBindVertexArray(0);
  glGenFramebuffers(1, &fbo_);
  glGenTextures(1, &tex_);
  return true;
}

TextureId MapLayer::update(const AppState& s) {
  const size_t n = s.map.xy.size() / 2;
  const int w = static_cast<int>(s.map.canvas_px[0]), h = static_cast<int>(s.map.canvas_px[1]);
  if (n == 0 || w <= 0 || h <= 0 || failed_) return 0;
  if (!program_ && !init()) {
    failed_ = true;  // the panel falls back to drawing points itself
    return 0;
  }
  // Points the map panel has not fitted its view to yet (the first frame of a new map):
  // the texture stays as it is for that frame; the view is known by the next.
  if (s.map.view.fitted_for != n) return tex_;
  // What the points are (positions, colours, filter: uploaded again when it changes) and
  // how they are seen (view, size, canvas: a pan or a zoom only draws them again, from the
  // buffer already on the GPU).
  latent::Fnv1a data_key, view_key;
  data_key.add_value(s.map.xy_version), data_key.add_value(s.map.style_version), data_key.add_value(s.map.isolate);
  data_key.add_value(n);
  view_key.add_value(s.map.view), view_key.add_value(s.map.point_px), view_key.add_value(w), view_key.add_value(h);
  const bool new_data = data_key.value != data_key_;
  if (!new_data && view_key.value == view_key_ && tex_) return tex_;
  data_key_ = data_key.value, view_key_ = view_key.value;

  if (w != w_ || h != h_) {
    glBindTexture(GL_TEXTURE_2D, tex_);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex_, 0);
    if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
      glBindFramebuffer(GL_FRAMEBUFFER, 0);
      failed_ = true;
      return 0;
    }
    w_ = w, h_ = h;
  }
  if (new_data) {
    buffer_.resize(n * 6);
    for (size_t i = 0; i < n; ++i) {
      uint8_t rgba[4];
      const bool kept = s.map.match.empty() || s.map.match[i];
      if (kept) map_category_rgba(i < s.map.colors.size() ? s.map.colors[i] : -1, rgba);
      else std::memcpy(rgba, kMapDimmed, 4);
      float* v = buffer_.data() + i * 6;
      v[0] = s.map.xy[2 * i], v[1] = s.map.xy[2 * i + 1];
      for (int c = 0; c < 3; ++c) v[2 + c] = rgba[c] / 255.f;
      v[5] = (!kept && s.map.isolate) ? 0.f : 1.f;
    }
    glBindBuffer(GL_ARRAY_BUFFER, vbo_);
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(buffer_.size() * sizeof(float)), buffer_.data(), GL_STATIC_DRAW);
    points_ = n;
    ++uploads_;
  }
  GLint viewport[4];
  glGetIntegerv(GL_VIEWPORT, viewport);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, w, h);
  glClearColor(22 / 255.f, 24 / 255.f, 30 / 255.f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glEnable(GL_PROGRAM_POINT_SIZE);
  glUseProgram(program_);
  glUniform2f(glGetUniformLocation(program_, "centre"), s.map.view.cx, s.map.view.cy);
  glUniform2f(glGetUniformLocation(program_, "scale"), 2.f * s.map.view.scale_px / w, 2.f * s.map.view.scale_px / h);
  glUniform1f(glGetUniformLocation(program_, "point_size"), s.map.point_px);
  glBindVertexArray(vao_);
  glDrawArrays(GL_POINTS, 0, static_cast<GLsizei>(points_));
  glBindVertexArray(0);
  glUseProgram(0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
  ++redraws_;
  return tex_;
}

}  // namespace studio
