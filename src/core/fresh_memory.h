#pragma once
// Fresh memory of its own mapping, internal to the core: on this VM the first touch of
// memory is slow (page faults in the paravirtualised kernel), so large blocks written
// once are mapped with the kernel's 2 MiB pages where it allows (MADV_HUGEPAGE: advice
// only, 4 KiB pages if refused): 8 faults for 16 MB instead of 4,096.
#include <sys/mman.h>

#include <cstddef>

namespace latent::detail {

// `bytes` of zeroed memory, or null when it cannot be had.
inline void* map_fresh(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  ::madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

// Gives back a block from map_fresh (`bytes` as asked for).
inline void unmap_fresh(void* p, size_t bytes) {
  if (p) ::munmap(p, bytes);
}

}  // namespace latent::detail
