// Helpers for the pairs in which a thread submits coroutines to a running loop
// (asio_run_threadsafe, run_coroutine_threadsafe; threadsafe_trace.py is their Python side): the
// coroutines submitted, the submitting thread's waits, and the loop that runs that thread.
#pragma once

#include <asyncio/asyncio.hpp>

#include <exception>
#include <latch>
#include <stdexcept>
#include <type_traits>

#include "trace.hpp"

namespace threadsafe_trace {

// Globals, like the Python events: count_down() may still touch a latch its waiter has left.
inline std::latch started(1);
inline std::latch seen_cancel(1);

inline asyncio::Coro<int> add(int a, int b) {
  co_await asyncio::sleep(0);
  trace::print("loop: add runs");
  co_return a + b;
}

inline asyncio::Coro<int> fail() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("coroutine failed");
}

inline asyncio::Coro<int> slow() {
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

// The exceptions this thread caught, kept until the program ends: the loop's thread may drop
// its own reference first or last, and libstdc++'s exception reference count is not
// instrumented, so TSan would take the loop freeing one this thread had read for a race.
inline std::exception_ptr caught_on_thread[4];
inline int caught_count = 0;

// Waits for the future of fail() and prints the ValueError (std::invalid_argument) it ends with.
template <class Future>
void print_value_error(Future&& fut) {
  try {
    fut.get();
  } catch (const std::invalid_argument& e) {
    caught_on_thread[caught_count++ % 4] = std::current_exception();
    trace::print("thread: ValueError", e.what());
  }
}

// Calls cancel() once slow() runs and returns its result (if any) after slow() saw the cancel.
template <class Cancel>
auto cancel_once_started(Cancel cancel) {
  started.wait();
  if constexpr (std::is_void_v<decltype(cancel())>) {
    cancel();
    seen_cancel.wait();
  } else {
    auto result = cancel();
    seen_cancel.wait();
    return result;
  }
}

// Waits for the future of a cancelled slow() and says that result() raised.
template <class Future>
void print_cancelled(Future&& fut) {
  try {
    fut.get();
  } catch (const asyncio::CancelledError&) {
    trace::print("thread: result() raises CancelledError");
  }
}

// Runs submitter(loop) on a worker thread while a new loop runs, then closes the loop.
inline void run_submitter(void (*submitter)(asyncio::EventLoop*)) {
  auto main_coro = [submitter]() -> asyncio::Coro<> {
    co_await asyncio::to_thread(submitter, &asyncio::get_running_loop());
    trace::print("loop: submitter finished");
  };
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}

}  // namespace threadsafe_trace
