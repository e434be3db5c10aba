// Eager tasks (asyncio 3.12): the eager step of eager_task_factory and of eager_start per task,
// its ordering, cancellation, exceptions and contexts. Ports of CPython's
// test_eager_task_factory.py (EagerTaskFactoryLoopTests, CEagerTaskFactoryLoopTests). Python's
// sleep(0.1) becomes a future or sleep(0): nothing here waits for the clock.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "eager_support.hpp"
#include "loop_support.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using asyncio::CancelledError;
using namespace eager_support;
using namespace test_support;

namespace {

bool contains(const std::vector<TaskRef>& tasks, const TaskRef& t) {
  return std::find(tasks.begin(), tasks.end(), t) != tasks.end();
}

Coro<void> set_result(Future<std::string> fut, std::string val) {
  fut.set_result(val);
  co_return;
}

}  // namespace

// ---------------------------------------------------------------- EagerTaskFactoryLoopTests

TEST_CASE(
    "factory_set (test_eager_task_factory.EagerTaskFactoryLoopTests.test_eager_task_factory_set)",
    "[eager]") {
  EventLoop loop;
  int inner_calls = 0;
  std::optional<bool> seen_eager;
  TaskFactory inner = [&](TaskRequest& request) {
    ++inner_calls;
    seen_eager = request.eager_start;
    return request.make();
  };
  TaskFactory factory = asyncio::create_eager_task_factory(inner);
  loop.set_task_factory(factory);
  REQUIRE(loop.get_task_factory());
  CHECK(loop.get_task_factory().target_type() == factory.target_type());
  bool done_at_creation = false;
  loop.run_until_complete([&]() -> Coro<void> {
    Task<void> t = loop.create_task(noop());
    done_at_creation = t.done();
    co_await t;
  }());
  loop.close();
  CHECK(inner_calls == 2);  // run_until_complete's task, then t
  REQUIRE(seen_eager.has_value());
  CHECK(*seen_eager);
  CHECK(done_at_creation);
}

TEST_CASE(
    "await_future_during_eager_step "
    "(test_eager_task_factory.EagerTaskFactoryLoopTests.test_await_future_during_eager_step)",
    "[eager]") {
  EagerLoop e;
  bool done = false;
  std::string result = e.loop.run_until_complete([&]() -> Coro<std::string> {
    Future<std::string> fut = e.loop.create_future<std::string>();
    Task<void> t = e.loop.create_task(set_result(fut, "my message"));
    done = t.done();  // the eager step completed the task
    std::string value = co_await fut;
    co_return value;
  }());
  CHECK(done);
  CHECK(result == "my message");
}

TEST_CASE(
    "eager_completion (test_eager_task_factory.EagerTaskFactoryLoopTests.test_eager_completion)",
    "[eager]") {
  EagerLoop e;
  bool done = false;
  std::string result = e.loop.run_until_complete([&]() -> Coro<std::string> {
    Task<std::string> t = e.loop.create_task(hello());
    done = t.done();
    std::string value = co_await t;
    co_return value;
  }());
  CHECK(done);
  CHECK(result == "hello");
}

TEST_CASE(
    "block_after_eager_step "
    "(test_eager_task_factory.EagerTaskFactoryLoopTests.test_block_after_eager_step)",
    "[eager]") {
  EagerLoop e;
  bool done_at_creation = true;
  bool done_after = false;
  std::string result = e.loop.run_until_complete([&]() -> Coro<std::string> {
    Future<void> gate = e.loop.create_future<void>();
    Task<std::string> t = e.loop.create_task(after_gate(gate, "finished after blocking"));
    done_at_creation = t.done();
    e.loop.call_soon([gate]() mutable { gate.set_result(); });
    std::string value = co_await t;
    done_after = t.done();
    co_return value;
  }());
  CHECK_FALSE(done_at_creation);
  CHECK(done_after);
  CHECK(result == "finished after blocking");
}

