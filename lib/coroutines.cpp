// Coroutine frames from per-thread free lists, in 64-byte size classes up to 2 KiB.
#include <asyncio/coroutines.hpp>

#include <new>

namespace asyncio::detail {

namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 32;          // up to 2 KiB; larger frames use operator new
constexpr std::size_t max_cached = 1 << 16;  // per class, as the handle pool

struct FreeFrame {
  FreeFrame* next;
};
// Plain data, so that it stays usable while other thread_locals are destroyed.
struct FramePool {
  FreeFrame* head[classes];
  std::size_t count[classes];
  bool dead;
};
thread_local FramePool pool{};

struct FramePoolReaper {
  ~FramePoolReaper() {
    for (std::size_t c = 0; c < classes; ++c) {
      while (FreeFrame* f = pool.head[c]) {
        pool.head[c] = f->next;
        ::operator delete(f);
      }
    }
    pool.dead = true;
  }
};
thread_local FramePoolReaper reaper;

std::size_t class_of(std::size_t size) {
  return (size + granule - 1) / granule - 1;
}

}  // namespace

void* allocate_frame(std::size_t size) {
  std::size_t c = class_of(size);
  if (c >= classes) return ::operator new(size);
  if (FreeFrame* f = pool.head[c]) {
    pool.head[c] = f->next;
    --pool.count[c];
    return f;
  }
  (void)&reaper;  // registers the thread-exit cleanup
  return ::operator new((c + 1) * granule);
}

void free_frame(void* frame, std::size_t size) noexcept {
  std::size_t c = class_of(size);
  if (c >= classes || pool.dead || pool.count[c] >= max_cached) {
    ::operator delete(frame);
    return;
  }
  if (pool.head[c] == nullptr) (void)&reaper;  // a thread that only frees must clean up too
  pool.head[c] = ::new (frame) FreeFrame{pool.head[c]};
  ++pool.count[c];
}

}  // namespace asyncio::detail
