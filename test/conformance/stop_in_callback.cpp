// Mirrors CPython test_base_events.BaseEventLoopTests.test_run_once (the
// `call_soon(loop.stop); run_forever()` idiom) and the documented loop.stop() contract:
// stop() inside a callback lets the current batch finish; callbacks scheduled by that
// batch run only in the next run_forever().
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

asyncio::EventLoop loop;

void later(std::string name) {
  trace::print("later", name, "running:", loop.is_running());
}

void first() {
  trace::print("first: stop");
  loop.stop();
  trace::print("first: still running:", loop.is_running());
  loop.call_soon(later, std::string("from first"));
}

void second() {
  trace::print("second runs in the same batch");
  loop.stop();  // a second stop() is harmless
  loop.call_soon(later, std::string("from second"));
}

void timer() {
  trace::print("expired timer joins the batch");
  loop.call_soon(later, std::string("from timer"));
}

void stop() {
  loop.stop();
}

int main() {
  loop.call_later(0, timer);
  loop.call_soon(first);
  loop.call_soon(second);
  loop.run_forever();
  trace::print("run_forever returned, running:", loop.is_running());
  loop.call_soon(stop);
  loop.run_forever();
  trace::print("second run_forever returned");
  loop.call_soon(stop);
  loop.run_forever();
  trace::print("third run_forever ran nothing left over");
  loop.close();
}