TEST_CASE(
    "cancellation_after_eager_completion "
    "(test_eager_task_factory.EagerTaskFactoryLoopTests.test_cancellation_after_eager_completion)",
    "[eager]") {
  EagerLoop e;
  bool cancel_result = true;
  bool cancelled = true;
  std::string result = e.loop.run_until_complete([&]() -> Coro<std::string> {
    Task<std::string> t =
        e.loop.create_task([]() -> Coro<std::string> { co_return "finished without blocking"; }());
    cancel_result = t.cancel();
    std::string value = co_await t;
    cancelled = t.cancelled();  // a finished task can't be cancelled
    co_return value;
  }());
  CHECK_FALSE(cancel_result);
  CHECK_FALSE(cancelled);
  CHECK(result == "finished without blocking");
}

TEST_CASE(
    "cancellation_after_eager_step_blocks "
    "(test_eager_task_factory.EagerTaskFactoryLoopTests.test_cancellation_after_eager_step_blocks)",
    "[eager]") {
  EagerLoop e;
  int cancelling = 0;
  std::string message = "<none>";
  bool reached_end = false;
  try {
    e.loop.run_until_complete([&]() -> Coro<void> {
      Future<void> gate = e.loop.create_future<void>();  // never set: it blocks
      Task<std::string> t = e.loop.create_task(after_gate(gate, "finished after blocking"));
      t.cancel("cancellation message");
      cancelling = t.cancelling();
      co_await t;
      reached_end = true;
    }());
  } catch (const CancelledError& err) {
    message = err.message();
  }
  CHECK(cancelling > 0);
  CHECK_FALSE(reached_end);
  CHECK(message == "cancellation message");
}

TEST_CASE("current_task (test_eager_task_factory.EagerTaskFactoryLoopTests.test_current_task)",
          "[eager]") {
  EagerLoop e;
  TaskRef captured;
  bool same_after_blocking = false;
  bool captured_is_t = false;
  bool creator_is_current = false;
  auto coro = [&]() -> Coro<void> {
    captured = asyncio::current_task();
    co_await asyncio::sleep(0);  // the task before and after blocking is the same
    same_after_blocking = asyncio::current_task() == captured;
  };
  e.loop.run_until_complete([&]() -> Coro<void> {
    TaskRef me = asyncio::current_task();
    Task<void> t = e.loop.create_task(coro());
    captured_is_t = captured == t.ref();
    creator_is_current = asyncio::current_task() == me;
    co_await t;
  }());
  CHECK(captured_is_t);
  CHECK(creator_is_current);
  CHECK(same_after_blocking);
}

TEST_CASE(
    "all_tasks_with_eager_completion "
    "(test_eager_task_factory.EagerTaskFactoryLoopTests.test_all_tasks_with_eager_completion)",
    "[eager]") {
  EagerLoop e;
  std::vector<TaskRef> captured_all_tasks;
  bool in_captured = false;
  bool in_all_after = true;
  auto coro = [&]() -> Coro<void> {
    captured_all_tasks = asyncio::all_tasks();
    co_return;
  };
  e.loop.run_until_complete([&]() -> Coro<void> {
    Task<void> t = e.loop.create_task(coro());
    in_captured = contains(captured_all_tasks, t);
    in_all_after = contains(asyncio::all_tasks(), t);
    co_return;
  }());
  CHECK(in_captured);
  CHECK_FALSE(in_all_after);
}

TEST_CASE(
    "all_tasks_with_blocking "
    "(test_eager_task_factory.EagerTaskFactoryLoopTests.test_all_tasks_with_blocking)",
    "[eager]") {
  EagerLoop e;
  std::vector<TaskRef> captured_eager_all_tasks;
  bool in_captured = false;
  bool in_all_while_blocked = false;
  bool in_all_after = true;
  auto coro = [&](Future<void> fut1, Future<void> fut2) -> Coro<void> {
    captured_eager_all_tasks = asyncio::all_tasks();
    co_await fut1;
    fut2.set_result();
  };
  e.loop.run_until_complete([&]() -> Coro<void> {
    Future<void> fut1 = e.loop.create_future<void>();
    Future<void> fut2 = e.loop.create_future<void>();
    Task<void> t = e.loop.create_task(coro(fut1, fut2));
    in_captured = contains(captured_eager_all_tasks, t);
    in_all_while_blocked = contains(asyncio::all_tasks(), t);
    fut1.set_result();
    co_await fut2;
    co_await asyncio::sleep(0);  // t's last step is done; its completion is not awaited
    in_all_after = contains(asyncio::all_tasks(), t);
  }());
  CHECK(in_captured);
  CHECK(in_all_while_blocked);
  CHECK_FALSE(in_all_after);
}

