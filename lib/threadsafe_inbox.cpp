#include "threadsafe_inbox.hpp"

namespace asyncio::detail {

bool ThreadsafeInbox::push(HandleImpl* h) {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  queue_.push_back(h);
  if (!wakeup_pending_.load(std::memory_order_relaxed)) {
    wakeup_pending_.store(true, std::memory_order_release);
    pipe_.write_byte(0);
  }
  return true;
}

void ThreadsafeInbox::close() noexcept {
  std::vector<HandleImpl*> dropped;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped.swap(queue_);
    pipe_.close();
  }
  for (HandleImpl* h : dropped) h->release();
}

}  // namespace asyncio::detail
