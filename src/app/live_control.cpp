#include "live_control.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <sstream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <RtMidi.h>
#include <lo/lo.h>
#include <lo/lo_throw.h>

namespace studio {

using Kind = ControlEvent::Kind;

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

}  // namespace

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

// ------------------------------------------------------------------ OSC in

namespace {

const char* const kOscAddresses =
    "/latent/z/<k> f, /latent/z f..., /latent/attribute/<i> f, /latent/direction/<name> f, /latent/style f, /latent/walk/speed f, "
    "/latent/walk/play, /latent/walk/pause, /latent/walk/toggle, /latent/bookmark s|i, "
    "/latent/bookmark/next, /latent/bookmark/prev, /latent/randomize, /latent/blackout i";

bool is_number_tag(char t) { return t == LO_FLOAT || t == LO_INT32 || t == LO_DOUBLE || t == LO_INT64; }

// liblo's arguments are only 4-byte aligned inside the packet, while the lo_arg union wants
// 8: read them by copying rather than through the union's members.
template <typename T>
T read_arg(const lo_arg* a) {
  T v;
  std::memcpy(&v, a, sizeof v);
  return v;
}

double number_arg(char t, const lo_arg* a) {
  switch (t) {
    case LO_FLOAT: return read_arg<float>(a);
    case LO_INT32: return read_arg<int32_t>(a);
    case LO_DOUBLE: return read_arg<double>(a);
    case LO_INT64: return static_cast<double>(read_arg<int64_t>(a));
    default: return 0;
  }
}

struct OscRoute {
  OscRoute(Kind k, int i = -1, std::string n = {}) : kind(k), index(i), name(std::move(n)) {}
  Kind kind;
  int index;
  std::string name;  // a named direction
};

// "/latent/..." to what it controls; nullopt for an address we do not know.
std::optional<OscRoute> route(const std::string& path) {
  static const std::string prefix = "/latent/";
  if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::string rest = path.substr(prefix.size());
  auto indexed = [&](const std::string& head, Kind kind) -> std::optional<OscRoute> {
    if (rest.compare(0, head.size(), head) != 0) return std::nullopt;
    const std::string k = rest.substr(head.size());
    if (!all_digits(k)) return std::nullopt;
    return OscRoute{kind, std::atoi(k.c_str())};
  };
  if (rest == "z") return OscRoute{Kind::SetDims};
  if (auto r = indexed("z/", Kind::SetDim)) return r;
  if (auto r = indexed("attribute/", Kind::Attribute)) return r;
  static const std::string dir = "direction/";
  if (rest.compare(0, dir.size(), dir) == 0 && rest.size() > dir.size() && rest.size() <= dir.size() + 100) {
    const std::string name = rest.substr(dir.size());
    if (std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; }))
      return OscRoute{Kind::Attribute, -1, name};
  }
  if (rest == "style") return OscRoute{Kind::StyleStrength};
  if (rest == "walk/speed") return OscRoute{Kind::WalkSpeed};
  if (rest == "walk/play") return OscRoute{Kind::WalkPlay};
  if (rest == "walk/pause") return OscRoute{Kind::WalkPause};
  if (rest == "walk/toggle") return OscRoute{Kind::WalkToggle};
  if (rest == "bookmark") return OscRoute{Kind::Bookmark};
  if (rest == "bookmark/next") return OscRoute{Kind::NextBookmark};
  if (rest == "bookmark/prev") return OscRoute{Kind::PrevBookmark};
  if (rest == "randomize") return OscRoute{Kind::Randomize};
  if (rest == "blackout") return OscRoute{Kind::Blackout};
  return std::nullopt;
}

}  // namespace

void LiveControl::osc_error(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++status_.osc_errors;
  status_.last_error = message;
}

