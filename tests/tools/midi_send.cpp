// A MIDI controller for tests: sends Control Change messages over JACK to the first input
// port whose name contains PORT, repeating each one a few times (JACK may drop the first
// message of a fresh connection on a loaded machine).
//   midi_send PORT CHANNEL CONTROLLER VALUE [CONTROLLER VALUE]...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <RtMidi.h>

int main(int argc, char** argv) {
  if (argc < 5 || (argc - 3) % 2 != 0) {
    std::fprintf(stderr, "usage: midi_send PORT CHANNEL CONTROLLER VALUE [CONTROLLER VALUE]...\n");
    return 2;
  }
  try {
    RtMidiOut out(RtMidi::UNIX_JACK, "latent-midi-send");
    int port = -1;
    for (int tries = 0; tries < 50 && port < 0; ++tries) {
      for (unsigned i = 0; i < out.getPortCount(); ++i)
        if (out.getPortName(i).find(argv[1]) != std::string::npos) port = static_cast<int>(i);
      if (port < 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (port < 0) {
      std::fprintf(stderr, "midi_send: no JACK MIDI input port contains \"%s\"\n", argv[1]);
      return 1;
    }
    out.openPort(static_cast<unsigned>(port), "out");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const int channel = std::atoi(argv[2]);
    for (int a = 3; a + 1 < argc; a += 2) {
      std::vector<unsigned char> msg{static_cast<unsigned char>(0xB0 | ((channel - 1) & 0x0F)),
                                     static_cast<unsigned char>(std::atoi(argv[a])),
                                     static_cast<unsigned char>(std::atoi(argv[a + 1]))};
      for (int rep = 0; rep < 3; ++rep) {
        out.sendMessage(&msg);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    out.closePort();
  } catch (const RtMidiError& e) {
    std::fprintf(stderr, "midi_send: %s\n", e.getMessage().c_str());
    return 1;
  }
  return 0;
}
