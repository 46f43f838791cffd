#pragma once
// Sentence models (the storyteller) in the studio: the captions and the style chosen in the
// Story panel become a passage request when what the passage is made from changes; styles
// are the model's and the session's (made here from two groups of sentences); a kept
// passage, a made style and a finished passage change the panel's state; the session keeps
// the story part. No GL or ImGui, and no LibTorch: the studio runs the requests on its
// workers, turns styles into JSON, and shows images (tests/test_controllers.cpp drives this
// without a window).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actions.h"
#include "app_state.h"
#include "latent/space.h"
#include "latent/storyteller.h"

namespace studio::controller {

// The index of the style named `name` in the Story panel's list, or -1.
int style_index(const AppState& s, const std::string& name);

// A text box's lines: trimmed, the blank ones dropped; and back.
std::vector<std::string> lines_of(const std::string& text);
std::string join_lines(const std::vector<std::string>& lines);

// Captions -> their mean thought + strength x style -> a passage (run by Workers::story).
struct StoryRequest {
  std::shared_ptr<const latent::Space> space;
  std::vector<std::string> captions;
  latent::StyleVector style;     // an empty vector: no style
  float strength = 0;
  latent::TextDecodeOptions decode;
  int sentences = 4;
  float keep_bonus = 3.f;        // the caption's words favoured in later sentences (PassageOptions)
  std::string key;               // what the studio asked for, returned as it was
};
struct StoryResult {
  std::vector<std::string> passage;
  double novel_likeness = 0, content_kept = 0;  // of the first sentence; of the caption's words, in the whole passage
  latent::Latent shifted;        // the thought the passage was decoded from
  // The map of the style's examples (remade when the model or style changes).
  std::vector<std::pair<float, float>> map_a, map_b;
  std::pair<float, float> caption_xy{0, 0}, shifted_xy{0, 0};
  bool has_map = false;
  std::string key;
};

// A style to make from the style maker's two groups of sentences, calibrated on `probe`
// (the captions, else the first 20 of B).
struct StyleJob {
  std::string name;
  std::vector<std::string> a, b, probe;
};

class Story {
 public:
  // The model's styles with those made in this session (one of the same name replaces
  // the model's).
  std::vector<latent::StyleVector> styles(const std::vector<latent::StyleVector>& model_styles) const;
  // The panel's list of styles (names, where each came from, calibrated strengths); the
  // choice stays in range (-1 when there are none).
  void list_styles(AppState& s, const std::vector<latent::StyleVector>& model_styles) const;

  // Applies this frame's story actions: a kept passage joins the kept list (not twice in a
  // row); act::MakeStyle becomes the job returned, or a reason in s.story.style_error (the
  // studio hands it on only when no style is being made: until then it waits in the
  // queue). A newly chosen style brings its calibrated strength while the strength follows
  // the style.
  std::optional<StyleJob> apply(const std::vector<Action>& actions, AppState& s);

  // The passage to ask for, when what it is made from (captions, style, strength,
  // decoding, the model, the session's styles) changed since the last one asked.
  std::optional<StoryRequest> next_request(const AppState& s, std::shared_ptr<const latent::Space> space,
                                           const std::vector<latent::StyleVector>& model_styles);

  // A made style joins the session's (replacing one of its name) and becomes the chosen
  // style at its calibrated strength; the status line says what it was made from.
  void style_made(latent::StyleVector v, AppState& s, const std::vector<latent::StyleVector>& model_styles);

  // A finished passage; the sliders follow its thought when it has the model's size.
  static void show_passage(const StoryResult& r, AppState& s);

  // The session's story part; `styles_json` is the session's styles as JSON (made by
  // the studio, which can write them).
  nlohmann::json session_part(const AppState& s, nlohmann::json styles_json) const;
  // Applies a session's story part, with its styles already read (those of another size
  // than `dim` are left out). The session's image, if any, is shown before: its captions
  // give way to the session's.
  void apply_session_part(const nlohmann::json& j, std::vector<latent::StyleVector> styles, int dim,
                                 AppState& s, const std::vector<latent::StyleVector>& model_styles);

  const std::vector<latent::StyleVector>& session_styles() const { return session_styles_; }
  // A new model: its own styles only, and nothing asked of it yet.
  void new_model() {
    session_styles_.clear();
    submitted_.clear();
  }

 private:
  std::vector<latent::StyleVector> session_styles_;  // made here, saved in the session
  std::string submitted_;                             // the key of the last passage asked for
  int last_style_ = -1;                               // the choice whose strength was taken
};

}  // namespace studio::controller
