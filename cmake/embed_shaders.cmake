# Writes OUT: a C++ header with each shader source as a raw string constant.
file(WRITE "${OUT}" "// Generated from shaders/ by cmake/embed_shaders.cmake. Do not edit.\n#pragma once\n")
foreach(name map_points.vert map_points.frag)
  file(READ "${SRC}/${name}" text)
  string(MAKE_C_IDENTIFIER "${name}" id)
  file(APPEND "${OUT}" "inline constexpr const char* kShader_${id} = R\"glsl(${text})glsl\";\n")
endforeach()
