// Ports of CPython's test_queues.py (3.13): _QueueJoinTestMixin and _QueueShutdownTestMixin.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <string>

using asyncio::Coro;
using asyncio::Queue;
using Catch::Matchers::Contains;
using namespace sync_support;

// ================================================================ _QueueJoinTestMixin

TEMPLATE_TEST_CASE("test_queues._QueueJoinTestMixin.test_task_done_underflow", "[queues]",
                   QUEUE_TYPES) {
  // task_done() without a pending item is a ValueError.
  TestType q;
  CHECK(raised_by_call([&] { q.task_done(); }) == "ValueError: task_done() called too many times");
}

TEMPLATE_TEST_CASE("test_queues._QueueJoinTestMixin.test_task_done", "[queues]", QUEUE_TYPES) {
  // Two workers process 100 items; join() returns once each was marked done.
  TestType q;
  long accumulator = 0;
  bool running = true;
  auto worker = [&]() -> Coro<void> {
    while (running) {
      int item = co_await q.get();
      accumulator += item;
      q.task_done();
    }
  };
  run_async([&]() -> Coro<void> {
    for (int i = 0; i < 100; ++i) q.put_nowait(i);
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      tg.create_task(worker());
      tg.create_task(worker());
      co_await q.join();
      CHECK(accumulator == 4950);
      running = false;
      q.put_nowait(0);
      q.put_nowait(0);
    });
  });
}

TEMPLATE_TEST_CASE("test_queues._QueueJoinTestMixin.test_join_empty_queue", "[queues]",
                   QUEUE_TYPES) {
  // join() on a queue with nothing unfinished returns at once, without yielding.
  TestType q;
  bool other_ran = false;
  auto other = [&]() -> Coro<void> {
    other_ran = true;
    co_return;
  };
  run_async([&]() -> Coro<void> {
    auto t = asyncio::create_task(other());
    co_await q.join();
    co_await q.join();
    CHECK_FALSE(other_ran);
    co_await t;
  });
}

TEMPLATE_TEST_CASE("test_queues._QueueJoinTestMixin.test_format", "[queues]", QUEUE_TYPES) {
  // Mirrors both mixins' test_format: maxsize, unfinished tasks, shutdown.
  TestType q;
  CHECK_THAT(q.str(), Contains(" maxsize=0>"));
  q.put_nowait(5);
  q.get_nowait();
  q.put_nowait(6);
  q.get_nowait();
  CHECK_THAT(q.str(), Contains(" maxsize=0 tasks=2>"));
  q.task_done();
  q.task_done();
  q.shutdown();
  CHECK_THAT(q.str(), Contains(" maxsize=0 shutdown>"));
}

// ================================================================ _QueueShutdownTestMixin

#define STRING_QUEUE_TYPES \
  asyncio::Queue<std::string>, asyncio::LifoQueue<std::string>, asyncio::PriorityQueue<std::string>

namespace {
// The four ways to use a shut-down queue; all must raise QueueShutDown.
template <class Q>
Coro<void> check_put_get_shut_down(Q& q) {
  std::string outcome = co_await raised_by(q.put("data"));
  CHECK(outcome == "QueueShutDown");
  CHECK(raised_by_call([&] { q.put_nowait("data"); }) == "QueueShutDown");
  outcome = co_await raised_by(q.get());
  CHECK(outcome == "QueueShutDown");
  CHECK(raised_by_call([&] { q.get_nowait(); }) == "QueueShutDown");
}
}  // namespace

TEMPLATE_TEST_CASE("test_queues._QueueShutdownTestMixin.test_shutdown_empty", "[queues]",
                   STRING_QUEUE_TYPES) {
  // A blocked get() on an empty queue raises QueueShutDown; join() returns.
  TestType q;
  run_async([&]() -> Coro<void> {
    auto get_task = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    q.shutdown(false);
    CHECK(q.qsize() == 0);
    co_await q.join();
    co_await asyncio::sleep(0);
    CHECK(get_task.done());
    std::string outcome = co_await raised_by(get_task);
    CHECK(outcome == "QueueShutDown");
    co_await check_put_get_shut_down(q);
  });
}

