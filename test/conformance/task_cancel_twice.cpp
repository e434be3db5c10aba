// Mirrors CPython test_tasks.BaseTaskTests.test_cancel, test_cancel_at_end and
// Task.cancel's documented return value: cancelling twice counts twice and the first message
// wins at the await point; cancelling a finished, failed or cancelled task returns False
// and changes nothing.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> waiter(asyncio::Future<> fut) {
  try {
    co_await fut;
  } catch (const asyncio::CancelledError& e) {
    trace::print("waiter: CancelledError '" + e.message() + "'");
    throw;
  }
}

asyncio::Coro<std::string> quick() {
  co_return "quick";
}

asyncio::Coro<> failing() {
  throw std::invalid_argument("boom");
  co_return;
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto fut = loop.create_future();
  auto t = asyncio::create_task(waiter(fut));
  co_await asyncio::sleep(0);
  // C++ leaves the order of argument evaluation open: cancel first, then read the count.
  bool first = t.cancel("first");
  trace::print("first cancel:", first, "cancelling:", t.cancelling());
  bool second = t.cancel("second");
  trace::print("second cancel:", second, "cancelling:", t.cancelling());
  try {
    co_await t;
  } catch (const asyncio::CancelledError&) {
    trace::print("main: task cancelled:", t.cancelled());
  }
  bool third = t.cancel("third");
  trace::print("cancel cancelled task:", third, "cancelling:", t.cancelling());

  auto done = asyncio::create_task(quick());
  trace::print("awaited:", co_await done);
  bool again = done.cancel();
  trace::print("cancel finished task:", again, "cancelling:", done.cancelling());
  trace::print("still finished:", done.result(), done.cancelled());

  auto bad = asyncio::create_task(failing());
  std::vector<asyncio::Task<>> tasks{bad};
  co_await asyncio::wait(tasks);
  bool late = bad.cancel();
  trace::print("cancel failed task:", late, "cancelled:", bad.cancelled());
  try {
    std::rethrow_exception(bad.exception());
  } catch (const std::invalid_argument& e) {
    trace::print("exception kept:", "ValueError", e.what());
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
