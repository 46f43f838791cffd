// Live control, driven for real: OSC through liblo on loopback, MIDI through a JACK
// server (dummy driver) that each MIDI test starts and stops.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <RtMidi.h>
#include <lo/lo.h>

#include "live_control.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using studio::ControlEvent;
using studio::LiveControl;
using studio::MidiBackend;
using studio::MidiBinding;
using studio::MidiControl;
using Kind = ControlEvent::Kind;

namespace {

// Polls until `want` events came (or `timeout`), returning all of them.
std::vector<ControlEvent> poll_for(LiveControl& live, size_t want, std::chrono::milliseconds timeout = 3000ms) {
  std::vector<ControlEvent> all;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (all.size() < want && std::chrono::steady_clock::now() < until) {
    for (auto& e : live.poll()) all.push_back(std::move(e));
    if (all.size() < want) std::this_thread::sleep_for(5ms);
  }
  return all;
}

template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = 3000ms) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::string all_events(const std::vector<ControlEvent>& events) {
  std::string s;
  for (const auto& e : events) s += "  " + studio::describe(e) + "\n";
  return s;
}

// ------------------------------------------------------------------ OSC in

class OscIn : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(live.start_osc(0)) << live.last_error();
    port = live.osc_port();
    ASSERT_GT(port, 0);
    to = lo_address_new("127.0.0.1", std::to_string(port).c_str());
    ASSERT_NE(to, nullptr);
  }
  void TearDown() override {
    if (to) lo_address_free(to);
  }
  LiveControl live;
  int port = 0;
  lo_address to = nullptr;
};

TEST_F(OscIn, MessagesBecomeEvents) {
  ASSERT_GT(lo_send(to, "/latent/z/3", "f", 0.5f), 0) << "lo_send failed";
  lo_send(to, "/latent/z", "ffff", 0.1f, -0.2f, 0.3f, 4.f);
  lo_send(to, "/latent/bookmark", "s", "smile");
  lo_send(to, "/latent/nope", "f", 1.f);               // unknown address
  lo_send(to, "/latent/z/3", "s", "half");             // wrong type
  lo_send(to, "/latent/z/2", "i", 2);                  // an int where a float is expected
  lo_send(to, "/latent/attribute/1", "f", -1.5f);
  lo_send(to, "/latent/style", "f", 0.75f);
  lo_send(to, "/latent/walk/speed", "i", 3);
  lo_send(to, "/latent/walk/play", "");
  lo_send(to, "/latent/walk/play", "f", 0.f);          // a button's release: no event
  lo_send(to, "/latent/walk/toggle", "f", 1.f);        // a button's press
  lo_send(to, "/latent/bookmark", "i", 2);
  lo_send(to, "/latent/bookmark/next", "");
  lo_send(to, "/latent/randomize", "");
  lo_send(to, "/latent/blackout", "i", 1);

  const auto ev = poll_for(live, 13);
  ASSERT_EQ(ev.size(), 13u) << all_events(ev);
  for (const auto& e : ev) EXPECT_EQ(e.source, "osc");

  EXPECT_EQ(ev[0].kind, Kind::SetDim);
  EXPECT_EQ(ev[0].index, 3);
  EXPECT_FLOAT_EQ(ev[0].value, 0.5f);
  EXPECT_FALSE(ev[0].normalized);

  EXPECT_EQ(ev[1].kind, Kind::SetDims);
  EXPECT_EQ(ev[1].values, (std::vector<float>{0.1f, -0.2f, 0.3f, 4.f}));

  EXPECT_EQ(ev[2].kind, Kind::Bookmark);
  EXPECT_EQ(ev[2].text, "smile");
  EXPECT_EQ(ev[2].index, -1);

  EXPECT_EQ(ev[3].kind, Kind::SetDim);
  EXPECT_EQ(ev[3].index, 2);
  EXPECT_FLOAT_EQ(ev[3].value, 2.f);

  EXPECT_EQ(ev[4].kind, Kind::Attribute);
  EXPECT_EQ(ev[4].index, 1);
  EXPECT_FLOAT_EQ(ev[4].value, -1.5f);
  EXPECT_EQ(ev[5].kind, Kind::StyleStrength);
  EXPECT_FLOAT_EQ(ev[5].value, 0.75f);
  EXPECT_EQ(ev[6].kind, Kind::WalkSpeed);
  EXPECT_FLOAT_EQ(ev[6].value, 3.f);
  EXPECT_EQ(ev[7].kind, Kind::WalkPlay);
  EXPECT_EQ(ev[8].kind, Kind::WalkToggle);
  EXPECT_EQ(ev[9].kind, Kind::Bookmark);
  EXPECT_EQ(ev[9].index, 2);
  EXPECT_TRUE(ev[9].text.empty());
  EXPECT_EQ(ev[10].kind, Kind::NextBookmark);
  EXPECT_EQ(ev[11].kind, Kind::Randomize);
  EXPECT_EQ(ev[12].kind, Kind::Blackout);
  EXPECT_FLOAT_EQ(ev[12].value, 1.f);

  const auto st = live.status();
  EXPECT_EQ(st.osc_errors, 2u);
  EXPECT_EQ(st.osc_messages, 14u);  // the release counts as understood
  // The last error is the wrong type; it names the address and what came.
  EXPECT_NE(st.last_error.find("/latent/z/3"), std::string::npos) << st.last_error;
  EXPECT_NE(st.last_error.find("\"s\""), std::string::npos) << st.last_error;
  EXPECT_TRUE(live.poll().empty());
}

