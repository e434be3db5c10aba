// Ports of CPython's test_asyncio/test_locks.py (3.13, which holds the 3.12 semantics plus
// the Condition/Semaphore cancellation fixes). `async with x:` is `auto guard = co_await x;`;
// len(x._waiters) is read from repr(), as CPython's own repr tests do.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "sync_support.hpp"

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::Future;
using asyncio::Task;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using namespace sync_support;

namespace {

// CPython's RGX_REPR.
const std::regex repr_rgx(
    R"(<(.*?) object at (.*?)\[((set|unset|locked|unlocked|filling|draining|resetting|broken))"
    R"((, value:\d)?(, waiters:\d+)?(, waiters:\d+/\d+)?)\]>)");

bool repr_ok(const std::string& repr) {
  return std::regex_match(repr, repr_rgx);
}

asyncio::EventLoop& loop() {
  return asyncio::get_running_loop();
}

template <class T>
void cancel_soon(Task<T> task) {
  loop().call_soon([task]() mutable { task.cancel(); });
}

// The docs' worker idiom, literally: the primitive belongs to this coroutine, a task blocks
// on it through `wait`, and the coroutine returns, destroying the primitive, after
// cancelling that task when `cancel` (without awaiting it). The primitive is on the heap:
// coroutine frames are pooled, so ASan would not see a freed frame being touched.
template <class P, class Wait>
Coro<void> abandon(std::unique_ptr<P> primitive, Wait wait, bool cancel, Task<void>& waiter) {
  waiter = asyncio::create_task(wait(*primitive));
  co_await asyncio::sleep(0);
  REQUIRE_FALSE(waiter.done());
  if (cancel) waiter.cancel();
}

// What the waiter abandon() leaves behind raises once the loop has run it to its end.
template <class P, class Wait>
Coro<std::string> outlived(std::unique_ptr<P> primitive, Wait wait, bool cancel) {
  Task<void> waiter;
  co_await abandon(std::move(primitive), wait, cancel, waiter);
  for (int step = 0; step < 10 && !waiter.done(); ++step) co_await asyncio::sleep(0);
  REQUIRE(waiter.done());
  co_return co_await raised_by(waiter);
}

std::string destroyed(const char* type_name) {
  return std::string("RuntimeError: ") + type_name +
         " was destroyed while tasks were waiting on it";
}

}  // namespace

// ================================================================ Lock

TEST_CASE("test_locks.LockTests.test_repr", "[locks]") {
  // repr shows the state and the number of waiters.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    CHECK_THAT(lock.repr(), EndsWith("[unlocked]>"));
    CHECK(repr_ok(lock.repr()));
    co_await lock.acquire();
    CHECK_THAT(lock.repr(), EndsWith("[locked]>"));
    CHECK(repr_ok(lock.repr()));
    auto waiter = asyncio::create_task(lock.acquire());
    co_await asyncio::sleep(0);
    CHECK_THAT(lock.repr(), EndsWith("[locked, waiters:1]>"));
    CHECK(repr_ok(lock.repr()));
    lock.release();
    co_await waiter;
    lock.release();
  });
}

TEST_CASE("test_locks.LockTests.test_lock_by_with_statement", "[locks]") {
  // Mirrors test_lock_by_with_statement and each class's test_context_manager:
  // `async with` holds the primitive in its body and releases it on the way out.
  asyncio::Lock lock;
  asyncio::Condition cond;
  asyncio::Semaphore sem;
  asyncio::BoundedSemaphore bounded;
  run_async([&]() -> Coro<void> {
    {
      auto guard = co_await lock;
      CHECK(lock.locked());
      CHECK(guard.owns_lock());
    }
    CHECK_FALSE(lock.locked());
    {
      auto guard = co_await cond;
      CHECK(cond.locked());
    }
    CHECK_FALSE(cond.locked());
    {
      auto guard = co_await sem;
      CHECK(sem.locked());
    }
    CHECK_FALSE(sem.locked());
    {
      auto guard = co_await bounded;
      CHECK(bounded.locked());
      guard.release();  // leaving early: the destructor must not release a second time
      CHECK_FALSE(bounded.locked());
    }
    CHECK_FALSE(bounded.locked());
    CHECK(raised_by_call([&] { bounded.release(); }) ==
          "ValueError: BoundedSemaphore released too many times");
  });
}

