// Mirrors CPython test_tasks.BaseTaskTests.test_sleep and test_sleep_cancel: sleep(delay,
// result) gives the result back, sleep(0, result) too (after one loop iteration), and a
// cancelled sleep raises CancelledError instead.
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;

Coro<std::string> sleeper(double dt, std::string arg) {
  co_await asyncio::sleep(dt / 2);
  std::string res = co_await asyncio::sleep(dt / 2, std::move(arg));
  co_return res;
}

Coro<> amain() {
  trace::print("sleep(delay, result):", co_await sleeper(0.01, "yeah"));
  std::vector<std::string> order;  // reprs, as the list prints them
  auto other = asyncio::create_task(asyncio::sleep(0, std::string("other ran")));
  other.add_done_callback(
      [&order](asyncio::Future<std::string> t) { order.push_back(proc_trace::repr(t.result())); });
  int answer = co_await asyncio::sleep(0, 42);
  order.push_back(std::to_string(answer));
  co_await other;
  trace::print("sleep(0, result):", proc_trace::raw_list(order));
  auto task = asyncio::create_task(asyncio::sleep(10, std::string("never")));
  co_await asyncio::sleep(0);
  task.cancel();
  try {
    co_await task;
  } catch (const asyncio::CancelledError&) {
    trace::print("cancelled:", task.cancelled());
  }
}

int main() {
  asyncio::run(amain());
}
