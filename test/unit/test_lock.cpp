// Ports of CPython's test_locks.py (3.13): LockTests.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::Future;
using Catch::Matchers::EndsWith;
using namespace sync_support;

// ================================================================ Lock

TEST_CASE("test_locks.LockTests.test_repr", "[locks]") {
  // repr shows the state and the number of waiters.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    CHECK_THAT(lock.repr(), EndsWith("[unlocked]>"));
    CHECK(repr_ok(lock.repr()));
    co_await lock.acquire();
    CHECK_THAT(lock.repr(), EndsWith("[locked]>"));
    CHECK(repr_ok(lock.repr()));
    auto waiter = asyncio::create_task(lock.acquire());
    co_await asyncio::sleep(0);
    CHECK_THAT(lock.repr(), EndsWith("[locked, waiters:1]>"));
    CHECK(repr_ok(lock.repr()));
    lock.release();
    co_await waiter;
    lock.release();
  });
}

TEST_CASE("test_locks.LockTests.test_lock_by_with_statement", "[locks]") {
  // Mirrors test_lock_by_with_statement and each class's test_context_manager:
  // `async with` holds the primitive in its body and releases it on the way out.
  asyncio::Lock lock;
  asyncio::Condition cond;
  asyncio::Semaphore sem;
  asyncio::BoundedSemaphore bounded;
  run_async([&]() -> Coro<void> {
    {
      auto guard = co_await lock;
      CHECK(lock.locked());
      CHECK(guard.owns_lock());
    }
    CHECK_FALSE(lock.locked());
    {
      auto guard = co_await cond;
      CHECK(cond.locked());
    }
    CHECK_FALSE(cond.locked());
    {
      auto guard = co_await sem;
      CHECK(sem.locked());
    }
    CHECK_FALSE(sem.locked());
    {
      auto guard = co_await bounded;
      CHECK(bounded.locked());
      guard.release();  // leaving early: the destructor must not release a second time
      CHECK_FALSE(bounded.locked());
    }
    CHECK_FALSE(bounded.locked());
    CHECK(raised_by_call([&] { bounded.release(); }) ==
          "ValueError: BoundedSemaphore released too many times");
  });
}

TEST_CASE("test_locks.LockTests.test_acquire", "[locks]") {
  // Waiters take the lock in FIFO order, one per release().
  asyncio::Lock lock;
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    if (co_await lock.acquire()) result.push_back(n);
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    bool first = co_await lock.acquire();
    CHECK(first);
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    auto t3 = asyncio::create_task(c(3));
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2});
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2, 3});
    for (auto& t : {t1, t2, t3}) {
      CHECK(t.done());
      CHECK(t.result());
    }
  });
}

TEST_CASE("test_locks.LockTests.test_acquire_cancel", "[locks]") {
  // A cancelled acquire() raises CancelledError and leaves no waiter behind.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    auto task = asyncio::create_task(lock.acquire());
    cancel_soon(task);
    std::string outcome = co_await raised_by(task);
    CHECK(outcome == "CancelledError");
    CHECK(waiters_in(lock.repr()) == 0);
  });
}

TEST_CASE("test_locks.LockTests.test_cancel_race", "[locks]") {
  // B is cancelled while A releases: the lock goes to C, not to the cancelled B.
  asyncio::Lock lock;
  auto lockit = [&](Future<void> blocker) -> Coro<void> {
    auto guard = co_await lock;
    if (blocker) co_await blocker;
  };
  run_async([&]() -> Coro<void> {
    Future<void> fa = loop().create_future();
    auto ta = asyncio::create_task(lockit(fa));
    co_await asyncio::sleep(0);
    CHECK(lock.locked());
    auto tb = asyncio::create_task(lockit({}));
    co_await asyncio::sleep(0);
    CHECK(waiters_in(lock.repr()) == 1);
    auto tc = asyncio::create_task(lockit({}));
    co_await asyncio::sleep(0);
    CHECK(waiters_in(lock.repr()) == 2);

    fa.set_result();
    tb.cancel();
    co_await asyncio::sleep(0);
    CHECK_FALSE(lock.locked());
    CHECK(ta.done());
    CHECK(tb.cancelled());
    co_await tc;
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("test_locks.LockTests.test_cancel_release_race", "[locks]") {
  // bpo-32734: cancelling the first waiter while releasing hands the lock to one task only.
  asyncio::Lock lock;
  int lock_count = 0;
  int call_count = 0;
  auto lockit = [&]() -> Coro<void> {
    ++call_count;
    co_await lock.acquire();
    ++lock_count;
  };
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    auto t1 = asyncio::create_task(lockit());
    auto t2 = asyncio::create_task(lockit());
    auto t3 = asyncio::create_task(lockit());
    co_await asyncio::sleep(0);
    loop().call_soon([&lock, t1]() mutable {
      t1.cancel();
      lock.release();
    });
    std::string outcome = co_await raised_by(t1);
    CHECK(outcome == "CancelledError");
    CHECK(lock_count == 1);
    CHECK(call_count == 3);
    CHECK(t1.cancelled());
    CHECK(t2.done());
    t3.cancel();
    co_await asyncio::sleep(0);
    CHECK(t3.cancelled());
  });
}

TEST_CASE("test_locks.LockTests.test_finished_waiter_cancelled", "[locks]") {
  // The first waiter is woken and cancelled at once: the next acquire still gets the lock.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    CHECK(lock.locked());
    auto tb = asyncio::create_task(lock.acquire());
    co_await asyncio::sleep(0);
    CHECK(waiters_in(lock.repr()) == 1);
    auto tc = asyncio::create_task(lock.acquire());
    tb.cancel();
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(lock.locked());
    CHECK(tb.cancelled());
    bool got = co_await tc;
    CHECK(got);
  });
}

TEST_CASE("test_locks.LockTests.test_release_not_acquired", "[locks]") {
  // Releasing an unlocked lock is a RuntimeError.
  asyncio::Lock lock;
  CHECK(raised_by_call([&] { lock.release(); }) == "RuntimeError: Lock is not acquired.");
}

TEST_CASE("test_locks.LockTests.test_release_no_waiters", "[locks]") {
  // release() without waiters just unlocks.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    CHECK(lock.locked());
    lock.release();
    CHECK_FALSE(lock.locked());
  });
}
