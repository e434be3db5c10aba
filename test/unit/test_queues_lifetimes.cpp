// Queues destroyed while tasks wait on them, for Queue, LifoQueue and PriorityQueue.
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
// C++ has no garbage collector: a queue can be destroyed while tasks wait on it. A waiter
// cancelled before that ends cancelled; one still pending gets a RuntimeError. The queues
// are on the heap: coroutine frames are pooled, so ASan would not see a freed frame touched.

namespace {

template <class Q>
Coro<void> get_forever(Q& q) {
  for (;;) {
    co_await q.get();
    q.task_done();
  }
}

template <class Q>
Coro<void> put_forever(Q& q) {
  for (;;) co_await q.put(1);
}

template <class Q>
Coro<void> join(Q& q) {
  co_await q.join();
}

// "RuntimeError: Queue was destroyed while tasks were waiting on it", for Q's name.
template <class Q>
std::string destroyed() {
  std::string str = Q().str();  // "<LifoQueue maxsize=0>"
  return "RuntimeError: " + str.substr(1, str.find(' ') - 1) +
         " was destroyed while tasks were waiting on it";
}

}  // namespace

TEMPLATE_TEST_CASE("test_queues: lifetimes — a cancelled getter outlives the queue",
                   "[queues][lifetimes]", QUEUE_TYPES) {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<TestType>(), get_forever<TestType>, true);
    CHECK(outcome == "CancelledError");
  });
}

TEMPLATE_TEST_CASE("test_queues: lifetimes — a cancelled putter outlives the queue",
                   "[queues][lifetimes]", QUEUE_TYPES) {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<TestType>(2), put_forever<TestType>, true);
    CHECK(outcome == "CancelledError");
  });
}

TEMPLATE_TEST_CASE(
    "test_queues: lifetimes — pending getters and putters and joiners get "
    "RuntimeError",
    "[queues][lifetimes]", QUEUE_TYPES) {
  run_async([&]() -> Coro<void> {
    std::string outcome =
        co_await outlived(std::make_unique<TestType>(), get_forever<TestType>, false);
    CHECK(outcome == destroyed<TestType>());
    outcome = co_await outlived(std::make_unique<TestType>(1), put_forever<TestType>, false);
    CHECK(outcome == destroyed<TestType>());
    auto unfinished = std::make_unique<TestType>();
    unfinished->put_nowait(1);
    outcome = co_await outlived(std::move(unfinished), join<TestType>, false);
    CHECK(outcome == destroyed<TestType>());
  });
}

TEMPLATE_TEST_CASE("test_queues: lifetimes — a getter woken just before the queue is destroyed",
                   "[queues][lifetimes]", QUEUE_TYPES) {
  // put_nowait() woke the getter, but the queue is gone before it runs: no item to take.
  run_async([&]() -> Coro<void> {
    auto q = std::make_unique<TestType>();
    auto getter = asyncio::create_task(q->get());
    co_await asyncio::sleep(0);
    q->put_nowait(1);
    q.reset();
    std::string outcome = co_await raised_by(getter);
    CHECK(outcome == destroyed<TestType>());
  });
}
