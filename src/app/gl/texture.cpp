#include "gl/texture.h"

#define GLFW_INCLUDE_NONE
#include <epoxy/gl.h>
#include <GLFW/glfw3.h>

#include <vector>

namespace studio {

void update_texture(TextureId tex, const latent::Image& img, bool linear) {
  const auto rgba = latent::to_rgba8(img);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(tex));
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, img.width, img.height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  set_texture_filter(tex, linear);
}

TextureId create_texture(const latent::Image& img, bool linear) {
  GLuint tex = 0;
  glGenTextures(1, &tex);
  update_texture(tex, img, linear);
  return tex;
}

TextureId create_texture_rgba8(int width, int height, const uint8_t* rgba, bool linear) {
  GLuint tex = 0;
  glGenTextures(1, &tex);
  glBindTexture(GL_TEXTURE_2D, tex);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  set_texture_filter(tex, linear);
  return tex;
}

void set_texture_filter(TextureId tex, bool linear) {
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(tex));
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, linear ? GL_LINEAR : GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, linear ? GL_LINEAR : GL_NEAREST);
}

void delete_texture(TextureId tex) {
  if (!tex) return;
  GLuint t = static_cast<GLuint>(tex);
  glDeleteTextures(1, &t);
}

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

}  // namespace studio
