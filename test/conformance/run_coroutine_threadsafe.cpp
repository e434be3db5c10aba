// Mirrors CPython test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe,
// test_run_coroutine_threadsafe_with_exception and test_run_coroutine_threadsafe_task_cancelled,
// plus the documented "cancel() on the returned future cancels the task": a thread submits
// coroutines to a running loop and blocks on the returned concurrent future. Thread events
// order the two threads' output.
#include <asyncio/asyncio.hpp>

#include <latch>
#include <stdexcept>

#include "trace.hpp"

asyncio::Coro<int> add(int a, int b) {
  co_await asyncio::sleep(0);
  trace::print("loop: add runs");
  co_return a + b;
}

asyncio::Coro<int> fail() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("coroutine failed");
}

// Globals, like the Python events: count_down() may still touch a latch its waiter has left.
std::latch started(1);
std::latch seen_cancel(1);

asyncio::Coro<int> slow() {
  started.count_down();
  try {
    co_await asyncio::sleep(10);
  } catch (const asyncio::CancelledError&) {
    trace::print("loop: slow sees CancelledError");
    seen_cancel.count_down();
    throw;
  }
  co_return 0;
}

void submitter(asyncio::EventLoop* loop) {
  auto fut = asyncio::run_coroutine_threadsafe(add(2, 3), *loop);
  trace::print("thread: result", fut.get());

  fut = asyncio::run_coroutine_threadsafe(fail(), *loop);
  try {
    fut.get();
  } catch (const std::invalid_argument& e) {
    trace::print("thread: ValueError", e.what());
  }

  fut = asyncio::run_coroutine_threadsafe(slow(), *loop);
  started.wait();
  bool cancelled = fut.cancel();
  seen_cancel.wait();
  trace::print("thread: cancel() ->", cancelled, "cancelled():", fut.cancelled());
  try {
    fut.get();
  } catch (const asyncio::CancelledError&) {
    trace::print("thread: result() raises CancelledError");
  }
}

asyncio::Coro<> main_coro() {
  co_await asyncio::to_thread(submitter, &asyncio::get_running_loop());
  trace::print("loop: submitter finished");
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
