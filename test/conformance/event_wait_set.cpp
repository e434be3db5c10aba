// Mirrors CPython test_locks.EventTests.test_wait, test_wait_on_set, test_clear_with_waiters
// and test_wait_cancel: set() wakes every waiter in order; a task started after set() does
// not block; after clear() new waiters block again; a cancelled wait raises.
#include <asyncio/asyncio.hpp>

#include <string>

#include "trace.hpp"

asyncio::Coro<> waiter(asyncio::Event& ev, std::string name) {
  trace::print(name, "waiting");
  bool result = co_await ev.wait();
  trace::print(name, "woke:", result);
}

asyncio::Coro<> main_coro() {
  asyncio::Event ev;
  auto t1 = asyncio::create_task(waiter(ev, "w1"));
  auto t2 = asyncio::create_task(waiter(ev, "w2"));
  co_await asyncio::sleep(0);
  trace::print("is_set:", ev.is_set());
  auto t3 = asyncio::create_task(waiter(ev, "w3"));
  ev.set();
  trace::print("set, is_set:", ev.is_set());
  co_await asyncio::gather(t1, t2, t3);
  bool on_set = co_await ev.wait();
  trace::print("wait on a set event:", on_set);
  ev.clear();
  trace::print("cleared, is_set:", ev.is_set());
  auto t4 = asyncio::create_task(waiter(ev, "w4"));
  co_await asyncio::sleep(0);
  trace::print("w4 done before set:", t4.done());
  asyncio::get_running_loop().call_soon([&ev] { ev.set(); });
  co_await t4;
  asyncio::Event never;
  auto t5 = asyncio::create_task(waiter(never, "w5"));
  co_await asyncio::sleep(0);
  t5.cancel();
  try {
    co_await t5;
  } catch (const asyncio::CancelledError&) {
    trace::print("w5 cancelled:", t5.cancelled());
  }
  try {
    co_await asyncio::wait_for(never.wait(), 0.01);
  } catch (const asyncio::TimeoutError&) {
    trace::print("wait_for timed out");
  }
}

int main() {
  asyncio::run(main_coro());
}
