// Mirrors CPython test_queues.QueueBasicTests.test_maxsize and
// QueueGetTests.test_why_are_getters_waiting: a producer and a consumer on Queue(maxsize=2)
// block and wake each other in exactly asyncio's order.
#include <asyncio/asyncio.hpp>

#include <optional>
#include <string>

#include "trace.hpp"

using Item = std::optional<int>;  // std::nullopt plays Python's None

asyncio::Coro<> producer(asyncio::Queue<Item>& q) {
  for (int i = 0; i < 6; ++i) {
    trace::print("put", i, "qsize:", q.qsize(), "full:", q.full());
    co_await q.put(i);
    trace::print("put", i, "done");
  }
  co_await q.put(std::nullopt);
}

asyncio::Coro<> consumer(asyncio::Queue<Item>& q) {
  for (;;) {
    trace::print("get, qsize:", q.qsize());
    Item item = co_await q.get();
    trace::print("got", item ? std::to_string(*item) : "None");
    if (!item) co_return;
    if (*item % 2) co_await asyncio::sleep(0);
  }
}

asyncio::Coro<> main_coro() {
  asyncio::Queue<Item> q(2);
  trace::print("maxsize:", q.maxsize(), "empty:", q.empty());
  co_await asyncio::gather(producer(q), consumer(q));
  trace::print("empty at end:", q.empty());
}

int main() {
  asyncio::run(main_coro());
}