TEST_CASE("test_locks.LockTests.test_acquire", "[locks]") {
  // Waiters take the lock in FIFO order, one per release().
  asyncio::Lock lock;
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    if (co_await lock.acquire()) result.push_back(n);
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    bool first = co_await lock.acquire();
    CHECK(first);
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    auto t3 = asyncio::create_task(c(3));
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2});
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2, 3});
    for (auto& t : {t1, t2, t3}) {
      CHECK(t.done());
      CHECK(t.result());
    }
  });
}

TEST_CASE("test_locks.LockTests.test_acquire_cancel", "[locks]") {
  // A cancelled acquire() raises CancelledError and leaves no waiter behind.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    auto task = asyncio::create_task(lock.acquire());
    cancel_soon(task);
    std::string outcome = co_await raised_by(task);
    CHECK(outcome == "CancelledError");
    CHECK(waiters_in(lock.repr()) == 0);
  });
}

TEST_CASE("test_locks.LockTests.test_cancel_race", "[locks]") {
  // B is cancelled while A releases: the lock goes to C, not to the cancelled B.
  asyncio::Lock lock;
  auto lockit = [&](Future<void> blocker) -> Coro<void> {
    auto guard = co_await lock;
    if (blocker) co_await blocker;
  };
  run_async([&]() -> Coro<void> {
    Future<void> fa = loop().create_future();
    auto ta = asyncio::create_task(lockit(fa));
    co_await asyncio::sleep(0);
    CHECK(lock.locked());
    auto tb = asyncio::create_task(lockit({}));
    co_await asyncio::sleep(0);
    CHECK(waiters_in(lock.repr()) == 1);
    auto tc = asyncio::create_task(lockit({}));
    co_await asyncio::sleep(0);
    CHECK(waiters_in(lock.repr()) == 2);

    fa.set_result();
    tb.cancel();
    co_await asyncio::sleep(0);
    CHECK_FALSE(lock.locked());
    CHECK(ta.done());
    CHECK(tb.cancelled());
    co_await tc;
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("test_locks.LockTests.test_cancel_release_race", "[locks]") {
  // bpo-32734: cancelling the first waiter while releasing hands the lock to one task only.
  asyncio::Lock lock;
  int lock_count = 0;
  int call_count = 0;
  auto lockit = [&]() -> Coro<void> {
    ++call_count;
    co_await lock.acquire();
    ++lock_count;
  };
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    auto t1 = asyncio::create_task(lockit());
    auto t2 = asyncio::create_task(lockit());
    auto t3 = asyncio::create_task(lockit());
    co_await asyncio::sleep(0);
    loop().call_soon([&lock, t1]() mutable {
      t1.cancel();
      lock.release();
    });
    std::string outcome = co_await raised_by(t1);
    CHECK(outcome == "CancelledError");
    CHECK(lock_count == 1);
    CHECK(call_count == 3);
    CHECK(t1.cancelled());
    CHECK(t2.done());
    t3.cancel();
    co_await asyncio::sleep(0);
    CHECK(t3.cancelled());
  });
}

TEST_CASE("test_locks.LockTests.test_finished_waiter_cancelled", "[locks]") {
  // The first waiter is woken and cancelled at once: the next acquire still gets the lock.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    CHECK(lock.locked());
    auto tb = asyncio::create_task(lock.acquire());
    co_await asyncio::sleep(0);
    CHECK(waiters_in(lock.repr()) == 1);
    auto tc = asyncio::create_task(lock.acquire());
    tb.cancel();
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(lock.locked());
    CHECK(tb.cancelled());
    bool got = co_await tc;
    CHECK(got);
  });
}

TEST_CASE("test_locks.LockTests.test_release_not_acquired", "[locks]") {
  // Releasing an unlocked lock is a RuntimeError.
  asyncio::Lock lock;
  CHECK(raised_by_call([&] { lock.release(); }) == "RuntimeError: Lock is not acquired.");
}

TEST_CASE("test_locks.LockTests.test_release_no_waiters", "[locks]") {
  // release() without waiters just unlocks.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    co_await lock.acquire();
    CHECK(lock.locked());
    lock.release();
    CHECK_FALSE(lock.locked());
  });
}

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

