#include "layout.h"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"

namespace studio {

namespace {

const char* kNames[kLayoutPresets] = {"Explore", "Map", "Words", "Story", "Perform"};

// Every panel a model of some kind shows. Panels a model does not show are simply not
// drawn, and their tab is not there.
void dock(const char* window, ImGuiID node) { ImGui::DockBuilderDockWindow(window, node); }

// The tab a node shows first (set after DockBuilderFinish).
struct Shown {
  ImGuiID node;
  const char* window;
};

// Dear ImGui selects a tab that appears in a node (a panel shown once its model is in).
// A preset's chosen tab is selected again whenever that happens, until the next preset.
struct Preferred {
  ImGuiID node, tab;
  int tabs_seen;
};
std::vector<Preferred>& preferred() {
  static std::vector<Preferred> p;
  return p;
}

struct Split {
  ImGuiID a = 0, b = 0;  // a: the side split off (dir), b: the rest
};
Split split(ImGuiID node, ImGuiDir dir, float ratio) {
  Split s;
  ImGui::DockBuilderSplitNode(node, dir, ratio, &s.a, &s.b);
  return s;
}

}  // namespace

const char* layout_preset_name(LayoutPreset p) { return kNames[static_cast<int>(p)]; }

bool parse_layout_preset(const std::string& name, LayoutPreset* out) {
  for (int i = 0; i < kLayoutPresets; ++i) {
    std::string a = kNames[i], b = name;
    std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
    std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return std::tolower(c); });
    if (a == b) {
      *out = static_cast<LayoutPreset>(i);
      return true;
    }
  }
  return false;
}

unsigned dock_space_id() { return ImHashStr("latent-studio-dock"); }

void dock_space(int preset, float ui_scale) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const ImGuiID id = dock_space_id();
  if (preset >= 0 || !ImGui::DockBuilderGetNode(id)) {
    const LayoutPreset p = preset >= 0 ? static_cast<LayoutPreset>(preset) : LayoutPreset::Explore;
    std::vector<Shown> shown;
    ImGui::DockBuilderRemoveNode(id);
    ImGui::DockBuilderAddNode(id, ImGuiDockNodeFlags_DockSpace);
    ImGui::DockBuilderSetNodePos(id, vp->WorkPos);
    ImGui::DockBuilderSetNodeSize(id, vp->WorkSize);
    const float W = vp->WorkSize.x, H = vp->WorkSize.y, s = ui_scale;
    // The fixed tiles of earlier versions, as ratios: a left column (model, session,
    // sliders), a right column (dataset or side views, live control, performance).
    const float left = std::min(W * 0.3f, 360.f * s) / W;
    const float right = std::min(W * 0.3f, 400.f * s) / W;
    const float model_h = std::min(H * 0.4f, 250.f * s), marks_h = std::min(H * 0.25f, 210.f * s);
    const float perf_h = std::min(H * 0.2f, 110.f * s), live_h = std::min(H * 0.3f, 230.f * s);
    const float strip_h = std::min(H * 0.3f, 200.f * s);
    auto left_column = [&](ImGuiID node) {
      const Split top = split(node, ImGuiDir_Up, model_h / H);
      dock("Model", top.a);
      const Split marks = split(top.b, ImGuiDir_Up, marks_h / (H - model_h));
      dock("Session & bookmarks", marks.a);
      dock("Latent sliders", marks.b);
    };
    switch (p) {
      case LayoutPreset::Explore:
      case LayoutPreset::Words:
      case LayoutPreset::Story: {
        const Split l = split(id, ImGuiDir_Left, left);
        left_column(l.a);
        const Split r = split(l.b, ImGuiDir_Right, right / (1.f - left));
        const Split perf = split(r.a, ImGuiDir_Down, perf_h / H);
        dock("Performance", perf.a);
        if (p == LayoutPreset::Explore) {
          const Split live = split(perf.b, ImGuiDir_Down, live_h / (H - perf_h));
          const Split strip = split(r.b, ImGuiDir_Down, strip_h / H);
          const Split comp = split(strip.a, ImGuiDir_Left, 0.42f);
          dock("Components", comp.a);
          dock("Walk & export", comp.b);
          const Split view = split(strip.b, ImGuiDir_Left, 0.5f);
          // Other models' panels, should one open here, first; the panels shown last.
          dock("Words", view.b);
          dock("Story", view.a);
          dock("Thought map", live.b);
          dock("Make a style", live.a);
          dock("Viewport", view.a);
          dock("Map", view.b);
          dock("Live control", live.a);
          dock("Dataset", live.b);
        } else if (p == LayoutPreset::Words) {
          const Split view = split(perf.b, ImGuiDir_Up, 0.4f);
          dock("Viewport", view.a);
          for (const char* w : {"Dataset", "Live control", "Thought map", "Make a style"}) dock(w, view.b);
          for (const char* w : {"Story", "Components", "Walk & export"}) dock(w, r.b);
          dock("Map", view.b);
          dock("Words", r.b);
        } else {
          const Split view = split(perf.b, ImGuiDir_Up, 0.22f);
          dock("Viewport", view.a);
          const Split style = split(view.b, ImGuiDir_Down, 0.36f / 0.78f);
          dock("Make a style", style.a);
          for (const char* w : {"Dataset", "Live control", "Map"}) dock(w, style.b);
          for (const char* w : {"Words", "Components", "Walk & export"}) dock(w, r.b);
          dock("Thought map", style.b);
          dock("Story", r.b);
        }
        break;
      }
      case LayoutPreset::Map: {
        // The map large in the middle; the point's picture and the dataset at the right.
        const Split l = split(id, ImGuiDir_Left, 0.75f * left);
        left_column(l.a);
        const Split r = split(l.b, ImGuiDir_Right, 0.28f);
        const Split view = split(r.a, ImGuiDir_Up, 0.4f);
        dock("Viewport", view.a);
        for (const char* w : {"Live control", "Performance", "Components", "Walk & export", "Thought map", "Make a style"})
          dock(w, view.b);
        dock("Dataset", view.b);
        shown.push_back({view.b, "Dataset"});
        dock("Map", r.b);
        dock("Words", r.b);
        dock("Story", r.b);
        break;
      }
      case LayoutPreset::Perform: {
        // For a projector: the output large, a row of the sliders (attributes first) and
        // the walk's transport under it; the rest tabbed away at the left.
        const Split l = split(id, ImGuiDir_Left, 0.16f);
        for (const char* w : {"Session & bookmarks", "Dataset", "Map", "Live control", "Performance", "Components",
                              "Words", "Story", "Thought map", "Make a style", "Model"})
          dock(w, l.a);
        shown.push_back({l.a, "Model"});
        const Split bottom = split(l.b, ImGuiDir_Down, 0.28f);
        dock("Viewport", bottom.b);
        const Split row = split(bottom.a, ImGuiDir_Left, 0.5f);
        dock("Latent sliders", row.a);
        dock("Walk & export", row.b);
        break;
      }
    }
    ImGui::DockBuilderFinish(id);
    preferred().clear();
    for (const Shown& sh : shown)
      if (ImGuiDockNode* node = ImGui::DockBuilderGetNode(sh.node)) {
        node->SelectedTabId = ImHashStr("#TAB", 4, ImHashStr(sh.window));  // as ImGui names a window's tab
        preferred().push_back({sh.node, node->SelectedTabId, 0});
      }
  }
  for (Preferred& pr : preferred()) {
    ImGuiDockNode* node = ImGui::DockBuilderGetNode(pr.node);
    if (!node || !node->TabBar) continue;
    if (node->TabBar->Tabs.Size > pr.tabs_seen && ImGui::TabBarFindTabByID(node->TabBar, pr.tab))
      node->TabBar->SelectedTabId = node->TabBar->NextSelectedTabId = pr.tab;
    pr.tabs_seen = node->TabBar->Tabs.Size;
  }
  ImGui::DockSpaceOverViewport(id, vp, ImGuiDockNodeFlags_None);
}

