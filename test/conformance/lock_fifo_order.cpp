// Mirrors CPython test_locks.LockTests.test_acquire and the 3.12 fairness rule in
// Lock.acquire: waiters get the lock in FIFO order, one per release(), and a task that
// arrives while the lock is free but still has waiters queues behind them.
#include <asyncio/asyncio.hpp>

#include <string>
#include <vector>

#include "trace.hpp"

std::vector<std::string> order;

asyncio::Coro<> worker(asyncio::Lock& lock, std::string name) {
  trace::print(name, "waiting, locked:", lock.locked());
  auto guard = co_await lock;
  trace::print(name, "got the lock");
  order.push_back(name);
  co_await asyncio::sleep(0);
  trace::print(name, "releasing");
}

asyncio::Coro<> main_coro() {
  asyncio::Lock lock;
  bool acquired = co_await lock.acquire();
  trace::print("acquire:", acquired);
  std::vector<asyncio::Task<void>> tasks;
  for (int i = 0; i < 3; ++i) {
    tasks.push_back(asyncio::create_task(worker(lock, "w" + std::to_string(i))));
  }
  co_await asyncio::sleep(0);
  tasks.push_back(asyncio::create_task(worker(lock, "late")));
  trace::print("main releasing");
  lock.release();
  trace::print("locked right after release:", lock.locked());
  co_await asyncio::gather(tasks);
  std::string joined = "order:";
  for (const auto& name : order) joined += " " + name;
  trace::print(joined);
  trace::print("locked at end:", lock.locked());
  try {
    lock.release();
  } catch (const asyncio::RuntimeError& e) {
    trace::print("RuntimeError:", e.what());
  }
}

int main() {
  asyncio::run(main_coro());
}
