#pragma once
// The map's category palette, shared by the panel (legend, tooltips) and the GL layer.
#include <cstdint>

namespace studio {

// RGBA, 8 bits each; c < 0: no category.
inline void map_category_rgba(int c, uint8_t out[4]) {
  static const uint8_t palette[10][3] = {{80, 160, 255}, {255, 150, 40}, {80, 200, 90},   {235, 70, 70},  {170, 120, 230},
                                         {170, 120, 90}, {240, 130, 200}, {160, 160, 160}, {200, 200, 50}, {40, 210, 220}};
  const uint8_t* p = c < 0 ? nullptr : palette[c % 10];
  out[0] = p ? p[0] : 150, out[1] = p ? p[1] : 170, out[2] = p ? p[2] : 200, out[3] = 255;
}

inline constexpr uint8_t kMapDimmed[4] = {70, 70, 80, 255};  // points a filter leaves out

}  // namespace studio
