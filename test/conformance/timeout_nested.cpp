// Mirrors CPython test_timeouts.TimeoutTests.test_nested_timeouts, test_nested_timeouts_loop_busy
// (without blocking the loop), test_foreign_cancel_doesnt_timeout_if_not_expired,
// test_cancel_in_timeout_after_cancellation and test_timeout_after_cancellation: only the
// timeout that expired turns the cancellation into TimeoutError (inner first: the outer
// block goes on; outer first: the inner block sees CancelledError); a CancelledError from
// elsewhere stays a CancelledError; a timeout entered with cancelling() > 0 still works.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::Timeout;

Coro<> main_coro() {
  {
    Timeout outer = asyncio::timeout(0.1);
    co_await outer.run([&](Timeout&) -> Coro<> {
      Timeout inner = asyncio::timeout(0.01);
      try {
        co_await inner.run([](Timeout&) -> Coro<> { co_await asyncio::sleep(10); });
      } catch (const asyncio::TimeoutError&) {
        trace::print("inner first: TimeoutError; inner expired:", inner.expired(),
                     "outer expired:", outer.expired());
      }
      co_await asyncio::sleep(0);
    });
    trace::print("inner first: outer block finished; outer expired:", outer.expired());
  }
  {
    Timeout outer = asyncio::timeout(0.01);
    try {
      co_await outer.run([](Timeout&) -> Coro<> {
        Timeout inner = asyncio::timeout(10);
        try {
          co_await inner.run([](Timeout&) -> Coro<> { co_await asyncio::sleep(10); });
        } catch (const asyncio::CancelledError&) {
          trace::print("outer first: inner block sees CancelledError; inner expired:",
                       inner.expired());
          throw;
        }
      });
    } catch (const asyncio::TimeoutError&) {
      trace::print("outer first: TimeoutError; outer expired:", outer.expired());
    }
  }
  {
    Timeout cm = asyncio::timeout(10);
    try {
      co_await cm.run([](Timeout&) -> Coro<> {
        asyncio::current_task().cancel("elsewhere");
        co_await asyncio::sleep(10);
      });
    } catch (const asyncio::CancelledError& e) {
      trace::print("foreign cancel: CancelledError '" + e.message() + "'; expired:", cm.expired());
    }
    trace::print("foreign cancel: uncancel() ->", asyncio::current_task().uncancel());
  }
  {
    Timeout cm = asyncio::timeout(0.01);
    try {
      co_await cm.run([](Timeout&) -> Coro<> {
        try {
          co_await asyncio::sleep(10);
        } catch (const asyncio::CancelledError&) {
          asyncio::current_task().cancel("while expiring");
        }
        co_await asyncio::sleep(0);
      });
    } catch (const asyncio::TimeoutError&) {
      trace::print("cancelled while expiring: TimeoutError (wrong)");
    } catch (const asyncio::CancelledError& e) {
      trace::print("cancelled while expiring: CancelledError '" + e.message() + "'; expired:",
                   cm.expired());
    }
    trace::print("cancelling() after:", asyncio::current_task().cancelling());
  }
  {
    Timeout cm = asyncio::timeout(0);
    try {
      co_await cm.run([](Timeout&) -> Coro<> { co_await asyncio::sleep(1); });
    } catch (const asyncio::TimeoutError&) {
      trace::print("entered with cancelling() 1: timeout(0) still raises TimeoutError");
    }
    trace::print("cancelling() stays:", asyncio::current_task().cancelling());
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
