// Mirrors test_events.PolicyTests.test_get_event_loop_after_set_none, test_set_event_loop and
// GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop2: the pre-asyncio.run idiom
// set_event_loop(loop); loop.run_until_complete(gather(a(), b())), where gather and
// ensure_future run before the loop does; get_event_loop() is the running loop, else the loop
// set on this thread, else a RuntimeError naming the thread. set_event_loop(None) comes first:
// until then 3.12 and 3.13 would create a loop on the main thread (3.14 no longer does).
#include <asyncio/asyncio.hpp>

#include <pthread.h>

#include <memory>
#include <string>
#include <thread>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::EventLoop;

Coro<int> a() {
  co_await asyncio::sleep(0);
  trace::print("a runs");
  co_return 1;
}

Coro<int> b() {
  trace::print("b runs");
  co_return 2;
}

Coro<void> inside(EventLoop* loop) {
  trace::print("inside: the running loop, not the one set:",
               &asyncio::get_event_loop() == &asyncio::get_running_loop(),
               &asyncio::get_event_loop() != loop);
  co_return;
}

void attempt(const std::string& where) {
  try {
    asyncio::get_event_loop();
    trace::print(where, "-> a loop");
  } catch (const asyncio::RuntimeError& exc) {
    trace::print(where, "-> RuntimeError:", exc.what());
  }
}

int main() {
  asyncio::set_event_loop(nullptr);
  attempt("nothing set");
  std::shared_ptr<EventLoop> loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  trace::print("the loop set:", &asyncio::get_event_loop() == loop.get());
  auto [x, y] = loop->run_until_complete(asyncio::gather(a(), b()));
  trace::print("gather:", "[" + std::to_string(x) + ", " + std::to_string(y) + "]");
  asyncio::Task<int> task = asyncio::ensure_future(b());
  trace::print("ensure_future on the loop set:", &task.get_loop() == loop.get());
  trace::print("ensure_future:", loop->run_until_complete(task));
  {
    EventLoop other;
    other.run_until_complete(inside(loop.get()));
  }
  trace::print("after: the loop set again:", &asyncio::get_event_loop() == loop.get());
  std::thread thread([] {
    ::pthread_setname_np(::pthread_self(), "worker");  // threading.Thread(name="worker")
    attempt("another thread");
  });
  thread.join();
  asyncio::set_event_loop(nullptr);
  attempt("set to None");
  loop->close();
}
