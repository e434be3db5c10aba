// asyncio.locks over Future<void> waiters: every wait is a future from the running loop,
// woken through its done callbacks, so the interleavings are asyncio's.
//
// A primitive may be destroyed while tasks wait on it (detail::WaiterList): after each
// wait, a waiter first asks its entry whether that happened, and if so leaves without
// touching the primitive.
#include <asyncio/locks.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <stdexcept>

namespace asyncio {

namespace detail {

std::string primitive_repr(const char* type_name, const void* self, const std::string& extra) {
  char address[32];
  std::snprintf(address, sizeof address, "%p", self);
  return std::string("<asyncio.locks.") + type_name + " object at " + address + " [" + extra + "]>";
}

namespace {

std::string with_waiters(std::string extra, const WaiterList& waiters) {
  if (!waiters.empty()) extra += ", waiters:" + std::to_string(waiters.size());
  return extra;
}

}  // namespace

}  // namespace detail

// ---------------------------------------------------------------- Lock

bool Lock::all_waiters_cancelled() const {
  return std::all_of(waiters_.begin(), waiters_.end(),
                     [](const Future<void>& w) { return w.cancelled(); });
}

Coro<bool> Lock::acquire() {
  // Fair: only jump the queue when every waiter has given up.
  if (!locked_ && all_waiters_cancelled()) {
    locked_ = true;
    co_return true;
  }
  Future<void> fut = detail::bound_loop(loop_, *this).create_future<void>();
  auto entry = waiters_.add(fut);
  try {
    co_await fut;
  } catch (const CancelledError&) {
    entry.rethrow_if_detached(std::current_exception());
    entry.remove();
    // Keep the invariant: an unlocked lock with waiters has its first waiter woken,
    // which may be this task's wakeup being handed on.
    if (!locked_) wake_up_first();
    throw;
  }  // anything else: the entry leaves the list on the way out
  entry.rethrow_if_detached(nullptr);
  entry.remove();
  locked_ = true;
  co_return true;
}

void Lock::release() {
  if (!locked_) throw RuntimeError("Lock is not acquired.");
  locked_ = false;
  wake_up_first();
}

void Lock::wake_up_first() {
  // A done first waiter is already due to run: it takes the lock or passes it on.
  if (!waiters_.empty() && !waiters_.front().done()) waiters_.front().set_result();
}

std::string Lock::repr() const {
  return detail::primitive_repr("Lock", this,
                                detail::with_waiters(locked_ ? "locked" : "unlocked", waiters_));
}

// ---------------------------------------------------------------- Event

void Event::set() {
  if (value_) return;
  value_ = true;
  for (auto& fut : waiters_) {
    if (!fut.done()) fut.set_result();
  }
}

Coro<bool> Event::wait() {
  if (value_) co_return true;
  Future<void> fut = detail::bound_loop(loop_, *this).create_future<void>();
  auto entry = waiters_.add(fut);
  co_await fut;  // on an exception the entry leaves the list: nothing else to undo
  entry.rethrow_if_detached(nullptr);
  co_return true;
}

std::string Event::repr() const {
  return detail::primitive_repr("Event", this,
                                detail::with_waiters(value_ ? "set" : "unset", waiters_));
}

// ---------------------------------------------------------------- Condition

Coro<bool> Condition::wait() {
  if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
  Future<void> fut = detail::bound_loop(loop_, *this).create_future<void>();
  release();
  std::exception_ptr error;
  auto entry = waiters_.add(fut);
  try {
    co_await fut;
  } catch (...) {
    error = std::current_exception();
  }
  entry.rethrow_if_detached(error);  // the lock may be gone too: do not take it back
  entry.remove();
  // The lock must be held again on the way out, even when cancelled: retry, keeping the
  // latest cancellation. The Condition, and with it its own lock, may go meanwhile.
  Lock& lock = *lock_;
  bool held = false;
  while (!held) {
    try {
      co_await lock.acquire();
      held = true;
    } catch (const CancelledError&) {
      error = std::current_exception();
      if (entry.detached()) break;
    } catch (...) {
      error = std::current_exception();
      break;
    }
  }
  if (entry.detached()) {
    // Only an outside lock can be held now, and the caller's guard went with the
    // Condition: hand the lock back here.
    if (held) lock.release();
    entry.rethrow_if_detached(error);
  }
  if (error) {
    // This task may have been notified before failing: hand the notification on
    // (a spurious wakeup at worst, which condition variables allow).
    wake(1);
    std::rethrow_exception(error);
  }
  co_return true;
}

void Condition::notify(std::size_t n) {
  if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
  wake(n);
}

void Condition::wake(std::size_t n) {
  std::size_t woken = 0;
  for (auto& fut : waiters_) {
    if (woken >= n) break;
    if (!fut.done()) {
      ++woken;
      fut.set_result();
    }
  }
}

std::string Condition::repr() const {
  return detail::primitive_repr("Condition", this,
                                detail::with_waiters(locked() ? "locked" : "unlocked", waiters_));
}

// ---------------------------------------------------------------- Semaphore

Semaphore::Semaphore(int value, detail::OwnerName owner) : value_(value), waiters_(owner.name) {
  if (value < 0) throw std::invalid_argument("Semaphore initial value must be >= 0");
}

bool Semaphore::locked() const {
  // Also locked while a live waiter is queued: newcomers must not overtake it.
  return value_ == 0 || std::any_of(waiters_.begin(), waiters_.end(),
                                    [](const Future<void>& w) { return !w.cancelled(); });
}

Coro<bool> Semaphore::acquire() {
  if (!locked()) {
    --value_;
    co_return true;
  }
  Future<void> fut = detail::bound_loop(loop_, *this).create_future<void>();
  auto entry = waiters_.add(fut);
  std::exception_ptr error;
  try {
    co_await fut;
  } catch (const CancelledError&) {
    entry.rethrow_if_detached(std::current_exception());
    error = std::current_exception();
    // Woken (a unit was counted for us) but cancelled before running: give it back.
    if (fut.done() && !fut.cancelled()) ++value_;
  } catch (...) {
    error = std::current_exception();
  }
  entry.rethrow_if_detached(error);
  entry.remove();
  // Waiters queued behind us for fairness may proceed now, as far as the value allows.
  while (value_ > 0 && wake_up_next()) {
  }
  if (error) std::rethrow_exception(error);
  co_return true;
}

void Semaphore::release() {
  if (value_ == std::numeric_limits<std::int64_t>::max())
    throw std::overflow_error("Semaphore released too many times: its value would overflow");
  ++value_;
  wake_up_next();
}

bool Semaphore::wake_up_next() {
  for (auto& fut : waiters_) {
    if (!fut.done()) {
      --value_;  // counted for the waiter now; it gives it back if cancelled
      fut.set_result();
      return true;
    }
  }
  return false;
}

std::string Semaphore::repr() const {
  std::string extra = locked() ? "locked" : "unlocked, value:" + std::to_string(value_);
  return detail::primitive_repr(type_name(), this, detail::with_waiters(extra, waiters_));
}

void BoundedSemaphore::release() {
  if (value_ >= bound_value_) {
    throw std::invalid_argument("BoundedSemaphore released too many times");
  }
  Semaphore::release();
}

// ---------------------------------------------------------------- Barrier

Barrier::Barrier(int parties) : cond_(detail::OwnerName{"Barrier"}), parties_(parties) {
  if (parties < 1) throw std::invalid_argument("parties must be > 0");
}

Coro<int> Barrier::wait() {
  // The Barrier may be destroyed while this task waits on cond_: the waits then throw, and
  // `alive` tells the code below not to count this party out.
  auto alive = cond_.waiters_.watch();
  auto guard = co_await cond_;
  co_await block();
  int index = count_++;
  std::exception_ptr error;
  try {
    if (index + 1 == parties_) {
      trip();
    } else {
      co_await wait_for_trip();
    }
  } catch (...) {
    error = std::current_exception();
  }
  alive.rethrow_if_detached(error);
  --count_;
  leave();
  if (error) std::rethrow_exception(error);
  co_return index;
}

Coro<void> Barrier::block() {
  co_await cond_.wait_for(
      [this] { return state_ != State::draining && state_ != State::resetting; });
  if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");
}

Coro<void> Barrier::wait_for_trip() {
  co_await cond_.wait_for([this] { return state_ != State::filling; });
  if (state_ == State::broken || state_ == State::resetting) {
    throw BrokenBarrierError("Abort or reset of barrier");
  }
}

void Barrier::trip() {
  state_ = State::draining;  // newcomers wait in block() until everyone has left
  cond_.notify_all();
}

void Barrier::leave() {
  if (count_ != 0) return;
  if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
  cond_.notify_all();
}

Coro<void> Barrier::reset() {
  auto guard = co_await cond_;
  // Tasks still inside get BrokenBarrierError; the last one out refills the barrier.
  state_ = count_ > 0 ? State::resetting : State::filling;
  cond_.notify_all();
}

Coro<void> Barrier::abort() {
  auto guard = co_await cond_;
  state_ = State::broken;
  cond_.notify_all();
}

std::string Barrier::repr() const {
  static constexpr const char* names[] = {"filling", "draining", "resetting", "broken"};
  std::string extra = names[static_cast<int>(state_)];
  if (!broken()) {
    extra += ", waiters:" + std::to_string(n_waiting()) + "/" + std::to_string(parties_);
  }
  return detail::primitive_repr("Barrier", this, extra);
}

}  // namespace asyncio
