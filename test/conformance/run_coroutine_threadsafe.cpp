// Mirrors CPython test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe,
// test_run_coroutine_threadsafe_with_exception and test_run_coroutine_threadsafe_task_cancelled,
// plus the documented "cancel() on the returned future cancels the task": a thread submits
// coroutines to a running loop and blocks on the returned concurrent future. Thread events
// order the two threads' output.
#include <asyncio/asyncio.hpp>

#include "threadsafe_trace.hpp"
#include "trace.hpp"

using namespace threadsafe_trace;

void submitter(asyncio::EventLoop* loop) {
  auto fut = asyncio::run_coroutine_threadsafe(add(2, 3), *loop);
  trace::print("thread: result", fut.get());

  print_value_error(asyncio::run_coroutine_threadsafe(fail(), *loop));

  fut = asyncio::run_coroutine_threadsafe(slow(), *loop);
  bool cancelled = cancel_once_started([&] { return fut.cancel(); });
  trace::print("thread: cancel() ->", cancelled, "cancelled():", fut.cancelled());
  print_cancelled(fut);
}

int main() {
  run_submitter(submitter);
}
