// Mirrors CPython test_timeouts.TimeoutTests.test_timeout_basic, test_timeout_at_basic,
// test_waiter_cancelled, test_timeout_not_called, test_foreign_exception_passed,
// test_timeout_zero_sleep_zero, test_outer_task_is_not_cancelled and test_reschedule:
// expiry cancels the body (it sees CancelledError) and raises TimeoutError; expired() and
// when() report the state; reschedule() moves or removes the deadline.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::Timeout;

Coro<> sleep_long(std::string label) {
  try {
    co_await asyncio::sleep(10);
  } catch (const asyncio::CancelledError&) {
    trace::print(label, "body sees CancelledError");
    throw;
  }
}

Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  {
    Timeout cm = asyncio::timeout(0.01);
    try {
      co_await cm.run(sleep_long("timeout(0.01):"));
    } catch (const asyncio::TimeoutError&) {
      trace::print("TimeoutError; expired:", cm.expired());
    }
    trace::print("task cancelling() after:", asyncio::current_task().cancelling());
  }
  {
    double deadline = loop.time() + 0.01;
    Timeout cm = asyncio::timeout_at(deadline);
    try {
      co_await cm.run(sleep_long("timeout_at:"));
    } catch (const asyncio::TimeoutError&) {
      trace::print("TimeoutError; expired:", cm.expired(),
                   "when() is deadline:", cm.when() == deadline);
    }
  }
  {
    Timeout cm = asyncio::timeout(1);
    co_await cm.run([](Timeout&) -> Coro<> { co_await asyncio::sleep(0); });
    trace::print("no expiry: expired:", cm.expired());
  }
  {
    Timeout cm = asyncio::timeout(1);
    try {
      co_await cm.run([](Timeout&) -> Coro<> {
        throw std::invalid_argument("inside");
        co_return;
      });
    } catch (const std::invalid_argument& e) {
      trace::print("foreign ValueError passes:", e.what(), "expired:", cm.expired());
    }
  }
  {
    Timeout cm = asyncio::timeout(0);
    try {
      co_await cm.run([](Timeout&) -> Coro<> { co_await asyncio::sleep(0); });
    } catch (const asyncio::TimeoutError&) {
      trace::print("timeout(0) then sleep(0): TimeoutError; expired:", cm.expired());
    }
  }
  {
    Timeout cm = asyncio::timeout(std::nullopt);
    try {
      co_await cm.run([&loop](Timeout& cm) -> Coro<> {
        trace::print("no deadline: when() is None:", !cm.when());
        cm.reschedule(loop.time() + 0.01);
        co_await sleep_long("rescheduled:");
      });
    } catch (const asyncio::TimeoutError&) {
      trace::print("rescheduled: TimeoutError; expired:", cm.expired());
    }
  }
  {
    Timeout cm = asyncio::timeout(0.01);
    co_await cm.run([](Timeout& cm) -> Coro<> {
      cm.reschedule(std::nullopt);
      co_await asyncio::sleep(0.03);
    });
    trace::print("deadline removed: finished; expired:", cm.expired(),
                 "when() is None:", !cm.when());
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
