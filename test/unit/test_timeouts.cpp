// Ports of CPython 3.12's test_asyncio/test_timeouts.py and test_waitfor.py.
// `async with asyncio.timeout(d) as cm: body` is `co_await cm.run(body)` with
// `Timeout cm = asyncio::timeout(d)`. Delays are scaled down (0.1 s -> 1-2 ms) keeping their
// order; long sleeps are always cut short.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;
using asyncio::Timeout;
using Catch::Matchers::Contains;
using namespace test_support;

namespace {

constexpr double kEpsilon = 0.0001;  // test_waitfor's _EPSILON

Coro<void> sleep_for(double delay) {
  co_await asyncio::sleep(delay);
}

template <class T>
Coro<T> await_future(Future<T> fut) {
  co_return co_await fut;
}

template <class T>
Coro<T> sleep_result(double delay, T value) {
  co_await asyncio::sleep(delay);
  co_return value;
}

// How an awaited coroutine ended: "ok", "TimeoutError", "CancelledError" or "error: what".
template <class T>
Coro<std::string> outcome(Coro<T> coro) {
  try {
    co_await coro;
    co_return "ok";
  } catch (const asyncio::TimeoutError&) {
    co_return "TimeoutError";
  } catch (const CancelledError&) {
    co_return "CancelledError";
  } catch (const std::exception& e) {
    co_return std::string("error: ") + e.what();
  }
}

// Runs body as a task and gives the message of the RuntimeError it ends with.
template <class Body>
std::string runtime_error_of(EventLoop& loop, Body body) {
  try {
    loop.run_until_complete(body());
  } catch (const asyncio::RuntimeError& e) {
    return e.what();
  } catch (...) {
    return "<other>";
  }
  return "<none>";
}

// Keeps the loop busy without yielding, as test_timeouts' time.sleep() does.
void busy_for(EventLoop& loop, double seconds) {
  double end = loop.time() + seconds;
  while (loop.time() < end) {
  }
}

}  // namespace

// ---------------------------------------------------------------- timeout()

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_basic", "[timeouts]") {
  // Also test_timeout_at_basic and test_repr_expired: the deadline passes, the body is
  // cancelled, TimeoutError comes out and the timeout is expired.
  EventLoop loop;
  auto main_coro = [&]() -> Coro<void> {
    Timeout cm = asyncio::timeout(0.001);
    std::string result = co_await outcome(cm.run(sleep_for(10)));
    CHECK(result == "TimeoutError");
    CHECK(cm.expired());

    double deadline = loop.time() + 0.001;
    Timeout at = asyncio::timeout_at(deadline);
    result = co_await outcome(at.run(sleep_for(10)));
    CHECK(result == "TimeoutError");
    CHECK(at.expired());
    CHECK(at.when() == deadline);
    CHECK(asyncio::current_task().cancelling() == 0);
  };
  double t0 = loop.time();
  loop.run_until_complete(main_coro());
  CHECK(loop.time() - t0 < 5.0);
}

