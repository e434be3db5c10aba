// Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe and
// test_call_soon_threadsafe_same_thread: call_soon_threadsafe always appends to the ready
// queue, so a call made before run_forever(), from this thread or from a thread that has
// finished, runs before a later call_soon.
#include <asyncio/asyncio.hpp>

#include <thread>

#include "trace.hpp"

asyncio::EventLoop loop;

void cb(std::string name) {
  trace::print("run", name);
}

int main() {
  loop.call_soon(cb, std::string("soon 1"));
  loop.call_soon_threadsafe(cb, std::string("threadsafe 2"));
  loop.call_soon(cb, std::string("soon 3"));
  std::thread thread(
      [] { loop.call_soon_threadsafe(cb, std::string("threadsafe 4 from a thread")); });
  thread.join();
  loop.call_soon(cb, std::string("soon 5"));
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  trace::print("stopped");
  loop.close();
}
