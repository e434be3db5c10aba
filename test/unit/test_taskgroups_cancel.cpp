// CPython 3.13's TaskGroup fix for an outside cancellation meeting an inner failure
// (gh-116720): the group uncancels its parent only after its tasks are done, and re-cancels a
// parent still being cancelled when it raises the ExceptionGroup. Also uncancel() dropping a
// cancellation not yet delivered. Ports of the tests 3.13 added.
#include "unit/loop_support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::ExceptionGroup;
using asyncio::TaskGroup;

namespace {

template <class E>
Coro<void> raise_after(double delay) {
  co_await asyncio::sleep(delay);
  throw E("raised");
}

int cancelling() {
  return asyncio::current_task().cancelling();
}

}  // namespace

TEST_CASE("test_taskgroups.TestTaskGroup.test_cancelling_level_preserved", "[taskgroups]") {
  EventLoop loop;
  int level = -1;
  bool caught = false;
  loop.run_until_complete([&]() -> Coro<void> {
    try {
      TaskGroup tg;
      co_await tg.run([&]() -> Coro<void> {
        tg.create_task(raise_after<std::runtime_error>(0.0));
        co_return;
      });
    } catch (const ExceptionGroup&) {
      caught = true;
    }
    level = cancelling();
  }());
  CHECK(caught);
  CHECK(level == 0);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_nested_groups_both_cancelled", "[taskgroups]") {
  // Before the fix the inner group's uncancel() swallowed the outer group's cancellation: the
  // outer level read 0 inside, and the ValueError group never came (3.12 hangs here).
  EventLoop loop;
  std::vector<std::string> trace;
  auto body = [&]() -> Coro<void> {
    try {
      TaskGroup outer_tg;
      co_await outer_tg.run([&]() -> Coro<void> {
        try {
          TaskGroup inner_tg;
          co_await inner_tg.run([&]() -> Coro<void> {
            inner_tg.create_task(raise_after<std::runtime_error>(0));
            outer_tg.create_task(raise_after<std::invalid_argument>(0));
            co_return;
          });
        } catch (const ExceptionGroup&) {
          trace.push_back("inner group");
        }
        trace.push_back("cancelling " + std::to_string(cancelling()));
      });
    } catch (const ExceptionGroup&) {
      trace.push_back("outer group");
    }
    trace.push_back("cancelling " + std::to_string(cancelling()));
  };
  loop.run_until_complete(asyncio::wait_for(body(), 10));
  CHECK(trace ==
        std::vector<std::string>{"inner group", "cancelling 1", "outer group", "cancelling 0"});
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_error_and_cancel", "[taskgroups]") {
  // A task cancelled from outside while its group fails: the group raises its ExceptionGroup,
  // and the outside cancellation still reaches the task's next await.
  EventLoop loop;
  std::vector<std::string> trace;
  loop.run_until_complete([&]() -> Coro<void> {
    asyncio::Event event;
    auto raise_error = [&]() -> Coro<void> {
      event.set();
      co_await asyncio::sleep(0);
      throw std::runtime_error("raised");
    };
    auto inner = [&]() -> Coro<void> {
      try {
        TaskGroup tg;
        co_await tg.run([&]() -> Coro<void> {
          tg.create_task(raise_error());
          co_await asyncio::sleep(1);
          trace.push_back("slept in the group");
        });
      } catch (const ExceptionGroup&) {
        trace.push_back("group, cancelling " + std::to_string(cancelling()));
      }
      trace.push_back("after, cancelling " + std::to_string(cancelling()));
      co_await asyncio::sleep(1);
      trace.push_back("slept after the group");
    };
    auto t = asyncio::create_task(inner());
    co_await event.wait();
    CHECK(t.cancelling() == 0);
    t.cancel();
    CHECK(t.cancelling() == 1);
    try {
      co_await t;
    } catch (const CancelledError&) {
      trace.push_back("cancelled");
    }
    CHECK(t.cancelled());
  }());
  CHECK(trace ==
        std::vector<std::string>{"group, cancelling 1", "after, cancelling 1", "cancelled"});
}

TEST_CASE("test_tasks.BaseTaskTests.test_uncancel_resets_must_cancel", "[tasks]") {
  // A runnable task cancelled and then uncancelled runs to its result (3.13).
  EventLoop loop;
  asyncio::Future<void> fut(loop);
  auto coro = [&]() -> Coro<int> {
    co_await fut;
    co_return 42;
  };
  auto task = loop.create_task(coro());
  test_support::run_once(loop);  // the task now waits for fut
  fut.set_result();              // runnable
  task.cancel();
  CHECK(task.cancelling() == 1);
  CHECK(task.uncancel() == 0);
  CHECK(loop.run_until_complete(task) == 42);
}
