// asyncio.queues: the item-independent half of every queue.
//
// A queue may be destroyed while tasks wait on it (detail::WaiterList): after each wait, a
// getter or putter first asks its entry whether that happened, and if so leaves without
// touching the queue.
#include <asyncio/queues.hpp>

#include <cstdio>
#include <stdexcept>

namespace asyncio::detail {

bool QueueBase::full() const {
  return maxsize_ > 0 && item_count() >= static_cast<std::size_t>(maxsize_);
}

void QueueBase::wakeup_next(WaiterList& waiters) {
  // Cancelled waiters are dropped on the way; their tasks clean up after themselves.
  while (!waiters.empty()) {
    Future<void> waiter = waiters.pop_front();
    if (!waiter.done()) {
      waiter.set_result();
      return;
    }
  }
}

Coro<void> QueueBase::wait_for_room() {
  while (full()) {
    if (is_shutdown_) throw QueueShutDown();
    Future<void> putter = bound_loop(loop_, *this).create_future<void>();
    auto entry = putters_.add(putter);
    try {
      co_await putter;
    } catch (...) {
      entry.rethrow_if_detached(std::current_exception());
      putter.cancel();
      entry.remove();  // if wakeup_next() or shutdown() has not popped it already
      // Woken by a get but unable to use the room: hand the wakeup to the next putter.
      if (!full() && !putter.cancelled()) wakeup_next(putters_);
      throw;
    }
    entry.rethrow_if_detached(nullptr);
  }
}

Coro<void> QueueBase::wait_for_item() {
  while (empty()) {
    if (is_shutdown_) throw QueueShutDown();
    Future<void> getter = bound_loop(loop_, *this).create_future<void>();
    auto entry = getters_.add(getter);
    try {
      co_await getter;
    } catch (...) {
      entry.rethrow_if_detached(std::current_exception());
      getter.cancel();
      entry.remove();  // if wakeup_next() or shutdown() has not popped it already
      // Woken by a put but unable to take the item: hand the wakeup to the next getter.
      if (!empty() && !getter.cancelled()) wakeup_next(getters_);
      throw;
    }
    entry.rethrow_if_detached(nullptr);
  }
}

void QueueBase::check_put() const {
  if (is_shutdown_) throw QueueShutDown();
  if (full()) throw QueueFull();
}

void QueueBase::check_get() const {
  if (!empty()) return;
  if (is_shutdown_) throw QueueShutDown();
  throw QueueEmpty();
}

void QueueBase::after_put() {
  ++unfinished_tasks_;
  finished_.clear();
  wakeup_next(getters_);
}

void QueueBase::after_get() {
  wakeup_next(putters_);
}

void QueueBase::task_done() {
  if (unfinished_tasks_ == 0) throw std::invalid_argument("task_done() called too many times");
  if (--unfinished_tasks_ == 0) finished_.set();
}

Coro<void> QueueBase::join() {
  if (unfinished_tasks_ > 0) co_await finished_.wait();
}

void QueueBase::shutdown(bool immediate) {
  is_shutdown_ = true;
  if (immediate) {
    while (!empty()) {
      drop_item();
      if (unfinished_tasks_ > 0) --unfinished_tasks_;
    }
    if (unfinished_tasks_ == 0) finished_.set();
  }
  // Every blocked get() and put() wakes up to re-check, and raises QueueShutDown.
  for (WaiterList* waiters : {&getters_, &putters_}) {
    while (!waiters->empty()) {
      Future<void> waiter = waiters->pop_front();
      if (!waiter.done()) waiter.set_result();
    }
  }
}

std::string QueueBase::format() const {
  std::string out = "maxsize=" + std::to_string(maxsize_);
  if (!empty()) {
    out += " _queue=[";
    format_items(out);
    out += ']';
  }
  if (!getters_.empty()) out += " _getters[" + std::to_string(getters_.size()) + ']';
  if (!putters_.empty()) out += " _putters[" + std::to_string(putters_.size()) + ']';
  if (unfinished_tasks_ > 0) out += " tasks=" + std::to_string(unfinished_tasks_);
  if (is_shutdown_) out += " shutdown";
  return out;
}

std::string QueueBase::repr() const {
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(this));
  return std::string("<") + type_name() + " at " + address + ' ' + format() + '>';
}

std::string QueueBase::str() const {
  return std::string("<") + type_name() + ' ' + format() + '>';
}

}  // namespace asyncio::detail
