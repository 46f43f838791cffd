// The studio's side of sentence models: captions (typed, or from an image's captions),
// styles (the model's and the session's), the story worker, and typed style vectors.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/storyteller.h"
#include "studio.h"
#include "gl/texture.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    size_t b = 0;
    while (b < line.size() && line[b] == ' ') ++b;
    if (b < line.size()) out.push_back(line.substr(b));
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += (s.empty() ? "" : "\n") + l;
  return s;
}

bool is_story_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".jpg" || e == ".jpeg" || e == ".png";
}

}  // namespace

const latent::StorytellerSpace* Studio::storyteller() const {
  return space_ ? space_->sentences() : nullptr;
}

std::vector<latent::StyleVector> Studio::all_styles() const {
  std::vector<latent::StyleVector> out;
  if (const auto* st = storyteller()) out = st->styles();
  for (const auto& s : session_styles_) {
    auto it = std::find_if(out.begin(), out.end(), [&](const latent::StyleVector& v) { return v.name == s.name; });
    if (it != out.end()) *it = s;
    else out.push_back(s);
  }
  return out;
}

void Studio::refresh_story_styles() {
  state_.story.style_names.clear();
  state_.story.style_notes.clear();
  state_.story.style_defaults.clear();
  for (const auto& s : all_styles()) {
    state_.story.style_names.push_back(s.name);
    char note[96];
    std::snprintf(note, sizeof note, "; calibrated strength %.2f", s.default_strength);
    state_.story.style_notes.push_back((s.a.empty() ? "A" : s.a) + "  minus  " + (s.b.empty() ? "B" : s.b) + note);
    state_.story.style_defaults.push_back(s.default_strength);
  }
  if (state_.story.style >= static_cast<int>(state_.story.style_names.size())) state_.story.style = 0;
  if (state_.story.style_names.empty()) state_.story.style = -1;
}

void Studio::setup_story() {
  if (!storyteller()) return;
  refresh_story_styles();
  // Images that come with captions: the folder given, else the CC BY COCO images of
  // the shared data, where present.
  std::vector<std::string> dirs;
  if (!opts_.story_images.empty()) dirs.push_back(opts_.story_images);
#ifdef LATENT_DATA_DIR
  dirs.push_back(std::string(LATENT_DATA_DIR) + "/text/captions/coco_mini_cc_by/images");
#endif
  state_.story.images.clear();
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.is_regular_file() && is_story_image(e.path()) && !latent::image_captions(e.path().string()).empty())
        state_.story.images.push_back(e.path().string());
    std::sort(state_.story.images.begin(), state_.story.images.end());
    if (!state_.story.images.empty()) break;
  }
  if (!later_.story_image.empty()) {
    show_story_image(later_.story_image);
    later_.story_image.clear();
  } else if (state_.story.captions.empty()) {
    if (!state_.story.images.empty()) show_story_image(state_.story.images.front());
    else state_.story.captions = "A man riding a horse on a beach.";
  }
  if (!later_.story_captions.empty()) {
    state_.story.captions = later_.story_captions;
    later_.story_captions.clear();
  }
  if (!opts_.story_style.empty()) {
    const auto it = std::find(state_.story.style_names.begin(), state_.story.style_names.end(), opts_.story_style);
    state_.story.style = it == state_.story.style_names.end() ? -1 : static_cast<int>(it - state_.story.style_names.begin());
    if (it == state_.story.style_names.end() && opts_.story_style != "none")
      show_error(state_.story.error, "no style \"" + opts_.story_style + "\" in this model");
  }
  if (opts_.story_strength >= 0) {
    state_.story.strength = opts_.story_strength;
    state_.story.strength_default = false;
  } else if (state_.story.style >= 0) {
    state_.story.strength = state_.story.style_defaults[state_.story.style];
  }
  if (!opts_.style_a.empty() && !opts_.style_b.empty()) {
    // As if typed in the style maker and "Make" pressed.
    try {
      state_.story.style_a_text = join_lines(latent::read_sentences(opts_.style_a));
      state_.story.style_b_text = join_lines(latent::read_sentences(opts_.style_b));
      state_.story.style_name = opts_.style_name.empty() ? "typed" : opts_.style_name;
      state_.actions.push(act::MakeStyle{});
    } catch (const std::exception& e) {
      state_.story.style_error = e.what();
    }
  }
}

