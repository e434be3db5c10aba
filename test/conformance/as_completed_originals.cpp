// cpython: 3.13+
// Mirrors CPython test_tasks.BaseTaskTests.test_as_completed_same_tasks_in_as_out and the
// try_async_iterator halves of test_as_completed and test_as_completed_with_timeout: 3.13's
// `async for t in as_completed(fs)` gives the original tasks and futures, in completion order,
// then TimeoutError once the timeout passes; plain iteration still gives the results.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "trace.hpp"

using namespace std::chrono_literals;

asyncio::Coro<int> job(asyncio::Future<int> gate) {
  co_return co_await gate;
}

asyncio::Coro<> main_coro() {
  auto& loop = asyncio::get_running_loop();
  std::vector<asyncio::Future<int>> gates;
  for (int i = 0; i < 3; ++i) gates.push_back(loop.create_future<int>());
  std::vector<asyncio::Task<int>> tasks;
  for (std::string name : {"a", "b", "c"})
    tasks.push_back(asyncio::create_task(job(gates[tasks.size()]), name));
  gates[2].set_result(2);
  std::vector<int> later{0, 1};
  for (auto next : asyncio::aiter(asyncio::as_completed(tasks))) {
    auto t = co_await next;
    bool original = std::find(tasks.begin(), tasks.end(), t) != tasks.end();
    trace::print("got", t.get_name(), "original:", original, "result:", t.result());
    if (!later.empty()) {
      int index = later.front();
      later.erase(later.begin());
      gates[static_cast<std::size_t>(index)].set_result(index);
    }
  }

  auto number = asyncio::create_task(job(gates[0]));
  auto text = loop.create_future<std::string>();
  text.set_result("x");
  for (auto next : asyncio::aiter(asyncio::as_completed({number, text}))) {
    auto f = co_await next;
    if (f == number) {
      trace::print("mixed: got the", "task", "result:", f.result<int>());
    } else {
      trace::print("mixed: got the", "future", "result:", f.result<std::string>());
    }
  }

  auto stuck = loop.create_future<int>();
  auto quick = loop.create_future<int>();
  loop.call_soon([quick]() mutable { quick.set_result(1); });
  try {
    std::vector<asyncio::Future<int>> fs{stuck, quick};
    for (auto next : asyncio::aiter(asyncio::as_completed(fs, 50ms))) {
      auto f = co_await next;
      trace::print("with timeout: got quick:", f == quick);
    }
  } catch (const asyncio::TimeoutError&) {
    trace::print("with timeout: TimeoutError, stuck done:", stuck.done());
  }

  std::vector<asyncio::Future<int>> only_quick{quick};
  for (auto& aw : asyncio::as_completed(only_quick)) {
    trace::print("plain iteration gives the result:", co_await aw);
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
