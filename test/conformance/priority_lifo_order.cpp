// Mirrors CPython test_queues.PriorityQueueTests.test_order and LifoQueueTests.test_order,
// plus QueueFull/QueueEmpty from the *_nowait methods: PriorityQueue pops the smallest first
// (ties broken as heapq leaves them), LifoQueue the newest.
#include <asyncio/asyncio.hpp>

#include <string>
#include <utility>
#include <vector>

#include "trace.hpp"

struct Job {
  int priority;
  std::string name;
};

// Like Job.__lt__ in the Python script: priority only.
struct ByPriority {
  bool operator()(const Job& a, const Job& b) const { return a.priority < b.priority; }
};

asyncio::Coro<> main_coro() {
  asyncio::PriorityQueue<std::pair<int, std::string>> pq;
  std::vector<std::pair<int, std::string>> items{{3, "c"}, {1, "a"}, {2, "b"}, {1, "a2"}, {0, "z"}};
  for (auto& item : items) co_await pq.put(item);
  std::string line = "priority:";
  for (int i = 0; i < 5; ++i) {
    auto [p, n] = pq.get_nowait();
    line += " " + std::to_string(p) + n;
  }
  trace::print(line);

  asyncio::PriorityQueue<Job, ByPriority> ties;
  std::vector<Job> jobs{{1, "a"}, {0, "b"}, {1, "c"}, {0, "d"}, {1, "e"}, {0, "f"}, {1, "g"}};
  for (auto& job : jobs) ties.put_nowait(job);
  line = "ties:";
  for (int i = 0; i < 7; ++i) line += " " + ties.get_nowait().name;
  trace::print(line);

  asyncio::LifoQueue<int> lifo(3);
  for (int i : {1, 3, 2}) lifo.put_nowait(i);
  try {
    lifo.put_nowait(4);
  } catch (const asyncio::QueueFull&) {
    trace::print("QueueFull, qsize:", lifo.qsize());
  }
  line = "lifo:";
  for (int i = 0; i < 3; ++i) line += " " + std::to_string(co_await lifo.get());
  trace::print(line);
  try {
    lifo.get_nowait();
  } catch (const asyncio::QueueEmpty&) {
    trace::print("QueueEmpty");
  }
}

int main() {
  asyncio::run(main_coro());
}