std::string layout_ini() {
  size_t n = 0;
  const char* text = ImGui::SaveIniSettingsToMemory(&n);
  return std::string(text, n);
}

bool apply_layout_ini(const std::string& text) {
  // The studio's dock space must be in it, else nothing would be docked.
  char want[40];
  std::snprintf(want, sizeof want, "ID=0x%08X Window=", dock_space_id());
  const size_t at = text.find(want);
  if (at == std::string::npos) return false;
  const size_t line = text.rfind('\n', at);
  if (text.compare(line == std::string::npos ? 0 : line + 1, 9, "DockSpace") != 0) return false;
  ImGui::LoadIniSettingsFromMemory(text.c_str(), text.size());
  return true;
}

LayoutStore read_layouts(const std::string& path) {
  LayoutStore out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  const nlohmann::json j = latent::read_json_file(path, "the saved layout");
  if (!j.is_object() || j.value("format", "") != "latent-studio-layouts" || !j.contains("layouts") ||
      !j["layouts"].is_object())
    throw latent::FormatError(path + ": not a Latent Studio layout file");
  for (const auto& [kind, ini] : j["layouts"].items())
    if (ini.is_string()) out[kind] = ini.get<std::string>();
  return out;
}

void write_layouts(const LayoutStore& layouts, const std::string& path) {
  nlohmann::json j = {{"format", "latent-studio-layouts"}, {"version", 1}, {"layouts", layouts}};
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  latent::write_file_atomic(path, j.dump(1) + "\n");
}

std::string default_layout_file() {
  namespace fs = std::filesystem;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return (fs::path(x) / "latent-studio" / "layout.json").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".config" / "latent-studio" / "layout.json").string();
}

}  // namespace studio
