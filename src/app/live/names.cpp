// Live control's vocabulary: the names of event kinds (as OSC addresses and bindings files
// write them) and their descriptions for the Live panel.
#include "live_internal.h"

#include <algorithm>
#include <cctype>

namespace studio {

using namespace live_detail;

namespace {


struct KindName {
  Kind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {Kind::SetDim, "set_dim"},
    {Kind::SetDims, "set_dims"},
    {Kind::Attribute, "attribute"},
    {Kind::StyleStrength, "style_strength"},
    {Kind::WalkSpeed, "walk_speed"},
    {Kind::WalkPlay, "walk_play"},
    {Kind::WalkPause, "walk_pause"},
    {Kind::WalkToggle, "walk_toggle"},
    {Kind::Bookmark, "bookmark"},
    {Kind::NextBookmark, "next_bookmark"},
    {Kind::PrevBookmark, "prev_bookmark"},
    {Kind::Randomize, "randomize"},
    {Kind::Blackout, "blackout"},
};
}  // namespace

namespace live_detail {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string control_text(const MidiControl& c) {
  return "ch " + std::to_string(c.channel) +
         (c.type == MidiControl::Type::ControlChange ? " CC " : " note ") + std::to_string(c.number);
}

// Why a target cannot be driven by MIDI ("" = it can).
std::string midi_target_problem(const ControlTarget& t) {
  if (t.kind == Kind::SetDims) return "set_dims sets the whole point and cannot come from one MIDI control";
  if (needs_index(t.kind) && t.index < 0)
    return std::string(kind_name(t.kind)) + " needs an index of 0 or more (got " + std::to_string(t.index) + ")";
  return "";
}

ControlTarget normalized_target(ControlTarget t) {
  if (!needs_index(t.kind)) t.index = -1;
  return t;
}

std::string known_kind_names() {
  std::string known;
  for (const auto& k : kKindNames) known += std::string(known.empty() ? "" : ", ") + k.name;
  return known;
}

}  // namespace live_detail

// ------------------------------------------------------------------ names

const char* kind_name(Kind kind) {
  for (const auto& k : kKindNames)
    if (k.kind == kind) return k.name;
  return "?";
}

std::optional<Kind> kind_from_name(const std::string& name) {
  for (const auto& k : kKindNames)
    if (name == k.name) return k.kind;
  return std::nullopt;
}

bool is_trigger(Kind kind) {
  switch (kind) {
    case Kind::WalkPlay:
    case Kind::WalkPause:
    case Kind::WalkToggle:
    case Kind::Bookmark:
    case Kind::NextBookmark:
    case Kind::PrevBookmark:
    case Kind::Randomize:
    case Kind::Blackout:
      return true;
    default:
      return false;
  }
}

bool needs_index(Kind kind) { return kind == Kind::SetDim || kind == Kind::Attribute || kind == Kind::Bookmark; }

std::string describe(const ControlEvent& e) {
  std::ostringstream s;
  s << e.source << ' ' << kind_name(e.kind);
  if (e.index >= 0) s << '[' << e.index << ']';
  if (!e.text.empty()) s << " \"" << e.text << '"';
  if (!e.values.empty()) {
    s << " =";
    for (float v : e.values) s << ' ' << v;
  } else if (!is_trigger(e.kind) || e.kind == Kind::Blackout) {
    s << " = " << e.value;
  }
  if (e.normalized) s << " (0..1)";
  return s.str();
}

std::string describe(const MidiBinding& b) {
  std::string s = control_text(b.control) + " -> " + kind_name(b.target.kind);
  if (b.target.index >= 0) s += " " + std::to_string(b.target.index);
  return s;
}

}  // namespace studio
