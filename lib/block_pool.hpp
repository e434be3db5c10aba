// A per-thread free list of equal-sized blocks: the frame pool (lib/coroutines.cpp) keeps one
// per size class, the handle pool (lib/handles.cpp) one. Plain data, so that it stays usable
// while other thread_local objects are destroyed at thread exit.
//
// How much it keeps: as many blocks as this thread had taken out at once (`peak`) since the
// loop last went idle, so that a burst of a million tasks reuses its blocks in the next burst
// instead of going to malloc and to fresh pages; and at least `min_kept`, for blocks another
// thread took out (call_soon_threadsafe's handles: the producer allocates, the loop frees).
// The loop trims the excess when it goes idle, so that a spike does not stay resident.
#pragma once

#include <cstddef>
#include <new>

namespace asyncio::detail {

struct FreeBlock {
  FreeBlock* next;
};

struct BlockFreeList {
  static constexpr std::ptrdiff_t min_kept = 1 << 16;

  FreeBlock* head;
  std::size_t count;    // blocks in the list
  std::ptrdiff_t live;  // taken out on this thread minus given back on it
  std::ptrdiff_t peak;  // live's high-water since the last trim

  /// A block to reuse, or null: then the caller allocates one, which counts as taken out.
  void* pop() noexcept {
    if (++live > peak) peak = live;
    FreeBlock* b = head;
    if (b != nullptr) {
      head = b->next;
      --count;
    }
    return b;
  }
  /// False when the list is full: the caller gives the block back to operator delete.
  bool push(void* block) noexcept {
    --live;
    auto held = static_cast<std::ptrdiff_t>(count);
    if (held >= min_kept && held >= peak) return false;
    head = ::new (block) FreeBlock{head};
    ++count;
    return true;
  }
  /// Deletes all but `keep` blocks and starts a new high-water; returns how many it deleted.
  std::size_t trim(std::size_t keep) noexcept {
    std::size_t deleted = 0;
    while (count > keep) {
      FreeBlock* b = head;
      head = b->next;
      --count;
      ::operator delete(b);  // unsized: Clang enables sized deallocation only on request
      ++deleted;
    }
    peak = live;
    return deleted;
  }
};

}  // namespace asyncio::detail