void LiveControl::handle_osc(const char* path_c, const char* types_c, void* argv_v, int argc) {
  const std::string path = path_c ? path_c : "";
  const std::string types = types_c ? types_c : "";
  auto** argv = static_cast<lo_arg**>(argv_v);
  const auto r = route(path);
  if (!r) {
    osc_error("OSC " + path + ": unknown address (known: " + kOscAddresses + ")");
    return;
  }
  auto wrong = [&](const std::string& wanted) {
    osc_error("OSC " + path + ": expected " + wanted + ", got " +
              (types.empty() ? std::string("no arguments") : "type tags \"" + types + "\""));
  };
  ControlEvent e;
  e.kind = r->kind;
  e.index = r->index;
  e.text = r->name;
  e.source = "osc";

  switch (r->kind) {
    case Kind::SetDim:
    case Kind::Attribute:
    case Kind::StyleStrength:
    case Kind::WalkSpeed:
      if (argc != 1 || !is_number_tag(types[0])) return wrong("one number (f or i)");
      e.value = static_cast<float>(number_arg(types[0], argv[0]));
      break;
    case Kind::SetDims:
      if (argc < 1) return wrong("one number per dimension (f or i)");
      for (int i = 0; i < argc; ++i) {
        if (!is_number_tag(types[i])) return wrong("one number per dimension (f or i)");
        e.values.push_back(static_cast<float>(number_arg(types[i], argv[i])));
      }
      break;
    case Kind::Bookmark:
      if (argc != 1) return wrong("a bookmark name (s) or number (i)");
      if (types[0] == LO_STRING || types[0] == LO_SYMBOL) {
        e.text = reinterpret_cast<const char*>(argv[0]);  // a NUL-terminated string in the packet
      } else if (is_number_tag(types[0])) {
        const double v = number_arg(types[0], argv[0]);
        if (v < 0 || v != std::floor(v) || v > 1e9) {
          osc_error("OSC " + path + ": a bookmark number must be a whole number of 0 or more (got " +
                    std::to_string(v) + ")");
          return;
        }
        e.index = static_cast<int>(v);
      } else {
        return wrong("a bookmark name (s) or number (i)");
      }
      break;
    case Kind::Blackout:
      // An argument says on or off; none toggles.
      if (argc == 0) {
        e.value = -1;
      } else if (argc == 1 && (types[0] == LO_TRUE || types[0] == LO_FALSE)) {
        e.value = types[0] == LO_TRUE ? 1.f : 0.f;
      } else if (argc == 1 && is_number_tag(types[0])) {
        e.value = number_arg(types[0], argv[0]) != 0 ? 1.f : 0.f;
      } else {
        return wrong("0 or 1 (i), or nothing to toggle");
      }
      break;
    default:  // the other triggers
      // Buttons on OSC surfaces send 1 on press and 0 on release: fire on the press only.
      if (argc == 0) break;
      if (argc == 1 && (is_number_tag(types[0]) || types[0] == LO_TRUE || types[0] == LO_FALSE)) {
        const double v = types[0] == LO_TRUE ? 1 : types[0] == LO_FALSE ? 0 : number_arg(types[0], argv[0]);
        if (v <= 0) {
          std::lock_guard<std::mutex> lock(mutex_);
          ++status_.osc_messages;
          return;
        }
        break;
      }
      return wrong("no arguments (or one number: fires when above 0)");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++status_.osc_messages;
  push(std::move(e));
}

std::vector<std::string> parse_osc_allow_list(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + " ") {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(cur), cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

std::string osc_allow_list_problem(const std::vector<std::string>& allow) {
  for (const auto& a : allow) {
    in_addr addr{};
    if (inet_pton(AF_INET, a.c_str(), &addr) != 1)
      return "'" + a + "' is not a numeric IPv4 address (write it like 192.168.1.20)";
  }
  return "";
}

bool LiveControl::start_osc(int port, const OscAccess& access) {
  stop_osc();
  if (port < 0 || port > 65535) {
    set_error("OSC: port " + std::to_string(port) + " is out of range (0 picks a free port, else 1-65535)");
    return false;
  }
  if (const std::string problem = osc_allow_list_problem(access.allow); !problem.empty()) {
    set_error("OSC: the allow-list: " + problem);
    return false;
  }
  std::lock_guard<std::mutex> lock(osc_mutex_);
  const std::string where = access.all_interfaces ? "all interfaces" : "the loopback interface (127.0.0.1)";
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    set_error(std::string("OSC: cannot make a UDP socket (") + std::strerror(errno) + ")");
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(access.all_interfaces ? INADDR_ANY : INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    set_error(port == 0 ? "OSC: could not open any UDP port on " + where + " (" + why + ")"
                        : "OSC: cannot listen on UDP port " + std::to_string(port) + " on " + where +
                              "; is another program using it? (" + why + ")");
    return false;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (::pipe2(osc_wake_, O_CLOEXEC) != 0) {
    ::close(fd);
    set_error(std::string("OSC: cannot make the wake-up pipe (") + std::strerror(errno) + ")");
    return false;
  }
  osc_allow_.clear();
  for (const auto& a : access.allow) {
    in_addr ip{};
    inet_pton(AF_INET, a.c_str(), &ip);
    osc_allow_.push_back(ip.s_addr);
  }
  osc_socket_ = fd;
  osc_thread_ = std::thread([this] { osc_loop(); });
  std::lock_guard<std::mutex> state(mutex_);
  status_.osc_running = true;
  status_.osc_port = ntohs(addr.sin_port);
  status_.osc_all_interfaces = access.all_interfaces;
  return true;
}

void LiveControl::osc_loop() {
  std::vector<char> buf(65536);
  for (;;) {
    pollfd fds[2] = {{osc_socket_, POLLIN, 0}, {osc_wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;  // stop_osc
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(osc_socket_, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
                                 &from_len);
    if (n < 0) continue;
    const uint32_t ip = from.sin_addr.s_addr;
    const bool loopback = (ntohl(ip) >> 24) == 127;
    if (!loopback && !osc_allow_.empty() && std::find(osc_allow_.begin(), osc_allow_.end(), ip) == osc_allow_.end()) {
      char text[INET_ADDRSTRLEN] = "?";
      inet_ntop(AF_INET, &from.sin_addr, text, sizeof text);
      std::lock_guard<std::mutex> lock(mutex_);
      ++status_.osc_refused;
      status_.last_error = std::string("OSC: refused a datagram from ") + text + " (not in the allow-list)";
      continue;
    }
    try {
      dispatch_osc_packet(buf.data(), static_cast<size_t>(n), 0);
    } catch (...) {
      // Out of memory at worst; the listening thread must survive it.
    }
  }
}

void LiveControl::dispatch_osc_packet(char* data, size_t size, int depth) {
  if (size >= 16 && std::memcmp(data, "#bundle", 8) == 0) {
    // A bundle: a time tag, then (int32 size, element)... Elements run at once: a live
    // control has no use for a message scheduled later.
    if (depth >= 8) return osc_error("OSC: ignored a bundle nested more than 8 deep");
    for (size_t at = 16; at < size;) {
      if (size - at < 4) return osc_error("OSC: ignored the rest of a bundle cut short");
      uint32_t len;
      std::memcpy(&len, data + at, 4);
      len = ntohl(len);
      at += 4;
      if (len == 0 || len % 4 != 0 || len > size - at) return osc_error("OSC: ignored the rest of a bundle with a bad element size");
      dispatch_osc_packet(data + at, len, depth + 1);
      at += len;
    }
    return;
  }
  int result = 0;
  lo_message m = lo_message_deserialise(data, size, &result);
  if (!m) {
    return osc_error("OSC: ignored a packet liblo could not read: " +
                     std::string(result == LO_ESIZE ? "its size is not a multiple of 4 bytes"
                                 : result == LO_EINVALIDPATH ? "it has no address"
                                 : result == LO_ENOTYPE ? "it has no type tag"
                                 : result == LO_EBADTYPE ? "an unknown type tag"
                                 : result == LO_EINVALIDTYPE ? "an invalid type tag"
                                 : result == LO_EINVALIDARG ? "an argument does not fit"
                                 : "error " + std::to_string(result)));
  }
  // The address: the packet's first string, which deserialising has checked ends in it.
  const std::string path(data, strnlen(data, size));
  try {
    handle_osc(path.c_str(), lo_message_get_types(m), lo_message_get_argv(m), lo_message_get_argc(m));
  } catch (const std::exception& e) {
    osc_error(std::string("OSC: ") + e.what());
  }
  lo_message_free(m);
}

void LiveControl::stop_osc() {
  std::lock_guard<std::mutex> lock(osc_mutex_);
  if (osc_socket_ < 0) return;
  const char wake = 1;
  if (::write(osc_wake_[1], &wake, 1) < 0) {
    // The pipe is ours and empty; a failed write would leave the join below waiting.
  }
  osc_thread_.join();  // mutex_ is free, so a handler in flight finishes
  ::close(osc_socket_);
  ::close(osc_wake_[0]);
  ::close(osc_wake_[1]);
  osc_socket_ = -1;
  osc_wake_[0] = osc_wake_[1] = -1;
  std::lock_guard<std::mutex> state(mutex_);
  status_.osc_running = false;
  status_.osc_port = 0;
  status_.osc_all_interfaces = false;
}

int LiveControl::osc_port() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_.osc_port;
}

// ------------------------------------------------------------------ OSC out

bool LiveControl::set_send_target(const std::string& host, int port) {
  clear_send_target();
  if (host.empty()) {
    set_error("OSC out: no host given");
    return false;
  }
  if (port < 1 || port > 65535) {
    set_error("OSC out: port " + std::to_string(port) + " is out of range (1-65535)");
    return false;
  }
  std::lock_guard<std::mutex> lock(send_mutex_);
  lo_address a = lo_address_new(host.c_str(), std::to_string(port).c_str());
  if (!a) {
    set_error("OSC out: cannot use " + host + ":" + std::to_string(port));
    return false;
  }
  send_address_ = a;
  send_target_ = host + ":" + std::to_string(port);
  return true;
}

void LiveControl::clear_send_target() {
  std::lock_guard<std::mutex> lock(send_mutex_);
  if (send_address_) lo_address_free(static_cast<lo_address>(send_address_));
  send_address_ = nullptr;
  send_target_.clear();
}

namespace {
// Sends and frees `m`; "" on success, else why.
std::string send_message(lo_address a, const char* path, lo_message m) {
  const int r = lo_send_message(a, path, m);
  lo_message_free(m);
  if (r >= 0) return "";
  const char* why = lo_address_errstr(a);
  return why && *why ? why : "send failed";
}
}  // namespace

bool LiveControl::send_state(const std::vector<float>& z) {
  std::string error;
  {
    std::lock_guard<std::mutex> lock(send_mutex_);
    if (!send_address_) {
      error = "OSC out: no target set";
    } else {
      lo_message m = lo_message_new();
      for (float v : z) lo_message_add_float(m, v);
      const std::string why = send_message(static_cast<lo_address>(send_address_), "/latent/state/z", m);
      if (!why.empty()) error = "OSC out to " + send_target_ + ": " + why;
    }
  }
  if (!error.empty()) set_error(error);
  return error.empty();
}

bool LiveControl::send_value(const std::string& address, float value) {
  if (address.empty() || address[0] != '/') {
    set_error("OSC out: an address starts with '/' (got \"" + address + "\")");
    return false;
  }
  std::string error;
  {
    std::lock_guard<std::mutex> lock(send_mutex_);
    if (!send_address_) {
      error = "OSC out: no target set";
    } else {
      lo_message m = lo_message_new();
      lo_message_add_float(m, value);
      const std::string why = send_message(static_cast<lo_address>(send_address_), address.c_str(), m);
      if (!why.empty()) error = "OSC out to " + send_target_ + ": " + why;
    }
  }
  if (!error.empty()) set_error(error);
  return error.empty();
}

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
      std::string known;
      for (const auto& k : kKindNames) known += std::string(known.empty() ? "" : ", ") + k.name;
      fail(where + "unknown target \"" + target + "\" (known: " + known + ")");
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
