// Mirrors CPython test_events.EventLoopTestsMixin.test_call_later,
// test_base_events.BaseEventLoopTests.test_time_and_call_at and test__run_once:
// timers fire in deadline order whatever their registration order, call_at uses
// loop.time(), and callbacks already ready run before timers that expire in the same
// iteration.
#include <asyncio/asyncio.hpp>

#include <map>
#include <utility>

#include "trace.hpp"

asyncio::EventLoop loop;
std::map<std::string, asyncio::TimerHandle> handles;

void timer(std::string name) {
  trace::print("fired", name, "on time:", loop.time() >= handles[name].when());
}

void soon(std::string name) {
  trace::print("soon", name);
}

void in_batch() {
  trace::print("batch: call_later(0) then call_soon");
  loop.call_later(0, soon, std::string("timer 0"));
  loop.call_soon(soon, std::string("ready 1"));
  loop.call_soon(soon, std::string("ready 2"));
}

void stop() {
  loop.stop();
}

int main() {
  double t0 = loop.time();
  for (auto [name, delay] : {std::pair{"c", 0.03}, {"a", 0.01}, {"b", 0.02}}) {
    handles[name] = loop.call_later(delay, timer, std::string(name));
  }
  handles["at"] = loop.call_at(t0 + 0.015, timer, std::string("at"));
  trace::print("call_at keeps when:", handles["at"].when() == t0 + 0.015);
  trace::print("call_later adds the delay:", handles["c"].when() >= t0 + 0.03);
  loop.call_at(t0 + 0.04, stop);
  loop.run_forever();
  trace::print("elapsed at least 0.03:", loop.time() - t0 >= 0.03);

  // Equal deadlines keep registration order.
  double when = loop.time() + 0.005;
  loop.call_at(when, soon, std::string("tie first"));
  loop.call_at(when, soon, std::string("tie second"));
  loop.call_at(when + 0.001, stop);
  loop.run_forever();

  // An expired timer registered before a call_soon still runs after it.
  loop.call_later(0, soon, std::string("timer before run"));
  loop.call_soon(soon, std::string("ready before run"));
  loop.call_soon(in_batch);
  loop.call_later(0.01, stop);
  loop.run_forever();
  loop.close();
}
