// Mirrors CPython test_tasks.BaseTaskTests.test_cancel_with_message_then_future_result,
// test_cancel_with_message_then_future_exception and
// test_cancel_with_message_before_starting_task: cancel(msg) raises CancelledError carrying
// msg at the await point; a task cancelled before its first step never runs its body.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::Coro<> sleeper(asyncio::Future<> fut) {
  trace::print("sleeper: awaiting the future");
  try {
    co_await fut;
  } catch (const asyncio::CancelledError& e) {
    trace::print("sleeper: CancelledError '" + e.message() + "' at the await point");
    throw;
  }
  trace::print("sleeper: not reached");
}

asyncio::Coro<> never_started() {
  trace::print("never_started: body runs (wrong)");
  co_return;
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto fut = loop.create_future();
  auto t = asyncio::create_task(sleeper(fut));
  co_await asyncio::sleep(0);
  trace::print("cancel returns", t.cancel("stop now"));
  try {
    co_await t;
  } catch (const asyncio::CancelledError& e) {
    trace::print("main: awaiting the task raises CancelledError '" + e.message() + "'");
  }
  trace::print("task cancelled:", t.cancelled(), "future cancelled:", fut.cancelled());

  auto early = asyncio::create_task(never_started());
  trace::print("cancel before start returns", early.cancel("too early"));
  try {
    co_await early;
  } catch (const asyncio::CancelledError& e) {
    trace::print("main: early task raised CancelledError '" + e.message() + "'");
  }
  trace::print("early cancelled:", early.cancelled());
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
