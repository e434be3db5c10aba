// cpython: 3.12+
// 3.12's gather counts children that are already done at once (the done_futs loop added with
// eager tasks), so a gather of finished futures is done when gather() returns and awaiting it
// does not yield to other tasks. 3.11 completed it one loop iteration later.
#include <asyncio/asyncio.hpp>

#include <stdexcept>

#include "trace.hpp"

using asyncio::Coro;

Coro<void> other() {
  trace::print("other task runs");
  co_return;
}

Coro<void> amain() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto f = loop.create_future<int>();
  f.set_result(1);
  auto g = asyncio::gather(f);
  trace::print("gather of a done future, done on return:", g.done());
  auto [r] = co_await g;
  trace::print("result:", "[" + std::to_string(r) + "]");
  auto t = asyncio::create_task(other());
  auto f2 = loop.create_future<int>();
  f2.set_result(2);
  auto [r2] = co_await asyncio::gather(f2);
  trace::print("awaited without yielding:", "[" + std::to_string(r2) + "]");
  co_await t;
  auto pending = loop.create_future<int>();
  auto g2 = asyncio::gather(f, pending);
  trace::print("one child pending, done on return:", g2.done());
  pending.set_result(3);
  auto [a, b] = co_await g2;
  trace::print("both:", "[" + std::to_string(a) + ", " + std::to_string(b) + "]");
  auto bad = loop.create_future<int>();
  bad.set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
  auto g3 = asyncio::gather(bad, pending);
  trace::print("failed child, done on return:", g3.done());
  try {
    co_await g3;
  } catch (const std::invalid_argument& e) {
    trace::print("ValueError:", e.what());
  }
}

int main() {
  asyncio::run(amain());
}
