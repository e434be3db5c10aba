// Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe_same_thread:
// call_soon_threadsafe from the loop's own thread (inside a callback) appends to the
// ready queue like call_soon, so the two interleave in call order, and its handle can be
// cancelled like any other.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::EventLoop loop;

void cb(std::string name) {
  trace::print("run", name);
}

void schedule() {
  trace::print("scheduling from a callback");
  loop.call_soon(cb, std::string("soon 1"));
  loop.call_soon_threadsafe(cb, std::string("threadsafe 2"));
  loop.call_soon(cb, std::string("soon 3"));
  auto handle = loop.call_soon_threadsafe(cb, std::string("threadsafe 4 (cancelled)"));
  loop.call_soon_threadsafe(cb, std::string("threadsafe 5"));
  loop.call_soon(cb, std::string("soon 6"));
  handle.cancel();
  trace::print("threadsafe handle cancelled:", handle.cancelled());
  loop.call_soon_threadsafe([] { loop.stop(); });
}

void first_batch() {
  trace::print("first batch: these run in the next one");
  loop.call_soon_threadsafe(schedule);
}

int main() {
  loop.call_soon(first_batch);
  loop.call_soon(cb, std::string("still in the first batch"));
  loop.run_forever();
  trace::print("stopped");
  loop.close();
}
