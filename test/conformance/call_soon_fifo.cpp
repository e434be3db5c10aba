// Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon and
// test_base_events.BaseEventLoopTests.test__run_once_schedule_handle.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::EventLoop loop;

void cb(std::string name, int depth) {
  trace::print("run", name, depth);
  if (depth > 0) loop.call_soon(cb, name + "'", depth - 1);
}

int main() {
  for (const char* name : {"a", "b", "c"}) loop.call_soon(cb, std::string(name), 2);
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  trace::print("after first stop");
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  trace::print("after second stop");
  loop.close();
}
