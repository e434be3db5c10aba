// Mirrors CPython 3.14's test_asyncio/test_graph.py (test_stack_task, test_stack_gather,
// test_stack_shield, test_stack_tgroup, test_stack_future) as a recorded structure: 3.11-3.13
// have no asyncio.graph, so the Python side rebuilds 3.14's graph of a future from what they
// do have; this side reads asyncio::capture_call_graph. Both sides print each task as T<name>
// (T<anon> for Task-N) or F, its frames innermost first, the library's own frames left out,
// and the graphs awaiting it sorted.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "trace.hpp"

std::vector<std::string> user_frames(const asyncio::FutureCallGraph& graph) {
  std::vector<std::string> names;
  for (const auto& entry : graph.call_stack) {
    if (entry.name().rfind("asyncio::", 0) != 0) names.push_back(entry.name());
  }
  return names;
}

void render(const asyncio::FutureCallGraph& graph, int level, std::vector<std::string>& lines) {
  std::string head = "F []";
  if (graph.is_task()) {
    std::string name = graph.future->task->get_name();
    head = name.find('-') != std::string::npos ? "T<anon>" : "T<" + name + ">";
    std::string frames;
    for (const auto& f : user_frames(graph)) frames += (frames.empty() ? "" : " ") + f;
    head += " [" + frames + "]";
  }
  std::vector<std::vector<std::string>> children;
  for (const auto& parent : graph.awaited_by) {
    std::vector<std::string> sub;
    render(parent, level + 1, sub);
    children.push_back(sub);
  }
  lines.push_back(std::string(4 * level, ' ') + head);
  std::sort(children.begin(), children.end());
  for (const auto& sub : children) lines.insert(lines.end(), sub.begin(), sub.end());
}

void report(asyncio::Future<> gate, asyncio::Future<> done) {
  std::vector<std::string> lines;
  render(asyncio::capture_call_graph(gate), 0, lines);
  trace::print("the gate's graph:");
  for (const auto& line : lines) trace::print(line);
  done.set_result();
}

asyncio::Coro<> leaf(asyncio::Future<> gate) {
  co_await gate;
}

asyncio::Coro<> middle(asyncio::Future<> gate) {
  co_await leaf(gate);
}

asyncio::Coro<> waiter(asyncio::Task<> task) {
  co_await task;
}

asyncio::Coro<> grouped(asyncio::Future<> gate) {
  asyncio::TaskGroup tg;
  co_await tg.run([&]() -> asyncio::Coro<> {
    tg.create_task(leaf(gate), "child_a");
    tg.create_task(middle(gate), "child_b");
    co_return;
  });
}

asyncio::Coro<> gathering(asyncio::Future<> gate) {
  co_await asyncio::gather(middle(gate), leaf(gate));
}

asyncio::Coro<> shielding(asyncio::Future<> gate) {
  co_await asyncio::shield(asyncio::create_task(middle(gate), "shielded"));
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto gate = loop.create_future();
  auto done = loop.create_future();
  auto worker = asyncio::create_task(middle(gate), "worker");
  std::vector<asyncio::Task<>> tasks = {
      worker,
      asyncio::create_task(waiter(worker), "watcher"),
      asyncio::create_task(grouped(gate), "grouped"),
      asyncio::create_task(gathering(gate), "gathering"),
      asyncio::create_task(shielding(gate), "shielding"),
  };
  for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
  loop.call_soon(report, gate, done);
  co_await done;
  gate.set_result();
  for (auto& task : tasks) co_await task;
  trace::print("all done");
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(loop.create_task(main_coro(), "main"));
  loop.close();
}
