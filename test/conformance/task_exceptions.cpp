// Mirrors CPython test_tasks.BaseTaskTests.test_exception_traceback, test_step_result_future
// and test_futures' result()/exception() contract on tasks: an exception propagates out of
// awaited coroutines and tasks (finally blocks run on the way); a finished task keeps its
// result or exception; a pending task raises InvalidStateError.
#include <asyncio/asyncio.hpp>

#include <stdexcept>

#include "trace.hpp"

asyncio::Coro<> inner() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("bad inner");
}

asyncio::Coro<> middle() {
  try {
    co_await inner();
  } catch (...) {  // finally
    trace::print("middle: finally runs");
    throw;
  }
}

asyncio::Coro<int> value() {
  co_await asyncio::sleep(0);
  co_return 7;
}

asyncio::Coro<> main_coro() {
  try {
    co_await middle();
  } catch (const std::invalid_argument& e) {
    trace::print("caught through coroutines: ValueError", e.what());
  }

  auto t = asyncio::create_task(middle());
  try {
    co_await t;
  } catch (const std::invalid_argument& e) {
    trace::print("caught through a task: ValueError", e.what());
  }
  trace::print("failed task: done", t.done(), "cancelled", t.cancelled());
  std::exception_ptr exc = t.exception();
  try {
    std::rethrow_exception(exc);
  } catch (const std::invalid_argument& e) {
    trace::print("exception(): ValueError", e.what());
  }
  try {
    t.result();
  } catch (const std::invalid_argument& e) {
    trace::print("result() raises ValueError", e.what());
  }

  auto ok = asyncio::create_task(value());
  try {
    ok.result();
  } catch (const asyncio::InvalidStateError&) {
    trace::print("pending result(): InvalidStateError");
  }
  try {
    ok.exception();
  } catch (const asyncio::InvalidStateError& e) {
    trace::print("pending exception(): InvalidStateError", e.what());
  }
  co_await ok;
  trace::print("finished task: result()", ok.result(), "exception()",
               ok.exception() ? "set" : "None");
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