// ================================================================ Semaphore

TEST_CASE("test_locks.SemaphoreTests.test_semaphore_value", "[locks]") {
  // Mirrors test_semaphore_value and test_initial_value_zero.
  CHECK(raised_by_call([] { asyncio::Semaphore sem(-1); }) ==
        "ValueError: Semaphore initial value must be >= 0");
  CHECK(raised_by_call([] { asyncio::BoundedSemaphore sem(-1); }) ==
        "ValueError: Semaphore initial value must be >= 0");
  asyncio::Semaphore zero(0);
  CHECK(zero.locked());
  asyncio::Semaphore one;
  CHECK_FALSE(one.locked());
}

TEST_CASE("test_locks.SemaphoreTests.test_repr", "[locks]") {
  // repr shows the value while unlocked, and the waiters.
  asyncio::Semaphore sem;
  run_async([&]() -> Coro<void> {
    CHECK_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
    CHECK(repr_ok(sem.repr()));
    co_await sem.acquire();
    CHECK_THAT(sem.repr(), EndsWith("[locked]>"));
    CHECK(repr_ok(sem.repr()));
    auto w = asyncio::create_task(sem.acquire());
    co_await asyncio::sleep(0);
    CHECK_THAT(sem.repr(), Contains("waiters:1"));
    CHECK(repr_ok(sem.repr()));
    sem.release();
    co_await w;
    sem.release();
    CHECK_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
    asyncio::BoundedSemaphore bounded(2);
    CHECK_THAT(bounded.repr(), Contains("asyncio.locks.BoundedSemaphore object at"));
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire", "[locks]") {
  // Releases go to the queued waiters first, in order, even with newcomers about.
  asyncio::Semaphore sem(3);
  std::vector<int> result;
  auto c = [&](int n) -> Coro<bool> {
    co_await sem.acquire();
    result.push_back(n);
    co_return true;
  };
  run_async([&]() -> Coro<void> {
    co_await sem.acquire();
    co_await sem.acquire();
    CHECK_FALSE(sem.locked());
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    auto t3 = asyncio::create_task(c(3));
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1});
    CHECK(sem.locked());
    CHECK(waiters_in(sem.repr()) == 2);

    auto t4 = asyncio::create_task(c(4));
    sem.release();
    sem.release();
    co_await asyncio::sleep(0);
    CHECK(result == std::vector<int>{1, 2, 3});
    CHECK(sem.locked());
    CHECK(waiters_in(sem.repr()) == 1);
    CHECK(t1.result());
    CHECK(t2.done());
    CHECK(t3.done());
    CHECK_FALSE(t4.done());

    sem.release();
    co_await t4;
    CHECK(result == std::vector<int>{1, 2, 3, 4});
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_cancel", "[locks]") {
  // A cancelled acquire() leaves only done waiters (none) behind.
  asyncio::Semaphore sem;
  run_async([&]() -> Coro<void> {
    co_await sem.acquire();
    auto acquire = asyncio::create_task(sem.acquire());
    cancel_soon(acquire);
    std::string outcome = co_await raised_by(acquire);
    CHECK(outcome == "CancelledError");
    CHECK(waiters_in(sem.repr()) == 0);
    CHECK(sem.locked());
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_cancel_before_awoken", "[locks]") {
  // Cancelled waiters are skipped: the release goes to the first live one.
  asyncio::Semaphore sem(0);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(sem.acquire());
    auto t2 = asyncio::create_task(sem.acquire());
    auto t3 = asyncio::create_task(sem.acquire());
    auto t4 = asyncio::create_task(sem.acquire());
    co_await asyncio::sleep(0);
    t1.cancel();
    t2.cancel();
    sem.release();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(t3.done());
    CHECK_FALSE(t4.done());
    t3.cancel();
    t4.cancel();
    co_await asyncio::sleep(0);
    CHECK(t4.cancelled());
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_hang", "[locks]") {
  // The first waiter cancelled before a release: the second one gets it.
  asyncio::Semaphore sem(0);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(sem.acquire());
    auto t2 = asyncio::create_task(sem.acquire());
    co_await asyncio::sleep(0);
    t1.cancel();
    sem.release();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(sem.locked());
    CHECK(t2.done());
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_no_hang", "[locks]") {
  // A waiter woken and cancelled before it runs gives its unit back.
  asyncio::Semaphore sem(1);
  Task<void> t2;
  auto c1 = [&]() -> Coro<void> {
    {
      auto guard = co_await sem;
      co_await asyncio::sleep(0);
    }
    t2.cancel();
  };
  auto c2 = [&]() -> Coro<void> {
    auto guard = co_await sem;
    FAIL_CHECK("c2 must not get the semaphore");
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c1());
    t2 = asyncio::create_task(c2());
    auto [r1, r2] = co_await asyncio::gather(asyncio::return_exceptions, t1, t2);
    CHECK(r1.index() == 0);
    REQUIRE(r2.index() == 1);
    CHECK(python_error(std::get<1>(r2)) == "CancelledError");
    std::string outcome = co_await raised_by(asyncio::wait_for(sem.acquire(), 1.0));
    CHECK(outcome == "ok");
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_release_not_acquired", "[locks]") {
  // BoundedSemaphore refuses a release above its initial value; Semaphore does not.
  asyncio::BoundedSemaphore bounded;
  CHECK(raised_by_call([&] { bounded.release(); }) ==
        "ValueError: BoundedSemaphore released too many times");
  asyncio::Semaphore& as_base = bounded;  // release() is virtual, as in Python
  CHECK(raised_by_call([&] { as_base.release(); }) ==
        "ValueError: BoundedSemaphore released too many times");
  asyncio::Semaphore sem;
  sem.release();
  CHECK_THAT(sem.repr(), Contains("value:2"));
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order", "[locks]") {
  // Three tasks cycling through a Semaphore(1) get it strictly in turn.
  asyncio::Semaphore sem(1);
  std::vector<std::string> result;
  auto coro = [&](std::string tag) -> Coro<void> {
    co_await sem.acquire();
    result.push_back(tag + "_1");
    co_await asyncio::sleep(0.01);
    sem.release();
    co_await sem.acquire();
    result.push_back(tag + "_2");
    co_await asyncio::sleep(0.01);
    sem.release();
  };
  run_async([&]() -> Coro<void> {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      tg.create_task(coro("c1"));
      tg.create_task(coro("c2"));
      tg.create_task(coro("c3"));
      co_return;
    });
  });
  CHECK(result == std::vector<std::string>{"c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"});
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order_2", "[locks]") {
  // A task releasing and re-acquiring goes behind those already waiting.
  asyncio::Semaphore sem(1);
  std::vector<int> result;
  auto c1 = [&]() -> Coro<void> {
    co_await sem.acquire();
    result.push_back(1);
  };
  auto c2 = [&]() -> Coro<void> {
    co_await sem.acquire();
    result.push_back(2);
    sem.release();
    co_await sem.acquire();
    result.push_back(4);
  };
  auto c3 = [&]() -> Coro<void> {
    co_await sem.acquire();
    result.push_back(3);
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c1());
    auto t2 = asyncio::create_task(c2());
    auto t3 = asyncio::create_task(c3());
    co_await asyncio::sleep(0);
    sem.release();
    sem.release();
    co_await asyncio::gather(t1, t2, t3);
    CHECK(result == std::vector<int>{1, 2, 3, 4});
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order_3", "[locks]") {
  // A cancelled waiter does not hold up those behind it.
  asyncio::Semaphore sem(0);
  std::vector<int> result;
  auto c = [&](int n) -> Coro<void> {
    co_await sem.acquire();
    result.push_back(n);
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c(1));
    auto t2 = asyncio::create_task(c(2));
    auto t3 = asyncio::create_task(c(3));
    co_await asyncio::sleep(0);
    t1.cancel();
    co_await asyncio::sleep(0);
    sem.release();
    sem.release();
    co_await asyncio::gather(asyncio::return_exceptions, t1, t2, t3);
    CHECK(result == std::vector<int>{2, 3});
  });
}

