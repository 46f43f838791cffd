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

bool is_story_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".jpg" || e == ".jpeg" || e == ".png";
}

}  // namespace

const latent::StorytellerSpace* Studio::storyteller() const {
  return space_ ? space_->sentences() : nullptr;
}

const std::vector<latent::StyleVector>& Studio::model_styles() const {
  static const std::vector<latent::StyleVector> none;
  const auto* st = storyteller();
  return st ? st->styles() : none;
}

void Studio::setup_story() {
  if (!storyteller()) return;
  story_.list_styles(state_, model_styles());
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
    state_.story.style = controller::style_index(state_, opts_.story_style);
    if (state_.story.style < 0 && opts_.story_style != "none")
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
      state_.story.style_a_text = controller::join_lines(latent::read_sentences(opts_.style_a));
      state_.story.style_b_text = controller::join_lines(latent::read_sentences(opts_.style_b));
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
      state_.story.captions = controller::join_lines(got);
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
    state_.story.captions = controller::join_lines(caps);
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
  std::vector<Action> actions = state_.actions.take_only<act::KeepPassage>();
  if (!workers_.style_task)  // a style asked for while one is made waits for it
    if (state_.actions.take_last<act::MakeStyle>()) actions.push_back(act::MakeStyle{});
  if (auto job = story_.apply(actions, state_))
    workers_.make_style(space_, job->name, std::move(job->a), std::move(job->b), std::move(job->probe));
  if (auto req = story_.next_request(state_, space_, model_styles()))
    story_generation_ = workers_.story.submit(std::move(*req));
  state_.story.busy = workers_.story.busy() || story_shown_ != story_generation_;
}

void Studio::poll_story() {
  workers_.style_task.poll(
      state_.story.style_progress, [&](latent::StyleVector v) { story_.style_made(std::move(v), state_, model_styles()); },
      [&](const std::string& e) { state_.story.style_error = e; });
  if (auto r = workers_.story.poll(story_shown_)) {
    story_shown_ = r->generation;
    state_.story.ms = 1000.0 * r->seconds;
    if (r->value) controller::Story::show_passage(*r->value, state_);
    else show_error(state_.story.error, r->error);
  }
}

nlohmann::json Studio::story_session() const {
  if (!storyteller()) return nlohmann::json::object();
  nlohmann::json styles = nlohmann::json::array();
  for (const auto& v : story_.session_styles()) styles.push_back(v.to_json());
  return story_.session_part(state_, std::move(styles));
}

void Studio::apply_story_session(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object() || j.empty()) return;
  try {
    std::vector<latent::StyleVector> styles;
    for (const auto& v : j.value("styles", nlohmann::json::array())) styles.push_back(latent::StyleVector::from_json(v, file));
    const std::string image = j.value("image", "");
    if (!image.empty() && fs::exists(image)) show_story_image(image);  // its captions give way to the session's
    story_.apply_session_part(j, std::move(styles), state_.model.info.dim, state_, model_styles());
  } catch (const std::exception& e) {
    show_error(state_.story.error, file + ": the session's story part could not be read (" + e.what() + ")");
  }
}

}  // namespace studio
