// Mirrors CPython test_tasks.BaseTaskTests.test_cancel_inner_future,
// test_cancel_both_task_and_inner_future and test_cancel_awaited_task: cancelling a task
// cancels the future (or task) it awaits at once; when that future was already cancelled
// the task still ends cancelled.
#include <asyncio/asyncio.hpp>

#include <string>

#include "trace.hpp"

asyncio::Coro<> wait_on(std::string name, asyncio::Future<> aw) {
  try {
    co_return co_await aw;
  } catch (const asyncio::CancelledError&) {
    trace::print(name, "saw CancelledError");
    throw;
  }
}

asyncio::Coro<> report(std::string label, asyncio::Task<> task) {
  try {
    co_await task;
  } catch (const asyncio::CancelledError&) {
    trace::print(label, "-> task cancelled:", task.cancelled());
  }
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();

  auto fut = loop.create_future();
  auto t = asyncio::create_task(wait_on("outer", fut));
  co_await asyncio::sleep(0);
  t.cancel();
  trace::print("inner future cancelled at once:", fut.cancelled(), "task done yet:", t.done());
  co_await report("cancel task", t);

  fut = loop.create_future();
  t = asyncio::create_task(wait_on("outer", fut));
  co_await asyncio::sleep(0);
  fut.cancel();
  t.cancel();
  trace::print("both cancelled, task done yet:", t.done());
  co_await report("cancel future then task", t);

  auto inner = asyncio::create_task(wait_on("inner", loop.create_future()));
  auto outer = asyncio::create_task(wait_on("outer", inner));
  co_await asyncio::sleep(0);
  outer.cancel();
  trace::print("awaited task cancelled at once:", inner.cancelled(), "done:", inner.done());
  co_await report("cancel task awaiting a task", outer);
  trace::print("inner cancelled:", inner.cancelled());
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