TEST_CASE("context_vars (test_eager_task_factory.EagerTaskFactoryLoopTests.test_context_vars)",
          "[eager][contextvars]") {
  ContextVar<int> cv("cv", 0);
  EagerLoop e;
  bool first_step_ran = false;
  bool second_step_ran = false;
  std::vector<int> coro_seen;
  std::vector<int> run_seen;
  bool first_ran_at_return = false;
  bool second_ran_at_return = true;
  auto coro = [&]() -> Coro<void> {
    coro_seen.push_back(cv.get());  // 1
    cv.set(2);
    coro_seen.push_back(cv.get());  // 2
    first_step_ran = true;
    co_await asyncio::sleep(0);
    coro_seen.push_back(cv.get());  // 2
    cv.set(3);
    coro_seen.push_back(cv.get());  // 3
    second_step_ran = true;
  };
  Context().run([&] {
    e.loop.run_until_complete([&]() -> Coro<void> {
      cv.set(1);
      Task<void> t = e.loop.create_task(coro());
      first_ran_at_return = first_step_ran;
      second_ran_at_return = second_step_ran;
      run_seen.push_back(cv.get());  // 1
      co_await t;
      run_seen.push_back(second_step_ran ? cv.get() : -1);  // 1
    }());
  });
  CHECK(first_ran_at_return);
  CHECK_FALSE(second_ran_at_return);
  CHECK(coro_seen == std::vector<int>{1, 2, 2, 3});
  CHECK(run_seen == std::vector<int>{1, 1});
}

TEST_CASE(
    "swap_back_from_callback (test_eager_task_factory.CEagerTaskFactoryLoopTests.test_issue105987)",
    "[eager]") {
  // An eager task started from a plain callback, where no task is current: during its step it
  // is the current task; afterwards there is no current task again, and tasks step normally.
  EagerLoop e;
  bool current_was_task = false;
  bool none_before = false;
  bool none_after = false;
  bool done_at_return = false;
  int later_steps = 0;
  std::optional<Task<void>> t;
  std::optional<Task<void>> t2;
  auto coro = [&]() -> Coro<void> {
    current_was_task = static_cast<bool>(asyncio::current_task());
    co_return;
  };
  auto blocking = [&]() -> Coro<void> {
    ++later_steps;
    co_await asyncio::sleep(0);
    ++later_steps;
  };
  e.loop.call_soon([&] {
    none_before = !asyncio::current_task();
    t = e.loop.create_task(coro());
    done_at_return = t->done();
    none_after = !asyncio::current_task();
    t2 = e.loop.create_task(blocking());
  });
  CHECK(run_until(e.loop, [&] { return t2 && t2->done(); }));
  CHECK(none_before);
  CHECK(current_was_task);
  CHECK(done_at_return);
  CHECK(none_after);
  CHECK(later_steps == 2);
}

TEST_CASE(
    "coroutine_released (test_eager_task_factory.CEagerTaskFactoryLoopTests.test_issue122332)",
    "[eager]") {
  // CPython: task.get_coro() is None once an eager task is done. Here: the coroutine frame
  // (and what its parameters hold) is freed while the Task is still held.
  EagerLoop e;
  auto held = std::make_shared<int>(1);
  long count_after_eager = -1;
  long count_after_await = -1;
  e.loop.run_until_complete([&]() -> Coro<void> {
    Task<void> task = e.loop.create_task([](std::shared_ptr<int> p) -> Coro<void> {
      (void)p;
      co_return;
    }(held));
    count_after_eager = held.use_count();
    co_await task;
    count_after_await = held.use_count();
  }());
  CHECK(count_after_eager == 1);
  CHECK(count_after_await == 1);
}

