// Ports of CPython's test_asyncio/test_queues.py (3.13, with Queue.shutdown): the basic, get,
// put, Lifo and Priority tests (the join and shutdown mixins are in test_queues_join_shutdown.cpp);
// the private _getters/_putters are read from repr(), whose format is CPython's.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::Queue;
using asyncio::Task;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace sync_support;

namespace {

template <class T>
Coro<void> put_all(Queue<T>& q, std::vector<T> items) {
  for (auto& item : items) co_await q.put(std::move(item));
}

template <class T>
Coro<std::vector<T>> get_n(Queue<T>& q, int n) {
  std::vector<T> items;
  for (int i = 0; i < n; ++i) items.push_back(co_await q.get());
  co_return items;
}

}  // namespace

// ================================================================ QueueBasicTests

TEST_CASE("test_queues.QueueBasicTests.test_repr", "[queues]") {
  // Mirrors _test_repr_or_str for repr() and str(): the id only in repr; getters, putters
  // and items shown as CPython shows them.
  Queue<int> q;
  Queue<int> bounded(1);
  run_async([&]() -> Coro<void> {
    CHECK_THAT(q.repr(), StartsWith("<Queue at 0x"));
    CHECK(q.str() == "<Queue maxsize=0>");
    auto getter = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    CHECK_THAT(q.repr(), Contains(" _getters[1]"));
    CHECK(q.str() == "<Queue maxsize=0 _getters[1]>");
    q.put_nowait(0);
    int got = co_await getter;
    CHECK(got == 0);

    bounded.put_nowait(1);
    auto putter = asyncio::create_task(bounded.put(2));
    co_await asyncio::sleep(0);
    CHECK(bounded.str() == "<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>");
    bounded.get_nowait();
    co_await putter;

    Queue<std::string> strings;
    strings.put_nowait("a");
    strings.put_nowait("b");
    CHECK(strings.str() == "<Queue maxsize=0 _queue=['a', 'b'] tasks=2>");
  });
}

TEST_CASE("test_queues.QueueBasicTests.test_empty", "[queues]") {
  // Mirrors test_empty and test_full.
  Queue<int> q;
  Queue<int> q1(1);
  run_async([&]() -> Coro<void> {
    CHECK(q.empty());
    CHECK_FALSE(q.full());
    co_await q.put(1);
    CHECK_FALSE(q.empty());
    int got = co_await q.get();
    CHECK(got == 1);
    CHECK(q.empty());
    co_await q1.put(1);
    CHECK(q1.full());
    CHECK(q1.qsize() == 1);
  });
}

TEST_CASE("test_queues.QueueBasicTests.test_order", "[queues]") {
  // FIFO; also with move-only items.
  Queue<int> q;
  Queue<std::unique_ptr<int>> owned;
  run_async([&]() -> Coro<void> {
    std::vector<int> items{1, 3, 2};
    co_await put_all(q, items);
    std::vector<int> got = co_await get_n(q, 3);
    CHECK(got == std::vector<int>{1, 3, 2});
    co_await owned.put(std::make_unique<int>(7));
    owned.put_nowait(std::make_unique<int>(8));
    auto first = co_await owned.get();
    CHECK(*first == 7);
    CHECK(*owned.get_nowait() == 8);
  });
}

TEST_CASE("test_queues.QueueBasicTests.test_maxsize", "[queues]") {
  // A putter blocks once maxsize items are queued and resumes after a get.
  Queue<int> q(2);
  std::vector<int> have_been_put;
  auto putter = [&]() -> Coro<bool> {
    for (int i = 0; i < 3; ++i) {
      co_await q.put(i);
      have_been_put.push_back(i);
    }
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    CHECK(q.maxsize() == 2);
    auto t = asyncio::create_task(putter());
    for (int i = 0; i < 2; ++i) co_await asyncio::sleep(0);
    CHECK(have_been_put == std::vector<int>{0, 1});
    int got = co_await q.get();
    CHECK(got == 0);
    co_await asyncio::sleep(0);
    CHECK(have_been_put == std::vector<int>{0, 1, 2});
    std::vector<int> rest = co_await get_n(q, 2);
    CHECK(rest == std::vector<int>{1, 2});
    CHECK(t.done());
    CHECK(t.result());
  });
}

// ================================================================ QueueGetTests

