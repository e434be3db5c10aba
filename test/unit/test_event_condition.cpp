// Ports of CPython's test_locks.py (3.13): EventTests and ConditionTests.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <string>
#include <vector>

using asyncio::Coro;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using namespace sync_support;

// ================================================================ Event

TEST_CASE("test_locks.EventTests.test_repr", "[locks]") {
  // repr shows set/unset and the number of waiters.
  asyncio::Event ev;
  run_async([&]() -> Coro<void> {
    CHECK_THAT(ev.repr(), EndsWith("[unset]>"));
    CHECK(repr_ok(ev.repr()));
    auto waiter = asyncio::create_task(ev.wait());
    co_await asyncio::sleep(0);
    CHECK_THAT(ev.repr(), Contains("waiters:1"));
    CHECK(repr_ok(ev.repr()));
    ev.set();
    CHECK_THAT(ev.repr(), EndsWith("[set, waiters:1]>"));
    co_await waiter;
    CHECK_THAT(ev.repr(), EndsWith("[set]>"));
  });
}

TEST_CASE("test_locks.EventTests.test_wait", "[locks]") {
  // set() wakes every waiter; a task started after set() does not wait at all.
  asyncio::Event ev;
  std::vector<int> result;
  auto c = [&](int n) -> Coro<void> {
    if (co_await ev.wait()) result.push_back(n);
  };
  run_async([&]() -> Coro<void> {
    CHECK_FALSE(ev.is_set());
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    auto t3 = asyncio::create_task(c(3));
    ev.set();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{3, 1, 2});
    CHECK(t1.done());
    CHECK(t2.done());
    CHECK(t3.done());
  });
}

TEST_CASE("test_locks.EventTests.test_wait_on_set", "[locks]") {
  // wait() on a set event returns true at once.
  asyncio::Event ev;
  run_async([&]() -> Coro<void> {
    ev.set();
    bool res = co_await ev.wait();
    CHECK(res);
  });
}

TEST_CASE("test_locks.EventTests.test_wait_cancel", "[locks]") {
  // A cancelled wait() leaves no waiter behind.
  asyncio::Event ev;
  run_async([&]() -> Coro<void> {
    auto wait = asyncio::create_task(ev.wait());
    cancel_soon(wait);
    std::string outcome = co_await raised_by(wait);
    CHECK(outcome == "CancelledError");
    CHECK(waiters_in(ev.repr()) == 0);
  });
}

TEST_CASE("test_locks.EventTests.test_clear_with_waiters", "[locks]") {
  // Mirrors test_clear and test_clear_with_waiters: clear() after set() does not take the
  // wakeup back; the woken waiter leaves the waiters only when it runs.
  asyncio::Event ev;
  std::vector<int> result;
  auto c1 = [&]() -> Coro<bool> {
    if (co_await ev.wait()) result.push_back(1);
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    auto t = asyncio::create_task(c1());
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    ev.set();
    ev.clear();
    CHECK_FALSE(ev.is_set());
    ev.set();
    ev.set();
    CHECK(waiters_in(ev.repr()) == 1);
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    CHECK(waiters_in(ev.repr()) == 0);
    CHECK(t.done());
    CHECK(t.result());
  });
}

// ================================================================ Condition

