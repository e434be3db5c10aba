// The queue behind call_soon_threadsafe: appends under a lock and wakes the loop (a
// handler posted to its io_context) only when no wakeup is pending yet.
#pragma once

#include <asyncio/detail/handle_impl.hpp>

#include "linux/self_pipe.hpp"

#include <pthread.h>
#include <atomic>
#include <mutex>
#include <vector>

namespace asyncio::detail {

// glibc's adaptive mutex spins briefly before sleeping. The inbox holds its lock for a
// vector push, so producers that would otherwise sleep on it (a context switch each)
// mostly get it while spinning.
class AdaptiveMutex {
 public:
  AdaptiveMutex();
  ~AdaptiveMutex();
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;
  void lock() noexcept;
  void unlock() noexcept;

 private:
  pthread_mutex_t mutex_;
};

class ThreadsafeInbox {
 public:
  /// Called outside the lock, at most once per take_all(); may throw (then the next push
  /// tries again).
  using Wake = void (*)(void* loop);

  ThreadsafeInbox(SelfPipe& pipe, Wake wake, void* loop) : pipe_(pipe), wake_(wake), loop_(loop) {}
  ~ThreadsafeInbox() { close(); }

  // Takes one reference. False once closed (the caller raises).
  bool push(HandleImpl* h);

  // True when a push may be waiting: one load, cheap enough for call_soon to check.
  bool maybe_pending() const noexcept { return wakeup_pending_.load(std::memory_order_acquire); }

  // Clears the pending flag first, so a push racing with this still writes a byte.
  template <class Sink>
  void take_all(Sink&& sink) {
    {
      std::lock_guard lock(mutex_);
      wakeup_pending_.store(false, std::memory_order_relaxed);
      spare_.swap(queue_);
    }
    for (HandleImpl* h : spare_) sink(h);
    spare_.clear();
  }

  // Refuses further pushes, drops what is queued, waits for wakeups still in flight (the
  // loop, and its io_context, outlive them), then closes the self-pipe.
  void close() noexcept;

 private:
  SelfPipe& pipe_;
  Wake wake_;
  void* loop_;
  AdaptiveMutex mutex_;
  std::vector<HandleImpl*> queue_;
  std::vector<HandleImpl*> spare_;
  std::atomic<bool> wakeup_pending_{false};  // written under mutex_ only
  std::atomic<int> wakes_in_flight_{0};      // wakeups being posted outside the lock
  bool closed_ = false;
};

}  // namespace asyncio::detail
