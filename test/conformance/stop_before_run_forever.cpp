// Mirrors CPython test_base_events.BaseEventLoopTests.test_run_forever_pre_stopped:
// stop() before run_forever() runs exactly one iteration (select(0)), then returns.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::EventLoop loop;

void cb(std::string name, int depth) {
  trace::print("run", name, depth);
  if (depth > 0) loop.call_soon(cb, name + "'", depth - 1);
}

void timer(std::string name) {
  trace::print("timer", name);
}

int main() {
  loop.call_soon(cb, std::string("a"), 1);
  loop.call_soon(cb, std::string("b"), 1);
  loop.call_later(0, timer, std::string("due now"));
  auto far = loop.call_later(3600, timer, std::string("far"));
  loop.stop();
  loop.stop();  // twice is still one iteration
  trace::print("running before:", loop.is_running());
  loop.run_forever();
  trace::print("first run_forever returned, running:", loop.is_running());
  // The stop flag was consumed: a second pre-stopped run takes the leftovers only.
  loop.stop();
  loop.run_forever();
  trace::print("second run_forever returned");
  // Not pre-stopped any more: this run lasts until a callback stops it.
  loop.call_soon(cb, std::string("c"), 2);
  loop.call_later(0.01, [] { loop.stop(); });
  loop.run_forever();
  trace::print("third run_forever returned, far cancelled:", far.cancelled());
  far.cancel();
  loop.close();
}
