// Mirrors CPython test_locks.ConditionTests.test_notify, test_notify_all, test_wait_for and
// the un-acquired errors: notify(n) wakes the oldest n waiters, which then re-take the lock
// one after the other; notify_all() wakes the rest; wait_for() returns the predicate's value.
#include <asyncio/asyncio.hpp>

#include <deque>
#include <string>
#include <vector>

#include "trace.hpp"

std::deque<int> items;

asyncio::Coro<> consumer(asyncio::Condition& cond, std::string name) {
  auto guard = co_await cond;
  trace::print(name, "waiting");
  while (items.empty()) {
    co_await cond.wait();
    trace::print(name, "woke, items:", items.size());
  }
  trace::print(name, "got", items.front());
  items.pop_front();
}

asyncio::Coro<> produce(asyncio::Condition& cond, int count, bool notify_all = false) {
  {
    auto guard = co_await cond;
    for (int i = 0; i < count; ++i) items.push_back(i);
    if (notify_all) {
      trace::print("notify_all with", count, "items");
      cond.notify_all();
    } else {
      trace::print("notify", count);
      cond.notify(count);
    }
  }
  co_await asyncio::sleep(0);
}

asyncio::Coro<> main_coro() {
  asyncio::Condition cond;
  try {
    cond.notify();
  } catch (const asyncio::RuntimeError& e) {
    trace::print("RuntimeError:", e.what());
  }
  try {
    co_await cond.wait();
  } catch (const asyncio::RuntimeError& e) {
    trace::print("RuntimeError:", e.what());
  }
  int value = co_await cond.wait_for([] { return 42; });
  trace::print("wait_for true at once:", value);
  std::vector<asyncio::Task<void>> tasks;
  for (int i = 0; i < 4; ++i) {
    tasks.push_back(asyncio::create_task(consumer(cond, "c" + std::to_string(i))));
  }
  co_await asyncio::sleep(0);
  co_await produce(cond, 1);
  co_await produce(cond, 2);
  co_await produce(cond, 0, true);
  co_await produce(cond, 1, true);
  co_await asyncio::gather(tasks);
  trace::print("locked at end:", cond.locked());
}

int main() {
  asyncio::run(main_coro());
}
