// Mirrors CPython test_locks.BarrierTests.test_filling_task_by_task, test_draining_state,
// test_filling_tasks_wait_twice, test_abort_barrier and test_barrier_parties: parties pass
// together, get distinct indices, and see abort() as BrokenBarrierError.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> party(asyncio::Barrier& barrier, std::string name) {
  for (int phase = 0; phase < 2; ++phase) {
    trace::print(name, "arrives for phase", phase, "n_waiting:", barrier.n_waiting());
    int index = co_await barrier.wait();
    trace::print(name, "passes phase", phase, "with index", index);
  }
}

asyncio::Coro<> doomed(asyncio::Barrier& barrier, std::string name) {
  try {
    co_await barrier.wait();
  } catch (const asyncio::BrokenBarrierError& e) {
    trace::print(name, "BrokenBarrierError:", e.what());
  }
}

asyncio::Coro<> main_coro() {
  try {
    asyncio::Barrier bad(0);
  } catch (const std::invalid_argument& e) {
    trace::print("ValueError:", e.what());
  }
  asyncio::Barrier barrier(3);
  trace::print("parties:", barrier.parties());
  std::vector<asyncio::Coro<>> parties;
  for (int i = 0; i < 3; ++i) parties.push_back(party(barrier, "p" + std::to_string(i)));
  co_await asyncio::gather(parties);
  trace::print("n_waiting:", barrier.n_waiting(), "broken:", barrier.broken());
  std::vector<asyncio::Task<void>> tasks;
  for (int i = 0; i < 2; ++i) {
    tasks.push_back(asyncio::create_task(doomed(barrier, "d" + std::to_string(i))));
  }
  co_await asyncio::sleep(0);
  trace::print("n_waiting before abort:", barrier.n_waiting());
  co_await barrier.abort();
  co_await asyncio::gather(tasks);
  trace::print("broken:", barrier.broken());
  co_await doomed(barrier, "late");
  co_await barrier.reset();
  trace::print("after reset, broken:", barrier.broken());
}

int main() {
  asyncio::run(main_coro());
}
