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
#include <memory>
#include <string>

#include "threadsafe_trace.hpp"
#include "trace.hpp"

namespace asio = boost::asio;
using namespace threadsafe_trace;

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

asyncio::Coro<void> greet(std::string name) {
  co_await asyncio::sleep(0);
  trace::print("loop: hello", name);
}

void submitter(asyncio::EventLoop* loop) {
  auto fut = run_threadsafe(add(2, 3), *loop);
  trace::print("thread: result", fut.get());

  auto done = run_threadsafe(greet("asio"), *loop);
  done.get();
  trace::print("thread: greet done");

  print_value_error(run_threadsafe(fail(), *loop));

  asio::cancellation_signal cancel;  // emitted on this thread, where the slot was bound
  fut = run_threadsafe(slow(), *loop, cancel.slot());
  cancel_once_started([&] { cancel.emit(asio::cancellation_type::terminal); });
  print_cancelled(fut);
}

int main() {
  run_submitter(submitter);
}
