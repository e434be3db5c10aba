// Mirrors CPython test_tasks.GatherTests.test_one_cancellation,
// test_result_exception_one_cancellation and test_tasks.BaseTaskTests.test_cancel_gather_1:
// cancelling the gather cancels every child (each sees the message) and awaiting it raises
// CancelledError; a child cancelled on its own makes the gather raise CancelledError at
// once while the other children keep running. Either way the gather future ends with that
// CancelledError as its exception: cancelled() stays False.
#include <asyncio/asyncio.hpp>

#include <string>

#include "trace.hpp"

asyncio::Coro<std::string> child(std::string name, double delay) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const asyncio::CancelledError& e) {
    trace::print("child", name, "cancelled with '" + e.message() + "'");
    throw;
  }
  trace::print("child", name, "finishes");
  co_return name;
}

asyncio::Coro<> main_coro() {
  auto t1 = asyncio::create_task(child("a", 10));
  auto t2 = asyncio::create_task(child("b", 10));
  auto outer = asyncio::gather(t1, t2);
  co_await asyncio::sleep(0);
  trace::print("cancel gather returns", outer.cancel("stop all"));
  try {
    co_await outer;
  } catch (const asyncio::CancelledError& e) {
    trace::print("gather raised CancelledError '" + e.message() + "'");
  }
  trace::print("gather future: cancelled()", outer.cancelled(), "(it ends with the exception)");
  trace::print("children cancelled:", t1.cancelled(), t2.cancelled());
  trace::print("cancel gather again returns", outer.cancel());

  auto victim = asyncio::create_task(child("v", 10));
  auto other = asyncio::create_task(child("o", 0.1));
  outer = asyncio::gather(victim, other);
  co_await asyncio::sleep(0);
  victim.cancel("only me");
  try {
    co_await outer;
  } catch (const asyncio::CancelledError& e) {
    trace::print("gather raised CancelledError '" + e.message() + "'; other done:", other.done());
  }
  trace::print("gather future: cancelled()", outer.cancelled());
  trace::print("other still finishes:", co_await other);
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
