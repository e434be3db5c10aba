// Mirrors CPython test_tasks.BaseTaskTests.test_cancel_task_catching and
// test_cancel_task_ignoring: a task that catches CancelledError keeps running, awaits again
// and returns normally; the task then ends with its result, not cancelled.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::Coro<int> stubborn() {
  try {
    co_await asyncio::sleep(10);
  } catch (const asyncio::CancelledError&) {
    trace::print("stubborn: caught CancelledError, carrying on");
  }
  co_await asyncio::sleep(0);
  trace::print("stubborn: awaited again, cancelling() =", asyncio::current_task().cancelling());
  co_return 42;
}

asyncio::Coro<> main_coro() {
  auto t = asyncio::create_task(stubborn());
  co_await asyncio::sleep(0);
  trace::print("cancel returns", t.cancel());
  int result = co_await t;
  trace::print("result:", result);
  trace::print("cancelled:", t.cancelled(), "cancelling():", t.cancelling());
  trace::print("cancel after done returns", t.cancel());
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