TEST_CASE("test_locks.SemaphoreTests.test_acquire_fifo_order_4", "[locks]") {
  // A successful acquire() wakes every waiter the value allows (3.13's fix), so a task
  // created afterwards runs after all of them.
  asyncio::Semaphore sem(0);
  std::vector<int> result;
  Task<void> t4;
  auto c4 = [&]() -> Coro<void> {
    result.push_back(4);
    co_return;
  };
  auto c1 = [&]() -> Coro<void> {
    co_await sem.acquire();
    t4 = asyncio::create_task(c4());
    result.push_back(1);
  };
  auto c2 = [&]() -> Coro<void> {
    sem.release();
    sem.release();
    sem.release();
    CHECK(sem.locked());  // c1 has not taken its unit yet, and comes first
    co_await sem.acquire();
    result.push_back(2);
  };
  auto c3 = [&]() -> Coro<void> {
    co_await sem.acquire();
    CHECK(sem.locked());
    result.push_back(3);
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(c1());
    auto t2 = asyncio::create_task(c2());
    auto t3 = asyncio::create_task(c3());
    co_await asyncio::sleep(0);
    CHECK(waiters_in(sem.repr()) == 3);
    co_await asyncio::sleep(0);
    co_await asyncio::gather(t1, t2, t3, t4);
    CHECK(result == std::vector<int>{1, 2, 3, 4});
  });
}

