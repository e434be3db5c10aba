// Mirrors CPython test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe,
// test_run_coroutine_threadsafe_with_exception and the documented "cancel() on the returned
// future cancels the task". The C++ side submits with asyncio::async_run and a plain callback
// from a std::thread, and cancels through the handler's cancellation slot. Thread events order
// the two threads' output.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <exception>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>

#include "trace.hpp"

namespace asio = boost::asio;

// run_coroutine_threadsafe's concurrent future, made of async_run and a callback: the
// handler fills a std::promise, and the slot stands for the future's cancel().
template <class T>
std::future<T> run_threadsafe(asyncio::Coro<T> coro, asyncio::EventLoop& loop,
                              asio::cancellation_slot slot = {}) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> result = promise->get_future();
  auto handler = [promise](std::exception_ptr error, auto... value) {
    if (error) return promise->set_exception(error);
    promise->set_value(value...);
  };
  asyncio::async_run(loop, std::move(coro), asio::bind_cancellation_slot(slot, handler));
  return result;
}

asyncio::Coro<int> add(int a, int b) {
  co_await asyncio::sleep(0);
  trace::print("loop: add runs");
  co_return a + b;
}

asyncio::Coro<void> greet(std::string name) {
  co_await asyncio::sleep(0);
  trace::print("loop: hello", name);
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
  auto fut = run_threadsafe(add(2, 3), *loop);
  trace::print("thread: result", fut.get());

  auto done = run_threadsafe(greet("asio"), *loop);
  done.get();
  trace::print("thread: greet done");

  fut = run_threadsafe(fail(), *loop);
  try {
    fut.get();
  } catch (const std::invalid_argument& e) {
    trace::print("thread: ValueError", e.what());
  }

  asio::cancellation_signal cancel;  // emitted on this thread, where the slot was bound
  fut = run_threadsafe(slow(), *loop, cancel.slot());
  started.wait();
  cancel.emit(asio::cancellation_type::terminal);
  seen_cancel.wait();
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
