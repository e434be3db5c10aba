// Mirrors CPython test_events.EventLoopTestsMixin.test_run_until_complete,
// test_base_events.BaseEventLoopTests.test_run_until_complete_loop and
// test_run_until_complete_baseexception: run_until_complete(future) returns the result
// set by a timer, rejects a future of another loop with ValueError, and re-raises the
// future's exception (CancelledError once cancelled).
#include <asyncio/asyncio.hpp>

#include <stdexcept>

#include "trace.hpp"

asyncio::EventLoop loop;
asyncio::EventLoop other;

void tick(std::string name) {
  trace::print("tick", name);
}

int main() {
  double t0 = loop.time();
  asyncio::Future<int> fut(loop);
  loop.call_later(0.01, [fut]() mutable { fut.set_result(42); });
  trace::print("result:", loop.run_until_complete(fut));
  trace::print("waited for the timer:", loop.time() - t0 >= 0.009, "running:", loop.is_running());

  // Already done: the loop still runs the callbacks queued before the done callback.
  loop.call_soon(tick, std::string("queued before"));
  trace::print("done future result:", loop.run_until_complete(fut));

  asyncio::Future<int> foreign(other);
  try {
    loop.run_until_complete(foreign);
  } catch (const std::invalid_argument& exc) {
    trace::print("ValueError:", exc.what());
  }
  trace::print("foreign future still pending:", !foreign.done());

  asyncio::Future<int> failing(loop);
  loop.call_soon([failing]() mutable {
    failing.set_exception(std::make_exception_ptr(std::invalid_argument("boom")));
  });
  try {
    loop.run_until_complete(failing);
  } catch (const std::invalid_argument& exc) {
    trace::print("ValueError:", exc.what());
  }

  asyncio::Future<int> cancelled(loop);
  loop.call_soon([cancelled]() mutable { cancelled.cancel(); });
  try {
    loop.run_until_complete(cancelled);
  } catch (const asyncio::CancelledError&) {
    trace::print("CancelledError, cancelled:", cancelled.cancelled());
  }

  loop.call_soon(tick, std::string("loop still usable"));
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  other.close();
  loop.close();
}