TEMPLATE_TEST_CASE("test_queues._QueueShutdownTestMixin.test_shutdown_nonempty", "[queues]",
                   STRING_QUEUE_TYPES) {
  // A blocked put() raises; queued items can still be got; join() waits for task_done().
  TestType q(1);
  run_async([&]() -> Coro<void> {
    q.put_nowait("data");
    auto join_task = asyncio::create_task(q.join());
    auto put_task = asyncio::create_task(q.put("data2"));
    co_await asyncio::sleep(0);
    CHECK_FALSE(put_task.done());
    q.shutdown(false);
    CHECK(q.qsize() == 1);
    co_await asyncio::sleep(0);
    CHECK(put_task.done());
    std::string outcome = co_await raised_by(put_task);
    CHECK(outcome == "QueueShutDown");
    std::string got = co_await q.get();
    CHECK(got == "data");
    co_await asyncio::sleep(0);
    CHECK_FALSE(join_task.done());
    co_await check_put_get_shut_down(q);
    q.task_done();
    co_await asyncio::sleep(0);
    CHECK(join_task.done());
    co_await join_task;
    CHECK(raised_by_call([&] { q.task_done(); }) ==
          "ValueError: task_done() called too many times");
  });
}

TEMPLATE_TEST_CASE("test_queues._QueueShutdownTestMixin.test_shutdown_immediate", "[queues]",
                   STRING_QUEUE_TYPES) {
  // shutdown(immediate=true) drops the items, counting them done: join() returns.
  TestType q;
  run_async([&]() -> Coro<void> {
    q.put_nowait("data");
    auto join_task = asyncio::create_task(q.join());
    q.shutdown(true);
    CHECK(q.qsize() == 0);
    co_await asyncio::sleep(0);
    CHECK(join_task.done());
    co_await join_task;
    co_await check_put_get_shut_down(q);
    CHECK(raised_by_call([&] { q.task_done(); }) ==
          "ValueError: task_done() called too many times");
  });
}

TEMPLATE_TEST_CASE("test_queues._QueueShutdownTestMixin.test_shutdown_immediate_with_unfinished",
                   "[queues]", STRING_QUEUE_TYPES) {
  // An item got but not marked done still holds join() after an immediate shutdown.
  TestType q;
  run_async([&]() -> Coro<void> {
    q.put_nowait("data");
    q.put_nowait("data");
    auto join_task = asyncio::create_task(q.join());
    std::string got = co_await q.get();
    CHECK(got == "data");
    q.shutdown(true);
    CHECK(q.qsize() == 0);
    co_await asyncio::sleep(0);
    CHECK_FALSE(join_task.done());
    co_await check_put_get_shut_down(q);
    q.task_done();
    CHECK(raised_by_call([&] { q.task_done(); }) ==
          "ValueError: task_done() called too many times");
    co_await asyncio::sleep(0);
    CHECK(join_task.done());
    co_await join_task;
  });
}

TEST_CASE("test_queues._QueueShutdownTestMixin: immediate shutdown wakes getters and putters",
          "[queues]") {
  // Queue.shutdown(immediate=True) (3.13): blocked getters and putters all raise.
  Queue<int> full(1);
  Queue<int> empty;
  run_async([&]() -> Coro<void> {
    full.put_nowait(1);
    auto putter = asyncio::create_task(full.put(2));
    auto getter1 = asyncio::create_task(empty.get());
    auto getter2 = asyncio::create_task(empty.get());
    co_await asyncio::sleep(0);
    full.shutdown(true);
    empty.shutdown(true);
    std::string outcome = co_await raised_by(putter);
    CHECK(outcome == "QueueShutDown");
    outcome = co_await raised_by(getter1);
    CHECK(outcome == "QueueShutDown");
    outcome = co_await raised_by(getter2);
    CHECK(outcome == "QueueShutDown");
    CHECK(full.empty());
  });
}
