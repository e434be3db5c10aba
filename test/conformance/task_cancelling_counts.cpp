// Mirrors CPython test_tasks.BaseTaskTests.test_cancelling and test_uncancel_basic: every
// cancel() of a pending task raises cancelling() by one, uncancel() lowers it and never goes
// below zero; the task sees one CancelledError and may still finish normally.
#include <asyncio/asyncio.hpp>

#include <string>

#include "trace.hpp"

asyncio::Coro<std::string> body() {
  try {
    co_await asyncio::sleep(10);
  } catch (const asyncio::CancelledError&) {
    asyncio::TaskRef me = asyncio::current_task();
    trace::print("body: cancelled, cancelling() =", me.cancelling());
    trace::print("body: uncancel() ->", me.uncancel());
  }
  co_await asyncio::sleep(0);
  trace::print("body: finishes normally");
  co_return "ok";
}

asyncio::Coro<> main_coro() {
  auto t = asyncio::create_task(body());
  co_await asyncio::sleep(0);
  trace::print("before cancel:", t.cancelling());
  t.cancel();
  trace::print("after one cancel:", t.cancelling());
  t.cancel();
  trace::print("after two cancels:", t.cancelling());
  trace::print("uncancel ->", t.uncancel());
  trace::print("result:", co_await t);
  trace::print("done: cancelling() =", t.cancelling());
  trace::print("uncancel() ->", t.uncancel());
  trace::print("cancelled:", t.cancelled());
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