TEST_F(OscIn, UnknownAddressesAndWrongTypesAreCountedNeverFatal) {
  lo_send(to, "/latent/nope", "f", 1.f);
  ASSERT_TRUE(wait_for([&] { return live.status().osc_errors == 1; }));
  EXPECT_NE(live.last_error().find("/latent/nope: unknown address"), std::string::npos) << live.last_error();

  lo_send(to, "/latent/z", "");                        // no values
  lo_send(to, "/latent/z", "ffsf", 1.f, 2.f, "x", 3.f);
  lo_send(to, "/latent/z/x", "f", 1.f);                // not an index: unknown address
  lo_send(to, "/latent/z/-1", "f", 1.f);
  lo_send(to, "/latent/z/1", "ff", 1.f, 2.f);          // one value expected
  lo_send(to, "/latent/bookmark", "f", 1.5f);          // not a whole number
  lo_send(to, "/latent/bookmark", "");
  lo_send(to, "/latent/randomize", "s", "now");
  lo_send(to, "/latent/blackout", "s", "on");
  lo_send(to, "/other/app", "i", 1);
  ASSERT_TRUE(wait_for([&] { return live.status().osc_errors == 11; })) << live.status().osc_errors;

  // Garbage on the socket: liblo rejects it, it is counted, and the server keeps serving.
  const int sock = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char junk[] = "not an OSC packet at all";
  ASSERT_GT(sendto(sock, junk, sizeof junk, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(sock);
  ASSERT_TRUE(wait_for([&] { return live.status().osc_errors == 12; })) << live.last_error();
  EXPECT_NE(live.last_error().find("ignored a packet liblo could not read"), std::string::npos) << live.last_error();

  lo_send(to, "/latent/z/0", "f", 0.25f);
  const auto ev = poll_for(live, 1);
  ASSERT_EQ(ev.size(), 1u) << all_events(ev);
  EXPECT_EQ(ev[0].kind, Kind::SetDim);
  EXPECT_EQ(ev[0].index, 0);
  EXPECT_EQ(live.status().osc_errors, 12u) << live.last_error();
  EXPECT_TRUE(live.status().osc_running);
}

// This machine's first IPv4 address that is not loopback ("" if it has none).
std::string non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || (a->ifa_flags & IFF_LOOPBACK)) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(list);
  return found;
}

