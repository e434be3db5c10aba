// Ports of CPython's test_locks.py (3.13): SemaphoreTests, with BoundedSemaphore.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::Task;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using namespace sync_support;

// ================================================================ Semaphore

TEST_CASE("test_locks.SemaphoreTests.test_semaphore_value", "[locks]") {
  // Mirrors test_semaphore_value and test_initial_value_zero.
  CHECK(raised_by_call([] { asyncio::Semaphore sem(-1); }) ==
        "ValueError: Semaphore initial value must be >= 0");
  CHECK(raised_by_call([] { asyncio::BoundedSemaphore sem(-1); }) ==
        "ValueError: Semaphore initial value must be >= 0");
  asyncio::Semaphore zero(0);
  CHECK(zero.locked());
  asyncio::Semaphore one;
  CHECK_FALSE(one.locked());
}

TEST_CASE("test_locks.SemaphoreTests.test_repr", "[locks]") {
  // repr shows the value while unlocked, and the waiters.
  asyncio::Semaphore sem;
  run_async([&]() -> Coro<void> {
    CHECK_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
    CHECK(repr_ok(sem.repr()));
    co_await sem.acquire();
    CHECK_THAT(sem.repr(), EndsWith("[locked]>"));
    CHECK(repr_ok(sem.repr()));
    auto w = asyncio::create_task(sem.acquire());
    co_await asyncio::sleep(0);
    CHECK_THAT(sem.repr(), Contains("waiters:1"));
    CHECK(repr_ok(sem.repr()));
    sem.release();
    co_await w;
    sem.release();
    CHECK_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
    asyncio::BoundedSemaphore bounded(2);
    CHECK_THAT(bounded.repr(), Contains("asyncio.locks.BoundedSemaphore object at"));
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire", "[locks]") {
  // Releases go to the queued waiters first, in order, even with newcomers about.
  asyncio::Semaphore sem(3);
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    co_await sem.acquire();
    result.push_back(n);
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    co_await sem.acquire();
    co_await sem.acquire();
    CHECK_FALSE(sem.locked());
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    auto t3 = asyncio::create_task(c(3));
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    CHECK(sem.locked());
    CHECK(waiters_in(sem.repr()) == 2);

    auto t4 = asyncio::create_task(c(4));
    sem.release();
    sem.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2, 3});
    CHECK(sem.locked());
    CHECK(waiters_in(sem.repr()) == 1);
    CHECK(t1.result());
    CHECK(t2.done());
    CHECK(t3.done());
    CHECK_FALSE(t4.done());

    sem.release();
    co_await t4;
    CHECK(result == std::vector<int>{1, 2, 3, 4});
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_cancel", "[locks]") {
  // A cancelled acquire() leaves only done waiters (none) behind.
  asyncio::Semaphore sem;
  run_async([&]() -> Coro<void> {
    co_await sem.acquire();
    auto acquire = asyncio::create_task(sem.acquire());
    cancel_soon(acquire);
    std::string outcome = co_await raised_by(acquire);
    CHECK(outcome == "CancelledError");
    CHECK(waiters_in(sem.repr()) == 0);
    CHECK(sem.locked());
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_cancel_before_awoken", "[locks]") {
  // Cancelled waiters are skipped: the release goes to the first live one.
  asyncio::Semaphore sem(0);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(sem.acquire());
    auto t2 = asyncio::create_task(sem.acquire());
    auto t3 = asyncio::create_task(sem.acquire());
    auto t4 = asyncio::create_task(sem.acquire());
    co_await asyncio::sleep(0);
    t1.cancel();
    t2.cancel();
    sem.release();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(t3.done());
    CHECK_FALSE(t4.done());
    t3.cancel();
    t4.cancel();
    co_await asyncio::sleep(0);
    CHECK(t4.cancelled());
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_hang", "[locks]") {
  // The first waiter cancelled before a release: the second one gets it.
  asyncio::Semaphore sem(0);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(sem.acquire());
    auto t2 = asyncio::create_task(sem.acquire());
    co_await asyncio::sleep(0);
    t1.cancel();
    sem.release();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(sem.locked());
    CHECK(t2.done());
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_no_hang", "[locks]") {
  // A waiter woken and cancelled before it runs gives its unit back.
  asyncio::Semaphore sem(1);
  Task<void> t2;
  auto c1 = [&]() -> Coro<void> {
    {
      auto guard = co_await sem;
      co_await asyncio::sleep(0);
    }
    t2.cancel();
  };
  auto c2 = [&]() -> Coro<void> {
    auto guard = co_await sem;
    FAIL_CHECK("c2 must not get the semaphore");
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c1());
    t2 = asyncio::create_task(c2());
    auto [r1, r2] = co_await asyncio::gather(asyncio::return_exceptions, t1, t2);
    CHECK(r1.index() == 0);
    REQUIRE(r2.index() == 1);
    CHECK(python_error(std::get<1>(r2)) == "CancelledError");
    std::string outcome = co_await raised_by(asyncio::wait_for(sem.acquire(), 1.0));
    CHECK(outcome == "ok");
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_release_not_acquired", "[locks]") {
  // BoundedSemaphore refuses a release above its initial value; Semaphore does not.
  asyncio::BoundedSemaphore bounded;
  CHECK(raised_by_call([&] { bounded.release(); }) ==
        "ValueError: BoundedSemaphore released too many times");
  asyncio::Semaphore& as_base = bounded;  // release() is virtual, as in Python
  CHECK(raised_by_call([&] { as_base.release(); }) ==
        "ValueError: BoundedSemaphore released too many times");
  asyncio::Semaphore sem;
  sem.release();
  CHECK_THAT(sem.repr(), Contains("value:2"));
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order", "[locks]") {
  // Three tasks cycling through a Semaphore(1) get it strictly in turn.
  asyncio::Semaphore sem(1);
  std::vector<std::string> result;
  auto coro = [&](std::string tag) -> Coro<void> {
    co_await sem.acquire();
    result.push_back(tag + "_1");
    co_await asyncio::sleep(0.01);
    sem.release();
    co_await sem.acquire();
    result.push_back(tag + "_2");
    co_await asyncio::sleep(0.01);
    sem.release();
  };
  run_async([&]() -> Coro<void> {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      tg.create_task(coro("c1"));
      tg.create_task(coro("c2"));
      tg.create_task(coro("c3"));
      co_return;
    });
  });
  CHECK(result == std::vector<std::string>{"c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"});
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order_2", "[locks]") {
  // A task releasing and re-acquiring goes behind those already waiting.
  asyncio::Semaphore sem(1);
  std::vector<int> result;
  auto c1 = [&]() -> Coro<void> {
    co_await sem.acquire();
    result.push_back(1);
  };
  auto c2 = [&]() -> Coro<void> {
    co_await sem.acquire();
    result.push_back(2);
    sem.release();
    co_await sem.acquire();
    result.push_back(4);
  };
  auto c3 = [&]() -> Coro<void> {
    co_await sem.acquire();
    result.push_back(3);
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c1());
    auto t2 = asyncio::create_task(c2());
    auto t3 = asyncio::create_task(c3());
    co_await asyncio::sleep(0);
    sem.release();
    sem.release();
    co_await asyncio::gather(t1, t2, t3);
    CHECK(result == std::vector<int>{1, 2, 3, 4});
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order_3", "[locks]") {
  // A cancelled waiter does not hold up those behind it.
  asyncio::Semaphore sem(0);
  std::vector<int> result;
  auto c = [&](int n) -> Coro<void> {
    co_await sem.acquire();
    result.push_back(n);
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    auto t3 = asyncio::create_task(c(3));
    co_await asyncio::sleep(0);
    t1.cancel();
    co_await asyncio::sleep(0);
    sem.release();
    sem.release();
    co_await asyncio::gather(asyncio::return_exceptions, t1, t2, t3);
    CHECK(result == std::vector<int>{2, 3});
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order_4", "[locks]") {
  // A successful acquire() wakes every waiter the value allows (3.13's fix), so a task
  // created afterwards runs after all of them.
  asyncio::Semaphore sem(0);
  std::vector<int> result;
  Task<void> t4;
  auto c4 = [&]() -> Coro<void> {
    result.push_back(4);
    co_return;
  };
  auto c1 = [&]() -> Coro<void> {
    co_await sem.acquire();
    t4 = asyncio::create_task(c4());
    result.push_back(1);
  };
  auto c2 = [&]() -> Coro<void> {
    sem.release();
    sem.release();
    sem.release();
    CHECK(sem.locked());  // c1 has not taken its unit yet, and comes first
    co_await sem.acquire();
    result.push_back(2);
  };
  auto c3 = [&]() -> Coro<void> {
    co_await sem.acquire();
    CHECK(sem.locked());
    result.push_back(3);
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c1());
    auto t2 = asyncio::create_task(c2());
    auto t3 = asyncio::create_task(c3());
    co_await asyncio::sleep(0);
    CHECK(waiters_in(sem.repr()) == 3);
    co_await asyncio::sleep(0);
    co_await asyncio::gather(t1, t2, t3, t4);
    CHECK(result == std::vector<int>{1, 2, 3, 4});
  });
}