void Studio::show_story_image(const std::string& path) {
  const auto caps = latent::image_captions(path);
  state_.story.image_path = path;
  auto it = std::find(state_.story.images.begin(), state_.story.images.end(), path);
  state_.story.image = it == state_.story.images.end() ? -1 : static_cast<int>(it - state_.story.images.begin());
  try {
    latent::Image img = latent::load_image(path);
    // A display copy no wider than 512 pixels.
    if (img.width > 512) img = latent::convert_image(img, 512, std::max(1, img.height * 512 / img.width), img.channels);
    delete_texture(state_.story.image_texture);
    state_.story.image_texture = create_texture(img, true);
    state_.story.image_w = img.width, state_.story.image_h = img.height;
  } catch (const std::exception& e) {
    show_error(state_.story.error, e.what());
  }
  if (caps.empty() && !opts_.caption_model.empty()) {
    // No captions of its own: the caption model retrieves the five nearest from its bank.
    try {
      if (!caption_model_) {
        // TorchScript: run it in a separate process first (named on the command line, so consented).
        const latent::ModelCheckResult r = latent::check_model_in_child(opts_.caption_model, opts_.check);
        if (!r.ok) throw latent::Error(opts_.caption_model + " was not opened: " + r.message);
        caption_model_ = latent::CaptionModel::open(opts_.caption_model);
      }
      std::vector<std::string> got;
      for (const auto& r : caption_model_->retrieve(latent::load_image(path), 5)) got.push_back(r.caption);
      state_.story.captions = join_lines(got);
      state_.story.error.clear();
    } catch (const std::exception& e) {
      show_error(state_.story.error, std::string("retrieving captions failed: ") + e.what());
    }
  } else if (caps.empty()) {
    show_error(state_.story.error, fs::path(path).filename().string() +
                                       ": no captions found for this image (a captions.tsv beside it, or in the folder "
                                       "above, with its number as image_id); type captions, or start the studio with "
                                       "--caption-model");
  } else {
    state_.story.captions = join_lines(caps);
    state_.story.error.clear();
  }
}

void Studio::handle_story() {
  if (!storyteller()) {
    state_.actions.take_only<act::ShowStoryImage, act::KeepPassage>();  // no story without a storyteller
    return;
  }
  if (!story_drop_.empty()) {
    show_story_image(story_drop_);
    story_drop_.clear();
  }
  if (const auto pick = state_.actions.take_last<act::ShowStoryImage>())
    if (pick->index >= 0 && pick->index < static_cast<int>(state_.story.images.size()))
      show_story_image(state_.story.images[static_cast<size_t>(pick->index)]);
  if (state_.story.style != last_story_style_) {
    last_story_style_ = state_.story.style;
    if (state_.story.strength_default && state_.story.style >= 0)
      state_.story.strength = state_.story.style_defaults[state_.story.style];
  }
  if (state_.actions.take_last<act::KeepPassage>()) {
    std::string text;
    for (const auto& p : state_.story.passage) text += (text.empty() ? "" : " ") + p;
    if (!text.empty() && (state_.story.kept.empty() || state_.story.kept.back() != text)) state_.story.kept.push_back(text);
  }
  if (!workers_.style_task && state_.actions.take_last<act::MakeStyle>()) {
    const auto a = lines_of(state_.story.style_a_text), b = lines_of(state_.story.style_b_text);
    if (a.empty() || b.empty()) {
      state_.story.style_error = "type at least one sentence in A and one in B (one per line)";
    } else if (state_.story.style_name.empty()) {
      state_.story.style_error = "give the style a name";
    } else {
      auto probe = lines_of(state_.story.captions);
      if (probe.empty()) probe.assign(b.begin(), b.begin() + std::min<size_t>(20, b.size()));
      workers_.make_style(space_, state_.story.style_name, a, b, probe);
      state_.story.style_error.clear();
      state_.story.style_status.clear();
      state_.story.style_progress = {true, 0.f, "encoding"};
    }
  }

  // A new passage only when what it is made from changed (checked without copying the styles).
  const auto captions = lines_of(state_.story.captions);
  const bool styled = state_.story.style >= 0 && state_.story.style < static_cast<int>(state_.story.style_names.size());
  const std::string method = state_.story.method == 0 ? "greedy" : state_.story.method == 2 ? "sample" : "beam";
  char buf[200];
  std::snprintf(buf, sizeof buf, "|%s|%.4f|%s|%d|%.3f|%d|%d|%p",
                styled ? state_.story.style_names[state_.story.style].c_str() : "", state_.story.strength,
                method.c_str(), state_.story.beam, state_.story.temperature, state_.story.seed, state_.story.sentences,
                static_cast<const void*>(space_.get()));
  const std::string key = join_lines(captions) + buf + std::to_string(session_styles_.size());
  if (key != submitted_story_) {
    submitted_story_ = key;
    StoryRequest req;
    req.space = space_;
    req.captions = captions;
    if (styled) req.style = all_styles()[state_.story.style];
    req.strength = state_.story.strength;
    req.decode.method = method;
    req.decode.beam = state_.story.beam;
    req.decode.temperature = state_.story.temperature;
    req.decode.seed = static_cast<uint64_t>(state_.story.seed);
    req.decode.no_repeat_ngram = 3;  // passages without loops ("and I have been ... and I have been")
    req.sentences = state_.story.sentences;
    req.key = key;
    story_generation_ = workers_.story.submit(std::move(req));
  }
  state_.story.busy = workers_.story.busy() || story_shown_ != story_generation_;
}