TEST(Osc, ListensOnLoopbackUnlessAskedAndHonoursTheAllowList) {
  const std::string lan = non_loopback_ipv4();
  if (lan.empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address to send from";
  // Default: bound to 127.0.0.1; a datagram to the network address never arrives.
  {
    LiveControl live;
    ASSERT_TRUE(live.start_osc(0)) << live.last_error();
    EXPECT_FALSE(live.status().osc_all_interfaces);
    const std::string port = std::to_string(live.osc_port());
    lo_address far = lo_address_new(lan.c_str(), port.c_str()), near = lo_address_new("127.0.0.1", port.c_str());
    lo_send(far, "/latent/z/1", "f", 0.5f);  // refused by the kernel (nothing listens there)
    lo_send(near, "/latent/z/2", "f", 0.25f);
    const auto ev = poll_for(live, 1);
    ASSERT_EQ(ev.size(), 1u) << all_events(ev);
    EXPECT_EQ(ev[0].index, 2) << "only the loopback datagram may arrive";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(live.poll().empty());
    EXPECT_EQ(live.status().osc_messages, 1u);
    lo_address_free(far);
    lo_address_free(near);
  }
  // Opted in: the network address is heard too.
  {
    LiveControl live;
    ASSERT_TRUE(live.start_osc(0, {true, {}})) << live.last_error();
    EXPECT_TRUE(live.status().osc_all_interfaces);
    lo_address far = lo_address_new(lan.c_str(), std::to_string(live.osc_port()).c_str());
    lo_send(far, "/latent/z/1", "f", 0.5f);
    const auto ev = poll_for(live, 1);
    ASSERT_EQ(ev.size(), 1u) << all_events(ev);
    EXPECT_EQ(ev[0].index, 1);
    lo_address_free(far);
  }
  // With an allow-list that does not name this sender: dropped and counted; loopback stays allowed.
  {
    LiveControl live;
    ASSERT_TRUE(live.start_osc(0, {true, studio::parse_osc_allow_list("203.0.113.7, 203.0.113.8")})) << live.last_error();
    const std::string port = std::to_string(live.osc_port());
    lo_address far = lo_address_new(lan.c_str(), port.c_str()), near = lo_address_new("127.0.0.1", port.c_str());
    lo_send(far, "/latent/z/1", "f", 0.5f);
    ASSERT_TRUE(wait_for([&] { return live.status().osc_refused == 1; })) << live.last_error();
    EXPECT_NE(live.last_error().find("refused a datagram from " + lan), std::string::npos) << live.last_error();
    lo_send(near, "/latent/z/3", "f", 0.5f);
    const auto ev = poll_for(live, 1);
    ASSERT_EQ(ev.size(), 1u) << all_events(ev);
    EXPECT_EQ(ev[0].index, 3);
    lo_address_free(far);
    lo_address_free(near);
  }
  // Listed: let in.
  {
    LiveControl live;
    ASSERT_TRUE(live.start_osc(0, {true, {lan}})) << live.last_error();
    lo_address far = lo_address_new(lan.c_str(), std::to_string(live.osc_port()).c_str());
    lo_send(far, "/latent/z/4", "f", 0.5f);
    const auto ev = poll_for(live, 1);
    ASSERT_EQ(ev.size(), 1u) << all_events(ev);
    EXPECT_EQ(live.status().osc_refused, 0u);
    lo_address_free(far);
  }
}

TEST(Osc, AnAllowListEntryThatIsNoAddressIsAMessage) {
  LiveControl live;
  EXPECT_FALSE(live.start_osc(0, {true, studio::parse_osc_allow_list("192.168.1.20, my-phone")}));
  EXPECT_NE(live.last_error().find("'my-phone' is not a numeric IPv4 address"), std::string::npos) << live.last_error();
  EXPECT_FALSE(live.status().osc_running);
  EXPECT_EQ(studio::parse_osc_allow_list(" a,b  c,,"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(OscIn, BundlesAreUnpacked) {
  lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
  lo_message m1 = lo_message_new(), m2 = lo_message_new();
  lo_message_add_float(m1, 0.5f);
  lo_message_add_float(m2, 0.75f);
  lo_bundle_add_message(b, "/latent/z/1", m1);
  lo_bundle_add_message(b, "/latent/z/2", m2);
  ASSERT_GT(lo_send_bundle(to, b), 0);
  lo_bundle_free_recursive(b);
  const auto ev = poll_for(live, 2);
  ASSERT_EQ(ev.size(), 2u) << all_events(ev);
  EXPECT_EQ(ev[0].index, 1);
  EXPECT_FLOAT_EQ(ev[0].value, 0.5f);
  EXPECT_EQ(ev[1].index, 2);
  EXPECT_FLOAT_EQ(ev[1].value, 0.75f);
  EXPECT_EQ(live.status().osc_errors, 0u);
}

TEST(Osc, PortInUseOrOutOfRangeIsAMessage) {
  LiveControl a, b;
  ASSERT_TRUE(a.start_osc(0)) << a.last_error();
  const int port = a.osc_port();
  EXPECT_FALSE(b.start_osc(port));
  EXPECT_NE(b.last_error().find("UDP port " + std::to_string(port)), std::string::npos) << b.last_error();
  EXPECT_FALSE(b.status().osc_running);
  EXPECT_EQ(b.osc_port(), 0);

  EXPECT_FALSE(b.start_osc(70000));
  EXPECT_NE(b.last_error().find("out of range"), std::string::npos) << b.last_error();

  a.stop_osc();
  EXPECT_EQ(a.osc_port(), 0);
  EXPECT_TRUE(b.start_osc(port)) << b.last_error();  // free again
  EXPECT_EQ(b.osc_port(), port);
}

TEST(Osc, AFullQueueDropsTheOldestAndCountsThem) {
  studio::LiveControlOptions options;
  options.max_queued = 10;
  LiveControl live(options);
  ASSERT_TRUE(live.start_osc(0)) << live.last_error();
  lo_address to = lo_address_new("127.0.0.1", std::to_string(live.osc_port()).c_str());
  for (int i = 0; i < 50; ++i) lo_send(to, "/latent/z/0", "f", static_cast<float>(i));
  lo_address_free(to);
  ASSERT_TRUE(wait_for([&] { return live.status().osc_messages == 50; })) << live.status().osc_messages;
  const auto ev = live.poll();
  ASSERT_EQ(ev.size(), 10u);
  EXPECT_FLOAT_EQ(ev.front().value, 40.f);  // the newest ten are kept
  EXPECT_FLOAT_EQ(ev.back().value, 49.f);
  EXPECT_EQ(live.status().dropped_events, 40u);
}

TEST(Osc, StopsCleanlyWhileMessagesArrive) {
  for (int round = 0; round < 5; ++round) {
    auto live = std::make_unique<LiveControl>();
    ASSERT_TRUE(live->start_osc(0)) << live->last_error();
    const std::string port = std::to_string(live->osc_port());
    std::atomic<bool> stop{false};
    std::thread sender([&] {
      lo_address to = lo_address_new("127.0.0.1", port.c_str());
      while (!stop) lo_send(to, "/latent/z", "ff", 1.f, 2.f);
      lo_address_free(to);
    });
    ASSERT_TRUE(wait_for([&] { return live->status().osc_messages > 20; }));
    if (round % 2) live->stop_osc();
    live.reset();  // the destructor joins liblo's thread while packets keep coming
    stop = true;
    sender.join();
  }
}

// ------------------------------------------------------------------ OSC out

struct Received {
  std::string path, types;
  std::vector<float> values;
};

int receive(const char* path, const char* types, lo_arg** argv, int argc, lo_message, void* user) {
  Received r{path, types, {}};
  for (int i = 0; i < argc; ++i) {
    float f = NAN;  // copied: liblo's arguments are not aligned for the lo_arg union
    if (types[i] == LO_FLOAT) std::memcpy(&f, argv[i], sizeof f);
    r.values.push_back(f);
  }
  static_cast<std::vector<Received>*>(user)->push_back(r);
  return 0;
}

TEST(Osc, SendStateReachesAListener) {
  lo_server listener = lo_server_new_with_proto(nullptr, LO_UDP, nullptr);
  ASSERT_NE(listener, nullptr);
  std::vector<Received> got;
  lo_server_add_method(listener, nullptr, nullptr, &receive, &got);

  LiveControl live;
  EXPECT_FALSE(live.send_state({1.f}));  // no target yet
  EXPECT_NE(live.last_error().find("no target"), std::string::npos) << live.last_error();

  ASSERT_TRUE(live.set_send_target("127.0.0.1", lo_server_get_port(listener))) << live.last_error();
  ASSERT_TRUE(live.send_state({0.25f, -1.f, 3.5f})) << live.last_error();
  ASSERT_TRUE(live.send_value("/latent/state/style", 0.7f)) << live.last_error();
  EXPECT_FALSE(live.send_value("no-slash", 1.f));

  for (int i = 0; i < 100 && got.size() < 2; ++i) lo_server_recv_noblock(listener, 50);
  lo_server_free(listener);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].path, "/latent/state/z");
  EXPECT_EQ(got[0].types, "fff");
  EXPECT_EQ(got[0].values, (std::vector<float>{0.25f, -1.f, 3.5f}));
  EXPECT_EQ(got[1].path, "/latent/state/style");
  EXPECT_EQ(got[1].types, "f");
  EXPECT_FLOAT_EQ(got[1].values.at(0), 0.7f);

  EXPECT_FALSE(live.set_send_target("127.0.0.1", 0));
  EXPECT_FALSE(live.set_send_target("", 9000));
}

// ------------------------------------------------------------------ MIDI logic (fed bytes)

TEST(MidiLearn, BindsTheNextControlChangeThenMapsItsValues) {
  LiveControl live;
  ASSERT_TRUE(live.arm_learn({Kind::SetDim, 7}));
  live.feed_midi({0x90, 60, 100});  // a note cannot set a value: still learning
  EXPECT_TRUE(live.learning().has_value());
  live.feed_midi({0xB0, 21, 64});   // channel 1, CC 21
  EXPECT_FALSE(live.learning().has_value());
  const auto learned = live.take_learned();
  ASSERT_TRUE(learned.has_value());
  EXPECT_EQ(studio::describe(*learned), "ch 1 CC 21 -> set_dim 7");
  EXPECT_FALSE(live.take_learned().has_value());
  EXPECT_TRUE(live.poll().empty()) << "the learning message itself makes no event";

  live.feed_midi({0xB0, 21, 127});
  live.feed_midi({0xB0, 21, 0});
  live.feed_midi({0xB1, 21, 127});  // channel 2: not bound
  live.feed_midi({0xB0, 22, 127});  // another controller: not bound
  const auto ev = live.poll();
  ASSERT_EQ(ev.size(), 2u) << all_events(ev);
  EXPECT_EQ(ev[0].kind, Kind::SetDim);
  EXPECT_EQ(ev[0].index, 7);
  EXPECT_FLOAT_EQ(ev[0].value, 1.f);
  EXPECT_TRUE(ev[0].normalized);
  EXPECT_EQ(ev[0].source, "midi");
  EXPECT_FLOAT_EQ(ev[1].value, 0.f);
  EXPECT_EQ(live.status().last_midi, "ch 1 CC 22 = 127");
  EXPECT_EQ(live.status().midi_messages, 6u);
}

TEST(MidiLearn, TriggersFireOnPressOnly) {
  LiveControl live;
  ASSERT_TRUE(live.arm_learn({Kind::Randomize, -1}));
  live.feed_midi({0x92, 60, 100});  // channel 3, note 60
  ASSERT_TRUE(live.take_learned().has_value());
  ASSERT_TRUE(live.arm_learn({Kind::Blackout, -1}));
  live.feed_midi({0xB0, 64, 127});  // a CC button
  ASSERT_TRUE(live.take_learned().has_value());
  ASSERT_TRUE(live.arm_learn({Kind::Bookmark, 4}));
  live.feed_midi({0xB0, 65, 127});
  ASSERT_TRUE(live.take_learned().has_value());

  live.feed_midi({0x92, 60, 0});    // Note On with velocity 0 is a release
  live.feed_midi({0x82, 60, 64});   // Note Off
  live.feed_midi({0x92, 60, 90});   // press: fires
  live.feed_midi({0xB0, 64, 0});    // CC release
  live.feed_midi({0xB0, 64, 127});  // CC press: fires
  live.feed_midi({0xB0, 65, 1});
  const auto ev = live.poll();
  ASSERT_EQ(ev.size(), 3u) << all_events(ev);
  EXPECT_EQ(ev[0].kind, Kind::Randomize);
  EXPECT_EQ(ev[1].kind, Kind::Blackout);
  EXPECT_FLOAT_EQ(ev[1].value, -1.f);  // toggle
  EXPECT_EQ(ev[2].kind, Kind::Bookmark);
  EXPECT_EQ(ev[2].index, 4);
}

TEST(MidiLearn, RelearningAControlReplacesItsBinding) {
  LiveControl live;
  ASSERT_TRUE(live.arm_learn({Kind::SetDim, 1}));
  live.feed_midi({0xB0, 21, 10});
  ASSERT_TRUE(live.arm_learn({Kind::Attribute, 0}));
  live.feed_midi({0xB0, 21, 10});
  ASSERT_TRUE(live.arm_learn({Kind::SetDim, 2}));
  live.feed_midi({0xB0, 22, 10});
  auto b = live.bindings();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(studio::describe(b[0]), "ch 1 CC 21 -> attribute 0");
  EXPECT_EQ(studio::describe(b[1]), "ch 1 CC 22 -> set_dim 2");

  live.feed_midi({0xB0, 21, 127});
  auto ev = live.poll();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::Attribute);

  EXPECT_TRUE(live.remove_binding({MidiControl::Type::ControlChange, 1, 21}));
  EXPECT_FALSE(live.remove_binding({MidiControl::Type::ControlChange, 1, 21}));
  live.feed_midi({0xB0, 21, 127});
  EXPECT_TRUE(live.poll().empty());
  EXPECT_EQ(live.bindings().size(), 1u);

  ASSERT_TRUE(live.arm_learn({Kind::SetDim, 5}));
  live.cancel_learn();
  live.feed_midi({0xB0, 30, 1});
  EXPECT_FALSE(live.take_learned().has_value());
  EXPECT_EQ(live.bindings().size(), 1u);

  live.clear_bindings();
  EXPECT_TRUE(live.bindings().empty());
}

TEST(MidiLearn, RefusesTargetsMidiCannotDrive) {
  LiveControl live;
  EXPECT_FALSE(live.arm_learn({Kind::SetDims, -1}));
  EXPECT_NE(live.last_error().find("set_dims"), std::string::npos) << live.last_error();
  EXPECT_FALSE(live.arm_learn({Kind::SetDim, -1}));
  EXPECT_NE(live.last_error().find("needs an index"), std::string::npos) << live.last_error();
  EXPECT_FALSE(live.learning().has_value());
  EXPECT_FALSE(live.add_binding({{MidiControl::Type::Note, 1, 60}, {Kind::SetDim, 0}}));
  EXPECT_FALSE(live.add_binding({{MidiControl::Type::ControlChange, 17, 1}, {Kind::SetDim, 0}}));
  EXPECT_TRUE(live.bindings().empty());
}

// ------------------------------------------------------------------ bindings JSON

TEST(MidiBindingsJson, RoundTrips) {
  LiveControl a;
  ASSERT_TRUE(a.add_binding({{MidiControl::Type::ControlChange, 1, 21}, {Kind::SetDim, 7}}));
  ASSERT_TRUE(a.add_binding({{MidiControl::Type::Note, 10, 36}, {Kind::Randomize, 3}}));  // index dropped
  ASSERT_TRUE(a.add_binding({{MidiControl::Type::ControlChange, 16, 127}, {Kind::Bookmark, 0}}));
  ASSERT_TRUE(a.add_binding({{MidiControl::Type::ControlChange, 2, 0}, {Kind::WalkSpeed, -1}}));
  const nlohmann::json j = a.bindings_json();
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["bindings"][0], nlohmann::json::parse(
                                  R"({"channel":1,"message":"cc","number":21,"target":"set_dim","index":7})"));
  EXPECT_EQ(j["bindings"][1], nlohmann::json::parse(R"({"channel":10,"message":"note","number":36,"target":"randomize"})"));

  LiveControl b;
  b.load_bindings(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(b.bindings_json(), j);
  ASSERT_EQ(b.bindings().size(), 4u);
  EXPECT_EQ(b.bindings()[1].target.index, -1);
  b.feed_midi({0x99, 36, 1});  // note on, channel 10
  const auto ev = b.poll();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::Randomize);
}

