// cpython: 3.13+
// Mirrors test_taskgroups.TestTaskGroup.test_cancelling_level_preserved,
// test_nested_groups_both_cancelled and test_error_and_cancel (3.13): an outside cancellation
// that meets an inner failure. The group uncancels its parent after waiting for its tasks, and
// re-cancels a parent still being cancelled when it raises the ExceptionGroup, so that the
// parent's cancel count stays stable and the outside cancellation is not lost.
#include <asyncio/asyncio.hpp>

#include <stdexcept>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::TaskGroup;

template <class E>
Coro<> raise_after(double t) {
  co_await asyncio::sleep(t);
  throw E("raised");
}

int cancelling() {
  return asyncio::current_task().cancelling();
}

Coro<> level_preserved() {
  try {
    TaskGroup tg;
    co_await tg.run([&]() -> Coro<> {
      tg.create_task(raise_after<std::runtime_error>(0.0));
      co_return;
    });
  } catch (const asyncio::ExceptionGroup&) {
    trace::print("level: RuntimeError caught");
  }
  trace::print("level: cancelling", cancelling());
}

Coro<> nested_both_cancelled() {
  try {
    TaskGroup outer_tg;
    co_await outer_tg.run([&]() -> Coro<> {
      try {
        TaskGroup inner_tg;
        co_await inner_tg.run([&]() -> Coro<> {
          inner_tg.create_task(raise_after<std::runtime_error>(0));
          outer_tg.create_task(raise_after<std::invalid_argument>(0));
          co_return;
        });
      } catch (const asyncio::ExceptionGroup&) {
        trace::print("nested: inner RuntimeError caught");
      }
      trace::print("nested: cancelling", cancelling());
    });
  } catch (const asyncio::ExceptionGroup&) {
    trace::print("nested: outer ValueError caught");
  }
  trace::print("nested: cancelling", cancelling());
}

Coro<> error_and_cancel() {
  asyncio::Event event;
  auto raise_error = [&]() -> Coro<> {
    event.set();
    co_await asyncio::sleep(0);
    throw std::runtime_error("raised");
  };
  auto inner = [&]() -> Coro<> {
    try {
      TaskGroup tg;
      co_await tg.run([&]() -> Coro<> {
        tg.create_task(raise_error());
        co_await asyncio::sleep(1);
        trace::print("error_and_cancel: slept in the group?");
      });
    } catch (const asyncio::ExceptionGroup&) {
      trace::print("error_and_cancel: caught, cancelling", cancelling());
    }
    trace::print("error_and_cancel: after, cancelling", cancelling());
    co_await asyncio::sleep(1);
    trace::print("error_and_cancel: slept after the group?");
  };
  auto t = asyncio::create_task(inner());
  co_await event.wait();
  trace::print("error_and_cancel: before cancel", t.cancelling());
  t.cancel();
  trace::print("error_and_cancel: after cancel", t.cancelling());
  try {
    co_await t;
  } catch (const asyncio::CancelledError&) {
    trace::print("error_and_cancel: CancelledError, cancelled", t.cancelled());
  }
}

Coro<> amain() {
  co_await asyncio::wait_for(level_preserved(), 5);
  co_await asyncio::wait_for(nested_both_cancelled(), 5);
  co_await asyncio::wait_for(error_and_cancel(), 5);
}

int main() {
  asyncio::run(amain());
}