TEST_CASE("test_locks.ConditionTests.test_ambiguous_loops", "[locks]") {
  // mixins._LoopBoundMixin: a primitive that waited on one loop refuses to wait on another
  // (checked before the condition releases the lock); the fast paths never look at the loop.
  asyncio::Lock lock;
  asyncio::Condition cond(lock);
  auto waiter = [&]() -> Coro<void> {
    auto guard = co_await cond;
    co_await cond.wait();
  };
  asyncio::EventLoop first;  // stays alive: the next loop cannot reuse its address
  first.run_until_complete([&]() -> Coro<void> {
    co_await lock.acquire();
    auto contender = asyncio::create_task(lock.acquire());  // binds the lock
    co_await asyncio::sleep(0);
    lock.release();
    co_await contender;
    lock.release();
    auto w = asyncio::create_task(waiter());  // binds the condition
    co_await asyncio::sleep(0);
    co_await cond.acquire();
    cond.notify();
    cond.release();
    co_await w;
  }());
  CHECK_FALSE(lock.locked());

  run_async([&]() -> Coro<void> {
    co_await lock.acquire();  // the fast path works on any loop
    CHECK(lock.locked());
    std::string error = co_await raised_by(lock.acquire());
    CHECK_THAT(error, Contains("is bound to a different event loop"));
    CHECK_THAT(error, Contains("<asyncio.locks.Lock object at"));
    error = co_await raised_by(cond.wait());
    CHECK_THAT(error, Contains("is bound to a different event loop"));
    CHECK_THAT(error, Contains("<asyncio.locks.Condition object at"));
    CHECK(lock.locked());
    lock.release();
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait", "[locks]") {
  // notify(n) wakes the first n waiters, each of which must then re-take the lock in turn.
  asyncio::Condition cond;
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    co_await cond.acquire();
    if (co_await cond.wait()) result.push_back(n);
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    auto t3 = asyncio::create_task(c(3));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    CHECK_FALSE(cond.locked());

    bool got = co_await cond.acquire();
    CHECK(got);
    cond.notify();
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    CHECK(cond.locked());

    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    CHECK(cond.locked());

    cond.notify(2);
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    CHECK(cond.locked());

    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2});
    CHECK(cond.locked());

    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2, 3});
    CHECK(cond.locked());
    for (auto& t : {t1, t2, t3}) CHECK(t.result());
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait_cancel", "[locks]") {
  // A cancelled wait() still re-takes the lock before raising.
  asyncio::Condition cond;
  run_async([&]() -> Coro<void> {
    co_await cond.acquire();
    auto wait = asyncio::create_task(cond.wait());
    cancel_soon(wait);
    std::string outcome = co_await raised_by(wait);
    CHECK(outcome == "CancelledError");
    CHECK(waiters_in(cond.repr()) == 0);
    CHECK(cond.locked());
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait_cancel_contested", "[locks]") {
  // Notified, then cancelled while the lock is contested: wait() ends holding the lock.
  asyncio::Condition cond;
  run_async([&]() -> Coro<void> {
    co_await cond.acquire();
    CHECK(cond.locked());
    auto wait_task = asyncio::create_task(cond.wait());
    co_await asyncio::sleep(0);
    CHECK_FALSE(cond.locked());

    co_await cond.acquire();
    CHECK(cond.locked());
    cond.notify();
    cancel_soon(wait_task);
    loop().call_soon([&cond] { cond.release(); });
    std::string outcome = co_await raised_by(wait_task);
    CHECK((outcome == "ok" || outcome == "CancelledError"));
    CHECK(cond.locked());
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait_cancel_after_notify", "[locks]") {
  // bpo-32841: cancelled while re-taking the lock after a notify: the task ends cancelled.
  asyncio::Condition cond;
  bool waited = false;
  auto wait_on_cond = [&]() -> Coro<void> {
    auto guard = co_await cond;
    waited = true;
    co_await cond.wait();
  };
  run_async([&]() -> Coro<void> {
    auto waiter = asyncio::create_task(wait_on_cond());
    co_await asyncio::sleep(0);
    co_await cond.acquire();
    cond.notify();
    co_await asyncio::sleep(0);  // the waiter is in acquire() now
    waiter.cancel();
    co_await asyncio::sleep(0);  // the cancellation is delivered
    cond.release();
    co_await asyncio::sleep(0);  // the waiter takes the lock, then raises
    CHECK(waiter.cancelled());
    CHECK(waited);
    CHECK_FALSE(cond.locked());
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait_unacquired", "[locks]") {
  // Mirrors test_wait_unacquired and test_notify_unacquired / test_notify_all_unacquired.
  asyncio::Condition cond;
  CHECK(raised_by_call([&] { cond.notify(); }) ==
        "RuntimeError: cannot notify on un-acquired lock");
  CHECK(raised_by_call([&] { cond.notify_all(); }) ==
        "RuntimeError: cannot notify on un-acquired lock");
  run_async([&]() -> Coro<void> {
    std::string outcome = co_await raised_by(cond.wait());
    CHECK(outcome == "RuntimeError: cannot wait on un-acquired lock");
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait_for", "[locks]") {
  // wait_for() waits again after each notify until the predicate holds.
  asyncio::Condition cond;
  bool presult = false;
  std::vector<int> result;
  auto c1 = [&]() -> Coro<bool> {
    co_await cond.acquire();
    if (co_await cond.wait_for([&] { return presult; })) {
      result.push_back(1);
      cond.release();
    }
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    auto t = asyncio::create_task(c1());
    co_await asyncio::sleep(0);
    CHECK(result.empty());

    co_await cond.acquire();
    cond.notify();
    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result.empty());

    presult = true;
    co_await cond.acquire();
    cond.notify();
    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    CHECK(t.done());
    CHECK(t.result());
  });
}

TEST_CASE("test_locks.ConditionTests.test_wait_for_unacquired", "[locks]") {
  // A predicate true at once is returned without the lock; otherwise wait() complains.
  asyncio::Condition cond;
  run_async([&]() -> Coro<void> {
    int res = co_await cond.wait_for([] { return 123; });
    CHECK(res == 123);
    std::string outcome = co_await raised_by(cond.wait_for([] { return false; }));
    CHECK(outcome == "RuntimeError: cannot wait on un-acquired lock");
  });
}

TEST_CASE("test_locks.ConditionTests.test_notify", "[locks]") {
  // notify(1) wakes the oldest waiter; notify(2048) wakes all that are left, in order.
  asyncio::Condition cond;
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    co_await cond.acquire();
    if (co_await cond.wait()) {
      result.push_back(n);
      cond.release();
    }
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    auto t3 = asyncio::create_task(c(3));
    co_await asyncio::sleep(0);
    CHECK(result.empty());

    co_await cond.acquire();
    cond.notify(1);
    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});

    co_await cond.acquire();
    cond.notify(1);
    cond.notify(2048);
    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2, 3});
    for (auto& t : {t1, t2, t3}) CHECK(t.result());
  });
}

