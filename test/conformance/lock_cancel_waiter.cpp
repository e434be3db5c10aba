// Mirrors CPython test_locks.LockTests.test_acquire_cancel, test_cancel_race and
// test_finished_waiter_cancelled: a cancelled waiter leaves the queue; a waiter cancelled
// right after release() woke it passes the wakeup on to the next waiter.
#include <asyncio/asyncio.hpp>

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> locker(asyncio::Lock& lock, std::string name) {
  trace::print(name, "acquiring");
  std::exception_ptr cancelled;
  try {
    co_await lock.acquire();
  } catch (const asyncio::CancelledError&) {
    trace::print(name, "cancelled while waiting, locked:", lock.locked());
    cancelled = std::current_exception();
  }
  if (cancelled) std::rethrow_exception(cancelled);  // `raise`: no co_await in a handler
  trace::print(name, "acquired");
  co_await asyncio::sleep(0);
  lock.release();
  trace::print(name, "released");
}

asyncio::Coro<> main_coro() {
  asyncio::Lock lock;
  co_await lock.acquire();
  auto a = asyncio::create_task(locker(lock, "a"));
  auto b = asyncio::create_task(locker(lock, "b"));
  auto c = asyncio::create_task(locker(lock, "c"));
  co_await asyncio::sleep(0);
  trace::print("cancel b, still waiting");
  b.cancel();
  co_await asyncio::sleep(0);
  trace::print("b cancelled:", b.cancelled());
  trace::print("release, then cancel a, whom it woke");
  lock.release();
  a.cancel();
  std::vector<std::pair<std::string, asyncio::Task<void>>> awaited{{"a", a}, {"c", c}};
  for (auto& [name, task] : awaited) {
    try {
      co_await task;
      trace::print("awaited", name);
    } catch (const asyncio::CancelledError&) {
      trace::print("awaited", name, "-> CancelledError");
    }
  }
  trace::print("a cancelled:", a.cancelled(), "c done:", c.done());
  trace::print("locked at end:", lock.locked());
}

int main() {
  asyncio::run(main_coro());
}
