// Mirrors CPython test_futures.BaseFutureTests.test_result and test_exception, with the
// message text of the C-accelerated Future and Task asyncio uses by default (_asyncio):
// result() of a pending future or task raises InvalidStateError('Result is not set.');
// exception() raises InvalidStateError('Exception is not set.').
#include <asyncio/asyncio.hpp>

#include <string>
#include <utility>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> body() {
  co_await asyncio::sleep(0);
}

int main() {
  asyncio::EventLoop loop;
  auto fut = loop.create_future();
  auto task = loop.create_task(body());
  std::vector<std::pair<std::string, asyncio::Future<>>> cases{{"future", fut}, {"task", task}};
  for (auto& [label, pending] : cases) {
    try {
      pending.result();
    } catch (const asyncio::InvalidStateError& e) {
      trace::print(label, "result(): InvalidStateError", e.what());
    }
    try {
      pending.exception();
    } catch (const asyncio::InvalidStateError& e) {
      trace::print(label, "exception(): InvalidStateError", e.what());
    }
  }
  loop.run_until_complete(task);
  loop.close();
}