TEST(MidiBindingsJson, MalformedInputIsRefusedWithAClearMessage) {
  LiveControl live;
  ASSERT_TRUE(live.add_binding({{MidiControl::Type::ControlChange, 1, 21}, {Kind::SetDim, 7}}));
  const auto before = live.bindings_json();
  auto item = [](const std::string& fields) {
    return nlohmann::json::parse(R"({"version":1,"bindings":[{"channel":1,"message":"cc","number":1,"target":"set_dim","index":0},)" +
                                 fields + "]}");
  };
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {nlohmann::json::array(), "expected an object"},
      {nlohmann::json::parse(R"({"version":2,"bindings":[]})"), "unsupported version 2"},
      {nlohmann::json::parse(R"({"bindings":{}})"), "\"bindings\" must be an array"},
      {item("3"), "item 2: expected an object, got number"},
      {item(R"({"message":"cc","number":1,"target":"set_dim","index":0})"), "item 2: \"channel\" is missing"},
      {item(R"({"channel":0,"message":"cc","number":1,"target":"set_dim","index":0})"),
       "item 2: \"channel\" must be a whole number from 1 to 16 (got 0)"},
      {item(R"({"channel":"1","message":"cc","number":1,"target":"set_dim","index":0})"), "\"channel\" must be a whole number"},
      {item(R"({"channel":1,"message":"pitchbend","number":1,"target":"set_dim","index":0})"),
       "\"message\" must be \"cc\" or \"note\" (got \"pitchbend\")"},
      {item(R"({"channel":1,"message":"cc","number":128,"target":"set_dim","index":0})"), "\"number\" must be a whole number from 0 to 127"},
      {item(R"({"channel":1,"message":"cc","number":2,"target":"warp","index":0})"), "unknown target \"warp\" (known: set_dim,"},
      {item(R"({"channel":1,"message":"cc","number":2,"target":"set_dim"})"), "\"index\" is missing"},
      {item(R"({"channel":1,"message":"cc","number":2,"target":"set_dim","index":-3})"), "\"index\" must be a whole number from 0"},
      {item(R"({"channel":1,"message":"cc","number":2,"target":"set_dims"})"), "set_dims sets the whole point"},
      {item(R"({"channel":1,"message":"note","number":2,"target":"style_strength"})"), "a note can only trigger"},
      {item(R"({"channel":1,"message":"cc","number":1,"target":"randomize"})"), "item 2: ch 1 CC 1 is already bound by item 1"},
  };
  for (const auto& [j, want] : cases) {
    try {
      live.load_bindings(j);
      ADD_FAILURE() << "accepted: " << j.dump();
    } catch (const studio::BindingsError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << "message: " << e.what() << "\nwanted: " << want;
      EXPECT_EQ(std::string(e.what()).rfind("MIDI bindings: ", 0), 0u) << e.what();
    }
    EXPECT_EQ(live.bindings_json(), before) << "a refused load keeps the bindings";
  }
}