// ================================================================ Barrier

TEST_CASE("test_locks.BarrierTests.test_barrier_parties", "[locks]") {
  // parties must be positive.
  CHECK(raised_by_call([] { asyncio::Barrier b(0); }) == "ValueError: parties must be > 0");
  CHECK(raised_by_call([] { asyncio::Barrier b(-4); }) == "ValueError: parties must be > 0");
  asyncio::Barrier b(5);
  CHECK(b.parties() == 5);
  CHECK(b.n_waiting() == 0);
  CHECK_FALSE(b.broken());
}

TEST_CASE("test_locks.BarrierTests.test_repr", "[locks]") {
  // repr follows the barrier through filling, draining, resetting and broken.
  asyncio::Barrier barrier(5);
  std::vector<Task<int>> waiters;
  run_async([&]() -> Coro<void> {
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), Contains("filling"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
    co_await asyncio::sleep(0);
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), Contains("waiters:2/5"));
    for (int i = barrier.n_waiting(); i < barrier.parties(); ++i) {
      waiters.push_back(asyncio::create_task(barrier.wait()));
    }
    co_await asyncio::sleep(0);
    CHECK_THAT(barrier.repr(), Contains("draining"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
    co_await asyncio::sleep(0);
    co_await barrier.reset();
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), Contains("resetting"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
    co_await asyncio::sleep(0);
    co_await barrier.abort();
    CHECK(repr_ok(barrier.repr()));
    CHECK_THAT(barrier.repr(), EndsWith("[broken]>"));
    CHECK(barrier.broken());
    for (auto& w : waiters) co_await raised_by(w);
  });
}

