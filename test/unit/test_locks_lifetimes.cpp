// Locks, events, conditions, semaphores and barriers destroyed while tasks wait on them.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <memory>
#include <string>
#include <utility>

using asyncio::Coro;
using asyncio::Task;
using namespace sync_support;

// ================================================================ lifetimes
// C++ has no garbage collector: a primitive can be destroyed while tasks wait on it. A
// waiter cancelled before that ends cancelled; one still pending gets a RuntimeError.

namespace {

std::string destroyed(const char* type_name) {
  return std::string("RuntimeError: ") + type_name +
         " was destroyed while tasks were waiting on it";
}

Coro<void> acquire_twice(asyncio::Lock& lock) {
  co_await lock.acquire();
  co_await lock.acquire();  // not reentrant: waits
}

Coro<void> wait_event(asyncio::Event& event) {
  co_await event.wait();
}

Coro<void> wait_notified(asyncio::Condition& cond) {
  auto guard = co_await cond;  // `async with cond: await cond.wait()`
  co_await cond.wait();
}

template <class S>
Coro<void> acquire_until_blocked(S& sem) {
  for (;;) co_await sem.acquire();
}

Coro<void> wait_barrier(asyncio::Barrier& barrier) {
  co_await barrier.wait();
}

}  // namespace

TEST_CASE("test_locks: lifetimes — Lock: a cancelled waiter outlives the lock",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Lock>(), acquire_twice, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Lock: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Lock>(), acquire_twice, false);
    CHECK(outcome == destroyed("Lock"));
  });
}

TEST_CASE("test_locks: lifetimes — Lock: a waiter woken just before the lock is destroyed",
          "[locks][lifetimes]") {
  // release() woke the waiter, but the Lock is gone before it runs: nothing is left to hold.
  run_async([&]() -> Coro<void> {
    auto lock = std::make_unique<asyncio::Lock>();
    co_await lock->acquire();
    auto waiter = asyncio::create_task(lock->acquire());
    co_await asyncio::sleep(0);
    lock->release();
    lock.reset();
    std::string outcome = co_await raised_by(waiter);
    CHECK(outcome == destroyed("Lock"));
  });
}

TEST_CASE("test_locks: lifetimes — Event: a cancelled waiter outlives the event",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Event>(), wait_event, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Event: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Event>(), wait_event, false);
    CHECK(outcome == destroyed("Event"));
  });
}

TEST_CASE("test_locks: lifetimes — Condition: a cancelled waiter outlives the condition",
          "[locks][lifetimes]") {
  // Neither wait() nor the waiter's guard may re-take or release the destroyed lock.
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Condition>(), wait_notified, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Condition: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Condition>(), wait_notified, false);
    CHECK(outcome == destroyed("Condition"));
  });
}

TEST_CASE("test_locks: lifetimes — Condition: destroyed while its waiter re-takes the lock",
          "[locks][lifetimes]") {
  // Notified, the waiter queues for the Condition's own Lock, which goes with it.
  run_async([&]() -> Coro<void> {
    auto cond = std::make_unique<asyncio::Condition>();
    auto waiter = asyncio::create_task(wait_notified(*cond));
    co_await asyncio::sleep(0);
    co_await cond->acquire();
    cond->notify();
    co_await asyncio::sleep(0);  // the waiter now waits for the lock
    CHECK(waiters_in(cond->repr()) == 0);
    cond.reset();
    std::string outcome = co_await raised_by(waiter);
    CHECK(outcome == destroyed("Condition"));
  });
}

TEST_CASE("test_locks: lifetimes — Condition: an outside Lock is handed back",
          "[locks][lifetimes]") {
  // The Condition goes while its waiter queues for an outside Lock that stays: once the
  // waiter has it, no guard is left to release it, so the waiter releases it itself.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    auto cond = std::make_unique<asyncio::Condition>(lock);
    auto waiter = asyncio::create_task(wait_notified(*cond));
    co_await asyncio::sleep(0);
    co_await lock.acquire();
    cond->notify();
    co_await asyncio::sleep(0);
    cond.reset();
    lock.release();
    std::string outcome = co_await raised_by(waiter);
    CHECK(outcome == destroyed("Condition"));
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("test_locks: lifetimes — Semaphore: a cancelled waiter outlives the semaphore",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Semaphore>(1),
                                     acquire_until_blocked<asyncio::Semaphore>, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Semaphore: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Semaphore>(2),
                                     acquire_until_blocked<asyncio::Semaphore>, false);
    CHECK(outcome == destroyed("Semaphore"));
  });
}

TEST_CASE("test_locks: lifetimes — BoundedSemaphore: a cancelled waiter outlives it",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::BoundedSemaphore>(1),
                                     acquire_until_blocked<asyncio::BoundedSemaphore>, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — BoundedSemaphore: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::BoundedSemaphore>(1),
                                     acquire_until_blocked<asyncio::BoundedSemaphore>, false);
    CHECK(outcome == destroyed("BoundedSemaphore"));
  });
}

TEST_CASE("test_locks: lifetimes — Barrier: a cancelled party outlives the barrier",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Barrier>(2), wait_barrier, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Barrier: a pending party gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Barrier>(2), wait_barrier, false);
    CHECK(outcome == destroyed("Barrier"));
  });
}