TEST_CASE("test_locks.ConditionTests.test_notify_all", "[locks]") {
  // notify_all() wakes every waiter, in FIFO order.
  asyncio::Condition cond;
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    co_await cond.acquire();
    if (co_await cond.wait()) {
      result.push_back(n);
      cond.release();
    }
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    co_await cond.acquire();
    cond.notify_all();
    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2});
    CHECK(t1.result());
    CHECK(t2.result());
  });
}

TEST_CASE("test_locks.ConditionTests.test_repr", "[locks]") {
  // repr shows the lock's state and the number of waiters.
  asyncio::Condition cond;
  auto waiter = [&]() -> Coro<void> {
    auto guard = co_await cond;
    co_await cond.wait();
  };
  run_async([&]() -> Coro<void> {
    CHECK_THAT(cond.repr(), EndsWith("[unlocked]>"));
    CHECK(repr_ok(cond.repr()));
    co_await cond.acquire();
    CHECK_THAT(cond.repr(), EndsWith("[locked]>"));
    CHECK(repr_ok(cond.repr()));
    cond.release();
    auto w1 = asyncio::create_task(waiter());
    auto w2 = asyncio::create_task(waiter());
    co_await asyncio::sleep(0);
    CHECK_THAT(cond.repr(), EndsWith("[unlocked, waiters:2]>"));
    CHECK(repr_ok(cond.repr()));
    co_await cond.acquire();
    cond.notify_all();
    cond.release();
    co_await asyncio::gather(w1, w2);
    CHECK_THAT(cond.repr(), EndsWith("[unlocked]>"));
  });
}

TEST_CASE("test_locks.ConditionTests.test_explicit_lock", "[locks]") {
  // A condition over a given lock: holding either one holds both.
  auto check = [](asyncio::Lock& lock, asyncio::Condition& cond) -> Coro<void> {
    CHECK_FALSE(lock.locked());
    CHECK_FALSE(cond.locked());
    {
      auto guard = co_await cond;
      CHECK(lock.locked());
      CHECK(cond.locked());
    }
    CHECK_FALSE(lock.locked());
    CHECK_FALSE(cond.locked());
    {
      auto guard = co_await lock;
      CHECK(lock.locked());
      CHECK(cond.locked());
    }
    CHECK_FALSE(lock.locked());
    CHECK_FALSE(cond.locked());
  };
  asyncio::Lock lock;
  asyncio::Condition cond(lock);
  run_async([&]() -> Coro<void> { co_await check(lock, cond); });
}

TEST_CASE("test_locks.ConditionTests.test_timeout_in_block", "[locks]") {
  // wait_for(cond.wait(), timeout) times out, and the lock is held again afterwards.
  asyncio::Condition cond;
  run_async([&]() -> Coro<void> {
    auto guard = co_await cond;
    std::string outcome = co_await raised_by(asyncio::wait_for(cond.wait(), 0.01));
    CHECK(outcome == "TimeoutError");
    CHECK(cond.locked());
  });
}

