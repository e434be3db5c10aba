// Mirrors CPython test_runners.RunTests.test_asyncio_run_return, test_asyncio_run_raises,
// test_asyncio_run_cancels_hanging_tasks, test_asyncio_run_reports_hanging_tasks_errors and
// test_asyncio_run_from_running_loop: asyncio.run returns the main coroutine's result or
// raises its exception; tasks still pending when main returns are cancelled, and one that
// fails while being cancelled is reported to the exception handler; calling asyncio.run
// inside a running loop raises RuntimeError.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

using asyncio::Coro;

void handler(asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
  try {
    std::rethrow_exception(context.exception);
  } catch (const std::invalid_argument& e) {
    trace::print("handler:", context.message, "-", "ValueError", e.what());
  }
}

Coro<> hanging(std::string name, bool fail_on_cancel) {
  try {
    co_await asyncio::sleep(10);
  } catch (const asyncio::CancelledError&) {
    trace::print(name, "cancelled by asyncio.run");
    if (fail_on_cancel) throw std::invalid_argument(name + " failed in cleanup");
    throw;
  }
}

template <class T>
Coro<T> returns(T value) {
  co_await asyncio::sleep(0);
  co_return value;
}

Coro<int> raises() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("main failed");
}

Coro<std::string> leaves_task(std::string name, bool fail_on_cancel) {
  asyncio::get_running_loop().set_exception_handler(handler);
  asyncio::create_task(hanging(name, fail_on_cancel));
  co_await asyncio::sleep(0);
  trace::print("main returns with", name, "pending");
  co_return "main result";
}

Coro<> nested() {
  try {
    asyncio::run(returns(std::string("never")));
  } catch (const asyncio::RuntimeError& e) {
    trace::print("nested asyncio.run: RuntimeError", e.what());
  }
  co_return;
}

int main() {
  trace::print("result:", asyncio::run(returns(42)));
  try {
    asyncio::run(raises());
  } catch (const std::invalid_argument& e) {
    trace::print("asyncio.run raises ValueError", e.what());
  }
  trace::print("result:", asyncio::run(leaves_task("quiet", false)));
  trace::print("result:", asyncio::run(leaves_task("noisy", true)));
  asyncio::run(nested());
}
