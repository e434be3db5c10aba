// Mirrors CPython test_taskgroups.TestTaskGroup.test_taskgroup_07 (cancelled while the body
// waits) and test_cancellation / test_taskgroup_22 (cancelled while __aexit__ waits for the
// children): cancelling the task that runs a TaskGroup cancels the children and propagates
// CancelledError, not an ExceptionGroup; the group's own abort after a child failure
// leaves the parent's cancelling() count at zero. One child only: Python's _abort walks a
// set, so the order in which several children see the cancellation is not defined.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::TaskGroup;

Coro<std::string> child(std::string name, double delay) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const asyncio::CancelledError&) {
    trace::print("child", name, "cancelled");
    throw;
  }
  co_return name;
}

Coro<> runner(asyncio::Future<> started, bool body_waits) {
  try {
    TaskGroup tg;
    co_await tg.run([&]() -> Coro<> {
      tg.create_task(child("only", 10));
      started.set_result();
      if (body_waits) co_await asyncio::sleep(10);
      trace::print("body finished; waiting for the children");
    });
  } catch (const asyncio::CancelledError&) {
    trace::print("runner: CancelledError propagates out of the TaskGroup");
    throw;
  }
}

Coro<> failing() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("child failed");
}

Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  for (bool body_waits : {true, false}) {
    trace::print("-- cancel while the body", body_waits ? "waits" : "has finished");
    auto started = loop.create_future();
    auto t = asyncio::create_task(runner(started, body_waits));
    co_await started;
    t.cancel();
    try {
      co_await t;
    } catch (const asyncio::CancelledError&) {
      trace::print("runner task cancelled:", t.cancelled());
    }
  }

  try {
    TaskGroup tg;
    co_await tg.run([&]() -> Coro<> {
      tg.create_task(failing());
      co_await asyncio::sleep(10);
    });
  } catch (const asyncio::ExceptionGroup&) {
    trace::print("after the group's own abort, cancelling():",
                 asyncio::current_task().cancelling());
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
