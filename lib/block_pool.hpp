// A per-thread free list of equal-sized blocks: the frame pool (lib/coroutines.cpp) keeps one
// per size class, the handle pool (lib/handles.cpp) one. Plain data, so that it stays usable
// while other thread_local objects are destroyed at thread exit.
//
// How much it keeps: every block this thread allocated (`minted`) since the loop last went
// idle, so that a burst of a million tasks reuses its blocks in the next burst instead of
// going to malloc and to fresh pages; and at least `min_kept`, for blocks another thread
// allocated (call_soon_threadsafe's handles: the producer allocates, the loop frees). The
// count is kept on malloc's path only: the pop and push of the hot path cost what a plain
// free list costs. The loop trims the excess when it goes idle (base_events.cpp), so that a
// spike does not stay resident.
#pragma once

#include <cstddef>
#include <new>

namespace asyncio::detail {

struct FreeBlock {
  FreeBlock* next;
};

struct BlockFreeList {
  static constexpr std::size_t min_kept = 1 << 16;

  FreeBlock* head;
  std::size_t count;   // blocks in the list
  std::size_t minted;  // blocks this thread allocated since the last trim

  /// A block to reuse, or null: then the caller allocates one and calls minted_one().
  void* pop() noexcept {
    FreeBlock* b = head;
    if (b != nullptr) {
      head = b->next;
      --count;
    }
    return b;
  }
  void minted_one() noexcept { ++minted; }
  /// False when the list is full: the caller gives the block back to operator delete.
  bool push(void* block) noexcept {
    if (count >= min_kept && count >= minted) return false;
    head = ::new (block) FreeBlock{head};
    ++count;
    return true;
  }
  /// Detaches the first `n` blocks (at most all) as a list of their own, minted by nobody.
  BlockFreeList split(std::size_t n) noexcept {
    BlockFreeList part{head, 0, 0};
    FreeBlock* last = nullptr;
    while (part.count < n && head != nullptr) {
      last = head;
      head = head->next;
      ++part.count;
    }
    if (last != nullptr) last->next = nullptr;
    count -= part.count;
    if (part.count == 0) part.head = nullptr;
    return part;
  }
  /// Takes `other`'s blocks, which must be this list's only ones (it is empty).
  void adopt(BlockFreeList& other) noexcept {
    head = other.head;
    count = other.count;
    other.head = nullptr;
    other.count = 0;
  }
  /// Deletes all but `keep` blocks; what stays counts as minted. Returns how many it deleted.
  std::size_t trim(std::size_t keep) noexcept {
    std::size_t deleted = 0;
    while (count > keep) {
      FreeBlock* b = head;
      head = b->next;
      --count;
      ::operator delete(b);  // unsized: Clang enables sized deallocation only on request
      ++deleted;
    }
    minted = count;
    return deleted;
  }
};

}  // namespace asyncio::detail
