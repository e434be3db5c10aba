// Mirrors CPython test_tasks.BaseTaskTests.test_current_task,
// test_current_task_with_interleaving_tasks and asyncio.all_tasks' documented contract:
// current_task() is the task whose step is running (None in a plain callback); all_tasks()
// holds the loop's tasks that are not done. Tasks get explicit names: Python's default
// 'Task-N' counter is process-wide.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "trace.hpp"

std::string names(const std::vector<asyncio::TaskRef>& tasks) {
  std::vector<std::string> sorted;
  for (auto& t : tasks) sorted.push_back(t.get_name());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (auto& name : sorted) out += (out.empty() ? "" : " ") + name;
  return out;
}

void plain_callback() {
  trace::print("in a plain callback, current_task() is None:", !asyncio::current_task());
}

asyncio::Coro<> worker(std::string label, asyncio::Future<> gate) {
  trace::print(label, "runs as", asyncio::current_task().get_name());
  co_await gate;
  trace::print(label, "resumes as", asyncio::current_task().get_name());
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::TaskRef me = asyncio::current_task();
  trace::print("main runs as", me.get_name());
  auto gate = loop.create_future();
  auto a = asyncio::create_task(worker("a", gate), "worker-a");
  auto b = asyncio::create_task(worker("b", gate), "worker-b");
  trace::print("all_tasks before the workers start:", names(asyncio::all_tasks()));
  co_await asyncio::sleep(0);
  trace::print("all_tasks while they wait:", names(asyncio::all_tasks()));
  gate.set_result();
  co_await a;
  co_await b;
  trace::print("all_tasks once they are done:", names(asyncio::all_tasks()));
  trace::print("current_task() is still main:", asyncio::current_task() == me);
  b.set_name("renamed");
  trace::print("set_name:", b.get_name());
  loop.call_soon(plain_callback);
  co_await asyncio::sleep(0);
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(loop.create_task(main_coro(), "main"));
  loop.close();
}
