#include "latent/memory_reserve.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace latent {

namespace {

std::mutex reserve_mutex;
char* reserve = nullptr;
size_t reserve_bytes = 0;
std::atomic<int> uses{0};

void on_allocation_failure() {
  char* r = nullptr;
  {
    std::lock_guard<std::mutex> lock(reserve_mutex);
    r = reserve;
    reserve = nullptr;
  }
  if (!r) throw std::bad_alloc();  // nothing left to give: fail as usual
  std::free(r);                    // operator new retries with this memory free
  uses.fetch_add(1);
}

bool allocate_reserve() {
  char* r = static_cast<char*>(std::malloc(reserve_bytes));
  if (!r) return false;
  std::memset(r, 1, reserve_bytes);  // real pages, not just address space
  std::lock_guard<std::mutex> lock(reserve_mutex);
  if (reserve) {
    std::free(r);
  } else {
    reserve = r;
  }
  return true;
}

}  // namespace

bool install_memory_reserve(size_t bytes) {
  reserve_bytes = bytes;
  std::set_new_handler(on_allocation_failure);
  return allocate_reserve();
}

int memory_reserve_uses() { return uses.load(); }

bool rearm_memory_reserve() {
  {
    std::lock_guard<std::mutex> lock(reserve_mutex);
    if (reserve) return true;
  }
  return reserve_bytes > 0 && allocate_reserve();
}

}  // namespace latent