void Studio::poll_story() {
  if (workers_.style_task) {
    state_.story.style_progress = {true, workers_.style_task->progress(), workers_.style_task->stage()};
    if (workers_.style_task->done()) {
      state_.story.style_progress.running = false;
      try {
        latent::StyleVector s = workers_.style_task->take();
        auto it = std::find_if(session_styles_.begin(), session_styles_.end(),
                               [&](const latent::StyleVector& v) { return v.name == s.name; });
        if (it != session_styles_.end()) *it = s;
        else session_styles_.push_back(s);
        refresh_story_styles();
        const auto pos = std::find(state_.story.style_names.begin(), state_.story.style_names.end(), s.name);
        state_.story.style = static_cast<int>(pos - state_.story.style_names.begin());
        last_story_style_ = -2;  // take its calibrated strength
        char msg[160];
        std::snprintf(msg, sizeof msg, "made \"%s\" from %ld + %ld sentences; calibrated strength %.2f", s.name.c_str(),
                      s.a_sentences, s.b_sentences, s.default_strength);
        state_.story.style_status = msg;
      } catch (const latent::Cancelled&) {
      } catch (const std::exception& e) {
        state_.story.style_error = e.what();
      }
      workers_.style_task.reset();
    }
  }
  if (auto r = workers_.story.poll(story_shown_)) {
    story_shown_ = r->generation;
    state_.story.ms = 1000.0 * r->seconds;
    if (r->value) {
      const StoryResult& s = *r->value;
      state_.story.passage = s.passage;
      state_.story.passage_for = s.key;
      state_.story.novel_likeness = s.novel_likeness;
      state_.story.content_kept = s.content_kept;
      if (s.has_map) {
        state_.story.map_a = s.map_a;
        state_.story.map_b = s.map_b;
        state_.story.xy_caption = s.caption_xy;
        state_.story.xy_shifted = s.shifted_xy;
        state_.story.map_ready = true;
      } else {
        state_.story.map_ready = false;
      }
      if (static_cast<int>(s.shifted.size()) == state_.model.info.dim) state_.sliders.z = s.shifted;  // the sliders follow
      state_.story.error.clear();
    } else {
      show_error(state_.story.error, r->error);
    }
  }
}

nlohmann::json Studio::story_session() const {
  if (!storyteller()) return nlohmann::json::object();
  nlohmann::json styles = nlohmann::json::array();
  for (const auto& s : session_styles_) styles.push_back(s.to_json());
  return {{"captions", state_.story.captions},
          {"image", state_.story.image_path},
          {"style", state_.story.style >= 0 && state_.story.style < static_cast<int>(state_.story.style_names.size())
                        ? state_.story.style_names[state_.story.style]
                        : std::string()},
          {"strength", state_.story.strength},
          {"strength_default", state_.story.strength_default},
          {"method", state_.story.method},
          {"sentences", state_.story.sentences},
          {"kept", state_.story.kept},
          {"styles", styles},
          {"style_a", state_.story.style_a_text},
          {"style_b", state_.story.style_b_text}};
}

void Studio::apply_story_session(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object() || j.empty()) return;
  try {
    session_styles_.clear();
    for (const auto& s : j.value("styles", nlohmann::json::array())) {
      auto v = latent::StyleVector::from_json(s, file);
      if (static_cast<int>(v.vector.size()) == state_.model.info.dim) session_styles_.push_back(std::move(v));
    }
    refresh_story_styles();
    const std::string image = j.value("image", "");
    if (!image.empty() && fs::exists(image)) show_story_image(image);
    state_.story.captions = j.value("captions", state_.story.captions);
    const std::string style = j.value("style", "");
    const auto it = std::find(state_.story.style_names.begin(), state_.story.style_names.end(), style);
    state_.story.style = it == state_.story.style_names.end() ? -1 : static_cast<int>(it - state_.story.style_names.begin());
    last_story_style_ = state_.story.style;
    state_.story.strength = j.value("strength", state_.story.strength);
    state_.story.strength_default = j.value("strength_default", true);
    state_.story.method = j.value("method", state_.story.method);
    state_.story.sentences = j.value("sentences", state_.story.sentences);
    state_.story.kept = j.value("kept", std::vector<std::string>());
    state_.story.style_a_text = j.value("style_a", "");
    state_.story.style_b_text = j.value("style_b", "");
  } catch (const std::exception& e) {
    show_error(state_.story.error, file + ": the session's story part could not be read (" + e.what() + ")");
  }
}

}  // namespace studio
