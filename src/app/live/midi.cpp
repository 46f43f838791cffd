// MIDI in through RtMidi (JACK when a JACK server runs, else ALSA): ports, opening, and
// control changes and notes turned into events by the bindings.
#include "live_internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <RtMidi.h>

namespace studio {

using namespace live_detail;

struct LiveControl::Callbacks {
  static void midi_in(double, std::vector<unsigned char>* message, void* user) {
    if (!message) return;
    try {
      static_cast<LiveControl*>(user)->handle_midi(message->data(), message->size());
    } catch (...) {
      // Out of memory at worst; the JACK/ALSA thread must survive it.
    }
  }
  static void midi_error(RtMidiError::Type type, const std::string& text, void* user) {
    auto* self = static_cast<LiveControl*>(user);
    try {
      std::lock_guard<std::mutex> lock(self->mutex_);
      const bool warning = type == RtMidiError::WARNING || type == RtMidiError::DEBUG_WARNING;
      if (!warning && self->midi_open_errors_.size() < 16) self->midi_open_errors_.push_back(text);
      if (type != RtMidiError::DEBUG_WARNING) self->status_.last_error = "MIDI: " + text;
    } catch (...) {
    }
  }
  // Collects errors during a probe, when no LiveControl should hear of them.
  static void midi_probe_error(RtMidiError::Type, const std::string& text, void* user) {
    if (!user) return;
    try {
      static_cast<std::vector<std::string>*>(user)->push_back(text);
    } catch (...) {
    }
  }
};

// ------------------------------------------------------------------ MIDI in

namespace {

const char* backend_label(RtMidi::Api api) {
  switch (api) {
    case RtMidi::UNIX_JACK: return "JACK";
    case RtMidi::LINUX_ALSA: return "ALSA";
    default: return "MIDI";
  }
}

bool api_compiled(RtMidi::Api api) {
  std::vector<RtMidi::Api> apis;
  RtMidi::getCompiledApi(apis);
  return std::find(apis.begin(), apis.end(), api) != apis.end();
}

// A JACK client for `client`, or null with the reason (the server is not running).
std::unique_ptr<RtMidiIn> jack_in(const std::string& client, std::string* why) {
  if (!api_compiled(RtMidi::UNIX_JACK)) {
    *why = "this RtMidi was built without JACK";
    return nullptr;
  }
  std::vector<std::string> errors;
  std::unique_ptr<RtMidiIn> in;
  try {
    in = std::make_unique<RtMidiIn>(RtMidi::UNIX_JACK, client);
    in->setErrorCallback(&LiveControl::Callbacks::midi_probe_error, &errors);
    in->getPortCount();  // connects to the server; a warning says it is not running
  } catch (const RtMidiError& e) {
    errors.push_back(e.getMessage());
  }
  if (!errors.empty()) {
    *why = "no JACK server is running (" + errors.front() + ")";
    return nullptr;
  }
  in->setErrorCallback(&LiveControl::Callbacks::midi_probe_error, nullptr);  // `errors` dies here
  return in;
}

std::unique_ptr<RtMidiIn> alsa_in(const std::string& client, std::string* why) {
  if (!api_compiled(RtMidi::LINUX_ALSA)) {
    *why = "this RtMidi was built without ALSA";
    return nullptr;
  }
  try {
    return std::make_unique<RtMidiIn>(RtMidi::LINUX_ALSA, client);
  } catch (const RtMidiError& e) {
    *why = "the ALSA sequencer is not available (" + e.getMessage() + "; is /dev/snd/seq there?)";
    return nullptr;
  }
}

}  // namespace

std::unique_ptr<RtMidiIn> LiveControl::make_midi_in(MidiBackend backend, const std::string& client,
                                                    std::string* error) {
  std::string jack_why, alsa_why;
  std::unique_ptr<RtMidiIn> in;
  switch (backend) {
    case MidiBackend::Jack:
      in = jack_in(client, &jack_why);
      if (!in) *error = "MIDI: JACK is not available: " + jack_why;
      break;
    case MidiBackend::Alsa:
      in = alsa_in(client, &alsa_why);
      if (!in) *error = "MIDI: ALSA is not available: " + alsa_why;
      break;
    case MidiBackend::Auto:
      in = jack_in(client, &jack_why);
      if (!in) in = alsa_in(client, &alsa_why);
      if (!in)
        *error = "MIDI: no MIDI system: " + jack_why + ", and " + alsa_why +
                 ". Start a JACK server (e.g. with qjackctl) or load the ALSA sequencer (snd-seq).";
      break;
  }
  return in;
}

std::vector<std::string> LiveControl::midi_ports(MidiBackend backend) {
  std::string error;
  auto in = make_midi_in(backend, options_.client_name + " (ports)", &error);
  if (!in) {
    set_error(error);
    return {};
  }
  std::vector<std::string> errors;
  in->setErrorCallback(&Callbacks::midi_probe_error, &errors);
  std::vector<std::string> names;
  try {
    const unsigned n = in->getPortCount();
    for (unsigned i = 0; i < n; ++i) names.push_back(in->getPortName(i));
  } catch (const RtMidiError& e) {
    errors.push_back(e.getMessage());
  }
  if (!errors.empty()) set_error("MIDI: listing ports: " + errors.front());
  return names;
}

bool LiveControl::open_midi(const std::string& port, MidiBackend backend) {
  close_midi();
  std::lock_guard<std::mutex> lock(midi_mutex_);
  try {
    return open_midi_locked(port, backend);
  } catch (const RtMidiError& e) {  // with an error callback set RtMidi should not throw; still
    set_error("MIDI: could not open \"" + port + "\": " + e.getMessage());
  } catch (const std::exception& e) {
    set_error("MIDI: could not open \"" + port + "\": " + e.what());
  }
  return false;
}

bool LiveControl::open_midi_locked(const std::string& port, MidiBackend backend) {
  std::string error;
  auto in = make_midi_in(backend, options_.client_name, &error);
  if (!in) {
    set_error(error);
    return false;
  }
  const std::string api = backend_label(in->getCurrentApi());
  {
    std::lock_guard<std::mutex> state(mutex_);
    midi_open_errors_.clear();
  }
  in->setErrorCallback(&Callbacks::midi_error, this);
  in->setCallback(&Callbacks::midi_in, this);
  in->ignoreTypes(true, true, true);  // sysex, timing, active sensing: nothing we bind

  std::string opened;
  if (port.empty()) {
    in->openVirtualPort(options_.virtual_port_name);
    opened = options_.virtual_port_name + " (virtual)";
  } else {
    const unsigned n = in->getPortCount();
    std::vector<std::string> names;
    for (unsigned i = 0; i < n; ++i) names.push_back(in->getPortName(i));
    int chosen = -1;
    if (all_digits(port)) {
      chosen = std::atoi(port.c_str());
      if (chosen >= static_cast<int>(n)) chosen = -1;
    } else {
      const std::string want = lower(port);
      for (unsigned i = 0; i < n && chosen < 0; ++i)
        if (lower(names[i]) == want) chosen = static_cast<int>(i);
      for (unsigned i = 0; i < n && chosen < 0; ++i)
        if (lower(names[i]).find(want) != std::string::npos) chosen = static_cast<int>(i);
    }
    if (chosen < 0) {
      std::string list;
      for (unsigned i = 0; i < n; ++i) list += (i ? ", " : "") + std::to_string(i) + " \"" + names[i] + "\"";
      set_error("MIDI (" + api + "): no input port \"" + port + "\"; the ports now are: " +
                (list.empty() ? std::string("none") : list));
      return false;
    }
    in->openPort(static_cast<unsigned>(chosen), options_.virtual_port_name);
    opened = names[chosen];
  }
  {
    std::lock_guard<std::mutex> state(mutex_);
    if (!midi_open_errors_.empty()) {
      status_.last_error = "MIDI (" + api + "): could not open " + opened + ": " + midi_open_errors_.front();
      midi_open_errors_.clear();
      return false;  // `in` closes as it goes
    }
    status_.midi_open = true;
    status_.midi_backend = api;
    status_.midi_port = opened;
  }
  midi_in_ = std::move(in);
  return true;
}

void LiveControl::close_midi() {
  std::unique_ptr<RtMidiIn> in;
  {
    std::lock_guard<std::mutex> lock(midi_mutex_);
    in = std::move(midi_in_);
  }
  if (in) {
    in->cancelCallback();
    in->closePort();
    in.reset();  // closes the client; a callback in flight finishes first
  }
  std::lock_guard<std::mutex> state(mutex_);
  status_.midi_open = false;
  status_.midi_backend.clear();
  status_.midi_port.clear();
}

bool LiveControl::midi_open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_.midi_open;
}

