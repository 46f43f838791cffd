#pragma once
// Live control: MIDI controllers (RtMidi) and OSC (liblo) turned into plain events that
// the studio applies on its UI thread. Includes no ImGui, GLFW or AppState: the studio
// polls events each frame and maps them onto its own state.
//
// Threads: MIDI callbacks run on RtMidi's thread (the JACK process thread with JACK),
// OSC messages on liblo's server thread. Both only parse, look up bindings and push
// into one mutex-protected queue; poll() drains it. Nothing here throws out of a
// callback: a problem becomes a message in status().last_error.
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

class RtMidiIn;  // RtMidi.h stays out of this header

namespace studio {

struct ControlEvent {
  enum class Kind {
    SetDim,         // index: dimension; value
    SetDims,        // values: the whole point (OSC only)
    Attribute,      // index: attribute slider; value
    StyleStrength,  // value
    WalkSpeed,      // value
    WalkPlay,
    WalkPause,
    WalkToggle,
    Bookmark,       // index: bookmark number, or text: its name
    NextBookmark,
    PrevBookmark,
    Randomize,
    Blackout,       // value: 1 = black, 0 = show, -1 = toggle (a MIDI button)
  };
  Kind kind = Kind::SetDim;
  int index = -1;
  float value = 0;          // MIDI: CC 0..127 -> 0..1; OSC: the sent value as is
  bool normalized = false;  // true when value is 0..1 from MIDI (the studio maps it to a range)
  std::string text;
  std::vector<float> values;
  std::string source;       // "midi" or "osc"
};

// Stable lower-case names, used in the bindings JSON and in messages: "set_dim", ...
const char* kind_name(ControlEvent::Kind kind);
std::optional<ControlEvent::Kind> kind_from_name(const std::string& name);
// Triggers fire once (Bookmark, Randomize, walk play/pause/toggle, next/prev, Blackout);
// the others carry a value.
bool is_trigger(ControlEvent::Kind kind);
// SetDim, Attribute and Bookmark (from MIDI) need an index >= 0.
bool needs_index(ControlEvent::Kind kind);
std::string describe(const ControlEvent& e);  // "osc set_dim[3] = 0.5", for logs and tests

struct ControlTarget {
  ControlEvent::Kind kind = ControlEvent::Kind::SetDim;
  int index = -1;
  bool operator==(const ControlTarget& o) const { return kind == o.kind && index == o.index; }
};

// One physical control: a Control Change or a note on one channel.
struct MidiControl {
  enum class Type { ControlChange, Note };
  Type type = Type::ControlChange;
  int channel = 1;  // 1..16, as printed on controllers
  int number = 0;   // controller or note, 0..127
  bool operator==(const MidiControl& o) const {
    return type == o.type && channel == o.channel && number == o.number;
  }
};

struct MidiBinding {
  MidiControl control;
  ControlTarget target;
};
std::string describe(const MidiBinding& b);  // "ch 1 CC 21 -> set_dim 7"

// Malformed bindings JSON; the message names the item and the field.
class BindingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class MidiBackend {
  Auto,  // JACK when a JACK server runs, else ALSA
  Jack,
  Alsa,
};

struct LiveStatus {
  bool osc_running = false;
  int osc_port = 0;                // the UDP port OSC listens on (0: stopped)
  bool midi_open = false;
  std::string midi_backend;        // "JACK" or "ALSA" while open
  std::string midi_port;           // what is open: a port's name, or our virtual port
  uint64_t osc_messages = 0;       // understood
  uint64_t osc_errors = 0;         // unknown addresses, wrong types, malformed packets
  bool osc_all_interfaces = false; // listening on every network interface (else loopback only)
  uint64_t osc_refused = 0;        // datagrams from senders outside the allow-list, dropped unread
  uint64_t midi_messages = 0;      // every message seen, bound or not
  uint64_t dropped_events = 0;     // the queue was full (nobody polled)
  std::string last_midi;           // the last MIDI message, e.g. "ch 1 CC 21 = 64" (for a panel)
  std::string last_error;          // the latest problem, in words ("" = none)
};

struct LiveControlOptions {
  // The MIDI client as other programs see it ("Latent Studio:Latent Studio" in JACK).
  // JACK2 names a client's socket after the client alone, so two JACK servers on one
  // machine (parallel tests) need distinct names here.
  std::string client_name = "Latent Studio";
  std::string virtual_port_name = "Latent Studio";  // our input port when open_midi("")
  size_t max_queued = 8192;  // events kept when nobody polls; the oldest are dropped
};

// Who may send OSC. By default only programs on this machine: the socket is bound to the
// loopback interface. `all_interfaces` is the opt-in for a controller on the network
// (a phone, another computer); then `allow`, when not empty, lists the sender addresses
// (numeric IPv4, e.g. "192.168.1.20") whose datagrams are read; others are dropped and
// counted. Loopback senders are always allowed.
struct OscAccess {
  bool all_interfaces = false;
  std::vector<std::string> allow;
};
// "" when every entry is a numeric IPv4 address, else what is wrong, naming the entry.
std::string osc_allow_list_problem(const std::vector<std::string>& allow);
// Splits "a, b c" into addresses (commas and blanks separate).
std::vector<std::string> parse_osc_allow_list(const std::string& text);

class LiveControl {
 public:
  using Target = ControlTarget;

