// The consent prompt for models that run code, and the list of every error shown.
#include <imgui.h>

#include <algorithm>
#include <string>

#include "panels.h"

namespace studio::panels {

void consent_prompt(AppState& s) {
  constexpr const char* kTitle = "A model file is a program";
  const bool open = ImGui::IsPopupOpen(kTitle);
  if (s.model.consent_path.empty() && !open) return;
  if (!open) ImGui::OpenPopup(kTitle);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.4f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(std::min(display.x * 0.9f, ImGui::GetFontSize() * 38), 0));
  if (!ImGui::BeginPopupModal(kTitle, nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) return;
  ImGui::TextWrapped("%s", s.model.consent_path.c_str());
  ImGui::Spacing();
  ImGui::TextWrapped(
      "This model runs code: its TorchScript or LibTorch files are programs, and a broken or hostile one can do "
      "anything a program can. Latent Studio first runs it in a separate process with a memory cap and a time limit, "
      "so a crash or a hang there stops only that process; but a model that passes is then run inside the studio.");
  ImGui::Spacing();
  ImGui::TextWrapped("Nothing from this folder has been opened before:");
  ImGui::TextDisabled("%s", s.model.consent_place.c_str());
  ImGui::Spacing();
  ImGui::TextWrapped("Open it only if you trust where it came from.");
  ImGui::Separator();
  using act::Consent;
  if (ImGui::Button("Open, and trust this folder (Enter)")) s.actions.push(act::AnswerConsent{Consent::TrustFolder});
  ImGui::SameLine();
  if (ImGui::Button("Open this model once")) s.actions.push(act::AnswerConsent{Consent::OnceOnly});
  ImGui::SameLine();
  if (ImGui::Button("Cancel (Esc)")) s.actions.push(act::AnswerConsent{Consent::Cancel});
  // Enter and Esc are read by the Studio from the window's key events.
  if (s.actions.waiting<act::AnswerConsent>() || s.model.consent_path.empty()) ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
}

void import_sheet(AppState& s) {
  ImportSheet& im = s.import_sheet;
  if (!im.shown) return;
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.3f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(std::min(display.x * 0.9f, ImGui::GetFontSize() * 34), 0), ImGuiCond_Appearing);
  if (!ImGui::Begin("Imported generator", &im.shown, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    return;
  }
  const ImVec2 p = ImGui::GetWindowPos(), sz = ImGui::GetWindowSize();
  im.rect = to_framebuffer(p.x, p.y, sz.x, sz.y);
  ImGui::TextWrapped("%s", im.generator.c_str());
  ImGui::TextWrapped("was run in a separate process and opened as:");
  ImGui::TextWrapped("%s", im.found.c_str());
  ImGui::TextDisabled("package: %s", im.out_dir.c_str());
  if (im.encoder.empty()) ImGui::TextDisabled("drop its encoder (.pt) on the window to pair it");
  if (!im.preview.empty()) {
    // Eight prior samples: what the guess makes of it.
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float side = std::min(96.f * s.options.ui_scale,
                                (ImGui::GetContentRegionAvail().x - gap * 7) / static_cast<float>(im.preview.size()));
    const float h = side * static_cast<float>(im.preview_h) / static_cast<float>(std::max(1, im.preview_w));
    for (size_t i = 0; i < im.preview.size(); ++i) {
      if (i) ImGui::SameLine();
      ImGui::Image(reinterpret_cast<ImTextureID>(im.preview[i]), ImVec2(side, h));
    }
  }
  ImGui::Separator();
  ImGui::TextWrapped("If the faces look wrong (washed out, inverted, noise), correct the guess and re-import:");
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  ImGui::InputInt("latent size", &im.latent);
  im.latent = std::clamp(im.latent, 1, 65536);
  ImGui::SameLine();
  static const char* kZ[] = {"z as [B,D]", "z as [B,D,1,1]"};
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  ImGui::Combo("##z", &im.z4d, kZ, 2);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  ImGui::InputInt3("channels, height, width", im.chw);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  ImGui::InputFloat2("output range", im.range, "%.2f");
  ImGui::SameLine();
  if (ImGui::SmallButton("-1..1")) im.range[0] = -1, im.range[1] = 1;
  auto item_rect = [] {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    return to_framebuffer(a.x, a.y, b.x - a.x, b.y - a.y);
  };
  im.tanh_button = item_rect();
  ImGui::SameLine();
  if (ImGui::SmallButton("0..1")) im.range[0] = 0, im.range[1] = 1;
  static const char* kPrior[] = {"normal prior", "uniform prior (-1..1)"};
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  ImGui::Combo("##prior", &im.prior, kPrior, 2);
  ImGui::BeginDisabled(s.model.load.running);
  if (ImGui::Button("Re-import")) s.actions.push(act::Reimport{});
  im.reimport_button = item_rect();
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Keep it")) im.shown = false;
  ImGui::End();
}

void messages_window(AppState& s) {
  if (!s.show_messages) return;
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(ImVec2(display.x * 0.6f, display.y * 0.5f), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImVec2(display.x * 0.2f, display.y * 0.25f), ImGuiCond_FirstUseEver);
  if (ImGui::Begin("Messages", &s.show_messages)) {
    if (ImGui::SmallButton("Clear")) s.messages.clear();
    ImGui::SameLine();
    if (ImGui::SmallButton("Copy all")) {
      std::string all;
      for (const auto& m : s.messages) all += m.when + "  " + m.text + "\n";
      ImGui::SetClipboardText(all.c_str());
    }
    ImGui::Separator();
    ImGui::BeginChild("list");
    for (auto it = s.messages.rbegin(); it != s.messages.rend(); ++it) {  // newest first
      ImGui::TextDisabled("%s", it->when.c_str());
      ImGui::SameLine();
      ImGui::PushTextWrapPos(0);
      ImGui::TextColored(ImVec4(1.f, 0.45f, 0.4f, 1.f), "%s", it->text.c_str());
      ImGui::PopTextWrapPos();
    }
    ImGui::EndChild();
  }
  ImGui::End();
}

}  // namespace studio::panels
