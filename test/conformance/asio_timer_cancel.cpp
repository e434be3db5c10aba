// Mirrors CPython test_tasks.BaseTaskTests.test_cancel_inner_future and
// test_cancel_with_message_then_future_result: a task waiting on a timer is cancelled mid-wait;
// CancelledError (with the message, if any) reaches it at its await point, not at once. Here
// the task waits on boost::asio::steady_timer::async_wait through asyncio::use_future, where
// the .py file awaits asyncio.sleep: cancelling the task emits cancellation_type::terminal on
// the timer's wait, which ends with operation_aborted.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::use_future;
using boost::asio::steady_timer;

Coro<> waiter(std::string name) {
  trace::print(name + ": waiting");
  steady_timer timer(asyncio::get_running_loop().io_context(), std::chrono::hours(1));
  try {
    co_await timer.async_wait(use_future);
  } catch (const asyncio::CancelledError& e) {
    trace::print(name + ": CancelledError '" + e.message() + "' at the await point");
    throw;
  }
  trace::print(name + ": not reached");
}

Coro<> cancel_mid_wait(std::string name, std::string msg = "") {
  auto task = asyncio::create_task(waiter(name));
  co_await asyncio::sleep(0);  // the task is now waiting
  bool first = task.cancel(msg);
  trace::print("cancel() returns", first, "done at once:", task.done());
  trace::print("second cancel() returns", task.cancel());
  try {
    co_await task;
  } catch (const asyncio::CancelledError& e) {
    trace::print("main: the task raised CancelledError '" + e.message() + "'");
  }
  trace::print("cancelled:", task.cancelled());
}

Coro<> amain() {
  steady_timer expired(asyncio::get_running_loop().io_context(), std::chrono::seconds(0));
  co_await expired.async_wait(use_future);
  trace::print("expired timer: done");
  co_await cancel_mid_wait("plain");
  co_await cancel_mid_wait("with message", "shutting down");
}

int main() {
  asyncio::run(amain());
}