TEST_CASE("test_queues.QueueGetTests.test_nonblocking_get", "[queues]") {
  // Mirrors test_nonblocking_get, test_nonblocking_get_exception, test_nonblocking_put and
  // test_nonblocking_put_exception.
  Queue<int> q;
  Queue<int> q1(1);
  q.put_nowait(1);
  CHECK(q.get_nowait() == 1);
  CHECK(raised_by_call([&] { q.get_nowait(); }) == "QueueEmpty");
  q1.put_nowait(1);
  CHECK(raised_by_call([&] { q1.put_nowait(2); }) == "QueueFull");
  CHECK(q1.qsize() == 1);
}

TEST_CASE("test_queues.QueueGetTests.test_get_with_putters", "[queues]") {
  // A get from a full queue wakes the blocked putter (via the future it waits on).
  Queue<int> q(1);
  run_async([&]() -> Coro<void> {
    co_await q.put(1);
    auto putter = asyncio::create_task(q.put(2));
    co_await asyncio::sleep(0);
    CHECK_THAT(q.str(), Contains("_putters[1]"));
    int got = co_await q.get();
    CHECK(got == 1);
    CHECK_THAT(q.str(), !Contains("_putters"));  // popped by the wakeup
    co_await putter;
    CHECK(q.get_nowait() == 2);
  });
}

TEST_CASE("test_queues.QueueGetTests.test_blocking_get_wait", "[queues]") {
  // get() waits for a put_nowait() made later by a timer callback.
  Queue<int> q;
  asyncio::Event started;
  bool finished = false;
  auto queue_get = [&]() -> Coro<int> {
    started.set();
    int res = co_await q.get();
    finished = true;
    co_return res;
  };
  run_async([&]() -> Coro<void> {
    auto task = asyncio::create_task(queue_get());
    co_await started.wait();
    CHECK_FALSE(finished);
    loop().call_later(0.01, [&q] { q.put_nowait(1); });
    int res = co_await task;
    CHECK(finished);
    CHECK(res == 1);
  });
}

TEST_CASE("test_queues.QueueGetTests.test_get_cancelled_race", "[queues]") {
  // A cancelled getter does not swallow the next item: the live getter gets it.
  Queue<std::string> q;
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(q.get());
    auto t2 = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    t1.cancel();
    co_await asyncio::sleep(0);
    CHECK(t1.done());
    co_await q.put("a");
    co_await asyncio::sleep(0);
    std::string got = co_await t2;
    CHECK(got == "a");
  });
}

TEST_CASE("test_queues.QueueGetTests.test_get_with_waiting_putters", "[queues]") {
  // Blocked putters are served in order as items are taken.
  Queue<std::string> q(1);
  run_async([&]() -> Coro<void> {
    auto pa = asyncio::create_task(q.put("a"));
    auto pb = asyncio::create_task(q.put("b"));
    std::string a = co_await q.get();
    std::string b = co_await q.get();
    CHECK(a == "a");
    CHECK(b == "b");
    co_await asyncio::gather(pa, pb);
  });
}

TEST_CASE("test_queues.QueueGetTests.test_why_are_getters_waiting", "[queues]") {
  // A producer and a consumer on Queue(1) hand over every item, in order.
  Queue<int> q(1);
  std::vector<int> consumed;
  auto consumer = [&](int n) -> Coro<void> {
    for (int i = 0; i < n; ++i) consumed.push_back(co_await q.get());
  };
  auto producer = [&](int n) -> Coro<void> {
    for (int i = 0; i < n; ++i) co_await q.put(i);
  };
  run_async([&]() -> Coro<void> {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      tg.create_task(producer(5));
      tg.create_task(consumer(5));
      co_return;
    });
    CHECK(consumed == std::vector<int>{0, 1, 2, 3, 4});
  });
}

TEST_CASE("test_queues.QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters",
          "[queues]") {
  // A get() cancelled by wait_for's timeout leaves no getter behind.
  Queue<int> q(5);
  run_async([&]() -> Coro<void> {
    std::string outcome = co_await raised_by(asyncio::wait_for(q.get(), 0.01));
    CHECK(outcome == "TimeoutError");
    CHECK(q.str() == "<Queue maxsize=5>");
  });
}

// ================================================================ QueuePutTests

TEST_CASE("test_queues.QueuePutTests.test_blocking_put_wait", "[queues]") {
  // put() on a full queue waits for a get_nowait() made later by a timer callback.
  Queue<int> q(1);
  asyncio::Event started;
  bool finished = false;
  auto queue_put = [&]() -> Coro<void> {
    started.set();
    co_await q.put(1);
    co_await q.put(2);
    finished = true;
  };
  run_async([&]() -> Coro<void> {
    loop().call_later(0.01, [&q] { q.get_nowait(); });
    auto task = asyncio::create_task(queue_put());
    co_await started.wait();
    CHECK_FALSE(finished);
    co_await task;
    CHECK(finished);
    CHECK(q.get_nowait() == 2);
  });
}

