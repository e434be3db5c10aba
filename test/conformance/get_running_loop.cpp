// Mirrors CPython test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop
// (its asyncio.get_running_loop() checks): outside a running loop it raises
// RuntimeError("no running event loop"); inside a callback it is the running loop; other
// threads have none; after run_forever() returns it raises again.
#include <asyncio/asyncio.hpp>

#include <thread>

#include "trace.hpp"

asyncio::EventLoop loop;

void attempt(std::string where) {
  try {
    trace::print(where, "-> same loop:", &asyncio::get_running_loop() == &loop);
  } catch (const asyncio::RuntimeError& exc) {
    trace::print(where, "-> RuntimeError:", exc.what());
  }
}

void stop() {
  loop.stop();
}

void inside() {
  attempt("inside a callback");
  std::thread thread(attempt, std::string("another thread while running"));
  thread.join();
  loop.call_later(0, attempt, std::string("inside a timer"));
  loop.call_later(0, stop);
}

int main() {
  attempt("before run_forever");
  loop.call_soon(inside);
  loop.run_forever();
  attempt("after run_forever");
  asyncio::Future<> fut(loop);
  loop.call_soon(attempt, std::string("inside run_until_complete"));
  loop.call_soon([fut]() mutable { fut.set_result(); });
  loop.run_until_complete(fut);
  attempt("after run_until_complete");
  loop.close();
  attempt("after close");
}
