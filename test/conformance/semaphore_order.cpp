// Mirrors CPython test_locks.SemaphoreTests.test_acquire, test_acquire_fifo_order and
// test_semaphore_value / test_release_not_acquired: Semaphore(2) admits two holders at a
// time and serves the rest in FIFO order; BoundedSemaphore refuses an extra release.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> worker(asyncio::Semaphore& sem, std::string name) {
  trace::print(name, "acquiring, locked:", sem.locked());
  auto guard = co_await sem;
  trace::print(name, "in");
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  trace::print(name, "out");
}

asyncio::Coro<> main_coro() {
  try {
    asyncio::Semaphore bad(-1);
  } catch (const std::invalid_argument& e) {
    trace::print("ValueError:", e.what());
  }
  asyncio::Semaphore sem(2);
  std::vector<asyncio::Task<void>> tasks;
  for (int i = 0; i < 5; ++i) {
    tasks.push_back(asyncio::create_task(worker(sem, "w" + std::to_string(i))));
  }
  co_await asyncio::gather(tasks);
  trace::print("locked at end:", sem.locked());
  asyncio::Semaphore zero(0);
  trace::print("Semaphore(0) locked:", zero.locked());
  asyncio::BoundedSemaphore bounded(1);
  co_await bounded.acquire();
  bounded.release();
  try {
    bounded.release();
  } catch (const std::invalid_argument& e) {
    trace::print("ValueError:", e.what());
  }
}

int main() {
  asyncio::run(main_coro());
}