TEST_CASE("test_queues.QueuePutTests.test_get_cancel_drop_one_pending_reader", "[queues]") {
  // A reader cancelled after being handed an item must not drop it: it stays queued.
  Queue<int> q;
  run_async([&]() -> Coro<void> {
    auto reader = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    q.put_nowait(2);
    reader.cancel();
    std::string outcome = co_await raised_by(reader);
    if (outcome == "CancelledError") {
      reader = asyncio::create_task(q.get());
      co_await reader;
    }
    CHECK(reader.result() == 1);
  });
}

TEST_CASE("test_queues.QueuePutTests.test_get_cancel_drop_many_pending_readers", "[queues]") {
  // With three readers and two items, cancelling one reader still delivers both items.
  Queue<int> q;
  Task<int> reader1, reader2, reader3;
  std::string outcome1;
  run_async([&]() -> Coro<void> {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      reader1 = tg.create_task(q.get());
      reader2 = tg.create_task(q.get());
      reader3 = tg.create_task(q.get());
      co_await asyncio::sleep(0);
      q.put_nowait(1);
      q.put_nowait(2);
      reader1.cancel();
      outcome1 = co_await raised_by(reader1);
      co_await reader3;
    });
  });
  CHECK(outcome1 == "CancelledError");
  CHECK(std::set<int>{reader2.result(), reader3.result()} == std::set<int>{1, 2});
}

TEST_CASE("test_queues.QueuePutTests.test_put_cancel_drop", "[queues]") {
  // A writer cancelled after room was made does not put; retrying puts exactly once.
  Queue<int> q(1);
  run_async([&]() -> Coro<void> {
    q.put_nowait(1);
    auto writer = asyncio::create_task(q.put(2));
    co_await asyncio::sleep(0);
    CHECK(q.get_nowait() == 1);
    writer.cancel();
    std::string outcome = co_await raised_by(writer);
    if (outcome == "CancelledError") {
      writer = asyncio::create_task(q.put(2));
      co_await writer;
    }
    CHECK(q.get_nowait() == 2);
    CHECK(q.qsize() == 0);
  });
}

TEST_CASE("test_queues.QueuePutTests.test_put_cancel_drop: the room goes to the next writer",
          "[queues]") {
  // Queue.put's except clause: a putter woken by a get but cancelled before it runs wakes
  // the next putter instead, so the free slot is not lost.
  Queue<int> q(1);
  run_async([&]() -> Coro<void> {
    q.put_nowait(1);
    auto writer_a = asyncio::create_task(q.put(2));
    auto writer_b = asyncio::create_task(q.put(3));
    co_await asyncio::sleep(0);
    CHECK(q.get_nowait() == 1);  // wakes writer_a
    writer_a.cancel();
    std::string outcome = co_await raised_by(writer_a);
    CHECK(outcome == "CancelledError");
    co_await asyncio::sleep(0);
    CHECK(writer_b.done());
    CHECK(q.get_nowait() == 3);
  });
}

TEST_CASE("test_queues.QueuePutTests.test_put_cancelled_race", "[queues]") {
  // A cancelled putter between two live ones is skipped.
  Queue<std::string> q(1);
  run_async([&]() -> Coro<void> {
    auto put_a = asyncio::create_task(q.put("a"));
    auto put_b = asyncio::create_task(q.put("b"));
    auto put_c = asyncio::create_task(q.put("X"));
    co_await asyncio::sleep(0);
    CHECK(put_a.done());
    CHECK_FALSE(put_b.done());
    put_c.cancel();
    co_await asyncio::sleep(0);
    CHECK(put_c.done());
    CHECK(q.get_nowait() == "a");
    co_await asyncio::sleep(0);
    CHECK(q.get_nowait() == "b");
    co_await put_b;
  });
}

TEST_CASE("test_queues.QueuePutTests.test_put_with_waiting_getters", "[queues]") {
  // Mirrors test_put_with_waiting_getters and test_put_cancelled: a put goes to the getter.
  Queue<std::string> q;
  run_async([&]() -> Coro<void> {
    auto t = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    co_await q.put("a");
    std::string got = co_await t;
    CHECK(got == "a");
  });
}

