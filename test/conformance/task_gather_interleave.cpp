// Mirrors CPython's documented asyncio.sleep(0) behaviour ("yields to other tasks") and
// test_tasks.BaseTaskTests.test_sleep_zero: gather starts its children in argument order,
// and two coroutines that each sleep(0) three times alternate every iteration.
#include <asyncio/asyncio.hpp>

#include <string>

#include "trace.hpp"

asyncio::Coro<std::string> worker(std::string name) {
  for (int i = 0; i < 3; ++i) {
    trace::print(name + std::to_string(i));
    co_await asyncio::sleep(0);
  }
  trace::print(name + " done");
  co_return name + "!";
}

asyncio::Coro<> main_coro() {
  auto [a, b] = co_await asyncio::gather(worker("a"), worker("b"));
  trace::print("results:", a, b);
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
