#version 330 core
// One map point: its 2-D position (data units) and its colour.
layout(location = 0) in vec2 position;
layout(location = 1) in vec4 color;
uniform vec2 centre;       // data point at the middle of the canvas
uniform vec2 scale;        // data units -> normalised device coordinates
uniform float point_size;  // pixels
out vec4 v_color;
void main() {
  gl_Position = vec4((position - centre) * scale, 0.0, 1.0);
  gl_PointSize = point_size;
  v_color = color;
}
