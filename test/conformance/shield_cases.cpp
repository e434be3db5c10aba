// Mirrors CPython test_tasks.BaseTaskTests.test_shield_effect, test_shield_cancel_outer,
// test_shield_cancel_inner, test_shield_result, test_shield_exception and
// test_shield_shortcut: cancelling whoever awaits a shield (or the shield itself) leaves the
// inner task running and its result available; cancelling the inner cancels the shield;
// results and exceptions pass through; a done future is returned as it is.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

asyncio::Coro<std::string> inner_work(std::string label, double delay, bool fail = false) {
  co_await asyncio::sleep(delay);
  trace::print(label, "inner finished");
  if (fail) throw std::invalid_argument(label);
  co_return label + " result";
}

asyncio::Coro<std::string> waiter(asyncio::Task<std::string> inner) {
  try {
    co_return co_await asyncio::shield(inner);
  } catch (const asyncio::CancelledError&) {
    trace::print("waiter: cancelled at the shield");
    throw;
  }
}

asyncio::Coro<> main_coro() {
  auto inner = asyncio::create_task(inner_work("effect", 0.01));
  auto w = asyncio::create_task(waiter(inner));
  co_await asyncio::sleep(0);
  w.cancel();
  try {
    co_await w;
  } catch (const asyncio::CancelledError&) {
    trace::print("waiter cancelled:", w.cancelled(), "inner cancelled:", inner.cancelled(),
                 "inner done:", inner.done());
  }
  trace::print("inner result still comes:", co_await inner);

  inner = asyncio::create_task(inner_work("outer-cancel", 0.01));
  auto outer = asyncio::shield(inner);
  bool cancelled = outer.cancel();
  trace::print("cancel the shield:", cancelled, "inner cancelled:", inner.cancelled());
  trace::print("inner result:", co_await inner);

  inner = asyncio::create_task(inner_work("inner-cancel", 10));
  outer = asyncio::shield(inner);
  co_await asyncio::sleep(0);
  inner.cancel();
  try {
    co_await outer;
  } catch (const asyncio::CancelledError&) {
    trace::print("inner cancelled -> shield cancelled:", outer.cancelled());
  }

  trace::print("result passes:", co_await asyncio::shield(inner_work("plain", 0.01)));
  try {
    co_await asyncio::shield(inner_work("failing", 0.01, true));
  } catch (const std::invalid_argument& e) {
    trace::print("exception passes: ValueError", e.what());
  }

  auto done = asyncio::get_running_loop().create_future<std::string>();
  done.set_result("ready");
  trace::print("done future returned as is:", asyncio::shield(done) == done);
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
