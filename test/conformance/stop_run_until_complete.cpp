// Mirrors CPython test_events.EventLoopTestsMixin.test_run_until_complete_stopped:
// stop() before the future completes makes run_until_complete() raise
// RuntimeError("Event loop stopped before Future completed."); the future stays pending
// and a later run_until_complete() can still finish it.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::EventLoop loop;
asyncio::Future<int> fut(loop);

void tick(std::string name) {
  trace::print("tick", name);
}
void stop() {
  loop.stop();
}

int main() {
  loop.call_soon(tick, std::string("before stop"));
  loop.call_soon(stop);
  try {
    loop.run_until_complete(fut);
  } catch (const asyncio::RuntimeError& exc) {
    trace::print("RuntimeError:", exc.what());
  }
  trace::print("future done:", fut.done(), "running:", loop.is_running());

  // A pre-stopped loop: one iteration, then the same error.
  loop.stop();
  try {
    loop.run_until_complete(fut);
  } catch (const asyncio::RuntimeError& exc) {
    trace::print("RuntimeError:", exc.what());
  }

  // A stop from a timer while the future still waits.
  loop.call_later(0.01, stop);
  try {
    loop.run_until_complete(fut);
  } catch (const asyncio::RuntimeError& exc) {
    trace::print("RuntimeError:", exc.what());
  }
  trace::print("future done:", fut.done());

  // The future's done callback was removed each time: completing it now works.
  loop.call_soon([] { fut.set_result(7); });
  trace::print("result:", loop.run_until_complete(fut));
  loop.call_soon(tick, std::string("after"));
  loop.call_soon(stop);
  loop.run_forever();
  loop.close();
}
