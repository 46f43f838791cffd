#pragma once
// A reserve of memory set aside at start and handed back the first time an allocation
// fails (through std::set_new_handler), so that the work in flight can finish: an error
// being reported, and above all nlohmann::json values being destroyed, whose destructor
// allocates inside a noexcept function (an allocation failure there would end the
// process in std::terminate). After that, allocations fail normally (std::bad_alloc)
// until the reserve is set aside again.
#include <cstddef>

namespace latent {

// Sets `bytes` aside (touched, so it is real memory) and installs the handler. Call once,
// early in main(). Returns false if even the reserve could not be allocated.
bool install_memory_reserve(size_t bytes = size_t{16} << 20);

// How many times the reserve has been drawn on since start (the studio says so once).
int memory_reserve_uses();

// Sets the reserve aside again after it was used; true when it is in place.
bool rearm_memory_reserve();

}  // namespace latent
