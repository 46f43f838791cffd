#include "controller/story.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace studio::controller {

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

std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += (s.empty() ? "" : "\n") + l;
  return s;
}

int style_index(const AppState& s, const std::string& name) {
  const auto& names = s.story.style_names;
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

std::vector<latent::StyleVector> Story::styles(const std::vector<latent::StyleVector>& model_styles) const {
  std::vector<latent::StyleVector> out = model_styles;
  for (const auto& s : session_styles_) {
    auto it = std::find_if(out.begin(), out.end(), [&](const latent::StyleVector& v) { return v.name == s.name; });
    if (it != out.end()) *it = s;
    else out.push_back(s);
  }
  return out;
}

void Story::list_styles(AppState& s, const std::vector<latent::StyleVector>& model_styles) const {
  auto& st = s.story;
  st.style_names.clear();
  st.style_notes.clear();
  st.style_defaults.clear();
  for (const auto& v : styles(model_styles)) {
    st.style_names.push_back(v.name);
    char note[96];
    std::snprintf(note, sizeof note, "; calibrated strength %.2f", v.default_strength);
    st.style_notes.push_back((v.a.empty() ? "A" : v.a) + "  minus  " + (v.b.empty() ? "B" : v.b) + note);
    st.style_defaults.push_back(v.default_strength);
  }
  if (st.style >= static_cast<int>(st.style_names.size())) st.style = 0;
  if (st.style_names.empty()) st.style = -1;
}

std::optional<StyleJob> Story::apply(const std::vector<Action>& actions, AppState& s) {
  auto& st = s.story;
  if (st.style != last_style_) {
    last_style_ = st.style;
    if (st.strength_default && st.style >= 0 && st.style < static_cast<int>(st.style_defaults.size()))
      st.strength = st.style_defaults[static_cast<size_t>(st.style)];
  }
  std::optional<StyleJob> job;
  for (const Action& a : actions) {
    if (std::holds_alternative<act::KeepPassage>(a)) {
      std::string text;
      for (const auto& p : st.passage) text += (text.empty() ? "" : " ") + p;
      if (!text.empty() && (st.kept.empty() || st.kept.back() != text)) st.kept.push_back(text);
    } else if (std::holds_alternative<act::MakeStyle>(a) && !job) {
      StyleJob j{st.style_name, lines_of(st.style_a_text), lines_of(st.style_b_text), lines_of(st.captions)};
      if (j.a.empty() || j.b.empty()) {
        st.style_error = "type at least one sentence in A and one in B (one per line)";
      } else if (j.name.empty()) {
        st.style_error = "give the style a name";
      } else {
        if (j.probe.empty()) j.probe.assign(j.b.begin(), j.b.begin() + std::min<size_t>(20, j.b.size()));
        st.style_error.clear();
        st.style_status.clear();
        st.style_progress = {true, 0.f, "encoding"};
        job = std::move(j);
      }
    }
  }
  return job;
}

std::optional<StoryRequest> Story::next_request(const AppState& s, std::shared_ptr<const latent::Space> space,
                                                const std::vector<latent::StyleVector>& model_styles) {
  const auto& st = s.story;
  const auto captions = lines_of(st.captions);
  const bool styled = st.style >= 0 && st.style < static_cast<int>(st.style_names.size());
  const std::string method = st.method == 0 ? "greedy" : st.method == 2 ? "sample" : "beam";
  // What the passage is made from, checked without copying the styles.
  char buf[200];
  std::snprintf(buf, sizeof buf, "|%s|%.4f|%s|%d|%.3f|%d|%d|%.2f|%p",
                styled ? st.style_names[static_cast<size_t>(st.style)].c_str() : "", st.strength, method.c_str(), st.beam,
                st.temperature, st.seed, st.sentences, st.keep_bonus, static_cast<const void*>(space.get()));
  const std::string key = join_lines(captions) + buf + std::to_string(session_styles_.size());
  if (key == submitted_) return std::nullopt;
  submitted_ = key;
  StoryRequest req;
  req.space = std::move(space);
  req.captions = captions;
  if (styled) {
    const auto all = styles(model_styles);
    if (static_cast<size_t>(st.style) < all.size()) req.style = all[static_cast<size_t>(st.style)];
  }
  req.strength = st.strength;
  req.decode.method = method;
  req.decode.beam = st.beam;
  req.decode.temperature = st.temperature;
  req.decode.seed = static_cast<uint64_t>(st.seed);
  req.decode.no_repeat_ngram = 3;  // passages without loops ("and I have been ... and I have been")
  req.sentences = st.sentences;
  req.keep_bonus = st.keep_bonus;
  req.key = key;
  return req;
}

void Story::style_made(latent::StyleVector v, AppState& s, const std::vector<latent::StyleVector>& model_styles) {
  char msg[160];
  std::snprintf(msg, sizeof msg, "made \"%s\" from %ld + %ld sentences; calibrated strength %.2f", v.name.c_str(),
                v.a_sentences, v.b_sentences, v.default_strength);
  const std::string name = v.name;
  auto it = std::find_if(session_styles_.begin(), session_styles_.end(),
                         [&](const latent::StyleVector& w) { return w.name == name; });
  if (it != session_styles_.end()) *it = std::move(v);
  else session_styles_.push_back(std::move(v));
  list_styles(s, model_styles);
  s.story.style = style_index(s, name);
  last_style_ = -2;  // the next apply takes its calibrated strength
  s.story.style_status = msg;
}

void Story::show_passage(const StoryResult& r, AppState& s) {
  auto& st = s.story;
  st.passage = r.passage;
  st.passage_for = r.key;
  st.novel_likeness = r.novel_likeness;
  st.content_kept = r.content_kept;
  if (r.has_map) {
    st.map_a = r.map_a;
    st.map_b = r.map_b;
    st.xy_caption = r.caption_xy;
    st.xy_shifted = r.shifted_xy;
    st.map_ready = true;
  } else {
    st.map_ready = false;
  }
  if (static_cast<int>(r.shifted.size()) == s.model.info.dim) s.sliders.z = r.shifted;  // the sliders follow
  st.error.clear();
}

nlohmann::json Story::session_part(const AppState& s, nlohmann::json styles_json) const {
  const auto& st = s.story;
  return {{"captions", st.captions},
          {"image", st.image_path},
          {"style", st.style >= 0 && st.style < static_cast<int>(st.style_names.size())
                        ? st.style_names[static_cast<size_t>(st.style)]
                        : std::string()},
          {"strength", st.strength},
          {"strength_default", st.strength_default},
          {"method", st.method},
          {"sentences", st.sentences},
          {"keep_bonus", st.keep_bonus},
          {"kept", st.kept},
          {"styles", std::move(styles_json)},
          {"style_a", st.style_a_text},
          {"style_b", st.style_b_text}};
}

void Story::apply_session_part(const nlohmann::json& j, std::vector<latent::StyleVector> styles, int dim,
                                      AppState& s, const std::vector<latent::StyleVector>& model_styles) {
  session_styles_.clear();
  for (auto& v : styles)
    if (static_cast<int>(v.vector.size()) == dim) session_styles_.push_back(std::move(v));
  list_styles(s, model_styles);
  auto& st = s.story;
  st.captions = j.value("captions", st.captions);
  st.style = style_index(s, j.value("style", ""));
  last_style_ = st.style;  // the session's strength, not the style's calibrated one
  st.strength = j.value("strength", st.strength);
  st.strength_default = j.value("strength_default", true);
  st.method = j.value("method", st.method);
  st.sentences = j.value("sentences", st.sentences);
  st.keep_bonus = std::clamp(j.value("keep_bonus", 3.f), 0.f, 8.f);  // sessions from before it: the default
  st.kept = j.value("kept", std::vector<std::string>());
  st.style_a_text = j.value("style_a", "");
  st.style_b_text = j.value("style_b", "");
}

}  // namespace studio::controller
