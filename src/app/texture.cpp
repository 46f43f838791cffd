#include "texture.h"

#include <epoxy/gl.h>

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

}  // namespace studio
