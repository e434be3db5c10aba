#include "threadsafe_inbox.hpp"

#include <thread>

namespace asyncio::detail {

AdaptiveMutex::AdaptiveMutex() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_mutex_init(&mutex_, &attr);
  pthread_mutexattr_destroy(&attr);
}
AdaptiveMutex::~AdaptiveMutex() {
  pthread_mutex_destroy(&mutex_);
}
void AdaptiveMutex::lock() noexcept {
  pthread_mutex_lock(&mutex_);
}
void AdaptiveMutex::unlock() noexcept {
  pthread_mutex_unlock(&mutex_);
}

bool ThreadsafeInbox::push(HandleImpl* h) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    queue_.push_back(h);
    if (wakeup_pending_.load(std::memory_order_relaxed)) return true;
    wakeup_pending_.store(true, std::memory_order_release);
    wakes_in_flight_.fetch_add(1, std::memory_order_relaxed);
  }
  // Outside the lock: the woken loop thread would otherwise find the lock still held and
  // go back to sleep on it.
  try {
    wake_(loop_);
  } catch (...) {  // out of memory: the call stays queued, and the next push wakes the loop
    std::lock_guard lock(mutex_);
    wakeup_pending_.store(false, std::memory_order_relaxed);
  }
  wakes_in_flight_.fetch_sub(1, std::memory_order_release);
  return true;
}

void ThreadsafeInbox::close() noexcept {
  std::vector<HandleImpl*> dropped;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped.swap(queue_);
  }
  // A producer that got in before closed_ was set may still be posting its wakeup.
  while (wakes_in_flight_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  pipe_.close();
  for (HandleImpl* h : dropped) h->release();
}

}  // namespace asyncio::detail