TEST_CASE("test_locks.BarrierTests.test_context_manager", "[locks]") {
  // Mirrors test_context_manager and test_filling_tasks_check_return_value: each party
  // gets a distinct index, and the barrier can be passed twice.
  asyncio::Barrier barrier(3);
  std::vector<int> first;
  auto coro = [&]() -> Coro<int> {
    first.push_back(co_await barrier.wait());
    co_return co_await barrier.wait();
  };
  run_async([&]() -> Coro<void> {
    std::vector<Coro<int>> coros;
    for (int i = 0; i < 3; ++i) coros.push_back(coro());
    std::vector<int> second = co_await asyncio::gather(coros);
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    CHECK(first == std::vector<int>{0, 1, 2});
    CHECK(second == std::vector<int>{0, 1, 2});
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_filling_one_task_twice", "[locks]") {
  // A one-party barrier lets each task through at once, with index 0.
  asyncio::Barrier barrier(1);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 0);
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(t1.done());
    CHECK(t2.done());
    CHECK(t1.result() == 0);
    CHECK(t2.result() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_filling_task_by_task", "[locks]") {
  // n_waiting counts the parties in; the last one releases all.
  asyncio::Barrier barrier(3);
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    CHECK_THAT(barrier.repr(), Contains("filling"));
    auto t3 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    co_await asyncio::gather(t1, t2, t3);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_draining_state", "[locks]") {
  // Tasks leaving the barrier see it draining, except the last one out.
  asyncio::Barrier barrier(5);
  std::vector<bool> results;
  auto coro = [&]() -> Coro<void> {
    co_await barrier.wait();
    results.push_back(barrier.repr().find("draining") != std::string::npos);
  };
  run_async([&]() -> Coro<void> {
    std::vector<Coro<void>> coros;
    for (int i = 0; i < 5; ++i) coros.push_back(coro());
    co_await asyncio::gather(coros);
    CHECK(results == std::vector<bool>{true, true, true, true, false});
  });
}

TEST_CASE("test_locks.BarrierTests.test_filling_tasks_cancel_one", "[locks]") {
  // A cancelled party leaves the count; the barrier still trips with new parties.
  asyncio::Barrier barrier(3);
  int passed = 0;
  auto coro = [&]() -> Coro<void> {
    co_await barrier.wait();
    ++passed;
  };
  run_async([&]() -> Coro<void> {
    auto t1 = asyncio::create_task(coro());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    auto t2 = asyncio::create_task(coro());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    t1.cancel();
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    std::string outcome = co_await raised_by(t1);
    CHECK(outcome == "CancelledError");
    auto t3 = asyncio::create_task(coro());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    auto t4 = asyncio::create_task(coro());
    co_await asyncio::gather(t2, t3, t4);
    CHECK(passed == 3);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_reset_barrier_while_tasks_waiting", "[locks]") {
  // reset() breaks the current round for the waiting parties, then refills.
  asyncio::Barrier barrier(5);
  int broken = 0;
  auto coro = [&]() -> Coro<void> {
    try {
      co_await barrier.wait();
    } catch (const asyncio::BrokenBarrierError& e) {
      CHECK(std::string(e.what()) == "Abort or reset of barrier");
      ++broken;
    }
  };
  run_async([&]() -> Coro<void> {
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(asyncio::create_task(coro()));
    co_await asyncio::sleep(0);
    asyncio::create_task(barrier.reset());
    co_await asyncio::gather(tasks);
    CHECK(broken == 4);
    CHECK(barrier.n_waiting() == 0);
    CHECK_THAT(barrier.repr(), !Contains("resetting"));
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("test_locks.BarrierTests.test_abort_barrier_when_exception", "[locks]") {
  // One party fails and aborts: every other party gets BrokenBarrierError.
  asyncio::Barrier barrier(5);
  int passed = 0;
  int broken = 0;
  auto coro = [&]() -> Coro<void> {
    bool failed = false;
    try {
      int i = co_await barrier.wait();
      if (i == 2) throw asyncio::RuntimeError("boom");
      co_await barrier.wait();
      ++passed;
    } catch (const asyncio::BrokenBarrierError&) {
      ++broken;
    } catch (const asyncio::RuntimeError&) {
      failed = true;  // no co_await inside a handler
    }
    if (failed) co_await barrier.abort();
  };
  run_async([&]() -> Coro<void> {
    std::vector<Coro<void>> coros;
    for (int i = 0; i < 5; ++i) coros.push_back(coro());
    co_await asyncio::gather(coros);
    CHECK(barrier.broken());
    CHECK(passed == 0);
    CHECK(broken == 4);
    CHECK(barrier.n_waiting() == 0);
    std::string error = co_await raised_by(barrier.wait());
    CHECK(error == "BrokenBarrierError: Barrier aborted");
  });
}

// ================================================================ lifetimes
// C++ has no garbage collector: a primitive can be destroyed while tasks wait on it. A
// waiter cancelled before that ends cancelled; one still pending gets a RuntimeError.

namespace {

Coro<void> acquire_twice(asyncio::Lock& lock) {
  co_await lock.acquire();
  co_await lock.acquire();  // not reentrant: waits
}

Coro<void> wait_event(asyncio::Event& event) {
  co_await event.wait();
}

Coro<void> wait_notified(asyncio::Condition& cond) {
  auto guard = co_await cond;  // `async with cond: await cond.wait()`
  co_await cond.wait();
}

template <class S>
Coro<void> acquire_until_blocked(S& sem) {
  for (;;) co_await sem.acquire();
}

Coro<void> wait_barrier(asyncio::Barrier& barrier) {
  co_await barrier.wait();
}

}  // namespace

TEST_CASE("test_locks: lifetimes — Lock: a cancelled waiter outlives the lock",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Lock>(), acquire_twice, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Lock: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Lock>(), acquire_twice, false);
    CHECK(outcome == destroyed("Lock"));
  });
}

TEST_CASE("test_locks: lifetimes — Lock: a waiter woken just before the lock is destroyed",
          "[locks][lifetimes]") {
  // release() woke the waiter, but the Lock is gone before it runs: nothing is left to hold.
  run_async([&]() -> Coro<void> {
    auto lock = std::make_unique<asyncio::Lock>();
    co_await lock->acquire();
    auto waiter = asyncio::create_task(lock->acquire());
    co_await asyncio::sleep(0);
    lock->release();
    lock.reset();
    std::string outcome = co_await raised_by(waiter);
    CHECK(outcome == destroyed("Lock"));
  });
}

TEST_CASE("test_locks: lifetimes — Event: a cancelled waiter outlives the event",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Event>(), wait_event, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Event: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Event>(), wait_event, false);
    CHECK(outcome == destroyed("Event"));
  });
}

TEST_CASE("test_locks: lifetimes — Condition: a cancelled waiter outlives the condition",
          "[locks][lifetimes]") {
  // Neither wait() nor the waiter's guard may re-take or release the destroyed lock.
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Condition>(), wait_notified, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Condition: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Condition>(), wait_notified, false);
    CHECK(outcome == destroyed("Condition"));
  });
}

