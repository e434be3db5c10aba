// Mirrors CPython test_queues._QueueJoinTestMixin.test_task_done, test_join_empty_queue and
// test_task_done_underflow: join() returns once task_done() was called for every item.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> worker(asyncio::Queue<int>& q, std::string name) {
  for (;;) {
    int item = co_await q.get();
    trace::print(name, "processing", item);
    co_await asyncio::sleep(0);
    q.task_done();
    trace::print(name, "done with", item);
  }
}

asyncio::Coro<> main_coro() {
  asyncio::Queue<int> q;
  co_await q.join();
  trace::print("join on an empty queue returned");
  for (int i = 0; i < 5; ++i) q.put_nowait(i);
  std::vector<asyncio::Task<void>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(asyncio::create_task(worker(q, "w" + std::to_string(i))));
  }
  trace::print("joining");
  co_await q.join();
  trace::print("joined, qsize:", q.qsize());
  for (auto& w : workers) w.cancel();
  for (auto& w : workers) {
    try {
      co_await w;
    } catch (const asyncio::CancelledError&) {
    }
  }
  try {
    q.task_done();
  } catch (const std::invalid_argument& e) {
    trace::print("ValueError:", e.what());
  }
}

int main() {
  asyncio::run(main_coro());
}