TEST_CASE("test_queues.QueuePutTests.test_why_are_putters_waiting", "[queues]") {
  // Four putters on Queue(2) drained by get_nowait(): every putter finishes.
  Queue<int> q(2);
  auto putter = [&](int item) -> Coro<void> { co_await q.put(item); };
  auto getter = [&]() -> Coro<void> {
    co_await asyncio::sleep(0);
    auto num = q.qsize();
    for (std::size_t i = 0; i < num; ++i) q.get_nowait();
  };
  run_async([&]() -> Coro<void> {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      tg.create_task(getter());
      for (int i = 0; i < 4; ++i) tg.create_task(putter(i));
      co_return;
    });
    CHECK(q.qsize() == 2);
  });
}

TEST_CASE("test_queues.QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters",
          "[queues]") {
  // Mirrors it and test_cancelled_put_silence_value_error_exception: a cancelled putter
  // leaves no putter behind, even when a get already popped it.
  Queue<int> q(1);
  run_async([&]() -> Coro<void> {
    q.put_nowait(1);
    auto put_task = asyncio::create_task(q.put(1));
    co_await asyncio::sleep(0);
    CHECK_THAT(q.str(), Contains("_putters[1]"));
    put_task.cancel();
    std::string outcome = co_await raised_by(put_task);
    CHECK(outcome == "CancelledError");
    CHECK_THAT(q.str(), !Contains("_putters"));

    put_task = asyncio::create_task(q.put(1));
    co_await asyncio::sleep(0);
    q.get_nowait();  // pops the putter's future
    put_task.cancel();
    outcome = co_await raised_by(put_task);
    CHECK(outcome == "CancelledError");
    CHECK(q.empty());
  });
}

// ================================================================ Lifo and Priority

TEST_CASE("test_queues.LifoQueueTests.test_order", "[queues]") {
  // Last in, first out.
  asyncio::LifoQueue<int> q;
  run_async([&]() -> Coro<void> {
    std::vector<int> items{1, 3, 2};
    co_await put_all<int>(q, items);
    std::vector<int> got = co_await get_n<int>(q, 3);
    CHECK(got == std::vector<int>{2, 3, 1});
    CHECK(q.str() == "<LifoQueue maxsize=0 tasks=3>");
  });
}

TEST_CASE("test_queues.PriorityQueueTests.test_order", "[queues]") {
  // Smallest first, with the heap kept exactly as heapq keeps it.
  asyncio::PriorityQueue<int> q;
  run_async([&]() -> Coro<void> {
    std::vector<int> items{1, 3, 2, 5, 0, 4};
    co_await put_all<int>(q, items);
    CHECK_THAT(q.str(), Contains("_queue=[0, 1, 2, 5, 3, 4]"));  // heapq's layout
    std::vector<int> got = co_await get_n<int>(q, 6);
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4, 5});
  });
}

TEST_CASE("test_queues.PriorityQueueTests.test_order: ties and Compare", "[queues]") {
  // Items equal under Compare come out in heapq's (unstable) order, computed with CPython:
  // pushing (1,a) (0,b) (1,c) (0,d) (1,e) (0,f) (1,g) pops b f d c g e a.
  struct ByPriority {
    bool operator()(const std::pair<int, char>& a, const std::pair<int, char>& b) const {
      return a.first < b.first;
    }
  };
  asyncio::PriorityQueue<std::pair<int, char>, ByPriority> q;
  for (auto [p, label] : std::vector<std::pair<int, char>>{
           {1, 'a'}, {0, 'b'}, {1, 'c'}, {0, 'd'}, {1, 'e'}, {0, 'f'}, {1, 'g'}}) {
    q.put_nowait({p, label});
  }
  std::string order;
  while (!q.empty()) order += q.get_nowait().second;
  CHECK(order == "bfdcgea");

  asyncio::PriorityQueue<int, std::greater<int>> largest_first;
  for (int i : {2, 9, 4}) largest_first.put_nowait(i);
  CHECK(largest_first.get_nowait() == 9);
}

TEST_CASE("test_queues: a queue is bound to one event loop", "[queues]") {
  // mixins._LoopBoundMixin, which Queue uses: once it waited on a loop, others are refused.
  Queue<int> q;
  asyncio::EventLoop first;
  first.run_until_complete([&]() -> Coro<void> {
    auto getter = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    co_await getter;
  }());
  run_async([&]() -> Coro<void> {
    std::string outcome = co_await raised_by(q.get());
    CHECK_THAT(outcome, Contains("is bound to a different event loop"));
    q.put_nowait(2);  // no waiting, no loop involved
    int got = co_await q.get();
    CHECK(got == 2);
  });
}
