// Mirrors CPython test_tasks.BaseTaskTests.test_wait, test_wait_first_completed,
// test_wait_first_exception, test_wait_with_exception and test_wait_with_timeout: wait()
// returns (done, pending) once its condition holds and never raises the tasks' exceptions.
// Python returns sets and asyncio-cpp input-ordered vectors: both sides print sorted names.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "trace.hpp"

using Spec = std::tuple<std::string, double, bool>;

asyncio::Coro<double> job(double delay, bool fail) {
  co_await asyncio::sleep(delay);
  if (fail) throw std::invalid_argument("job failed");
  co_return delay;
}

std::string names(const std::vector<asyncio::Future<double>>& tasks) {
  std::vector<std::string> sorted;
  for (auto& t : tasks) sorted.push_back(asyncio::TaskRef(t.state_ptr()).get_name());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (auto& name : sorted) out += (out.empty() ? "" : " ") + name;
  return out.empty() ? "-" : out;
}

std::vector<asyncio::Task<double>> start(std::vector<Spec> specs) {
  std::vector<asyncio::Task<double>> tasks;
  for (auto& [name, delay, fail] : specs)
    tasks.push_back(asyncio::create_task(job(delay, fail), name));
  return tasks;
}

asyncio::Coro<> show(std::string label, std::vector<asyncio::Task<double>> tasks,
                     std::optional<double> timeout = std::nullopt,
                     asyncio::ReturnWhen return_when = asyncio::ALL_COMPLETED) {
  auto [done, pending] = co_await asyncio::wait(tasks, timeout, return_when);
  trace::print(label + ": done [" + names(done) + "] pending [" + names(pending) + "]");
  for (auto& t : pending) t.cancel();
  co_await asyncio::wait(tasks);
}

asyncio::Coro<> main_coro() {
  std::vector<Spec> specs{{"slow", 0.1, false}, {"fast", 0.01, false}, {"mid", 0.05, false}};
  co_await show("FIRST_COMPLETED", start(specs), std::nullopt, asyncio::FIRST_COMPLETED);
  co_await show("ALL_COMPLETED", start(specs), std::nullopt, asyncio::ALL_COMPLETED);

  specs = {{"ok", 0.01, false}, {"bad", 0.02, true}, {"late", 10, false}};
  auto tasks = start(specs);
  co_await show("FIRST_EXCEPTION", tasks, std::nullopt, asyncio::FIRST_EXCEPTION);
  try {
    std::rethrow_exception(tasks[1].exception());
  } catch (const std::invalid_argument& e) {
    trace::print("bad's exception is kept:", e.what());
  }
  std::vector<Spec> first_only(specs.begin(), specs.begin() + 1);
  co_await show("FIRST_EXCEPTION, no failure", start(first_only), std::nullopt,
                asyncio::FIRST_EXCEPTION);

  specs = {{"quick", 0.01, false}, {"stuck", 10, false}};
  co_await show("timeout", start(specs), 0.1);
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
