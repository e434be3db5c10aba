// Helpers for the ports of CPython's test_locks.py and test_queues.py.
// In the lock tests, `async with x:` is `auto guard = co_await x;`; len(x._waiters) is read
// from repr(), as CPython's own repr tests do.
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <exception>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>

// The queue types the join, shutdown and lifetime tests run for (TEMPLATE_TEST_CASE).
#define QUEUE_TYPES asyncio::Queue<int>, asyncio::LifoQueue<int>, asyncio::PriorityQueue<int>

namespace sync_support {

// CPython's RGX_REPR.
inline const std::regex repr_rgx(
    R"(<(.*?) object at (.*?)\[((set|unset|locked|unlocked|filling|draining|resetting|broken))"
    R"((, value:\d)?(, waiters:\d+)?(, waiters:\d+/\d+)?)\]>)");

inline bool repr_ok(const std::string& repr) {
  return std::regex_match(repr, repr_rgx);
}

inline asyncio::EventLoop& loop() {
  return asyncio::get_running_loop();
}

template <class T>
void cancel_soon(asyncio::Task<T> task) {
  loop().call_soon([task]() mutable { task.cancel(); });
}

// IsolatedAsyncioTestCase: the test body runs as the main task under asyncio.run. Keep
// the primitives and coroutine lambdas outside the body, so that they outlive every task.
template <class F>
void run_async(F&& body) {
  asyncio::run(body());
}

// Python's name for what `exc` holds, and its message: "RuntimeError: Lock is not acquired.".
inline std::string python_error(const std::exception_ptr& exc) {
  auto named = [](const char* name, const std::string& message) {
    return message.empty() ? std::string(name) : std::string(name) + ": " + message;
  };
  try {
    std::rethrow_exception(exc);
  } catch (const asyncio::CancelledError& e) {
    return named("CancelledError", e.message());
  } catch (const asyncio::QueueEmpty&) {
    return "QueueEmpty";
  } catch (const asyncio::QueueFull&) {
    return "QueueFull";
  } catch (const asyncio::QueueShutDown&) {
    return "QueueShutDown";
  } catch (const asyncio::BrokenBarrierError& e) {
    return named("BrokenBarrierError", e.what());
  } catch (const asyncio::TimeoutError& e) {
    return named("TimeoutError", e.what());
  } catch (const asyncio::RuntimeError& e) {
    return named("RuntimeError", e.what());
  } catch (const std::invalid_argument& e) {
    return named("ValueError", e.what());
  } catch (const std::exception& e) {
    return named("std::exception", e.what());
  }
}

// Awaits `aw` (a Coro, Task or Future) and says what it raised: "ok" when nothing.
template <class A>
asyncio::Coro<std::string> raised_by(A aw) {
  std::exception_ptr error;
  try {
    co_await aw;
  } catch (...) {
    error = std::current_exception();
  }
  co_return error ? python_error(error) : "ok";
}

// Calls f() and says what it raised: "ok" when nothing.
template <class F>
std::string raised_by_call(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (...) {
    return python_error(std::current_exception());
  }
  return "ok";
}

// The N of "waiters:N" in a lock's repr (len(lock._waiters)); 0 when absent.
inline int waiters_in(const std::string& repr) {
  auto at = repr.find("waiters:");
  return at == std::string::npos ? 0 : std::stoi(repr.substr(at + 8));
}

// The docs' worker idiom, literally: the primitive (a lock, queue, ...) belongs to this
// coroutine, a task blocks on it through `wait`, and the coroutine returns, destroying the
// primitive, after cancelling that task when `cancel` (without awaiting it). The primitive
// is on the heap: coroutine frames are pooled, so ASan would not see a freed frame touched.
template <class P, class Wait>
asyncio::Coro<void> abandon(std::unique_ptr<P> primitive, Wait wait, bool cancel,
                            asyncio::Task<void>& waiter) {
  waiter = asyncio::create_task(wait(*primitive));
  co_await asyncio::sleep(0);
  REQUIRE_FALSE(waiter.done());
  if (cancel) waiter.cancel();
}

// What the waiter abandon() leaves behind raises once the loop has run it to its end.
template <class P, class Wait>
asyncio::Coro<std::string> outlived(std::unique_ptr<P> primitive, Wait wait, bool cancel) {
  asyncio::Task<void> waiter;
  co_await abandon(std::move(primitive), wait, cancel, waiter);
  for (int step = 0; step < 10 && !waiter.done(); ++step) co_await asyncio::sleep(0);
  REQUIRE(waiter.done());
  co_return co_await raised_by(waiter);
}

}  // namespace sync_support
