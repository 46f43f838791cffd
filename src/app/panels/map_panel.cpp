// The map: the dataset's latents in 2-D. Pan (drag with the right button), zoom (wheel),
// hover for a thumbnail, click to make a point the current latent. Colour by a label
// column, make groups by query, and add an attribute vector (mean A - mean B).
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>

#include "map_colors.h"
#include "panels.h"

namespace studio::panels {

namespace {

ImU32 category_color(int c) {
  uint8_t rgba[4];
  map_category_rgba(c, rgba);
  return IM_COL32(rgba[0], rgba[1], rgba[2], rgba[3]);
}

// Even-odd rule.
bool inside(const std::vector<ImVec2>& poly, ImVec2 p) {
  bool in = false;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++)
    if (((poly[i].y > p.y) != (poly[j].y > p.y)) &&
        (p.x < (poly[j].x - poly[i].x) * (p.y - poly[i].y) / (poly[j].y - poly[i].y) + poly[i].x))
      in = !in;
  return in;
}


}  // namespace

void map_panel(AppState& s, const Rect& r) {
  AppState::MapPart::MapView& view = s.map.view;
  static std::vector<ImVec2> lasso;
  place_window(r);
  ImGui::Begin("Map", nullptr, panel_flags());
  const char* methods[] = {"PCA", "t-SNE", "UMAP-style"};
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("UMAP-style").x * 1.6f);
  ImGui::Combo("##method", &s.map.method, methods, 3);
  ImGui::SameLine();
  if (s.map.progress.running) {
    if (ImGui::Button("Cancel")) s.actions.push(act::CancelMap{});
    ImGui::SameLine();
    ImGui::ProgressBar(s.map.progress.fraction, ImVec2(-1, 0), s.map.progress.stage.c_str());
  } else {
    ImGui::BeginDisabled(!s.model.loaded);
    if (ImGui::Button("Compute map")) s.actions.push(act::ComputeMap{});
    ImGui::EndDisabled();
    if (!s.map.shown_method.empty()) {
      ImGui::SameLine();
      ImGui::TextDisabled("%s, %zu points", s.map.shown_method.c_str(), s.map.xy.size() / 2);
    }
  }

  error_text(s.map.error);

  // Labels and colour.
  if (s.model.info.modality == latent::Modality::Image) {
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Colour by").x - ImGui::GetStyle().ItemSpacing.x - 140.f * s.options.ui_scale -
                            browse_width(s));
    ImGui::InputTextWithHint("##labels", "labels.csv (one row per item)", &s.labels.path_input);
    browse_button(s, AppState::PathFor::Labels, "choose the label CSV (one row per dataset item)");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(140.f * s.options.ui_scale);
    const char* current = s.labels.color_column >= 0 && s.labels.color_column < static_cast<int>(s.labels.columns.size())
                              ? s.labels.columns[s.labels.color_column].c_str()
                              : "(none)";
    if (ImGui::BeginCombo("Colour by", current)) {
      if (ImGui::Selectable("(none)", s.labels.color_column < 0)) s.labels.color_column = -1;
      for (int c = 0; c < static_cast<int>(s.labels.columns.size()); ++c)
        if (ImGui::Selectable(s.labels.columns[c].c_str(), c == s.labels.color_column)) s.labels.color_column = c;
      ImGui::EndCombo();
    }
    error_text(s.labels.error);
  }

  // Filter and selection.
  const bool pictures = !s.map.atlas.pages.empty();
  const ImGuiStyle& st = ImGui::GetStyle();
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("isolate").x - ImGui::GetFrameHeight() - st.ItemSpacing.x * 2 -
                          (pictures ? ImGui::CalcTextSize("pictures").x + ImGui::GetFrameHeight() + st.ItemSpacing.x * 2 +
                                          st.ItemInnerSpacing.x * 2
                                    : 0.f));
  ImGui::InputTextWithHint("##filter", "filter: glasses=1 & female=0, or a regular expression", &s.map.filter);
  ImGui::SameLine();
  ImGui::Checkbox("isolate", &s.map.isolate);
  if (pictures) {
    ImGui::SameLine();
    ImGui::Checkbox("pictures", &s.map.pictures);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("where there is room (zoom with the mouse wheel), points are their pictures");
  }
  error_text(s.map.filter_error);
  if (!s.map.selection.empty()) {
    ImGui::Text("%zu selected", s.map.selection.size());
    ImGui::SameLine();
    if (ImGui::SmallButton("clear")) s.map.selection.clear();
    if (s.model.info.modality == latent::Modality::Image) {
      ImGui::SameLine();
      if (ImGui::SmallButton("make a group of them")) s.actions.push(act::GroupFromSelection{});
      // The selection written out (a second row: the first is full at the default size).
      ImGui::BeginDisabled(s.map.selection_progress.running);
      if (ImGui::SmallButton("save list")) s.actions.push(act::SaveSelection{false});
      s.map.selection_list_button = to_framebuffer(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y,
                                               ImGui::GetItemRectSize().x, ImGui::GetItemRectSize().y);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("write %s.csv: index, file name and label columns", s.map.selection_path.c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("save pictures")) s.actions.push(act::SaveSelection{true});
      s.map.selection_images_button = to_framebuffer(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y,
                                                 ImGui::GetItemRectSize().x, ImGui::GetItemRectSize().y);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("write the pictures as PNG files into the folder %s/", s.map.selection_path.c_str());
      ImGui::EndDisabled();
      ImGui::SameLine();
      ImGui::SetNextItemWidth(-browse_width(s) - 1);
      ImGui::InputTextWithHint("##selpath", "save to (path, no extension)", &s.map.selection_path);
      browse_button(s, AppState::PathFor::Selection, "choose where the list or the pictures go");
    }
    if (s.map.selection_progress.running) progress_line(s.map.selection_progress);
    else if (!s.map.selection_status.empty()) ImGui::TextDisabled("%s", s.map.selection_status.c_str());
  } else {
    ImGui::TextDisabled("shift + drag: lasso a selection");
  }

  // Canvas.
  const float groups_h = s.model.info.modality == latent::Modality::Image ? 150.f * s.options.ui_scale : 0.f;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 size(ImGui::GetContentRegionAvail().x, std::max(60.f, ImGui::GetContentRegionAvail().y - groups_h));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(22, 24, 30, 255), 4.f);
  ImGui::InvisibleButton("canvas", size, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  s.map.canvas_rect = to_framebuffer(origin.x, origin.y, size.x, size.y);
  s.map.thumbnails_drawn = 0;
  // The canvas's size in pixels, known before the first points arrive: the GL layer
  // (drawn before the panels) needs it for them, or this panel would draw a first layout
  // of a million points itself, one rectangle each (a 1.6 s frame, and as long to draw).
  const ImVec2 fb = ImGui::GetIO().DisplayFramebufferScale;
  s.map.canvas_px[0] = size.x * fb.x, s.map.canvas_px[1] = size.y * fb.y;
  const size_t n = s.map.xy.size() / 2;
  s.map.hover = -1;
  if (n > 0) {
    // The points in a 2-d tree (hover, the centre point and the pictures visit only nearby
    // nodes). The map's worker builds it with each layout; points set another way (a
    // session, a word model's map) get theirs here, once.
    if (!s.map.index || s.map.index_version != s.map.xy_version || s.map.index->size() != static_cast<long>(n)) {
      s.map.index = std::make_shared<const latent::MapIndex>(s.map.xy.data(), static_cast<long>(n));
      s.map.index_version = s.map.xy_version;
    }
    const latent::MapIndex& index = *s.map.index;
    const float minx = index.min_x(), maxx = index.max_x(), miny = index.min_y(), maxy = index.max_y();
    if (view.fitted_for != n) view = {(minx + maxx) / 2, (miny + maxy) / 2, 1.f, 1.f, n};
    const float span = std::max({maxx - minx, maxy - miny, 1e-9f});
    const float scale = std::min(size.x, size.y) * 0.9f / span * view.zoom;
    view.scale_px = scale * fb.x;
    auto to_screen = [&](float x, float y) {
      return ImVec2(origin.x + size.x / 2 + (x - view.cx) * scale, origin.y + size.y / 2 - (y - view.cy) * scale);
    };
    const ImGuiIO& io = ImGui::GetIO();
    if (ImGui::IsItemHovered()) {
      if (io.MouseWheel != 0) {  // zoom about the cursor
        const float f = std::pow(1.2f, io.MouseWheel);
        const float mx = view.cx + (io.MousePos.x - origin.x - size.x / 2) / scale;
        const float my = view.cy - (io.MousePos.y - origin.y - size.y / 2) / scale;
        view.zoom *= f;
        view.cx = mx + (view.cx - mx) / f, view.cy = my + (view.cy - my) / f;
      }
    }
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Right)) {
      view.cx -= io.MouseDelta.x / scale, view.cy += io.MouseDelta.y / scale;
    }
    dl->PushClipRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), true);
    const float rad = std::max(1.5f, 3.f * s.options.ui_scale * (n > 5000 ? 0.6f : 1.f));
    s.map.point_px = 2 * rad * fb.x;
    // The points come from the GL layer's texture (redrawn only on change); without it
    // they are drawn here, one rectangle each.
    if (s.map.texture)
      dl->AddImage(reinterpret_cast<ImTextureID>(s.map.texture), origin, ImVec2(origin.x + size.x, origin.y + size.y),
                   ImVec2(0, 1), ImVec2(1, 0));
    const float hover_px = 6.f * s.options.ui_scale;
    float best = hover_px * hover_px;
    static std::vector<long> visible;  // kept points on the canvas, for the pictures
    visible.clear();
    float centre_d2 = 0;
    s.map.centre_point = -1;
    auto kept = [&](long i) { return s.map.match.empty() || s.map.match[static_cast<size_t>(i)]; };
    auto on_canvas = [&](const ImVec2& p) {
      return !(p.x < origin.x - rad || p.y < origin.y - rad || p.x > origin.x + size.x + rad || p.y > origin.y + size.y + rad);
    };
    // The canvas in data units, with a point's radius around it.
    const float half_w = (size.x / 2 + rad) / scale, half_h = (size.y / 2 + rad) / scale;
    const float vx0 = view.cx - half_w, vx1 = view.cx + half_w, vy0 = view.cy - half_h, vy1 = view.cy + half_h;
    if (!s.map.texture) {
      // No GL layer: every point on the canvas is drawn here, one rectangle each, and the
      // same pass finds the hover, the centre point and the pictures' points.
      for (long i : index.inside(vx0, vy0, vx1, vy1)) {
        const ImVec2 p = to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]);
        if (!on_canvas(p)) continue;
        if (!kept(i) && s.map.isolate) continue;
        if (kept(i)) {
          visible.push_back(i);
          const float cx = p.x - origin.x - size.x / 2, cy = p.y - origin.y - size.y / 2;
          if (s.map.centre_point < 0 || cx * cx + cy * cy < centre_d2) {
            centre_d2 = cx * cx + cy * cy;
            s.map.centre_point = i;
          }
        }
        const int c = i < static_cast<long>(s.map.colors.size()) ? s.map.colors[i] : -1;
        const ImU32 col = kept(i) ? category_color(c) : IM_COL32(kMapDimmed[0], kMapDimmed[1], kMapDimmed[2], 255);
        dl->AddRectFilled(ImVec2(p.x - rad, p.y - rad), ImVec2(p.x + rad, p.y + rad), col);
        ++s.map.panel_points_drawn;
        if (ImGui::IsItemHovered()) {
          const float dx = p.x - io.MousePos.x, dy = p.y - io.MousePos.y;
          if (dx * dx + dy * dy < best) best = dx * dx + dy * dy, s.map.hover = i;
        }
      }
    } else {
      // The GL layer draws the points: only the cells near the pointer and the centre are visited.
      if (ImGui::IsItemHovered()) {
        const float mx = view.cx + (io.MousePos.x - origin.x - size.x / 2) / scale;
        const float my = view.cy - (io.MousePos.y - origin.y - size.y / 2) / scale;
        s.map.hover = index.nearest(mx, my, hover_px / scale, [&](long i) {
          return (kept(i) || !s.map.isolate) && on_canvas(to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]));
        });
      }
      s.map.centre_point = index.nearest(view.cx, view.cy, std::hypot(half_w, half_h), [&](long i) {
        return kept(i) && on_canvas(to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]));
      });
    }
    if (s.map.centre_point >= 0) {
      const ImVec2 p = to_screen(s.map.xy[2 * s.map.centre_point], s.map.xy[2 * s.map.centre_point + 1]);
      s.map.centre_point_px[0] = p.x * fb.x, s.map.centre_point_px[1] = p.y * fb.y;
    }
    // Pictures in place of the points once there is room for them: as large as the room
    // each point has when the map fits, times the zoom (up to a limit). Their frames, in
    // the point's colour, are drawn first as one batch, then the pictures inset in them,
    // page by page, so that each atlas page is one draw call.
    const AppState::MapPart::MapAtlas& atlas = s.map.atlas;
    float pic_half = 0;
    if (s.map.pictures && !atlas.pages.empty() && atlas.count == static_cast<long>(n)) {
      const float room = std::sqrt(size.x * size.y / static_cast<float>(n)) * view.zoom;
      const float side = std::min(room * 0.9f, 72.f * s.options.ui_scale);
      if (side >= 14.f * s.options.ui_scale && s.map.texture) {
        for (long i : index.inside(vx0, vy0, vx1, vy1))
          if (kept(i) && on_canvas(to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]))) visible.push_back(i);
      }
      if (side >= 14.f * s.options.ui_scale && !visible.empty()) {
        std::stable_sort(visible.begin(), visible.end(), [&](long a, long b) { return a / atlas.per_page < b / atlas.per_page; });
        const float uv = static_cast<float>(atlas.cell) / atlas.page_size, h = side / 2;
        const float inset = std::max(1.f, std::round(1.5f * s.options.ui_scale));
        pic_half = h;
        for (long i : visible) {
          const ImVec2 p = to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]);
          const int c = i < static_cast<long>(s.map.colors.size()) ? s.map.colors[i] : -1;
          const bool kept = s.map.match.empty() || s.map.match[i];
          dl->AddRectFilled(ImVec2(p.x - h, p.y - h), ImVec2(p.x + h, p.y + h),
                            kept ? category_color(c) : IM_COL32(kMapDimmed[0], kMapDimmed[1], kMapDimmed[2], 255));
        }
        for (long i : visible) {
          const ImVec2 p = to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]);
          const long c = i % atlas.per_page;
          const float u0 = static_cast<float>(c % atlas.per_row) * uv, v0 = static_cast<float>(c / atlas.per_row) * uv;
          const TextureId page = atlas.pages[static_cast<size_t>(i / atlas.per_page)];
          dl->AddImage(reinterpret_cast<ImTextureID>(page), ImVec2(p.x - h + inset, p.y - h + inset),
                       ImVec2(p.x + h - inset, p.y + h - inset), ImVec2(u0, v0), ImVec2(u0 + uv, v0 + uv));
        }
        // Under the pointer: the picture on top (drawn last) that holds it.
        if (ImGui::IsItemHovered())
          for (auto it = visible.rbegin(); it != visible.rend(); ++it) {
            const ImVec2 p = to_screen(s.map.xy[2 * *it], s.map.xy[2 * *it + 1]);
            if (std::abs(io.MousePos.x - p.x) <= h && std::abs(io.MousePos.y - p.y) <= h) {
              s.map.hover = *it;
              break;
            }
          }
        s.map.thumbnails_drawn = static_cast<long>(visible.size());
        s.map.thumbnail_px = side * ImGui::GetIO().DisplayFramebufferScale.x;
      }
    }
    const float mark = pic_half > 0 ? pic_half : rad;
    for (long i : s.map.selection)
      if (static_cast<size_t>(i) < n) {
        const ImVec2 p = to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]);
        dl->AddRect(ImVec2(p.x - mark - 1.5f, p.y - mark - 1.5f), ImVec2(p.x + mark + 1.5f, p.y + mark + 1.5f),
                    IM_COL32(255, 255, 255, 200), 0.f, 0, pic_half > 0 ? 2.f : 1.f);
      }
    // Lasso: shift + drag with the left button.
    if (ImGui::IsItemActive() && io.KeyShift && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      if (lasso.empty() || std::hypot(lasso.back().x - io.MousePos.x, lasso.back().y - io.MousePos.y) > 3.f) lasso.push_back(io.MousePos);
    } else if (!lasso.empty()) {
      if (lasso.size() >= 3) {
        s.map.selection.clear();
        for (size_t i = 0; i < n; ++i) {
          if (!s.map.match.empty() && !s.map.match[i] && s.map.isolate) continue;
          if (inside(lasso, to_screen(s.map.xy[2 * i], s.map.xy[2 * i + 1]))) s.map.selection.push_back(static_cast<long>(i));
        }
      }
      lasso.clear();
    }
    if (lasso.size() >= 2) dl->AddPolyline(lasso.data(), static_cast<int>(lasso.size()), IM_COL32(255, 255, 255, 220), ImDrawFlags_Closed, 1.5f);
    if (s.dataset.picked >= 0 && static_cast<size_t>(s.dataset.picked) < n) {
      const ImVec2 p = to_screen(s.map.xy[2 * s.dataset.picked], s.map.xy[2 * s.dataset.picked + 1]);
      dl->AddCircle(p, rad * 3, IM_COL32(255, 200, 60, 255), 0, 2.f);
    }
    if (s.map.current_valid) {  // the current latent, moving with the sliders
      const ImVec2 p = to_screen(s.map.current[0], s.map.current[1]);
      dl->AddCircleFilled(p, rad * 2.2f, IM_COL32(255, 255, 255, 255));
      dl->AddCircle(p, rad * 3.2f, IM_COL32(255, 60, 60, 255), 0, 2.5f);
    }
    dl->PopClipRect();
    if (s.map.hover >= 0) {
      ImGui::BeginTooltip();
      if (!s.map.names.empty()) {
        ImGui::TextUnformatted(s.map.names[s.map.hover].c_str());
      } else {
        // Its picture, and beside it the model's decoding of its latent, large.
        const float big = 192 * s.options.ui_scale;
        auto it = s.dataset.thumbnails.find(s.map.hover);
        if (it != s.dataset.thumbnails.end()) ImGui::Image(reinterpret_cast<ImTextureID>(it->second), ImVec2(big, big));
        else s.dataset.wanted_thumbnails.push_back(s.map.hover);
        if (s.map.hover_texture && s.map.hover_decoded == s.map.hover) {
          ImGui::SameLine();
          ImGui::Image(reinterpret_cast<ImTextureID>(s.map.hover_texture), ImVec2(big * s.map.hover_w / std::max(1, s.map.hover_h), big));
        }
        ImGui::Text("#%ld", s.map.hover);
        if (s.map.hover_texture && s.map.hover_decoded == s.map.hover) {
          ImGui::SameLine();
          ImGui::TextDisabled("the picture, and the model's decoding of its latent");
        }
      }
      if (s.map.hover < static_cast<long>(s.map.colors.size()) && s.map.colors[s.map.hover] >= 0)
        ImGui::TextDisabled("%s", s.labels.color_names[s.map.colors[s.map.hover]].c_str());
      ImGui::EndTooltip();
      if (ImGui::IsItemClicked(ImGuiMouseButton_Left) && !io.KeyShift) {
        if (!s.map.names.empty()) s.actions.push(act::ContinueWords{s.map.names[s.map.hover]});
        else s.actions.push(act::PickItem{s.map.hover});
      }
    }
    // Legend.
    for (size_t c = 0; c < std::min<size_t>(s.labels.color_names.size(), 10); ++c) {
      const ImVec2 p(origin.x + 8, origin.y + 8 + c * ImGui::GetTextLineHeight());
      dl->AddRectFilled(ImVec2(p.x, p.y + 3), ImVec2(p.x + 8, p.y + 11), category_color(static_cast<int>(c)));
      dl->AddText(ImVec2(p.x + 12, p.y), IM_COL32(220, 220, 220, 255), s.labels.color_names[c].c_str());
    }
  } else if (!s.map.progress.running) {
    dl->AddText(ImVec2(origin.x + 12, origin.y + 12), IM_COL32(150, 150, 150, 255),
                "Compute a map of the dataset (or of the first words).");
  }

  // Groups and the attribute vector.
  if (groups_h > 0) {
    ImGui::SetNextItemWidth(120.f * s.options.ui_scale);
    ImGui::InputTextWithHint("##gname", "group name", &s.groups.name);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Make group").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x);
    const bool enter = ImGui::InputTextWithHint("##gquery", "query: glasses=1 & female=0", &s.groups.query, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Make group") || enter) && !s.groups.query.empty()) s.actions.push(act::MakeGroup{});
    auto group_combo = [&](const char* label, int& which) {
      ImGui::SetNextItemWidth(150.f * s.options.ui_scale);
      const char* cur = which >= 0 && which < static_cast<int>(s.groups.list.size()) ? s.groups.list[which].name.c_str() : "(group)";
      if (ImGui::BeginCombo(label, cur)) {
        for (int g = 0; g < static_cast<int>(s.groups.list.size()); ++g) {
          const std::string item = s.groups.list[g].name + " (" + std::to_string(s.groups.list[g].members.size()) + ")";
          if (ImGui::Selectable(item.c_str(), g == which)) which = g;
        }
        ImGui::EndCombo();
      }
    };
    ImGui::TextUnformatted("attribute:");
    ImGui::SameLine();
    group_combo("minus", s.groups.attr_a);
    ImGui::SameLine();
    group_combo("##b", s.groups.attr_b);
    ImGui::SetNextItemWidth(200.f * s.options.ui_scale);
    ImGui::SliderFloat("strength", &s.groups.attr_strength, -3.f, 3.f, "%.2f");
    ImGui::SameLine();
    ImGui::BeginDisabled(s.groups.attr_a < 0 || s.groups.attr_b < 0 || s.sliders.z.empty());
    if (ImGui::Button("Apply")) s.actions.push(act::ApplyAttribute{});
    ImGui::SameLine();
    if (ImGui::Button("Add slider")) s.actions.push(act::AddAttribute{});
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("keep this attribute as a live slider; several can be in play at once");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("add strength x (mean of the first group - mean of the second) to the current point");
    ImGui::EndDisabled();
    for (size_t i = 0; i < s.attributes.live.size(); ++i) {
      auto& at = s.attributes.live[i];
      if (at.a < 0 || at.b < 0 || at.a >= static_cast<int>(s.groups.list.size()) || at.b >= static_cast<int>(s.groups.list.size())) continue;
      ImGui::PushID(static_cast<int>(i) + 1000);
      const std::string label = s.groups.list[at.a].name + " - " + s.groups.list[at.b].name;
      ImGui::SetNextItemWidth(200.f * s.options.ui_scale);
      ImGui::SliderFloat(label.c_str(), &at.strength, -3.f, 3.f, "%.2f");
      if (s.live.midi_learn_mode && ImGui::IsItemActivated()) s.actions.push(act::ArmLearn{2, static_cast<int>(i)});  // 2: Attribute
      ImGui::SameLine();
      if (ImGui::SmallButton("x")) at.a = -1;  // removed (its contribution stays in the point)
      ImGui::PopID();
    }
  }
  ImGui::End();
}

}  // namespace studio::panels
