// asyncio.locks: Lock, Event, Condition, Semaphore, BoundedSemaphore and Barrier, with
// asyncio's FIFO fairness and cancellation rules (3.12, plus the 3.13 race fixes).
//
// `async with lock:` becomes `auto guard = co_await lock;` (also for Condition and the
// semaphores): the guard releases on destruction, or earlier with guard.release().
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/detail/waiter_list.hpp>
#include <asyncio/futures.hpp>

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

namespace detail {
template <class L>
class AcquireAwaiter;
}  // namespace detail

/// What `async with` holds: releases the lock (or semaphore, or condition) when destroyed.
/// An error from that implicit release is swallowed, as a destructor must not throw; call
/// release() to see it. Once the primitive is destroyed the guard holds nothing: a task
/// unwinding out of Condition.wait() after that must not touch it.
template <class L>
class [[nodiscard]] LockGuard {
 public:
  /// Adopts `lock`, already acquired.
  explicit LockGuard(L& lock) : LockGuard(lock, watch(lock)) {}
  LockGuard(LockGuard&& other) noexcept
      : lock_(std::exchange(other.lock_, nullptr)), alive_(std::move(other.alive_)) {}
  LockGuard& operator=(LockGuard&& other) noexcept {
    if (this != &other) {
      reset();
      lock_ = std::exchange(other.lock_, nullptr);
      alive_ = std::move(other.alive_);
    }
    return *this;
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  ~LockGuard() { reset(); }

  /// Leaves the `async with` early; the guard then holds nothing.
  void release() {
    L* lock = std::exchange(lock_, nullptr);
    if (lock != nullptr && !alive_.detached()) lock->release();
  }
  bool owns_lock() const noexcept { return lock_ != nullptr && !alive_.detached(); }

 private:
  friend class detail::AcquireAwaiter<L>;

  LockGuard(L& lock, detail::WaiterEntry alive) noexcept : lock_(&lock), alive_(std::move(alive)) {}
  /// Taken before acquiring, so that making it cannot fail once the lock is held.
  static detail::WaiterEntry watch(L& lock) { return lock.waiters_.watch(); }

  void reset() noexcept {
    try {
      release();
    } catch (...) {
    }
  }

  L* lock_;
  detail::WaiterEntry alive_;  // tells whether the primitive was destroyed
};

namespace detail {

/// mixins._LoopBoundMixin._get_loop: a primitive binds to the first loop it waits on. It
/// keeps that loop's anchor, so that a later loop at the same address is still another loop.
template <class Self>
EventLoop& bound_loop(std::shared_ptr<LoopAnchor>& bound, const Self& self) {
  EventLoop& loop = get_running_loop();
  if (!bound) bound = loop_anchor(loop);
  if (bound->loop != &loop) throw RuntimeError(self.repr() + " is bound to a different event loop");
  return loop;
}

/// "<asyncio.locks.Lock object at 0x... [extra]>", as object.__repr__ plus the state.
std::string primitive_repr(const char* type_name, const void* self, const std::string& extra);

/// `co_await lock`: runs lock.acquire() inside the awaiting task (as `co_await coro` does),
/// then hands out the guard.
template <class L>
class [[nodiscard]] AcquireAwaiter {
 public:
  AcquireAwaiter(L& lock, Coro<bool> acquire)
      : lock_(lock),
        alive_(LockGuard<L>::watch(lock)),
        acquire_(std::move(acquire)),
        inner_(acquire_.operator co_await()) {}

  bool await_ready() const noexcept { return inner_.await_ready(); }
  auto await_suspend(std::coroutine_handle<> caller) noexcept {
    return inner_.await_suspend(caller);
  }
  LockGuard<L> await_resume() {
    inner_.await_resume();
    return LockGuard<L>(lock_, std::move(alive_));
  }

 private:
  L& lock_;
  WaiterEntry alive_;
  Coro<bool> acquire_;
  decltype(std::declval<const Coro<bool>&>().operator co_await()) inner_;
};

}  // namespace detail

/// A primitive lock, not owned by any task; waiters take it in FIFO order.
class Lock {
 public:
  Lock() = default;
  explicit Lock(detail::OwnerName owner) noexcept : waiters_(owner.name) {}
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  bool locked() const noexcept { return locked_; }
  Coro<bool> acquire();
  void release();  // RuntimeError("Lock is not acquired.") when unlocked
  detail::AcquireAwaiter<Lock> operator co_await() { return {*this, acquire()}; }
  std::string repr() const;

 private:
  template <class>
  friend class LockGuard;

