// Mirrors CPython's documented scheduling (Task.__init__ schedules the first step with
// loop.call_soon; asyncio.sleep(0) is a bare yield) and test_tasks.BaseTaskTests.test_sleep_zero:
// create_task and call_soon share one FIFO, a new task first runs on the next iteration, and
// sleep(0) gives up exactly one iteration.
#include <asyncio/asyncio.hpp>

#include <string>

#include "trace.hpp"

void tick(std::string label) {
  trace::print("callback", label);
}

void counter(asyncio::EventLoop* loop, int n) {
  trace::print("iteration", n);
  if (n < 4) loop->call_soon(counter, loop, n + 1);
}

asyncio::Coro<> child(std::string name) {
  trace::print("task", name, "step 1");
  co_await asyncio::sleep(0);
  trace::print("task", name, "step 2");
}

asyncio::Coro<> yielder() {
  for (int i = 0; i < 3; ++i) {
    trace::print("yielder resumes", i);
    co_await asyncio::sleep(0);
  }
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  loop.call_soon(tick, "1");
  auto t1 = asyncio::create_task(child("A"));
  loop.call_soon(tick, "2");
  auto t2 = asyncio::create_task(child("B"));
  loop.call_soon(tick, "3");
  trace::print("main yields");
  co_await asyncio::sleep(0);
  trace::print("main resumes");
  co_await t1;
  co_await t2;
  trace::print("main: both children done");
  loop.call_soon(counter, &loop, 1);
  co_await asyncio::create_task(yielder());
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
