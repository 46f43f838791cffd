#pragma once
// What the live-control sources share and the public header does not show.
#include <string>

#include "live_control.h"

namespace studio::live_detail {

using Kind = ControlEvent::Kind;

std::string lower(std::string s);
bool all_digits(const std::string& s);                    // 1 to 9 digits
std::string control_text(const MidiControl& c);           // "ch 1 CC 74"
std::string midi_target_problem(const ControlTarget& t);  // why MIDI cannot drive it ("" = it can)
ControlTarget normalized_target(ControlTarget t);         // the index dropped where the kind has none
std::string known_kind_names();                           // "set_dim, set_dims, ..."

}  // namespace studio::live_detail