// ------------------------------------------------------------------ MIDI through JACK

void send(RtMidiOut& out, std::vector<unsigned char> message) { out.sendMessage(&message); }

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string run_output(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 1024> buf;
  size_t got;
  while ((got = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), got);
  pclose(p);
  return out;
}

// RtMidi 5.0's JACK output frees its ring buffer while the client may still be processing
// unless the port is closed first (closePort waits for the process thread).
struct JackOut : RtMidiOut {
  explicit JackOut(const std::string& client) : RtMidiOut(RtMidi::UNIX_JACK, client) {}
  ~JackOut() { closePort(); }
};

// JACK applies a new connection a cycle or two after jack_connect returns, so a message
// sent at once may be lost (a real controller just sends again). Sends an unbound message
// (channel 16, CC 119) until one arrives, then a marker, and waits for the marker so that
// no probe is still in flight when the test goes on.
bool wait_for_link(RtMidiOut& out, LiveControl& live) {
  const auto before = live.status().midi_messages;
  bool linked = false;
  for (int i = 0; i < 300 && !linked; ++i) {
    send(out, {0xBF, 119, 0});
    linked = wait_for([&] { return live.status().midi_messages > before; }, 10ms);
  }
  if (!linked) return false;
  static unsigned char marker = 0;
  marker = static_cast<unsigned char>(marker % 126 + 1);  // differs from the last call's
  send(out, {0xBF, 119, marker});
  return wait_for([&] { return live.status().last_midi == "ch 16 CC 119 = " + std::to_string(marker); });
}

