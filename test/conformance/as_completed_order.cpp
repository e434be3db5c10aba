// Mirrors CPython test_tasks.BaseTaskTests.test_as_completed,
// test_as_completed_with_timeout and test_as_completed_with_unused_timeout: results arrive in
// completion order, not argument order; once the timeout passes the remaining awaitables
// raise TimeoutError; an unused timeout changes nothing.
#include <asyncio/asyncio.hpp>

#include <string>
#include <vector>

#include "trace.hpp"

using asyncio::Task;

asyncio::Coro<std::string> job(std::string name, double delay) {
  co_await asyncio::sleep(delay);
  co_return name;
}

asyncio::Coro<> main_coro() {
  std::vector<Task<std::string>> tasks{asyncio::create_task(job("slow", 0.03)),
                                       asyncio::create_task(job("fast", 0.01)),
                                       asyncio::create_task(job("mid", 0.02))};
  for (auto& aw : asyncio::as_completed(tasks)) {
    trace::print("completed:", co_await aw);
  }

  auto stuck = asyncio::create_task(job("stuck", 10));
  tasks = {stuck, asyncio::create_task(job("quick", 0.01))};
  for (auto& aw : asyncio::as_completed(tasks, 0.1)) {
    try {
      trace::print("with timeout, completed:", co_await aw);
    } catch (const asyncio::TimeoutError&) {
      trace::print("with timeout: TimeoutError; stuck done:", stuck.done());
    }
  }
  stuck.cancel();
  std::vector<Task<std::string>> leftover{stuck};
  co_await asyncio::wait(leftover);

  tasks = {asyncio::create_task(job("b", 0.02)), asyncio::create_task(job("a", 0.01))};
  for (auto& aw : asyncio::as_completed(tasks, 1)) {
    trace::print("unused timeout, completed:", co_await aw);
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