  explicit LiveControl(LiveControlOptions options = {});
  ~LiveControl();  // closes MIDI and stops OSC; their threads are joined
  LiveControl(const LiveControl&) = delete;
  LiveControl& operator=(const LiveControl&) = delete;

  // Drains the events that arrived since the last call, oldest first. Thread-safe.
  std::vector<ControlEvent> poll();
  LiveStatus status() const;
  std::string last_error() const;
  void clear_error();

  // ---- OSC in: a UDP server. port 0 picks a free port; osc_port() says which.
  // Returns false (and sets last_error) when the port is taken or out of range, or the
  // allow-list has an entry that is not an address.
  bool start_osc(int port = 0, const OscAccess& access = {});
  void stop_osc();
  int osc_port() const;  // 0 while stopped

  // ---- OSC out. The caller limits the rate (e.g. 30 Hz while something changes).
  bool set_send_target(const std::string& host, int port);
  void clear_send_target();
  bool send_state(const std::vector<float>& z);                  // /latent/state/z ff...
  bool send_value(const std::string& address, float value);      // ADDRESS f

  // ---- MIDI in.
  // Input ports that could be opened ("client:port" with JACK). Empty with last_error set
  // when there is no MIDI system.
  std::vector<std::string> midi_ports(MidiBackend backend = MidiBackend::Auto);
  // port "": our virtual input port (options.virtual_port_name) for other programs to connect to;
  // all digits: that port index; otherwise the port whose name equals (else contains) the
  // text, ignoring case. Replaces an open port. False and last_error on failure.
  bool open_midi(const std::string& port = "", MidiBackend backend = MidiBackend::Auto);
  void close_midi();
  bool midi_open() const;

  // Handles raw MIDI bytes as if they came from the open port (tests, replays).
  void feed_midi(const std::vector<unsigned char>& message);

  // ---- MIDI learn. The next Control Change (or, for triggers, Note On) binds that
  // control to `target`, replacing what the control did before. The learning message
  // itself produces no event. False (with last_error) for targets MIDI cannot drive.
  bool arm_learn(Target target);
  void cancel_learn();
  std::optional<Target> learning() const;        // armed target, if any
  std::optional<MidiBinding> take_learned();     // the binding learned since the last call

  std::vector<MidiBinding> bindings() const;
  bool add_binding(const MidiBinding& binding);  // replaces the control's binding; false if invalid
  bool remove_binding(const MidiControl& control);
  void clear_bindings();

  // {"version": 1, "bindings": [{"channel": 1, "message": "cc", "number": 21,
  //   "target": "set_dim", "index": 7}, ...]}
  nlohmann::json bindings_json() const;
  // All or nothing: throws BindingsError and keeps the current bindings on bad input.
  void load_bindings(const nlohmann::json& j);

  // For the C callbacks (RtMidi and liblo); not for callers.
  struct Callbacks;

 private:
  void push(ControlEvent e);
  void set_error(const std::string& message);
  void handle_midi(const unsigned char* bytes, size_t size);
  void handle_osc(const char* path, const char* types, void* argv, int argc);  // argv: lo_arg**
  void osc_loop();
  void dispatch_osc_packet(char* data, size_t size, int depth);  // a message or a bundle
  void osc_error(const std::string& message);
  bool open_midi_locked(const std::string& port, MidiBackend backend);  // midi_mutex_ held
  std::unique_ptr<RtMidiIn> make_midi_in(MidiBackend backend, const std::string& client, std::string* backend_name);

  const LiveControlOptions options_;
  mutable std::mutex mutex_;  // everything below that callbacks touch
  std::deque<ControlEvent> queue_;
  std::vector<MidiBinding> bindings_;
  std::optional<Target> learning_;
  std::optional<MidiBinding> learned_;
  LiveStatus status_;
  std::vector<std::string> midi_open_errors_;  // RtMidi errors (not warnings) while opening

  // Owned by the calling (UI) thread; never locked while a callback might wait on mutex_.
  std::mutex midi_mutex_;
  std::unique_ptr<RtMidiIn> midi_in_;
  std::mutex osc_mutex_;
  int osc_socket_ = -1;         // our UDP socket (liblo only parses the packets)
  int osc_wake_[2] = {-1, -1};  // a pipe that wakes the listening thread to stop
  std::thread osc_thread_;
  std::vector<uint32_t> osc_allow_;  // network byte order; empty: everyone the binding lets in
  // Sends `count` floats to `path` at the send target; false, with the error set, when
  // there is no target or the send failed.
  bool send_floats(const char* path, const float* values, size_t count);
  std::mutex send_mutex_;
  void* send_address_ = nullptr;  // lo_address
  std::string send_target_;
};

}  // namespace studio
