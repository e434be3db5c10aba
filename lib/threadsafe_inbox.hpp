// The queue behind call_soon_threadsafe: appends under a lock and wakes the loop
// through the self-pipe only when no wakeup is pending yet.
#pragma once

#include <asyncio/detail/handle_impl.hpp>

#include "linux/self_pipe.hpp"

#include <mutex>
#include <vector>

namespace asyncio::detail {

class ThreadsafeInbox {
 public:
  explicit ThreadsafeInbox(SelfPipe& pipe) : pipe_(pipe) {}
  ~ThreadsafeInbox() { close(); }

  // Takes one reference. False once closed (the caller raises).
  bool push(HandleImpl* h);

  // Clears the pending flag first, so a push racing with this still writes a byte.
  template <class Sink>
  void take_all(Sink&& sink) {
    {
      std::lock_guard lock(mutex_);
      wakeup_pending_ = false;
      spare_.swap(queue_);
    }
    for (HandleImpl* h : spare_) sink(h);
    spare_.clear();
  }

  // Refuses further pushes, drops what is queued and closes the pipe, under the lock
  // so that no producer writes to a closed (or reused) fd.
  void close() noexcept;

 private:
  SelfPipe& pipe_;
  std::mutex mutex_;
  std::vector<HandleImpl*> queue_;
  std::vector<HandleImpl*> spare_;
  bool wakeup_pending_ = false;
  bool closed_ = false;
};

}  // namespace asyncio::detail
