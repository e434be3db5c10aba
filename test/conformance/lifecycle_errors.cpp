// Mirrors CPython test_events.EventLoopTestsMixin.test_close_running_event_loop,
// test_close, test_run_until_complete_nesting and
// test_base_events.BaseEventLoopTests.test_running_loop_within_a_loop: the loop's
// lifecycle errors and their exact messages; close() twice is fine.
#include <asyncio/asyncio.hpp>

#include <functional>

#include "trace.hpp"

asyncio::EventLoop loop;
asyncio::EventLoop other;

void attempt(std::string name, const std::function<void()>& fn) {
  try {
    fn();
    trace::print(name, "-> ok");
  } catch (const asyncio::RuntimeError& exc) {
    trace::print(name, "-> RuntimeError:", exc.what());
  }
}

void noop() {}

void inside() {
  trace::print("inside: running", loop.is_running(), "closed", loop.is_closed());
  attempt("run_forever inside", [] { loop.run_forever(); });
  attempt("run_until_complete inside", [] { loop.run_until_complete(asyncio::Future<>(loop)); });
  attempt("close inside", [] { loop.close(); });
  attempt("other.run_forever inside", [] { other.run_forever(); });
  trace::print("other loop running:", other.is_running());
  loop.stop();
}

int main() {
  trace::print("fresh: running", loop.is_running(), "closed", loop.is_closed());
  loop.call_soon(inside);
  loop.run_forever();
  trace::print("after run: running", loop.is_running(), "closed", loop.is_closed());
  attempt("other.run_forever after", [] {
    other.call_soon([] { other.stop(); });
    other.run_forever();
  });
  attempt("close", [] { loop.close(); });
  attempt("close again", [] { loop.close(); });
  trace::print("closed: running", loop.is_running(), "closed", loop.is_closed());
  attempt("call_soon", [] { loop.call_soon(noop); });
  attempt("call_soon_threadsafe", [] { loop.call_soon_threadsafe(noop); });
  attempt("call_later", [] { loop.call_later(1, noop); });
  attempt("call_at", [] { loop.call_at(loop.time() + 1, noop); });
  attempt("run_forever", [] { loop.run_forever(); });
  attempt("run_until_complete", [] { loop.run_until_complete(asyncio::Future<>(loop)); });
  attempt("add_reader", [] { loop.add_reader(0, noop); });
  trace::print("remove_reader on closed loop:", loop.remove_reader(0));
  trace::print("remove_writer on closed loop:", loop.remove_writer(1));
  other.close();
}
