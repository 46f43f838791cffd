// latent-studio: drag one slider per latent dimension and watch the decoded image morph.
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "latent/memory_reserve.h"
#include "studio.h"

#ifndef LATENT_DEFAULT_MODEL
#define LATENT_DEFAULT_MODEL "models/olivetti-pca"
#endif

int main(int argc, char** argv) {
  // 16 MB set aside: an allocation that fails draws on it, so the work in flight ends
  // cleanly (and the studio says so) instead of the process ending in std::terminate.
  latent::install_memory_reserve();
  studio::StudioOptions o;
  CLI::App app{"Latent Studio: explore the latent spaces of trained models"};
  app.add_option("--model", o.model, "Model package to open (default: the shipped olivetti-pca)");
  app.add_option("--dataset", o.dataset, "Dataset to pick images from (default: the model's training data, if present)");
  app.add_option("--z-file", o.z_file, "Start from this latent point (JSON array)");
  app.add_option("--then-open", o.then_open, "Open this model once the first one is up (demos and tests)");
  app.add_option("--words", o.word_query, "Word models: the first word or expression to answer (default: king - man + woman)");
  app.add_option("--approx-min-words", o.approx_min_words,
                 "Word models with at least this many words get an approximate index, built in the background (0: never)")
      ->capture_default_str();
  app.add_option("--map", o.map, "Compute this map once the dataset is in: pca, tsne or umap");
  app.add_option("--labels", o.labels, "Label CSV for the dataset (default: labels.csv beside it)");
  app.add_option("--color-by", o.color_by, "Colour the map by this label column");
  app.add_option("--group", o.groups, "NAME=QUERY: make a group from the labels at start (repeatable)");
  app.add_option("--attribute", o.attribute, "A,B,STRENGTH: add STRENGTH x (mean of group A - mean of group B) at start");
  app.add_option("--layout", o.layout, "Start in this layout: explore, map, words, story or perform (default: the last one)");
  app.add_option("--layout-file", o.layout_file, "Keep the layouts in this file (default: $XDG_CONFIG_HOME/latent-studio/layout.json)");
  app.add_option("--scenes", o.scenes_dir, "Folder of the Journey menu's scenes (default: the shipped assets/scenes)");
  app.add_option("--session", o.session, "Open this session (model, dataset, point, bookmarks, groups, map)");
  app.add_option("--save-session", o.save_session, "Save the session here when the studio exits");
  app.add_option("--autosave-seconds", o.autosave_seconds,
                 "Autosave the open session this often, beside it (SESSION.autosave-PID), when it changed; 0: never")
      ->capture_default_str();
  app.add_option("--bookmark", o.bookmark, "Bookmark the point under this name once loading has settled");
  app.add_option("--filter", o.filter, "Map filter: a label query (glasses=1 & female=0) or a regular expression");
  app.add_flag("--isolate", o.isolate, "Show only the points the filter keeps");
  app.add_option("--expr", o.expression, "Evaluate this expression once everything has loaded; the result becomes the point");
  app.add_option("--live-attribute", o.live_attributes, "A,B,STRENGTH: a live attribute slider made at start (repeatable)");
  app.add_option("--direction", o.directions,
                 "NAME=SIGMA: move the model's named direction (its directions.json) to SIGMA at start (repeatable)");
  app.add_option("--pick", o.pick, "Pick this dataset item at start (its latent becomes the sliders)");
  app.add_option("--highlight", o.highlight, "Highlight this component's slider at start (1-based)")
      ->transform([](std::string v) { return std::to_string(std::stoi(v) - 1); });
  app.add_option("--drop", o.drop, "Handle this file as if dropped on the window (an image: put it into the latent space)");
  app.add_option("--device", o.device, "Neural models run on: cpu, cuda or auto")->capture_default_str();
  app.add_option("--sliders", o.slider_filter, "Show only these sliders, e.g. 1-10,42");
  app.add_option("--top", o.slider_top, "Show only the N most influential sliders (ranked at the start point)");
  app.add_flag("--present", o.present, "Start in presentation mode: the output alone, full screen (F5 toggles)");
  app.add_option("--monitor", o.monitor, "Monitor for presentation and the output window (0: primary)")->capture_default_str();
  app.add_flag("--output-window", o.output_window, "Open a second window with the output only (for a projector)");
  app.add_flag("--play-walk", o.play_walk, "Play the session's walk once it is loaded");
  app.add_option("--walk-time", o.walk_time, "Put the walk at this time (seconds) once it is loaded, paused");
  app.add_option("--export", o.export_walk, "Export the session's walk to this file (.mp4, .gif) or folder once loaded");
  app.add_option("--export-size", o.export_size, "Export size in pixels (the longer side)")->capture_default_str();
  app.add_option("--export-fps", o.export_fps, "Export frames per second")->capture_default_str();
  app.add_option("--osc-port", o.osc_port, "Listen for OSC on this UDP port at start (0: any free port)");
  app.add_flag("--osc-all-interfaces", o.osc_all_interfaces,
               "Let OSC in from other computers too (default: this computer only, 127.0.0.1)");
  app.add_option("--osc-allow", o.osc_allow, "With --osc-all-interfaces: the sender addresses let in, e.g. \"192.168.1.20,192.168.1.21\"");
  app.add_option("--midi", o.midi, "Open this MIDI input at start: a port name or number, or 'virtual'");
  app.add_option("--story-images", o.story_images, "Sentence models: a folder of images with captions (captions.tsv)");
  app.add_option("--story-image", o.story_image, "Sentence models: start from this image's captions");
  app.add_option("--vse", o.vse,
                 "Face models: a face-text space (train vse) for the Model panel's description box and a dropped "
                 "photo's descriptions (default: faces-vse beside the model's folder, if it has a map to the model)");
  app.add_option("--describe", o.describe, "Face models: start from the face this description makes (needs --vse or faces-vse)");
  app.add_option("--caption-model", o.caption_model,
                 "Sentence models: retrieve captions for images without any with this caption model (caption-model.json)");
  app.add_option("--captions", o.story_captions, "Sentence models: start from these captions (one per line)");
  app.add_option("--style", o.story_style, "Sentence models: start with this style ('none': no style)");
  app.add_option("--strength", o.story_strength, "Sentence models: start at this style strength");
  app.add_option("--style-a", o.style_a, "Sentence models: make a style at start from this text (A) ...");
  app.add_option("--style-b", o.style_b, "... minus this text (B), as if typed in the style maker");
  app.add_option("--style-name", o.style_name, "... under this name");
  app.add_option("--check-timeout", o.check.timeout_seconds,
                 "Models that run code (TorchScript, LibTorch) are first run in a separate process: stop it after this "
                 "many seconds")
      ->capture_default_str();
  app.add_option("--check-memory-mb", o.check.memory_mb, "... and cap that process's memory at this many MB")
      ->capture_default_str();
  app.add_option("--trusted-places", o.trusted_places_file,
                 "The list of folders trusted to hold models that run code (default: "
                 "$XDG_CONFIG_HOME/latent-studio/trusted-places.json)");
  app.add_option("--screenshot", o.screenshot, "Write the window to this PNG once work has settled, then exit");
  app.add_option("--frames", o.frames, "Frames to render (after loading settles) before the screenshot")->capture_default_str();
  app.add_option("--screenshot-after", o.screenshot_after,
                 "Take the screenshot this many seconds after start, settled or not (scripted input, frame timing)");
  app.add_option("--width", o.width, "Window width")->capture_default_str();
  app.add_option("--height", o.height, "Window height")->capture_default_str();
  app.add_option("--ui-scale", o.ui_scale, "Text and widget scale (1.5-2.5 for a projector)")->capture_default_str();
  app.add_flag("--linear", o.linear_filter, "Smooth (linear) magnification instead of crisp pixels");
  CLI11_PARSE(app, argc, argv);

  if (o.model.empty()) {
    // The shipped model, from the working folder or from the source tree.
    o.model = std::filesystem::exists("models/olivetti-pca/model.json") ? "models/olivetti-pca" : LATENT_DEFAULT_MODEL;
  }
  if (o.scenes_dir.empty())
    o.scenes_dir = std::filesystem::is_directory("assets/scenes") ? "assets/scenes" : LATENT_SCENES_DIR;
  // The shipped models' folder is trusted without asking.
  o.builtin_models = std::filesystem::path(LATENT_DEFAULT_MODEL).parent_path().string();
  try {
    studio::Studio s(o);
    return s.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent-studio: %s\n", e.what());
    return 1;
  }
}