// ---------------------------------------------------------------- eager_start per task

TEST_CASE("eager_start_per_task (test_tasks.BaseTaskTests eager_start)", "[eager]") {
  EventLoop loop;
  std::vector<std::string> trace;
  auto step = [&](std::string tag) -> Coro<void> {
    trace.push_back(tag + " step 1");
    co_await asyncio::sleep(0);
    trace.push_back(tag + " step 2");
  };
  loop.run_until_complete([&]() -> Coro<void> {
    trace.push_back("create eager");
    Task<void> a = loop.create_task(step("eager"), "eager", std::nullopt, true);
    trace.push_back("create lazy");
    Task<void> b = asyncio::create_task(step("lazy"), "lazy", std::nullopt, false);
    trace.push_back("create default");
    Task<void> c = asyncio::create_task(step("default"));
    trace.push_back("main yields");
    co_await a;
    co_await b;
    co_await c;
  }());
  // With the eager factory, false still makes a lazy task.
  loop.set_task_factory(asyncio::eager_task_factory);
  loop.run_until_complete([&]() -> Coro<void> {
    trace.push_back("factory: create lazy");
    Task<void> d = loop.create_task(step("factory-lazy"), "d", std::nullopt, false);
    trace.push_back("factory: created");
    co_await d;
  }());
  loop.close();
  CHECK(trace ==
        std::vector<std::string>{"create eager", "eager step 1", "create lazy", "create default",
                                 "main yields", "eager step 2", "lazy step 1", "default step 1",
                                 "lazy step 2", "default step 2", "factory: create lazy",
                                 "factory: created", "factory-lazy step 1", "factory-lazy step 2"});
}

TEST_CASE(
    "eager_when_loop_not_running (test_eager_task_factory.EagerTaskFactoryLoopTests.run_coro)",
    "[eager]") {
  // 3.12: an eager step is taken only if the loop is running; otherwise the task is
  // scheduled as usual.
  EventLoop loop;
  loop.set_task_factory(asyncio::eager_task_factory);
  int steps = 0;
  auto body = [&]() -> Coro<int> {
    ++steps;
    co_return 5;
  };
  Task<int> t = loop.create_task(body());
  Task<int> u = loop.create_task(body(), "", std::nullopt, true);
  CHECK(steps == 0);
  CHECK_FALSE(t.done());
  CHECK_FALSE(u.done());
  run_once(loop);
  CHECK(steps == 2);
  CHECK(t.done());
  CHECK(t.result() == 5);
  CHECK(u.result() == 5);
  // And run_until_complete's own task is scheduled too, then creates eagerly.
  bool inner_done = false;
  int outer_steps_before = steps;
  loop.run_until_complete([&]() -> Coro<void> {
    Task<int> inner = loop.create_task(body());
    inner_done = inner.done();
    co_return;
  }());
  CHECK(inner_done);
  CHECK(steps == outer_steps_before + 1);
  loop.close();
}

TEST_CASE("eager_ordering (test_eager_task_factory eager step order)", "[eager]") {
  // An eager task's first step happens before create_task returns, nested eager tasks run
  // depth first; a lazy task's after its creator yields.
  EagerLoop e;
  std::vector<std::string> trace;
  auto leaf = [&](std::string tag) -> Coro<std::string> {
    trace.push_back(tag + " runs");
    co_return tag;
  };
  auto middle = [&]() -> Coro<void> {
    trace.push_back("middle starts");
    Task<std::string> l = e.loop.create_task(leaf("leaf"));
    trace.push_back("middle: leaf done=" + std::string(l.done() ? "yes" : "no"));
    co_await asyncio::sleep(0);
    trace.push_back("middle resumes");
  };
  e.loop.run_until_complete([&]() -> Coro<void> {
    trace.push_back("main creates middle");
    Task<void> m = e.loop.create_task(middle());
    trace.push_back("main: middle returned");
    Task<std::string> lazy = e.loop.create_task(leaf("lazy"), "", std::nullopt, false);
    trace.push_back("main: lazy created");
    co_await m;
    co_await lazy;
    trace.push_back("main done");
  }());
  CHECK(trace == std::vector<std::string>{"main creates middle", "middle starts", "leaf runs",
                                          "middle: leaf done=yes", "main: middle returned",
                                          "main: lazy created", "middle resumes", "lazy runs",
                                          "main done"});
}

