// Mirrors CPython test_base_events.BaseEventLoopTests.test_call_later_negative_delays:
// negative delays and deadlines in the past are due at once, in deadline order, and run
// in the next iteration after the callbacks already in the ready queue.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::EventLoop loop;
int iteration = 0;

void cb(std::string name) {
  trace::print("iteration", iteration, "run", name);
}

void run_once() {
  iteration += 1;
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
}

void schedule_from_callback() {
  trace::print("iteration", iteration, "schedule from a callback");
  loop.call_later(-1, cb, std::string("call_later(-1) from callback"));
  loop.call_soon(cb, std::string("call_soon from callback"));
}

int main() {
  loop.call_later(-1, cb, std::string("call_later(-1)"));
  loop.call_later(-2, cb, std::string("call_later(-2)"));
  loop.call_at(loop.time() - 10, cb, std::string("call_at(time - 10)"));
  loop.call_soon(cb, std::string("call_soon registered last"));
  auto past = loop.call_later(-5, cb, std::string("call_later(-5)"));
  trace::print("call_later(-5) when is in the past:", past.when() < loop.time());
  run_once();
  loop.call_soon(schedule_from_callback);
  loop.call_soon(cb, std::string("queued behind the scheduler"));
  run_once();
  run_once();
  run_once();
  trace::print("iteration", iteration, "nothing left");
  loop.close();
}
