// The test probe: --screenshot's PNG and the JSON of what the studio shows, for the GUI
// tests and the docs' screenshots.
#include "studio.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"
#include "gl/texture.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

}  // namespace

bool Studio::write_screenshot() {
  int fw, fh;
  glfwGetFramebufferSize(window_, &fw, &fh);
  const latent::Image img = read_back_buffer(window_);
  try {
    latent::save_png(img, opts_.screenshot);
    if (output_) {
      // The output window, redrawn now so its back buffer holds the current frame.
      draw_output_window(false);
      const latent::Image out = read_back_buffer(output_);
      glfwSwapBuffers(output_);
      glfwMakeContextCurrent(window_);
      latent::save_png(out, opts_.screenshot + ".output.png");
    }
    // Where things are, for tests and docs.
    auto rect = [](const Rect& r) { return nlohmann::json{{"x", r.x}, {"y", r.y}, {"w", r.w}, {"h", r.h}}; };
    nlohmann::json meta = {{"width", fw},
                           {"height", fh},
                           {"viewport", rect(state_.view.rect)},
                           {"viewport_image", {{"width", state_.view.w}, {"height", state_.view.h}}},
                           {"sliders", rect(state_.sliders.rect)},
                           {"first_slider", rect(state_.sliders.first_rect)},
                           {"first_direction", rect(state_.sliders.first_direction_rect)},
                           {"journey", {{"menu", rect(state_.journey.rect)},
                                        {"caption", state_.journey.caption},
                                        {"caption_rect", rect(state_.journey.caption_rect)},
                                        {"note", state_.journey.note},
                                        {"open_seconds", state_.journey.seconds},
                                        {"scenes", [&] {
                                           nlohmann::json l = nlohmann::json::array();
                                           for (size_t i = 0; i < state_.journey.scenes.size(); ++i)
                                             l.push_back({{"title", state_.journey.scenes[i].title},
                                                          {"path", state_.journey.scenes[i].path},
                                                          {"rect", i < state_.journey.item_rects.size()
                                                                       ? rect(state_.journey.item_rects[i])
                                                                       : rect(Rect{})}});
                                           return l;
                                         }()}}},
                           {"group_sliders", [&] {
                              nlohmann::json l = nlohmann::json::array();
                              for (const auto& a : state_.attributes.live)
                                if (a.direction < 0 && a.a >= 0 && a.b >= 0 && a.a < static_cast<int>(state_.groups.list.size()) &&
                                    a.b < static_cast<int>(state_.groups.list.size()))
                                  l.push_back({{"a", state_.groups.list[static_cast<size_t>(a.a)].name},
                                               {"b", state_.groups.list[static_cast<size_t>(a.b)].name},
                                               {"strength", a.strength}, {"applied", a.applied}});
                              return l;
                            }()},
                           {"walk_playing", state_.walk.playing},
                           {"file_dialogs", {{"available", state_.files.dialogs},
                                             {"status", state_.files.status},
                                             {"buttons", [&] {
                                                nlohmann::json b = nlohmann::json::object();
                                                const char* names[] = {"none", "model", "dataset", "labels", "session_open",
                                                                       "session_save", "export", "selection"};
                                                for (const auto& [k, r] : state_.files.browse_buttons)
                                                  if (k >= 0 && k < 8) b[names[k]] = rect(r);
                                                return b;
                                              }()}}},
                           {"session_path", state_.session.path_input},
                           {"layout", {{"preset", state_.layout.preset},
                                       {"kind", state_.layout.kind},
                                       {"status", state_.layout.status},
                                       {"file", layout_file_},
                                       {"menu", rect(state_.layout.menu_rect)},
                                       {"items", [&] {
                                          nlohmann::json l = nlohmann::json::array();
                                          for (const Rect& r : state_.layout.item_rects) l.push_back(rect(r));
                                          return l;
                                        }()}}},
                           {"dataset_path", state_.dataset.path_input},
                           {"import_sheet", {{"shown", state_.import_sheet.shown},
                                             {"generator", state_.import_sheet.generator},
                                             {"out_dir", state_.import_sheet.out_dir},
                                             {"found", state_.import_sheet.found},
                                             {"rect", rect(state_.import_sheet.rect)},
                                             {"tanh_button", rect(state_.import_sheet.tanh_button)},
                                             {"preview", state_.import_sheet.preview.size()},
                                             {"reimport_button", rect(state_.import_sheet.reimport_button)}}},
                           {"observation", {{"channels", state_.model.info.observation.channels},
                                            {"height", state_.model.info.observation.height},
                                            {"width", state_.model.info.observation.width}}},
                           {"directions_note", state_.attributes.directions_note},
                           {"directions", [&] {
                              nlohmann::json d = nlohmann::json::array();
                              for (const auto& a : state_.attributes.live)
                                if (a.direction >= 0 && a.direction < static_cast<int>(state_.attributes.directions.size()))
                                  d.push_back({{"name", state_.attributes.directions[static_cast<size_t>(a.direction)].name},
                                               {"sigma", a.strength}});
                              return d;
                            }()},
                           {"model", state_.model.loaded ? state_.model.info.name : ""},
                           {"z", state_.sliders.z},
                           {"picked", state_.dataset.picked},
                           {"dataset_count", state_.dataset.count},
                           {"model_error", state_.model.error},
                           {"model_check", state_.model.check_note},
                           {"consent_pending", state_.model.consent_path},
                           {"autosave_offers", state_.session.autosave_offers.size()},
                           {"restore_button", rect(state_.session.restore_button_rect)},
                           {"messages", [&] {
                              nlohmann::json m = nlohmann::json::array();
                              for (const auto& x : state_.messages) m.push_back(x.text);
                              return m;
                            }()},
                           {"decode_error", state_.view.error},
                           {"linear_filter", state_.options.linear_filter},
                           {"word_query", state_.words.query},
                           {"word_status", state_.words.status},
                           {"word_error", state_.words.error},
                           {"map_points", state_.map.xy.size() / 2},
                           {"map_pictures", {{"atlas_pages", state_.map.atlas.pages.size()},
                                             {"atlas_cell", state_.map.atlas.cell},
                                             {"drawn", state_.map.thumbnails_drawn},
                                             {"px", state_.map.thumbnail_px},
                                             {"canvas", rect(state_.map.canvas_rect)},
                                             {"zoom", state_.map.view.zoom},
                                             {"hover", state_.map.hover},
                                             {"centre_point", {{"index", state_.map.centre_point},
                                                               {"x", state_.map.centre_point_px[0]},
                                                               {"y", state_.map.centre_point_px[1]}}},
                                             {"hover_decoded", state_.map.hover_decoded},
                                             {"selection", state_.map.selection.size()},
                                             {"selection_status", state_.map.selection_status},
                                             {"save_list_button", rect(state_.map.selection_list_button)},
                                             {"save_pictures_button", rect(state_.map.selection_images_button)}}},
                           {"map_method", state_.map.shown_method},
                           {"map_progress", {{"running", state_.map.progress.running},
                                             {"fraction", state_.map.progress.fraction},
                                             {"stage", state_.map.progress.stage}}},
                           {"map_error", state_.map.error},
                           {"labels_error", state_.labels.error},
                           {"map_current_valid", state_.map.current_valid},
                           {"map_current", {state_.map.current[0], state_.map.current[1]}},
                           {"color_categories", state_.labels.color_names},
                           {"session_status", state_.session.status},
                           {"expression_error", state_.points.expression_error},
                           {"map_filter_error", state_.map.filter_error},
                           {"map_matches", std::count(state_.map.match.begin(), state_.map.match.end(), 1)},
                           {"map_selection", state_.map.selection.size()},
                           {"ui_ms", state_.perf.ui_ms},
                           {"map_redraws", state_.map.redraws},
                           {"map_uploads", state_.map.uploads},
                           {"map_gl_layer", state_.map.texture != 0},
                           {"map_panel_points", state_.map.panel_points_drawn},
                           {"draw_ms", state_.perf.draw_ms},
                           {"frame_ms", state_.perf.frame_ms},
                           {"device", state_.model.loaded ? state_.model.info.device : ""},
                           {"device_note", state_.model.device_note},
                           {"visible_sliders", state_.sliders.visible_dims.size()},
                           {"influence_ranked", !state_.sliders.influence.empty()},
                           {"inverted", state_.invert.name},
                           {"invert_mse", state_.invert.mse},
                           {"invert_how", state_.invert.how},
                           {"invert_error", state_.invert.error},
                           {"decodes_submitted", state_.perf.decodes_submitted},
                           {"presentation", state_.show.presentation},
                           {"osc_status", state_.live.osc_status},
                           {"osc_port", state_.live.osc_running ? state_.live.osc_port : -1},
                           {"midi_status", state_.live.midi_status},
                           {"live_last", state_.live.last},
                           {"bindings", state_.live.bindings},
                           {"walk_keys", state_.walk.keys.size()},
                           {"walk_playing", state_.walk.playing},
                           {"walk_time", state_.walk.time},
                           {"walk_duration", state_.walk.duration},
                           {"walk_error", state_.walk.error},
                           {"export_status", state_.exports.status},
                           {"blackout", state_.show.blackout},
                           {"overlay", state_.show.overlay ? state_.show.overlay_text : std::string()},
                           {"current_bookmark", state_.show.current_bookmark},
                           {"output_window", output_ != nullptr},
                           {"monitors", state_.show.monitor_names},
                           {"decodes_skipped", state_.perf.decodes_skipped},
                           {"decode_ms_avg", state_.perf.decode_ms_avg},
                           {"section_max_ms", state_.perf.section_max_ms}};
    {
      // Percentiles over the recorded frames (the last up to 2000): whole frame, UI
      // building on the CPU, and GL drawing.
      std::vector<double> fr, ui, dr;
      for (const auto& f : frame_times_) fr.push_back(f[0]), ui.push_back(f[1]), dr.push_back(f[2]);
      auto pct = [](const std::vector<double>& v) {
        return nlohmann::json{{"p50", percentile(v, 0.5)}, {"p90", percentile(v, 0.9)}, {"p99", percentile(v, 0.99)},
                              {"max", percentile(v, 1.0)}, {"frames", v.size()}};
      };
      meta["frame_times"] = {{"frame_ms", pct(fr)}, {"ui_ms", pct(ui)}, {"draw_ms", pct(dr)}};
    }
    for (const auto& b : state_.points.bookmarks) meta["bookmarks"].push_back(b.name);
    for (const auto& g : state_.groups.list) meta["groups"].push_back({{"name", g.name}, {"size", g.members.size()}});
    for (const auto& w : state_.words.answers) meta["word_answers"].push_back({{"word", w.word}, {"score", w.score}});
    for (const auto& w : state_.view.words) meta["view_words"].push_back(w.word);
    {
      const auto& ft = state_.faces_text;
      nlohmann::json near = nlohmann::json::array();
      for (const auto& [text, score] : ft.nearest) near.push_back({{"text", text}, {"score", score}});
      meta["faces_text"] = {{"vse", ft.vse}, {"ready", ft.ready}, {"status", ft.status}, {"text", ft.text},
                            {"described", ft.described}, {"error", ft.error}, {"nearest", near},
                            {"nearest_for", ft.nearest_for}};
    }
    if (state_.model.info.modality == latent::Modality::Text) {
      meta["story"] = {{"captions", state_.story.captions},
                       {"image", state_.story.image_path},
                       {"style", state_.story.style >= 0 && state_.story.style < static_cast<int>(state_.story.style_names.size())
                                     ? state_.story.style_names[state_.story.style]
                                     : std::string("none")},
                       {"styles", state_.story.style_names},
                       {"strength", state_.story.strength},
                       {"passage", state_.story.passage},
                       {"novel_likeness", state_.story.novel_likeness},
                       {"content_kept", state_.story.content_kept},
                       {"map_ready", state_.story.map_ready},
                       {"map_rect", {{"x", state_.story.map_rect.x}, {"y", state_.story.map_rect.y},
                                     {"w", state_.story.map_rect.w}, {"h", state_.story.map_rect.h}}},
                       {"map_caption", {state_.story.xy_caption.first, state_.story.xy_caption.second}},
                       {"map_shifted", {state_.story.xy_shifted.first, state_.story.xy_shifted.second}},
                       {"story_ms", state_.story.ms},
                       {"error", state_.story.error},
                       {"style_status", state_.story.style_status},
                       {"style_error", state_.story.style_error},
                       {"kept", state_.story.kept},
                       {"view_text", state_.view.text}};
    }
    std::ofstream(opts_.screenshot + ".json") << meta.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent-studio: %s\n", e.what());
    return false;
  }
  std::fprintf(stderr, "latent-studio: wrote %s\n", opts_.screenshot.c_str());
  return true;
}

}  // namespace studio
