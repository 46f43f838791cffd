// LiveControl's life, its event queue, MIDI learn and the bindings (saved as JSON).
#include "live_internal.h"

#include <algorithm>
#include <iterator>

#include <RtMidi.h>  // the MIDI input the destructor closes

namespace studio {

using namespace live_detail;

// ------------------------------------------------------------------ life

LiveControl::LiveControl(LiveControlOptions options) : options_(std::move(options)) {}

LiveControl::~LiveControl() {
  close_midi();
  stop_osc();
  clear_send_target();
}

std::vector<ControlEvent> LiveControl::poll() {
  std::deque<ControlEvent> drained;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    drained.swap(queue_);
  }
  return {std::make_move_iterator(drained.begin()), std::make_move_iterator(drained.end())};
}

LiveStatus LiveControl::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

std::string LiveControl::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_.last_error;
}

void LiveControl::clear_error() {
  std::lock_guard<std::mutex> lock(mutex_);
  status_.last_error.clear();
}

void LiveControl::push(ControlEvent e) {
  // mutex_ held by the caller
  if (queue_.size() >= std::max<size_t>(options_.max_queued, 1)) {
    queue_.pop_front();
    ++status_.dropped_events;
  }
  queue_.push_back(std::move(e));
}

void LiveControl::set_error(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  status_.last_error = message;
}

// ------------------------------------------------------------------ learn and bindings

bool LiveControl::arm_learn(Target target) {
  const std::string problem = midi_target_problem(target);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!problem.empty()) {
    status_.last_error = "MIDI learn: " + problem;
    return false;
  }
  learning_ = normalized_target(target);
  learned_.reset();
  return true;
}

void LiveControl::cancel_learn() {
  std::lock_guard<std::mutex> lock(mutex_);
  learning_.reset();
}

std::optional<LiveControl::Target> LiveControl::learning() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return learning_;
}

std::optional<MidiBinding> LiveControl::take_learned() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto b = learned_;
  learned_.reset();
  return b;
}

std::vector<MidiBinding> LiveControl::bindings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bindings_;
}

bool LiveControl::add_binding(const MidiBinding& binding) {
  std::string problem = midi_target_problem(binding.target);
  const auto& c = binding.control;
  if (problem.empty() && (c.channel < 1 || c.channel > 16)) problem = "channel must be 1-16";
  if (problem.empty() && (c.number < 0 || c.number > 127)) problem = "controller or note must be 0-127";
  if (problem.empty() && c.type == MidiControl::Type::Note && !is_trigger(binding.target.kind))
    problem = std::string("a note can only trigger; ") + kind_name(binding.target.kind) + " needs a CC";
  std::lock_guard<std::mutex> lock(mutex_);
  if (!problem.empty()) {
    status_.last_error = "MIDI binding: " + problem;
    return false;
  }
  MidiBinding b{c, normalized_target(binding.target)};
  auto it = std::find_if(bindings_.begin(), bindings_.end(), [&](const MidiBinding& x) { return x.control == c; });
  if (it != bindings_.end())
    *it = b;
  else
    bindings_.push_back(b);
  return true;
}

bool LiveControl::remove_binding(const MidiControl& control) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(bindings_.begin(), bindings_.end(), [&](const MidiBinding& x) { return x.control == control; });
  if (it == bindings_.end()) return false;
  bindings_.erase(it);
  return true;
}

void LiveControl::clear_bindings() {
  std::lock_guard<std::mutex> lock(mutex_);
  bindings_.clear();
}

nlohmann::json LiveControl::bindings_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : bindings()) {
    nlohmann::json j = {{"channel", b.control.channel},
                        {"message", b.control.type == MidiControl::Type::ControlChange ? "cc" : "note"},
                        {"number", b.control.number},
                        {"target", kind_name(b.target.kind)}};
    if (needs_index(b.target.kind)) j["index"] = b.target.index;
    list.push_back(std::move(j));
  }
  return {{"version", 1}, {"bindings", std::move(list)}};
}

void LiveControl::load_bindings(const nlohmann::json& j) {
  auto fail = [](const std::string& what) { throw BindingsError("MIDI bindings: " + what); };
  if (!j.is_object()) fail(std::string("expected an object with \"bindings\", got ") + j.type_name());
  if (j.contains("version") && !(j["version"].is_number_integer() && j["version"].get<long>() == 1))
    fail("unsupported version " + j["version"].dump() + " (this studio reads version 1)");
  if (!j.contains("bindings") || !j["bindings"].is_array()) fail("\"bindings\" must be an array");

  std::vector<MidiBinding> loaded;
  const auto& list = j["bindings"];
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i];
    const std::string where = "item " + std::to_string(i + 1) + ": ";
    if (!item.is_object()) fail(where + "expected an object, got " + item.type_name());
    auto whole = [&](const char* key, long lo, long hi, bool required, long fallback) -> int {
      if (!item.contains(key)) {
        if (required) fail(where + "\"" + key + "\" is missing");
        return static_cast<int>(fallback);
      }
      const auto& v = item[key];
      if (!v.is_number_integer() || v.get<long>() < lo || v.get<long>() > hi)
        fail(where + "\"" + key + "\" must be a whole number from " + std::to_string(lo) + " to " +
             std::to_string(hi) + " (got " + v.dump() + ")");
      return static_cast<int>(v.get<long>());
    };
    MidiBinding b;
    b.control.channel = whole("channel", 1, 16, true, 0);
    if (!item.contains("message") || !item["message"].is_string())
      fail(where + "\"message\" must be \"cc\" or \"note\"");
    const std::string message = item["message"].get<std::string>();
    if (message == "cc")
      b.control.type = MidiControl::Type::ControlChange;
    else if (message == "note")
      b.control.type = MidiControl::Type::Note;
    else
      fail(where + "\"message\" must be \"cc\" or \"note\" (got \"" + message + "\")");
    b.control.number = whole("number", 0, 127, true, 0);
    if (!item.contains("target") || !item["target"].is_string()) fail(where + "\"target\" must be a name such as \"set_dim\"");
    const std::string target = item["target"].get<std::string>();
    const auto kind = kind_from_name(target);
    if (!kind) {
      fail(where + "unknown target \"" + target + "\" (known: " + known_kind_names() + ")");
    }
    b.target.kind = *kind;
    b.target.index = whole("index", needs_index(*kind) ? 0 : -1, 1000000, needs_index(*kind), -1);
    const std::string problem = midi_target_problem(b.target);
    if (!problem.empty()) fail(where + problem);
    if (b.control.type == MidiControl::Type::Note && !is_trigger(*kind))
      fail(where + "a note can only trigger; \"" + target + "\" needs a CC");
    b.target = normalized_target(b.target);
    for (size_t k = 0; k < loaded.size(); ++k)
      if (loaded[k].control == b.control)
        fail(where + control_text(b.control) + " is already bound by item " + std::to_string(k + 1));
    loaded.push_back(b);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  bindings_ = std::move(loaded);
}

}  // namespace studio
