// Mirrors CPython test_base_events.BaseEventLoopTests.test__run_once_cancelled_event_cleanup
// and test__add_callback_cancelled_handle, and test_events.HandleTests.test_handle /
// TimerTests.test_timer: cancelled handles never run, even when cancelled by a callback
// of the same batch after they were queued; Handle.cancelled() reports it.
#include <asyncio/asyncio.hpp>

#include <map>

#include "trace.hpp"

asyncio::EventLoop loop;
std::map<std::string, asyncio::Handle> handles;

void cb(std::string name) {
  trace::print("run", name);
}

void cancel(std::string name) {
  trace::print("cancel", name);
  handles[name].cancel();
  trace::print(name, "cancelled:", handles[name].cancelled());
}

void stop() {
  loop.stop();
}

int main() {
  handles["before"] = loop.call_later(0.01, cb, std::string("before (never)"));
  trace::print("fresh timer cancelled:", handles["before"].cancelled());
  handles["before"].cancel();
  handles["before"].cancel();  // twice is a no-op
  trace::print("cancelled before firing:", handles["before"].cancelled());

  // A timer that cancels a later one.
  loop.call_later(0.02, cancel, std::string("later"));
  handles["later"] = loop.call_later(0.03, cb, std::string("later (never)"));

  // A ready callback that cancels one queued behind it in the same batch.
  loop.call_soon(cancel, std::string("queued"));
  handles["queued"] = loop.call_soon(cb, std::string("queued (never)"));
  loop.call_soon(cb, std::string("after queued"));

  // Two expired timers in one batch: the first cancels the second.
  loop.call_later(0, cancel, std::string("expired"));
  handles["expired"] = loop.call_later(0, cb, std::string("expired (never)"));

  handles["done"] = loop.call_soon(cb, std::string("done"));
  loop.call_later(0.04, stop);
  loop.run_forever();
  handles["done"].cancel();  // a handle that already ran can still be marked cancelled
  trace::print("ran then cancelled:", handles["done"].cancelled());
  loop.close();
}
