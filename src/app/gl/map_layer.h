#pragma once
// The map's points, drawn by a GL point shader into an offscreen texture that is redrawn
// only when something that shows changes; the points stay in a GPU buffer, uploaded again
// only when they (or their colours or the filter) change, so a pan or a zoom of a
// million-point map is one draw call. Main thread only.
#include <cstdint>
#include <vector>

#include "app_state.h"

namespace studio {

class MapLayer {
 public:
  MapLayer() = default;
  ~MapLayer();
  MapLayer(const MapLayer&) = delete;
  MapLayer& operator=(const MapLayer&) = delete;

  // Brings the texture up to date with the state (points, colours, filter, view, canvas).
  // Returns the texture (0 while there is nothing to draw).
  TextureId update(const AppState& s);
  // How many times the points were drawn, and uploaded (for tests and the performance panel).
  uint64_t redraws() const { return redraws_; }
  uint64_t uploads() const { return uploads_; }

 private:
  bool init();
  unsigned program_ = 0, vao_ = 0, vbo_ = 0, fbo_ = 0, tex_ = 0;
  int w_ = 0, h_ = 0;
  bool failed_ = false;
  uint64_t data_key_ = 0, view_key_ = 0, redraws_ = 0, uploads_ = 0;
  size_t points_ = 0;            // in the GPU's buffer
  std::vector<float> buffer_;
};

}  // namespace studio