TEST_CASE("test_locks.ConditionTests.test_cancelled_error_wakeup", "[locks]") {
  // A cancellation received while waiting for the notify comes out unchanged.
  asyncio::Condition cond;
  std::string raised;
  auto func = [&]() -> Coro<void> {
    auto guard = co_await cond;
    std::exception_ptr error;
    try {
      co_await cond.wait_for([] { return false; });
    } catch (const asyncio::CancelledError&) {
      error = std::current_exception();
    }
    raised = error ? python_error(error) : "nothing";
    if (error) std::rethrow_exception(error);
  };
  run_async([&]() -> Coro<void> {
    auto task = asyncio::create_task(func());
    co_await asyncio::sleep(0);
    task.cancel("foo");
    std::string outcome = co_await raised_by(task);
    CHECK(outcome == "CancelledError: foo");
    CHECK(raised == "CancelledError: foo");
    CHECK_FALSE(cond.locked());
  });
}

TEST_CASE("test_locks.ConditionTests.test_cancelled_error_re_aquire", "[locks]") {
  // A cancellation received while re-taking the lock comes out unchanged.
  asyncio::Condition cond;
  bool wake = false;
  std::string raised;
  auto func = [&]() -> Coro<void> {
    auto guard = co_await cond;
    std::exception_ptr error;
    try {
      co_await cond.wait_for([&] { return wake; });
    } catch (const asyncio::CancelledError&) {
      error = std::current_exception();
    }
    raised = error ? python_error(error) : "nothing";
    CHECK(cond.locked());
    if (error) std::rethrow_exception(error);
  };
  run_async([&]() -> Coro<void> {
    auto task = asyncio::create_task(func());
    co_await asyncio::sleep(0);
    co_await cond.acquire();
    wake = true;
    cond.notify();
    co_await asyncio::sleep(0);  // the task waits for the lock now
    task.cancel("foo");
    cond.release();
    std::string outcome = co_await raised_by(task);
    CHECK(outcome == "CancelledError: foo");
    CHECK(raised == "CancelledError: foo");
  });
}

namespace {
// The consumers of test_cancelled_wakeup(_relock): take one item per notification.
struct ConsumerState {
  asyncio::Condition condition;
  int state = 0;

  Coro<void> consumer() {
    auto guard = co_await condition;
    for (;;) {
      co_await condition.wait_for([this] { return state != 0; });
      if (state < 0) co_return;
      --state;
    }
  }
  // Waits (with a short timeout) for the item to be consumed, then stops the consumers.
  Coro<void> wait_consumed_then_stop() {
    co_await raised_by(
        asyncio::timeout(0.01).run(condition.wait_for([this] { return state == 0; })));
    CHECK(state == 0);
    state = -1;
    condition.notify_all();
  }
};
}  // namespace

TEST_CASE("test_locks.ConditionTests.test_cancelled_wakeup", "[locks]") {
  // A task cancelled right after being notified passes the notification on: not lost.
  ConsumerState s;
  run_async([&]() -> Coro<void> {
    auto c0 = asyncio::create_task(s.consumer());
    auto c1 = asyncio::create_task(s.consumer());
    co_await asyncio::sleep(0);
    {
      auto guard = co_await s.condition;
      ++s.state;
      s.condition.notify(1);
      c0.cancel();  // while it waits to run after the notification
      co_await s.wait_consumed_then_stop();
    }
    co_await c1;
    CHECK(c0.cancelled());
  });
}

TEST_CASE("test_locks.ConditionTests.test_cancelled_wakeup_relock", "[locks]") {
  // Same, with the cancellation arriving while the notified task re-takes the lock.
  ConsumerState s;
  run_async([&]() -> Coro<void> {
    auto c0 = asyncio::create_task(s.consumer());
    auto c1 = asyncio::create_task(s.consumer());
    co_await asyncio::sleep(0);
    {
      auto guard = co_await s.condition;
      ++s.state;
      s.condition.notify(1);
      co_await asyncio::sleep(0);  // c0 now waits for the lock
      c0.cancel();
      co_await s.wait_consumed_then_stop();
    }
    co_await c1;
    CHECK(c0.cancelled());
  });
}