  void wake_up_first();
  bool all_waiters_cancelled() const;

  detail::WaiterList waiters_{"Lock"};
  bool locked_ = false;
  std::shared_ptr<detail::LoopAnchor> loop_;
};

/// A flag tasks can wait on; set() wakes every waiter.
class Event {
 public:
  Event() = default;
  explicit Event(detail::OwnerName owner) noexcept : waiters_(owner.name) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const noexcept { return value_; }
  void set();
  void clear() noexcept { value_ = false; }
  Coro<bool> wait();
  std::string repr() const;

 private:
  detail::WaiterList waiters_{"Event"};
  bool value_ = false;
  std::shared_ptr<detail::LoopAnchor> loop_;
};

/// A condition variable over a Lock: its own, or one given to the constructor.
class Condition {
 public:
  Condition() : Condition(detail::OwnerName{"Condition"}) {}
  explicit Condition(Lock& lock) : lock_(&lock), waiters_("Condition") {}
  explicit Condition(detail::OwnerName owner)
      : own_lock_(owner), lock_(&own_lock_), waiters_(owner.name) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  bool locked() const noexcept { return lock_->locked(); }
  Coro<bool> acquire() { return lock_->acquire(); }
  void release() { lock_->release(); }
  detail::AcquireAwaiter<Condition> operator co_await() { return {*this, acquire()}; }

  /// Releases the lock, waits for a notify, then takes the lock back (even when cancelled).
  Coro<bool> wait();
  /// Waits until predicate() is true; gives its last value.
  template <class Predicate>
  Coro<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(Predicate predicate) {
    auto result = predicate();
    while (!result) {
      co_await wait();
      result = predicate();
    }
    co_return result;
  }
  void notify(std::size_t n = 1);  // RuntimeError("cannot notify on un-acquired lock")
  void notify_all() { notify(waiters_.size()); }
  std::string repr() const;

 private:
  template <class>
  friend class LockGuard;
  friend class Barrier;  // watches waiters_ for its own destruction

  void wake(std::size_t n);  // asyncio's _notify, without the lock check

  Lock own_lock_;
  Lock* lock_;
  detail::WaiterList waiters_;
  std::shared_ptr<detail::LoopAnchor> loop_;
};

/// A counter that acquire() decrements and release() increments; acquire() waits at zero.
/// Waiters are served in FIFO order even while the counter is positive.
class Semaphore {
 public:
  explicit Semaphore(int value = 1)  // std::invalid_argument when value < 0
      : Semaphore(value, detail::OwnerName{"Semaphore"}) {}
  virtual ~Semaphore() = default;
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  bool locked() const;  // true when acquire() would wait
  Coro<bool> acquire();
  virtual void release();
  detail::AcquireAwaiter<Semaphore> operator co_await() { return {*this, acquire()}; }
  std::string repr() const;

 protected:
  Semaphore(int value, detail::OwnerName owner);
  virtual const char* type_name() const noexcept { return "Semaphore"; }
  // Python's counter has no bound: 64 bits keep release() above INT_MAX defined behaviour.
  std::int64_t value_;

 private:
  template <class>
  friend class LockGuard;

  bool wake_up_next();

  detail::WaiterList waiters_;
  std::shared_ptr<detail::LoopAnchor> loop_;
};

/// A Semaphore whose release() refuses to go above the initial value
/// (std::invalid_argument: "BoundedSemaphore released too many times").
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(int value = 1)
      : Semaphore(value, detail::OwnerName{"BoundedSemaphore"}), bound_value_(value) {}
  void release() override;

 protected:
  const char* type_name() const noexcept override { return "BoundedSemaphore"; }

 private:
  int bound_value_;
};

/// Lets `parties` tasks wait for each other; wait() gives each a distinct index.
class Barrier {
 public:
  explicit Barrier(int parties);  // std::invalid_argument("parties must be > 0")
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  Coro<int> wait();  // BrokenBarrierError once aborted or reset while waiting
  Coro<void> reset();
  Coro<void> abort();
  int parties() const noexcept { return parties_; }
  int n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
  bool broken() const noexcept { return state_ == State::broken; }
  std::string repr() const;

 private:
  enum class State { filling, draining, resetting, broken };

  Coro<void> block();          // waits while draining or resetting
  Coro<void> wait_for_trip();  // waits while filling
  void trip();                 // the last party releases the others
  void leave();                // the last one out lets new parties in

  Condition cond_;
  int parties_;
  int count_ = 0;
  State state_ = State::filling;
};

}  // namespace asyncio
ASYNCIO_CPP_API_END