void LiveControl::feed_midi(const std::vector<unsigned char>& message) { handle_midi(message.data(), message.size()); }

void LiveControl::handle_midi(const unsigned char* bytes, size_t size) {
  if (size < 3) return;  // program change, clock, ...: nothing we bind
  const int status = bytes[0] & 0xF0;
  const int channel = (bytes[0] & 0x0F) + 1;
  const int number = bytes[1] & 0x7F, value = bytes[2] & 0x7F;
  std::lock_guard<std::mutex> lock(mutex_);
  ++status_.midi_messages;

  MidiControl control;
  control.channel = channel;
  control.number = number;
  if (status == 0xB0) {
    control.type = MidiControl::Type::ControlChange;
    status_.last_midi = "ch " + std::to_string(channel) + " CC " + std::to_string(number) + " = " + std::to_string(value);
  } else if (status == 0x90 || status == 0x80) {
    control.type = MidiControl::Type::Note;
    const bool on = status == 0x90 && value > 0;  // Note On with velocity 0 is a Note Off
    status_.last_midi = "ch " + std::to_string(channel) + (on ? " note on " : " note off ") + std::to_string(number) +
                        (on ? " velocity " + std::to_string(value) : std::string());
    if (!on) return;
  } else {
    return;
  }

  if (learning_) {
    // A continuous target needs a CC; a note cannot set a value.
    if (control.type == MidiControl::Type::Note && !is_trigger(learning_->kind)) return;
    MidiBinding b{control, *learning_};
    auto it = std::find_if(bindings_.begin(), bindings_.end(), [&](const MidiBinding& x) { return x.control == control; });
    if (it != bindings_.end())
      *it = b;
    else
      bindings_.push_back(b);
    learned_ = b;
    learning_.reset();
    return;
  }

  auto it = std::find_if(bindings_.begin(), bindings_.end(), [&](const MidiBinding& x) { return x.control == control; });
  if (it == bindings_.end()) return;
  ControlEvent e;
  e.kind = it->target.kind;
  e.index = it->target.index;
  e.source = "midi";
  if (is_trigger(e.kind)) {
    if (value == 0) return;  // a button's release
    e.value = e.kind == Kind::Blackout ? -1.f : 1.f;  // a MIDI button toggles the blackout
  } else {
    e.value = static_cast<float>(value) / 127.f;
    e.normalized = true;
  }
  push(std::move(e));
}
}  // namespace studio
