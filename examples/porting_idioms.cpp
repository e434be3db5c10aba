// The idioms of docs/02-porting-from-python.md, compiled and run: each fragment there is
// copied from this file (test/docs_snippets.py checks that they stay the same).
#include <asyncio/asyncio.hpp>

#include <iostream>
#include <stdexcept>

namespace {

asyncio::Coro<> work() {
  co_await asyncio::sleep(0);
}
asyncio::Coro<> a() {
  co_await asyncio::sleep(0);
  std::cout << "a done\n";
}
asyncio::Coro<> b() {
  co_await asyncio::sleep(0);
  std::cout << "b done\n";
}
asyncio::Coro<> something() {
  co_await asyncio::sleep(0);
  throw std::runtime_error("something failed");
}
void log() {
  std::cout << "logged the error\n";
}
void cleanup() {
  std::cout << "cleaned up\n";
}

asyncio::Coro<> with_lock(asyncio::Lock& lock) {
  {
    auto guard = co_await lock;  // released when guard goes out of scope
    std::cout << "locked: " << lock.locked() << "\n";
  }
  std::cout << "after the block: " << lock.locked() << "\n";
}

asyncio::Coro<> with_timeout() {
  co_await asyncio::timeout(1.5).run(
      [&](asyncio::Timeout& t) -> asyncio::Coro<> { co_await work(); });
  // or, without the Timeout: co_await asyncio::timeout(1.5).run(work());
  std::cout << "work finished within the timeout\n";
}

asyncio::Coro<> with_task_group() {
  asyncio::TaskGroup tg;
  co_await tg.run([&]() -> asyncio::Coro<> {
    tg.create_task(a());
    tg.create_task(b());
    co_return;
  });
  // failures arrive as asyncio::ExceptionGroup, whose .exceptions holds them
}

asyncio::Coro<> with_finally() {
  try {
    co_await something();
  } catch (const std::exception&) {
    log();  // asyncio::CancelledError passes through
  } catch (...) {
    cleanup();  // finally, on the way out
    throw;
  }
  cleanup();  // finally, on the normal path
}

asyncio::Coro<> amain() {
  asyncio::Lock lock;
  co_await with_lock(lock);
  co_await with_timeout();
  co_await with_task_group();
  co_await with_finally();
}

}  // namespace

int main() {
  asyncio::run(amain());
}
