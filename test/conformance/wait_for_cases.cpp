// Mirrors CPython test_waitfor.AsyncioWaitForTest.test_wait_for, test_asyncio_wait_for_timeout,
// test_wait_for_blocking, test_wait_for_timeout_less_then_0_or_0_future_done,
// test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started and
// test_wait_for_timeout_less_then_0_or_0: on timeout the inner task is cancelled (and has
// finished) before TimeoutError is raised; timeout <= 0 returns a done result, and cancels a
// pending awaitable (a coroutine never starts). Races between the timeout and the inner result
// are avoided: wait_for was reimplemented on timeout() in 3.12 and such edges differ from 3.11.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

asyncio::Coro<std::string> work(double delay, std::string value, bool fail = false) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const asyncio::CancelledError&) {
    trace::print("work", value, "cancelled");
    throw;
  }
  if (fail) throw std::invalid_argument(value);
  co_return value;
}

asyncio::Coro<std::string> never_started() {
  trace::print("never_started: body runs (wrong)");
  co_return "wrong";
}

asyncio::Coro<> main_coro() {
  trace::print("success:", co_await asyncio::wait_for(work(0.01, "fast"), 1));

  try {
    co_await asyncio::wait_for(work(0.01, "bad", true), 1);
  } catch (const std::invalid_argument& e) {
    trace::print("inner exception propagates: ValueError", e.what());
  }

  auto slow = asyncio::create_task(work(10, "slow"));
  try {
    co_await asyncio::wait_for(slow, 0.01);
  } catch (const asyncio::TimeoutError&) {
    trace::print("TimeoutError; inner task cancelled:", slow.cancelled());
  }

  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto done = loop.create_future<std::string>();
  done.set_result("ready");
  trace::print("timeout 0 on a done future:", co_await asyncio::wait_for(done, 0));

  for (int delay : {0, -1}) {
    try {
      co_await asyncio::wait_for(never_started(), delay);
    } catch (const asyncio::TimeoutError&) {
      trace::print("timeout " + std::to_string(delay) + " on a coroutine: TimeoutError");
    }
  }

  auto pending = loop.create_future<std::string>();
  try {
    co_await asyncio::wait_for(pending, 0);
  } catch (const asyncio::TimeoutError&) {
    trace::print("timeout 0 on a pending future: TimeoutError; cancelled:", pending.cancelled());
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
