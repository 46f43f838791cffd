// OSC in (a UDP server on liblo, parsed on its thread) and out (the point and single values).
#include "live_internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lo/lo.h>
#include <lo/lo_throw.h>

namespace studio {

using namespace live_detail;

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

bool LiveControl::send_floats(const char* path, const float* values, size_t count) {
  std::string error;
  {
    std::lock_guard<std::mutex> lock(send_mutex_);
    if (!send_address_) {
      error = "OSC out: no target set";
    } else {
      const auto a = static_cast<lo_address>(send_address_);
      lo_message m = lo_message_new();
      for (size_t i = 0; i < count; ++i) lo_message_add_float(m, values[i]);
      const int r = lo_send_message(a, path, m);
      lo_message_free(m);
      if (r < 0) {
        const char* why = lo_address_errstr(a);
        error = "OSC out to " + send_target_ + ": " + (why && *why ? why : "send failed");
      }
    }
  }
  if (!error.empty()) set_error(error);
  return error.empty();
}

bool LiveControl::send_state(const std::vector<float>& z) { return send_floats("/latent/state/z", z.data(), z.size()); }

bool LiveControl::send_value(const std::string& address, float value) {
  if (address.empty() || address[0] != '/') {
    set_error("OSC out: an address starts with '/' (got \"" + address + "\")");
    return false;
  }
  return send_floats(address.c_str(), &value, 1);
}

}  // namespace studio