TEST_CASE("test_locks: lifetimes — Condition: destroyed while its waiter re-takes the lock",
          "[locks][lifetimes]") {
  // Notified, the waiter queues for the Condition's own Lock, which goes with it.
  run_async([&]() -> Coro<void> {
    auto cond = std::make_unique<asyncio::Condition>();
    auto waiter = asyncio::create_task(wait_notified(*cond));
    co_await asyncio::sleep(0);
    co_await cond->acquire();
    cond->notify();
    co_await asyncio::sleep(0);  // the waiter now waits for the lock
    CHECK(waiters_in(cond->repr()) == 0);
    cond.reset();
    std::string outcome = co_await raised_by(waiter);
    CHECK(outcome == destroyed("Condition"));
  });
}

TEST_CASE("test_locks: lifetimes — Condition: an outside Lock is handed back",
          "[locks][lifetimes]") {
  // The Condition goes while its waiter queues for an outside Lock that stays: once the
  // waiter has it, no guard is left to release it, so the waiter releases it itself.
  asyncio::Lock lock;
  run_async([&]() -> Coro<void> {
    auto cond = std::make_unique<asyncio::Condition>(lock);
    auto waiter = asyncio::create_task(wait_notified(*cond));
    co_await asyncio::sleep(0);
    co_await lock.acquire();
    cond->notify();
    co_await asyncio::sleep(0);
    cond.reset();
    lock.release();
    std::string outcome = co_await raised_by(waiter);
    CHECK(outcome == destroyed("Condition"));
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("test_locks: lifetimes — Semaphore: a cancelled waiter outlives the semaphore",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Semaphore>(1),
                                     acquire_until_blocked<asyncio::Semaphore>, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Semaphore: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Semaphore>(2),
                                     acquire_until_blocked<asyncio::Semaphore>, false);
    CHECK(outcome == destroyed("Semaphore"));
  });
}

TEST_CASE("test_locks: lifetimes — BoundedSemaphore: a cancelled waiter outlives it",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::BoundedSemaphore>(1),
                                     acquire_until_blocked<asyncio::BoundedSemaphore>, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — BoundedSemaphore: a pending waiter gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::BoundedSemaphore>(1),
                                     acquire_until_blocked<asyncio::BoundedSemaphore>, false);
    CHECK(outcome == destroyed("BoundedSemaphore"));
  });
}

TEST_CASE("test_locks: lifetimes — Barrier: a cancelled party outlives the barrier",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Barrier>(2), wait_barrier, true);
    CHECK(outcome == "CancelledError");
  });
}

TEST_CASE("test_locks: lifetimes — Barrier: a pending party gets RuntimeError",
          "[locks][lifetimes]") {
  run_async([&]() -> Coro<void> {
    auto outcome = co_await outlived(std::make_unique<asyncio::Barrier>(2), wait_barrier, false);
    CHECK(outcome == destroyed("Barrier"));
  });
}
