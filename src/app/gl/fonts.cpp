#include "gl/fonts.h"

#include <filesystem>

#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

namespace studio {

std::string find_ui_font() {
  static const char* candidates[] = {
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      "/usr/share/fonts/TTF/DejaVuSans.ttf",
      "/usr/share/fonts/dejavu/DejaVuSans.ttf",
      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
      "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
  };
  for (const char* c : candidates)
    if (std::filesystem::exists(c)) return c;
  return {};
}

void apply_ui_scale(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  static const std::string font = find_ui_font();
  const float size = 16.f * scale;
  if (font.empty() || !io.Fonts->AddFontFromFileTTF(font.c_str(), size)) {
    ImFontConfig cfg;
    cfg.SizePixels = 13.f * scale;
    io.Fonts->AddFontDefault(&cfg);
  }
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();

  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 4.f;
  style.FrameRounding = 3.f;
  style.GrabRounding = 3.f;
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

}  // namespace studio