// JACK2 keeps one shared-memory registry in /dev/shm for all servers of a user; two
// servers starting at once can crash on it (jackd died of SIGBUS under ctest -j4). Tests
// that touch JACK hold this machine-wide lock, so they run one at a time.
class JackLock {
 public:
  JackLock() {
    fd_ = open((fs::temp_directory_path() / "latent-studio-jack-tests.lock").c_str(), O_CREAT | O_RDWR, 0666);
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~JackLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  JackLock(const JackLock&) = delete;
  JackLock& operator=(const JackLock&) = delete;

 private:
  int fd_ = -1;
};

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped (status " + std::to_string(status) + ")";
}

// A JACK server of our own (dummy driver, unique name) for each test.
class JackMidi : public ::testing::Test {
 protected:
  void SetUp() override {
    lock_ = std::make_unique<JackLock>();
    const std::string jackd = find_in_path("jackd");
    if (jackd.empty())
      GTEST_SKIP() << "jackd is not installed (Debian package jackd2); the MIDI tests need a JACK server because "
                      "these machines have no ALSA sequencer";
    const std::string jack_wait = find_in_path("jack_wait");
    ASSERT_FALSE(jack_wait.empty()) << "jackd is installed but jack_wait (also in jackd2) is not";
    server_ = "latent-test-" + std::to_string(getpid());
    log_ = (fs::temp_directory_path() / (server_ + ".log")).string();
    setenv("JACK_DEFAULT_SERVER", server_.c_str(), 1);  // every JACK client here joins our server

    pid_ = fork();
    ASSERT_GE(pid_, 0) << "fork failed";
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
      const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      // Synchronous mode (-S): the server waits for late clients instead of dropping their
      // cycle, so a loaded machine delays MIDI but does not lose it. No realtime
      // scheduling: tests must not need the privilege.
      execl(jackd.c_str(), "jackd", "--no-realtime", "--sync", "--name", server_.c_str(), "-d", "dummy", "-r", "48000",
            "-p", "256", static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto until = std::chrono::steady_clock::now() + 15s;
    for (;;) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        log_shown_ = true;
        FAIL() << "jackd " << describe_exit(status) << " before it was up; its output:\n" << read_file(log_);
      }
      const std::string answer = run_output(jack_wait + " -s '" + server_ + "' -c");
      if (answer.rfind("running", 0) == 0) break;
      if (std::chrono::steady_clock::now() > until) {
        log_shown_ = true;
        FAIL() << "jackd did not come up within 15 s; its output:\n" << read_file(log_);
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      bool gone = false;
      for (int i = 0; i < 100 && !gone; ++i) {
        gone = waitpid(pid_, &status, WNOHANG) == pid_;
        if (!gone) std::this_thread::sleep_for(50ms);
      }
      if (!gone) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (HasFailure() && !log_shown_ && !log_.empty()) std::fprintf(stderr, "jackd's output:\n%s\n", read_file(log_).c_str());
    if (!log_.empty()) {
      std::error_code ec;
      fs::remove(log_, ec);
    }
    lock_.reset();
  }

  // JACK2 names a client's socket after the client alone: names unique to this process
  // keep parallel test processes (each with its own server) apart.
  std::string unique(const std::string& name) const { return name + "-" + std::to_string(getpid()); }
  studio::LiveControlOptions live_options() const {
    studio::LiveControlOptions o;
    o.client_name = unique("latent-studio");
    return o;
  }

  // The first port of `out` whose name contains `part`, or -1.
  static int port_containing(RtMidiOut& out, const std::string& part) {
    for (unsigned i = 0; i < out.getPortCount(); ++i)
      if (out.getPortName(i).find(part) != std::string::npos) return static_cast<int>(i);
    return -1;
  }

  static std::string port_list(RtMidiOut& out) {
    std::string s;
    for (unsigned i = 0; i < out.getPortCount(); ++i) s += " \"" + out.getPortName(i) + "\"";
    return s;
  }

  std::unique_ptr<JackLock> lock_;
  std::string server_, log_;
  bool log_shown_ = false;  // a failure message already holds jackd's output
  pid_t pid_ = -1;
};

TEST_F(JackMidi, LearnThroughOurVirtualPort) {
  LiveControl live(live_options());
  ASSERT_TRUE(live.open_midi("", MidiBackend::Jack)) << live.last_error();
  EXPECT_TRUE(live.midi_open());
  EXPECT_EQ(live.status().midi_backend, "JACK");

  JackOut out(unique("controller"));
  const std::string ours = live_options().client_name + ":" + live_options().virtual_port_name;
  const int to_studio = port_containing(out, ours);
  ASSERT_GE(to_studio, 0) << "no JACK port " << ours << "; ports:" << port_list(out);
  out.openPort(static_cast<unsigned>(to_studio), "out");
  ASSERT_TRUE(wait_for_link(out, live)) << "no MIDI came through the JACK connection; error: " << live.last_error();

  ASSERT_TRUE(live.arm_learn({Kind::SetDim, 7}));
  send(out, {0xB0, 21, 64});  // channel 1, CC 21
  std::optional<MidiBinding> learned;
  ASSERT_TRUE(wait_for([&] { return (learned = live.take_learned()).has_value(); }))
      << "CC 21 never arrived; last MIDI: \"" << live.status().last_midi << "\", error: " << live.last_error();
  EXPECT_EQ(studio::describe(*learned), "ch 1 CC 21 -> set_dim 7");

  send(out, {0xB0, 21, 127});
  auto ev = poll_for(live, 1);
  ASSERT_EQ(ev.size(), 1u) << all_events(ev);
  EXPECT_EQ(ev[0].kind, Kind::SetDim);
  EXPECT_EQ(ev[0].index, 7);
  EXPECT_FLOAT_EQ(ev[0].value, 1.f);
  EXPECT_TRUE(ev[0].normalized);
  EXPECT_EQ(ev[0].source, "midi");

  // A pad (Note On) bound to Randomize.
  ASSERT_TRUE(live.arm_learn({Kind::Randomize, -1}));
  send(out, {0x99, 36, 100});  // channel 10, note 36
  ASSERT_TRUE(wait_for([&] { return (learned = live.take_learned()).has_value(); }));
  EXPECT_EQ(studio::describe(*learned), "ch 10 note 36 -> randomize");
  send(out, {0x89, 36, 0});    // its release: nothing
  send(out, {0x99, 36, 80});   // hit again: fires
  send(out, {0xB0, 21, 0});    // the knob, down
  ev = poll_for(live, 2);
  ASSERT_EQ(ev.size(), 2u) << all_events(ev);
  EXPECT_EQ(ev[0].kind, Kind::Randomize);
  EXPECT_EQ(ev[1].kind, Kind::SetDim);
  EXPECT_FLOAT_EQ(ev[1].value, 0.f);

  live.close_midi();
  EXPECT_FALSE(live.midi_open());
}

TEST_F(JackMidi, OpensAControllerPortByName) {
  JackOut controller(unique("nanoTest"));
  controller.openVirtualPort("knobs");

  LiveControl live(live_options());
  const auto ports = live.midi_ports(MidiBackend::Jack);
  bool listed = false;
  for (const auto& p : ports) listed = listed || p.find("knobs") != std::string::npos;
  ASSERT_TRUE(listed) << live.last_error();

  EXPECT_FALSE(live.open_midi("no such controller", MidiBackend::Jack));
  EXPECT_NE(live.last_error().find("no input port \"no such controller\""), std::string::npos) << live.last_error();
  EXPECT_NE(live.last_error().find("knobs"), std::string::npos) << "the message lists the ports: " << live.last_error();

  ASSERT_TRUE(live.open_midi(unique("NANOTEST") + ":KNOBS", MidiBackend::Jack)) << live.last_error();  // any case
  EXPECT_NE(live.status().midi_port.find("knobs"), std::string::npos) << live.status().midi_port;
  ASSERT_TRUE(live.add_binding({{MidiControl::Type::ControlChange, 2, 1}, {Kind::StyleStrength, -1}}));
  ASSERT_TRUE(wait_for_link(controller, live)) << "no MIDI came through; error: " << live.last_error();
  send(controller, {0xB1, 1, 0});
  send(controller, {0xB1, 1, 127});
  const auto ev = poll_for(live, 2);
  ASSERT_EQ(ev.size(), 2u) << all_events(ev) << "last MIDI: " << live.status().last_midi;
  EXPECT_EQ(ev[0].kind, Kind::StyleStrength);
  EXPECT_FLOAT_EQ(ev[0].value, 0.f);
  EXPECT_FLOAT_EQ(ev[1].value, 1.f);

  // By index, too.
  live.close_midi();
  const auto again = live.midi_ports(MidiBackend::Jack);
  int index = -1;
  for (size_t i = 0; i < again.size(); ++i)
    if (again[i].find("knobs") != std::string::npos) index = static_cast<int>(i);
  ASSERT_GE(index, 0);
  ASSERT_TRUE(live.open_midi(std::to_string(index), MidiBackend::Jack)) << live.last_error();
  ASSERT_TRUE(wait_for_link(controller, live)) << "no MIDI came through; error: " << live.last_error();
  send(controller, {0xB1, 1, 64});
  const auto ev2 = poll_for(live, 1);
  ASSERT_EQ(ev2.size(), 1u);
  EXPECT_NEAR(ev2[0].value, 64.f / 127.f, 1e-6);
}

TEST_F(JackMidi, AutoPrefersARunningJackServer) {
  LiveControl live(live_options());
  ASSERT_TRUE(live.open_midi("", MidiBackend::Auto)) << live.last_error();
  EXPECT_EQ(live.status().midi_backend, "JACK");
}

TEST(Midi, WithoutAServerJackIsAMessage) {
  JackLock lock;
  setenv("JACK_DEFAULT_SERVER", ("latent-test-absent-" + std::to_string(getpid())).c_str(), 1);
  LiveControl live;
  EXPECT_FALSE(live.open_midi("", MidiBackend::Jack));
  EXPECT_NE(live.last_error().find("JACK is not available: no JACK server is running"), std::string::npos)
      << live.last_error();
  EXPECT_FALSE(live.midi_open());
  EXPECT_TRUE(live.midi_ports(MidiBackend::Jack).empty());

  // Without JACK, Auto falls back to ALSA, which these machines lack (no /dev/snd/seq).
  if (fs::exists("/dev/snd/seq")) {
    EXPECT_TRUE(live.open_midi("", MidiBackend::Auto)) << live.last_error();
    EXPECT_EQ(live.status().midi_backend, "ALSA");
  } else {
    EXPECT_FALSE(live.open_midi("", MidiBackend::Auto));
    EXPECT_NE(live.last_error().find("no MIDI system"), std::string::npos) << live.last_error();
    EXPECT_NE(live.last_error().find("Start a JACK server"), std::string::npos) << live.last_error();
    EXPECT_FALSE(live.open_midi("", MidiBackend::Alsa));
    EXPECT_NE(live.last_error().find("ALSA sequencer is not available"), std::string::npos) << live.last_error();
  }
}

}  // namespace