TEST_CASE("eager_exception (test_eager_task_factory eager step raising)", "[eager]") {
  EagerLoop e;
  bool done_at_return = false;
  std::string what;
  std::string awaited;
  e.loop.run_until_complete([&]() -> Coro<void> {
    Task<int> t = e.loop.create_task(raise_now("boom"));
    done_at_return = t.done();
    if (t.done() && t.exception()) {
      try {
        std::rethrow_exception(t.exception());
      } catch (const std::invalid_argument& err) {
        what = err.what();
      }
    }
    try {
      co_await t;
    } catch (const std::invalid_argument& err) {
      awaited = err.what();
    }
  }());
  CHECK(done_at_return);
  CHECK(what == "boom");
  CHECK(awaited == "boom");
}

TEST_CASE("eager_explicit_context (test_tasks.BaseTaskTests.test_context_6 with eager tasks)",
          "[eager][contextvars]") {
  ContextVar<int> var("var", 0);
  EagerLoop e;
  Context ctx;
  std::vector<int> seen;
  auto body = [&](int value) -> Coro<void> {
    seen.push_back(var.get());
    var.set(value);
    co_return;
  };
  e.loop.run_until_complete([&]() -> Coro<void> {
    var.set(9);
    Task<void> a = e.loop.create_task(body(1), "", ctx);
    seen.push_back(ctx.run([&] { return var.get(); }));
    Task<void> b = e.loop.create_task(body(2), "", ctx);
    seen.push_back(ctx.run([&] { return var.get(); }));
    Task<void> c = e.loop.create_task(body(3));  // a copy of main's
    seen.push_back(var.get());
    co_await a;
    co_await b;
    co_await c;
  }());
  CHECK(seen == std::vector<int>{0, 1, 1, 2, 9, 9});
}

// ---------------------------------------------------------------- gather of done children

TEST_CASE("gather_done_range (test_tasks.FutureGatherTests.test_success, children done)",
          "[eager]") {
  // A range of children that are all finished (eager tasks, futures with a result): gather's
  // future is done on return with the values in order, as 3.12's gather makes it.
  EventLoop loop;
  std::vector<Future<int>> futs;
  for (int i = 0; i < 3; ++i) {
    futs.emplace_back(loop);
    futs.back().set_result(10 + i);
  }
  auto values = asyncio::gather(futs);
  REQUIRE(values.done());
  CHECK(values.result() == std::vector<int>{10, 11, 12});
  auto outcomes = asyncio::gather(asyncio::return_exceptions, futs);
  REQUIRE(outcomes.done());
  CHECK(std::get<0>(outcomes.result()[2]) == 12);
  CHECK_FALSE(values.cancel());  // nothing left to cancel
}

TEST_CASE("gather_done_range_failed (test_tasks.FutureGatherTests.test_one_exception)", "[eager]") {
  // One done child failed: asyncio's rules, not the shortcut. gather raises it, done on return;
  // with return_exceptions it is the child's outcome.
  EventLoop loop;
  std::vector<Future<int>> futs;
  for (int i = 0; i < 3; ++i) futs.emplace_back(loop);
  futs[0].set_result(1);
  futs[1].set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  futs[2].set_result(3);
  auto values = asyncio::gather(futs);
  REQUIRE(values.done());
  CHECK(error_text<std::runtime_error>([&] { values.result(); }) == "boom");
  auto outcomes = asyncio::gather(asyncio::return_exceptions, futs);
  REQUIRE(outcomes.done());
  CHECK(std::holds_alternative<std::exception_ptr>(outcomes.result()[1]));
  CHECK(std::get<0>(outcomes.result()[2]) == 3);
}