TEST_CASE("test_timeouts.TimeoutTests.test_nested_timeouts", "[timeouts]") {
  // Two timeouts with one deadline: the inner sees CancelledError, only the outer raises
  // TimeoutError; both are expired.
  EventLoop loop;
  auto main_coro = [&]() -> Coro<void> {
    bool cancelled = false;
    double deadline = loop.time() + 0.001;
    Timeout cm1 = asyncio::timeout_at(deadline);
    Timeout cm2 = asyncio::timeout_at(deadline);
    std::string result = co_await outcome(cm1.run([&](Timeout&) -> Coro<void> {
      try {
        co_await cm2.run(sleep_for(10));
      } catch (const CancelledError&) {
        cancelled = true;
        throw;
      }
    }));
    CHECK(result == "TimeoutError");
    CHECK(cancelled);
    CHECK(cm1.expired());
    CHECK(cm2.expired());
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_waiter_cancelled", "[timeouts]") {
  // The body sees the cancellation as CancelledError; the timeout turns it into TimeoutError.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    bool cancelled = false;
    Timeout cm = asyncio::timeout(0.001);
    std::string result = co_await outcome(cm.run([&](Timeout&) -> Coro<void> {
      try {
        co_await asyncio::sleep(10);
      } catch (const CancelledError&) {
        cancelled = true;
        throw;
      }
    }));
    CHECK(result == "TimeoutError");
    CHECK(cancelled);
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_not_called", "[timeouts]") {
  // Also test_timeout_disabled and test_timeout_at_disabled: a body done in time (or with no
  // deadline) gives its result; the timeout is not expired.
  EventLoop loop;
  auto main_coro = [&]() -> Coro<void> {
    Timeout cm = asyncio::timeout(10);
    int value = co_await cm.run(sleep_result(0.001, 5));
    CHECK(value == 5);
    CHECK_FALSE(cm.expired());
    REQUIRE(cm.when());
    CHECK(*cm.when() > loop.time());

    Timeout disabled = asyncio::timeout(std::nullopt);
    co_await disabled.run(sleep_for(0.001));
    CHECK_FALSE(disabled.expired());
    CHECK_FALSE(disabled.when());

    Timeout at_disabled = asyncio::timeout_at(std::nullopt);
    co_await at_disabled.run(sleep_for(0.001));
    CHECK_FALSE(at_disabled.expired());
    CHECK_FALSE(at_disabled.when());
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_zero", "[timeouts]") {
  // Also test_timeout_zero_sleep_zero and test_timeout_in_the_past_sleep_zero: a deadline
  // already passed expires at the body's first await, even a sleep(0).
  EventLoop loop;
  auto main_coro = [&](double delay, double body_sleep) -> Coro<void> {
    double t0 = loop.time();
    Timeout cm = asyncio::timeout(delay);
    std::string result = co_await outcome(cm.run(sleep_for(body_sleep)));
    double t1 = loop.time();
    CHECK(result == "TimeoutError");
    CHECK(cm.expired());
    REQUIRE(cm.when());
    CHECK(*cm.when() <= t1);
    if (delay == 0) CHECK(t0 <= *cm.when());
  };
  loop.run_until_complete(main_coro(0, 10));
  loop.run_until_complete(main_coro(0, 0));
  loop.run_until_complete(main_coro(-11, 0));
}

TEST_CASE("test_timeouts.TimeoutTests.test_foreign_exception_passed", "[timeouts]") {
  // Also test_foreign_exception_on_timeout: other exceptions go through the timeout, also
  // one raised while the body is being cancelled by it.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    Timeout cm = asyncio::timeout(0.001);
    std::string result = co_await outcome(cm.run([](Timeout&) -> Coro<void> {
      throw std::out_of_range("KeyError");
      co_return;
    }));
    CHECK(result == "error: KeyError");
    CHECK_FALSE(cm.expired());

    auto crash = []() -> Coro<void> {
      try {
        co_await asyncio::sleep(1);
      } catch (...) {
      }
      throw std::domain_error("division by zero");  // `finally: 1/0`
    };
    result = co_await outcome(asyncio::timeout(0.001).run(crash()));
    CHECK(result == "error: division by zero");
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_foreign_cancel_doesnt_timeout_if_not_expired",
          "[timeouts]") {
  // A cancellation from elsewhere stays a CancelledError.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    Timeout cm = asyncio::timeout(10);
    std::string result = co_await outcome(cm.run([](Timeout&) -> Coro<void> {
      asyncio::current_task().cancel();
      co_await asyncio::sleep(10);
    }));
    CHECK(result == "CancelledError");
    CHECK_FALSE(cm.expired());
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_outer_task_is_not_cancelled", "[timeouts]") {
  // A task that handled its TimeoutError ends normally, not cancelled.
  EventLoop loop;
  auto outer = []() -> Coro<std::string> {
    co_return co_await outcome(asyncio::timeout(0.001).run(sleep_for(10)));
  };
  Task<std::string> task = loop.create_task(outer());
  CHECK(loop.run_until_complete(task) == "TimeoutError");
  CHECK(task.done());
  CHECK_FALSE(task.cancelled());
  CHECK(task.cancelling() == 0);
}

TEST_CASE("test_timeouts.TimeoutTests.test_nested_timeouts_concurrent", "[timeouts]") {
  // Also test_nested_timeouts_loop_busy: with the loop busy past both deadlines, the
  // CancelledError goes through the inner timeout and the outer one raises TimeoutError.
  EventLoop loop;
  loop.slow_callback_duration = 10;
  auto main_coro = [&](double outer_delay, double inner_delay) -> Coro<void> {
    std::string inner = "<none>";
    Timeout outer_cm = asyncio::timeout(outer_delay);
    std::string result = co_await outcome(outer_cm.run([&](Timeout&) -> Coro<void> {
      inner = co_await outcome(asyncio::timeout(inner_delay).run([&](Timeout&) -> Coro<void> {
        busy_for(loop, 0.01);
        co_await asyncio::sleep(1);
      }));
      if (inner == "CancelledError") throw CancelledError();
      co_await asyncio::sleep(10);  // cut short by the outer timeout
    }));
    CHECK(inner == "CancelledError");
    CHECK(result == "TimeoutError");
    CHECK(outer_cm.expired());
  };
  double t0 = loop.time();
  loop.run_until_complete(main_coro(0.002, 0.1));
  loop.run_until_complete(main_coro(0.005, 0.001));
  CHECK(loop.time() - t0 < 1.0);
}

TEST_CASE("test_timeouts.TimeoutTests.test_reschedule", "[timeouts]") {
  // reschedule() from another task moves or removes the deadline; an outside cancel() is
  // then a plain CancelledError. Moving the deadline close makes the body time out.
  EventLoop loop;
  auto main_coro = [&]() -> Coro<void> {
    double deadline1 = loop.time() + 10;
    double deadline2 = deadline1 + 20;
    Timeout cm = asyncio::timeout_at(deadline1);
    Future<void> entered(loop);
    auto f = [&]() -> Coro<void> {
      co_await cm.run([&](Timeout&) -> Coro<void> {
        entered.set_result();
        co_await asyncio::sleep(50);
      });
    };
    Task<void> task = asyncio::create_task(f());
    co_await entered;
    CHECK(cm.when() == deadline1);
    cm.reschedule(deadline2);
    CHECK(cm.when() == deadline2);
    cm.reschedule(std::nullopt);
    CHECK_FALSE(cm.when());
    task.cancel();
    std::string result = co_await outcome(await_future<void>(task));
    CHECK(result == "CancelledError");
    CHECK_FALSE(cm.expired());

    Timeout moved = asyncio::timeout(10);
    result = co_await outcome(moved.run([&](Timeout& t) -> Coro<void> {
      t.reschedule(loop.time() + 0.001);
      co_await asyncio::sleep(10);
    }));
    CHECK(result == "TimeoutError");
    CHECK(moved.expired());
  };
  double t0 = loop.time();
  loop.run_until_complete(main_coro());
  CHECK(loop.time() - t0 < 5.0);
}

TEST_CASE("test_timeouts.TimeoutTests.test_nested_timeout_in_finally", "[timeouts]") {
  // A timeout used in the cleanup of a timed-out body works on its own.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    std::string inner = "<none>";
    std::string result = co_await outcome(asyncio::timeout(0.001).run([&](Timeout&) -> Coro<void> {
      std::exception_ptr error;
      try {
        co_await asyncio::sleep(1);
      } catch (...) {
        error = std::current_exception();
      }
      inner = co_await outcome(asyncio::timeout(0.001).run(sleep_for(10)));  // finally:
      if (error) std::rethrow_exception(error);
    }));
    CHECK(inner == "TimeoutError");
    CHECK(result == "TimeoutError");
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_after_cancellation", "[timeouts]") {
  // Also test_cancel_in_timeout_after_cancellation: a task that swallowed a cancellation
  // still times out (and is still cancellable) in its cleanup.
  EventLoop loop;
  auto main_coro = [](bool cancel_inside) -> Coro<void> {
    try {
      asyncio::current_task().cancel();
      co_await asyncio::sleep(1);
    } catch (const CancelledError&) {
    }
    std::string result = co_await outcome(
        asyncio::timeout(cancel_inside ? 1.0 : 0.0).run([&](Timeout&) -> Coro<void> {
          if (cancel_inside) asyncio::current_task().cancel();
          co_await asyncio::sleep(2);
        }));
    CHECK(result == (cancel_inside ? "CancelledError" : "TimeoutError"));
  };
  loop.run_until_complete(main_coro(false));
  loop.run_until_complete(main_coro(true));
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_already_entered", "[timeouts]") {
  // Also test_timeout_double_enter: a Timeout runs one body, once.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    Timeout cm = asyncio::timeout(0.01);
    std::string inner =
        co_await outcome(cm.run([&](Timeout&) -> Coro<void> { co_await cm.run(sleep_for(0)); }));
    CHECK_THAT(inner, Contains("has already been entered"));
    Timeout done = asyncio::timeout(0.01);
    co_await done.run(sleep_for(0));
    std::string again = co_await outcome(done.run(sleep_for(0)));
    CHECK_THAT(again, Contains("has already been entered"));
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_finished", "[timeouts]") {
  // Also test_timeout_not_entered: reschedule() before entering or after leaving is an error.
  EventLoop loop;
  CHECK_THAT(runtime_error_of(loop,
                              []() -> Coro<void> {
                                Timeout cm = asyncio::timeout(0.01);
                                cm.reschedule(0.02);
                                co_return;
                              }),
             Contains("has not been entered"));
  CHECK_THAT(runtime_error_of(loop,
                              []() -> Coro<void> {
                                Timeout cm = asyncio::timeout(0.01);
                                co_await cm.run(sleep_for(0));
                                cm.reschedule(0.02);
                              }),
             Contains("finished"));
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_expired", "[timeouts]") {
  // Also test_timeout_expiring: reschedule() of an expired or expiring timeout is an error
  // naming that state ("Cannot change state of expired Timeout").
  EventLoop loop;
  CHECK_THAT(runtime_error_of(loop,
                              []() -> Coro<void> {
                                Timeout cm = asyncio::timeout(0.001);
                                co_await outcome(cm.run(sleep_for(1)));
                                cm.reschedule(0.02);
                              }),
             Contains("expired"));
  std::string expiring = "<none>";
  auto main_coro = [&]() -> Coro<void> {
    Timeout cm = asyncio::timeout(0.001);
    co_await cm.run([&](Timeout& t) -> Coro<void> {
      std::string slept = co_await outcome(sleep_for(1));
      CHECK(slept == "CancelledError");
      try {
        t.reschedule(0.02);
      } catch (const asyncio::RuntimeError& e) {
        expiring = e.what();
      }
    });
  };
  loop.run_until_complete(main_coro());
  CHECK_THAT(expiring, Contains("expiring"));
}

TEST_CASE("test_timeouts.TimeoutTests.test_timeout_without_task", "[timeouts]") {
  // A timeout entered outside a task (from a plain callback) is a RuntimeError.
  EventLoop loop;
  std::optional<Timeout> cm;
  Coro<void> entering;
  loop.call_soon([&] {
    cm.emplace(loop.time() + 0.01);
    Coro<void> body = sleep_for(0);
    entering = cm->run(std::move(body));
    entering.handle().resume();  // the body is taken over before this returns
  });
  run_once(loop);
  REQUIRE(entering.done());
  std::string text = "<none>";
  try {
    entering.handle().promise().take();
  } catch (const asyncio::RuntimeError& e) {
    text = e.what();
  }
  CHECK_THAT(text, Contains("inside a task"));
  CHECK_THROWS_WITH(cm->reschedule(0.02), Contains("has not been entered"));
}

// ---------------------------------------------------------------- wait_for()

namespace {
// test_waitfor's SlowTask: runs for `duration` on the loop clock, ignoring cancellations.
struct SlowTask {
  double duration = 0.01;
  bool exited = false;

  Coro<void> run() {
    EventLoop& loop = asyncio::get_running_loop();
    double exit_at = loop.time() + duration;
    for (;;) {
      double to_sleep = exit_at - loop.time();
      if (to_sleep <= 0) break;
      try {
        co_await asyncio::sleep(to_sleep);
      } catch (const CancelledError&) {
      }
    }
    exited = true;
  }
};
}  // namespace

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_asyncio_wait_for_cancelled", "[timeouts]") {
  // Also test_asyncio_wait_for_timeout: wait_for does not return before the inner task
  // ends, whether it was cancelled or timed out.
  EventLoop loop;
  SlowTask t;
  auto main_coro = [&]() -> Coro<void> {
    Task<void> waitfortask = asyncio::create_task(asyncio::wait_for(t.run(), t.duration * 2));
    co_await asyncio::sleep(0);
    waitfortask.cancel();
    std::vector<Task<void>> tasks{waitfortask};
    co_await asyncio::wait(tasks);
    CHECK(t.exited);

    SlowTask t2;
    std::string result = co_await outcome(asyncio::wait_for(t2.run(), t2.duration / 2));
    CHECK(t2.exited);
    CHECK(result == "ok");  // 3.12: the inner task swallowed the cancellation and returned
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0_future_done",
          "[timeouts]") {
  // Also _coroutine_do_not_started: with timeout 0 a done future gives its result, a
  // coroutine is not even started.
  EventLoop loop;
  bool foo_started = false;
  auto main_coro = [&]() -> Coro<void> {
    Future<std::string> fut(loop);
    fut.set_result("done");
    std::string ret = co_await asyncio::wait_for(fut, 0);
    CHECK(ret == "done");
    auto foo = [&]() -> Coro<void> {
      foo_started = true;
      co_return;
    };
    std::string result = co_await outcome(asyncio::wait_for(foo(), 0));
    CHECK(result == "TimeoutError");
  };
  loop.run_until_complete(main_coro());
  CHECK_FALSE(foo_started);
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0", "[timeouts]") {
  // A timeout <= 0 cancels a running task at once and raises TimeoutError.
  EventLoop loop;
  for (double timeout : {0.0, -1.0}) {
    std::optional<bool> foo_running;
    auto main_coro = [&]() -> Coro<void> {
      Future<void> started(loop);
      auto foo = [&]() -> Coro<std::string> {
        foo_running = true;
        started.set_result();
        try {
          co_await asyncio::sleep(10);
        } catch (...) {
          foo_running = false;
          throw;
        }
        foo_running = false;
        co_return "done";
      };
      Task<std::string> fut = asyncio::create_task(foo());
      co_await started;
      double t0 = loop.time();
      std::string result = co_await outcome(asyncio::wait_for(fut, timeout));
      CHECK(result == "TimeoutError");
      CHECK(loop.time() - t0 < 1.0);
      CHECK(fut.cancelled());
    };
    loop.run_until_complete(main_coro());
    CHECK(foo_running == false);
  }
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for", "[timeouts]") {
  // Also test_wait_for_race_condition: the timeout cancels the inner task and raises
  // TimeoutError; a future done before the timeout gives its result.
  EventLoop loop;
  std::optional<bool> foo_running;
  auto foo = [&]() -> Coro<std::string> {
    foo_running = true;
    try {
      co_await asyncio::sleep(10);
    } catch (...) {
      foo_running = false;
      throw;
    }
    co_return "done";
  };
  auto main_coro = [&]() -> Coro<void> {
    Task<std::string> fut = asyncio::create_task(foo());
    double t0 = loop.time();
    std::string result = co_await outcome(asyncio::wait_for(fut, 0.002));
    CHECK(result == "TimeoutError");
    CHECK(loop.time() - t0 >= 0.0015);
    CHECK(loop.time() - t0 < 1.0);
    CHECK(fut.cancelled());
    CHECK(foo_running == false);

    Future<std::string> later(loop);
    loop.call_later(0.001, [later]() mutable { later.set_result("ok"); });
    std::string res = co_await asyncio::wait_for(later, 0.05);
    CHECK(res == "ok");
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for_cancellation_race_condition",
          "[timeouts]") {
  // Also test_wait_for_cancel_suppressed (GH-86296): an inner coroutine that swallows the
  // cancellation and returns gives its result, not TimeoutError.
  EventLoop loop;
  auto inner = []() -> Coro<int> {
    std::string slept = co_await outcome(sleep_for(1));
    CHECK(slept == "CancelledError");
    co_return 1;
  };
  auto main_coro = [&]() -> Coro<int> { co_return co_await asyncio::wait_for(inner(), 0.001); };
  CHECK(loop.run_until_complete(main_coro()) == 1);
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for_waits_for_task_cancellation",
          "[timeouts]") {
  // Also _w_timeout_0: TimeoutError comes only once the inner task has finished its
  // (slow) cancellation.
  EventLoop loop;
  for (double timeout : {kEpsilon, 0.0}) {
    bool task_done = false;
    auto inner = [&]() -> Coro<void> {
      std::string slept = co_await outcome(sleep_for(10));
      if (slept == "CancelledError") co_await asyncio::sleep(kEpsilon);
      task_done = true;
      if (slept == "CancelledError") throw CancelledError();
    };
    auto foo = [&]() -> Coro<void> {
      Task<void> inner_task = asyncio::create_task(inner());
      co_await asyncio::sleep(kEpsilon);
      co_await asyncio::wait_for(inner_task, timeout);
    };
    CHECK_THROWS_AS(loop.run_until_complete(foo()), asyncio::TimeoutError);
    CHECK(task_done);
  }
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for_reraises_exception_during_cancellation",
          "[timeouts]") {
  // An exception the inner task raises while being cancelled replaces TimeoutError.
  EventLoop loop;
  struct FooException : std::runtime_error {
    FooException() : std::runtime_error("foo") {}
  };
  auto inner = []() -> Coro<void> {
    try {
      co_await asyncio::sleep(0.2);
    } catch (...) {
    }
    throw FooException();  // `finally: raise FooException`
  };
  auto foo = [&]() -> Coro<void> {
    Task<void> inner_task = asyncio::create_task(inner());
    co_await asyncio::wait_for(inner_task, kEpsilon);
  };
  CHECK_THROWS_AS(loop.run_until_complete(foo()), FooException);
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_wait_for_issue86296", "[timeouts]") {
  // GH-86296: a task cancelled right after wait_for got its result is cancelled, not run on.
  EventLoop loop;
  bool reached_end = false;
  auto main_coro = [&]() -> Coro<void> {
    auto inner = []() -> Coro<std::string> { co_return "done"; };
    Task<std::string> inner_task = asyncio::create_task(inner());
    auto wait_for_coro = [&]() -> Coro<void> {
      co_await asyncio::wait_for(inner_task, 100);
      co_await asyncio::sleep(1);
      reached_end = true;
    };
    Task<void> task = asyncio::create_task(wait_for_coro());
    CHECK_FALSE(task.done());
    co_await asyncio::sleep(0);
    task.cancel();
    std::vector<Task<void>> tasks{task};
    co_await asyncio::wait(tasks);
    CHECK(task.cancelled());
    CHECK(inner_task.done());
    CHECK(inner_task.result() == "done");
  };
  loop.run_until_complete(main_coro());
  CHECK_FALSE(reached_end);
}

TEST_CASE("test_waitfor.AsyncioWaitForTest.test_cancel_wait_for", "[timeouts]") {
  // Python issue #23219: cancelling wait_for cancels the task it waits for.
  EventLoop loop;
  auto main_coro = [&]() -> Coro<void> {
    auto blocking = [&]() -> Coro<void> {
      Future<void> fut(loop);
      co_await fut;
    };
    Task<void> task = asyncio::create_task(blocking());
    Task<void> wait = asyncio::create_task(asyncio::wait_for(task, 60.0));
    loop.call_soon([wait]() mutable { wait.cancel(); });
    std::string result = co_await outcome(await_future<void>(wait));
    CHECK(result == "CancelledError");
    CHECK(task.cancelled());
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_waitfor.WaitForShieldTests.test_shielded_timeout", "[timeouts]") {
  // Also test_zero_timeout: wait_for cancels the shield, not the task behind it.
  EventLoop loop;
  auto main_coro = [&]() -> Coro<void> {
    for (double timeout : {0.001, 0.0}) {
      Task<std::string> task = asyncio::create_task(sleep_result<std::string>(0.005, "done"));
      Future<std::string> shielded = asyncio::shield(task);
      std::string result = co_await outcome(asyncio::wait_for(shielded, timeout));
      CHECK(result == "TimeoutError");
      CHECK(shielded.cancelled());
      CHECK_FALSE(task.done());
      std::string done = co_await task;
      CHECK(done == "done");
    }
  };
  loop.run_until_complete(main_coro());
}
