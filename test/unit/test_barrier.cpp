// Ports of CPython's test_locks.py (3.13): BarrierTests.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <algorithm>
#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::Task;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using namespace sync_support;

// ================================================================ Barrier

TEST_CASE("test_locks.BarrierTests.test_barrier_parties", "[locks]") {
  // parties must be positive.
  CHECK(raised_by_call([] { asyncio::Barrier b(0); }) == "ValueError: parties must be > 0");
  CHECK(raised_by_call([] { asyncio::Barrier b(-4); }) == "ValueError: parties must be > 0");
  asyncio::Barrier b(5);
  CHECK(b.parties() == 5);
  CHECK(b.n_waiting() == 0);
  CHECK_FALSE(b.broken());
}

TEST_CASE("test_locks.BarrierTests.test_repr", "[locks]") {
  // repr follows the barrier through filling, draining, resetting and broken.
  asyncio::Barrier barrier(5);
  std::vector<Task<int>> waiters;
  run_async([&]() -> Coro<void> {
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), Contains("filling"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
    co_await asyncio::sleep(0);
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), Contains("waiters:2/5"));
    for (int i = barrier.n_waiting(); i < barrier.parties(); ++i) {
      waiters.push_back(asyncio::create_task(barrier.wait()));
    }
    co_await asyncio::sleep(0);
    CHECK_THAT(barrier.repr(), Contains("draining"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
    co_await asyncio::sleep(0);
    co_await barrier.reset();
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), Contains("resetting"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
    co_await asyncio::sleep(0);
    co_await barrier.abort();
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), EndsWith("[broken]>"));
    CHECK(barrier.broken());
    for (auto& w : waiters) co_await raised_by(w);
  });
}

TEST_CASE("test_locks.BarrierTests.test_context_manager", "[locks]") {
  // Mirrors test_context_manager and test_filling_tasks_check_return_value: each party
  // gets a distinct index, and the barrier can be passed twice.
  asyncio::Barrier barrier(3);
  std::vector<int> first;
  auto coro = [&]() -> Coro<int> {
    first.push_back(co_await barrier.wait());
    co_return co_await barrier.wait();
  };
  run_async([&]() -> Coro<void> {
    std::vector<Coro<int>> coros;
    for (int i = 0; i < 3; ++i) coros.push_back(coro());
    std::vector<int> second = co_await asyncio::gather(coros);
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    CHECK(first == std::vector<int>{0, 1, 2});
    CHECK(second == std::vector<int>{0, 1, 2});
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_filling_one_task_twice", "[locks]") {
  // A one-party barrier lets each task through at once, with index 0.
  asyncio::Barrier barrier(1);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 0);
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(t1.done());
    CHECK(t2.done());
    CHECK(t1.result() == 0);
    CHECK(t2.result() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_filling_task_by_task", "[locks]") {
  // n_waiting counts the parties in; the last one releases all.
  asyncio::Barrier barrier(3);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    CHECK_THAT(barrier.repr(), Contains("filling"));
    auto t3 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    co_await asyncio::gather(t1, t2, t3);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_draining_state", "[locks]") {
  // Tasks leaving the barrier see it draining, except the last one out.
  asyncio::Barrier barrier(5);
  std::vector<bool> results;
  auto coro = [&]() -> Coro<void> {
    co_await barrier.wait();
    results.push_back(barrier.repr().find("draining") != std::string::npos);
  };
  run_async([&]() -> Coro<void> {
    std::vector<Coro<void>> coros;
    for (int i = 0; i < 5; ++i) coros.push_back(coro());
    co_await asyncio::gather(coros);
    CHECK(results == std::vector<bool>{true, true, true, true, false});
  });
}

TEST_CASE("test_locks.BarrierTests.test_filling_tasks_cancel_one", "[locks]") {
  // A cancelled party leaves the count; the barrier still trips with new parties.
  asyncio::Barrier barrier(3);
  int passed = 0;
  auto coro = [&]() -> Coro<void> {
    co_await barrier.wait();
    ++passed;
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(coro());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    auto t2 = asyncio::create_task(coro());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    t1.cancel();
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    std::string outcome = co_await raised_by(t1);
    CHECK(outcome == "CancelledError");
    auto t3 = asyncio::create_task(coro());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    auto t4 = asyncio::create_task(coro());
    co_await asyncio::gather(t2, t3, t4);
    CHECK(passed == 3);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_reset_barrier_while_tasks_waiting", "[locks]") {
  // reset() breaks the current round for the waiting parties, then refills.
  asyncio::Barrier barrier(5);
  int broken = 0;
  auto coro = [&]() -> Coro<void> {
    try {
      co_await barrier.wait();
    } catch (const asyncio::BrokenBarrierError& e) {
      CHECK(std::string(e.what()) == "Abort or reset of barrier");
      ++broken;
    }
  };
  run_async([&]() -> Coro<void> {
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(asyncio::create_task(coro()));
    co_await asyncio::sleep(0);
    asyncio::create_task(barrier.reset());
    co_await asyncio::gather(tasks);
    CHECK(broken == 4);
    CHECK(barrier.n_waiting() == 0);
    CHECK_THAT(barrier.repr(), !Contains("resetting"));
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_abort_barrier_when_exception", "[locks]") {
  // One party fails and aborts: every other party gets BrokenBarrierError.
  asyncio::Barrier barrier(5);
  int passed = 0;
  int broken = 0;
  auto coro = [&]() -> Coro<void> {
    bool failed = false;
    try {
      int i = co_await barrier.wait();
      if (i == 2) throw asyncio::RuntimeError("boom");
      co_await barrier.wait();
      ++passed;
    } catch (const asyncio::BrokenBarrierError&) {
      ++broken;
    } catch (const asyncio::RuntimeError&) {
      failed = true;  // no co_await inside a handler
    }
    if (failed) co_await barrier.abort();
  };
  run_async([&]() -> Coro<void> {
    std::vector<Coro<void>> coros;
    for (int i = 0; i < 5; ++i) coros.push_back(coro());
    co_await asyncio::gather(coros);
    CHECK(barrier.broken());
    CHECK(passed == 0);
    CHECK(broken == 4);
    CHECK(barrier.n_waiting() == 0);
    std::string error = co_await raised_by(barrier.wait());
    CHECK(error == "BrokenBarrierError: Barrier aborted");
  });
}
