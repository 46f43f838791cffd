#pragma once
// OpenGL textures for images. Main thread only.
#include "app_state.h"
#include "latent/image.h"

struct GLFWwindow;

namespace studio {

// Creates a texture holding `img` (RGBA8) and returns its name.
TextureId create_texture(const latent::Image& img, bool linear);
// Replaces the content of `tex` (reallocating when the size changed).
void update_texture(TextureId tex, const latent::Image& img, bool linear);
// A texture from 8-bit RGBA pixels, row 0 at the top.
TextureId create_texture_rgba8(int width, int height, const uint8_t* rgba, bool linear);
void set_texture_filter(TextureId tex, bool linear);
void delete_texture(TextureId tex);

// The current context's back buffer (last frame drawn, not yet swapped... or just swapped:
// either way the last complete frame with preserved back buffers under Mesa).
latent::Image read_back_buffer(GLFWwindow* w);

}  // namespace studio
