// Mirrors CPython test_tasks.BaseTaskTests.test_cancel_current_task and test_cancel_at_end:
// a task that cancels itself gets CancelledError (with its message) at its next await; one
// that cancels itself and then returns ends cancelled, its result discarded.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::Coro<> self_cancel() {
  asyncio::TaskRef me = asyncio::current_task();
  trace::print("cancel self:", me.cancel("self"));
  try {
    co_await asyncio::sleep(0);
  } catch (const asyncio::CancelledError& e) {
    trace::print("self: CancelledError '" + e.message() + "' at the next await");
    throw;
  }
}

asyncio::Coro<int> cancel_at_end() {
  asyncio::current_task().cancel("at end");
  co_return 12;
}

asyncio::Coro<> main_coro() {
  auto t = asyncio::create_task(self_cancel());
  try {
    co_await t;
  } catch (const asyncio::CancelledError&) {
    trace::print("self-cancelled task cancelled:", t.cancelled());
  }

  auto t2 = asyncio::create_task(cancel_at_end());
  try {
    trace::print("result (wrong):", co_await t2);
  } catch (const asyncio::CancelledError& e) {
    trace::print("cancelled at the end: CancelledError '" + e.message() + "'; task cancelled:",
                 t2.cancelled());
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
