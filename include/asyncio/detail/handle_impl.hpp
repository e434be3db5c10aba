// The shared state behind Handle and TimerHandle: pooled, reference counted.
#pragma once

#include <asyncio/detail/callable.hpp>
#include <asyncio/detail/site.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {
class EventLoop;
}

namespace asyncio::detail {

struct HandleImpl {
  /// Counted with plain loads and stores while only the loop's thread holds the handle
  /// (a locked RMW per copy would cost more than the rest of call_soon); with atomic RMWs
  /// once call_soon_threadsafe shares it with a producer thread.
  std::atomic<std::uint32_t> refs{1};
  std::uint32_t seq = 0;  // FIFO among equal deadlines (wraps after 2^32 timers)
  double when = 0;
  EventLoop* loop = nullptr;
  const CallableOps* ops = nullptr;  // null once the callable is dropped
  bool shared = false;
  bool cancelled = false;
  bool scheduled = false;  // a timer that sits in its loop's heap
  bool running = false;
  bool is_timer = false;
  bool has_site = false;  // debug mode recorded where it was made: lib/handles.cpp's side table
  alignas(inline_callable_align) unsigned char storage[inline_callable_size];

  void add_ref() noexcept {
    if (shared) {
      refs.fetch_add(1, std::memory_order_relaxed);
    } else {
      refs.store(refs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
  }
  void release() noexcept;
  void drop_callable() noexcept {
    if (ops != nullptr) {
      const CallableOps* o = ops;
      ops = nullptr;
      o->destroy(storage);
    }
  }
};

/// A recycled block from this thread's pool, so that call_soon does not allocate.
HandleImpl* acquire_handle();
void recycle_handle(HandleImpl* h) noexcept;
/// Blocks this thread's handle pool holds; trim_handle_pool gives back to malloc what it holds
/// above `keep` and returns the bytes (the loop does when it goes idle).
std::size_t pooled_handles() noexcept;
std::size_t trim_handle_pool(std::size_t keep) noexcept;
/// Creation sites live beside the handles, not in them, and only in debug mode: a handle's
/// 80 bytes are paid on every call_soon. Recycling a handle forgets its site.
void record_handle_site(HandleImpl* h, Site where);
Site handle_site(const HandleImpl* h);         // empty if none was recorded
std::size_t handle_sites_recorded() noexcept;  // for tests: what the table holds

inline void HandleImpl::release() noexcept {
  if (shared) {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) recycle_handle(this);
    return;
  }
  std::uint32_t left = refs.load(std::memory_order_relaxed) - 1;
  refs.store(left, std::memory_order_relaxed);
  if (left == 0) recycle_handle(this);
}

static_assert(sizeof(HandleImpl) == 80, "a handle is meant to stay within 80 bytes");

template <class F, class... Args>
HandleImpl* make_handle(EventLoop* loop, F&& fn, Args&&... args) {
  HandleImpl* h = acquire_handle();
  h->loop = loop;
  try {
    h->ops = emplace_callable(h->storage, std::forward<F>(fn), std::forward<Args>(args)...);
  } catch (...) {
    h->release();
    throw;
  }
  return h;
}

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
