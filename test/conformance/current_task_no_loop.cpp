// Mirrors CPython test_tasks.BaseCurrentLoopTests.test_current_task_no_running_loop_implicit and
// asyncio.all_tasks' documented error: outside a running loop both raise
// RuntimeError('no running event loop').
#include <asyncio/asyncio.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "trace.hpp"

int main() {
  std::vector<std::pair<std::string, std::function<void()>>> cases{
      {"current_task", [] { asyncio::current_task(); }},
      {"all_tasks", [] { asyncio::all_tasks(); }}};
  for (auto& [name, fn] : cases) {
    try {
      fn();
      trace::print(name, "returned without a running loop");
    } catch (const asyncio::RuntimeError& e) {
      trace::print(name, "raises RuntimeError:", e.what());
    }
  }
}
