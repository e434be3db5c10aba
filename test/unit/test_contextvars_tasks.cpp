// Context variables and tasks (asyncio 3.12): a task's context, explicit contexts,
// get_context(), TaskGroup, eager children, the runner's main task, wait_for/timeout/shield.
// Ports of CPython's test_tasks.py test_context_1..6 and test_get_context, test_taskgroups.py
// test_taskgroup_task_context and test_runners.py test_run_keeps_context.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "contextvars_support.hpp"
#include "eager_support.hpp"

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace contextvars_support;
using namespace eager_support;

namespace {

ContextVar<int>& shared_cvar() {
  static ContextVar<int> cvar("cvar");
  return cvar;
}

Coro<void> set_after_yield(int val) {
  co_await asyncio::sleep(0);
  shared_cvar().set(val);
}

// test_context_4, test_context_5 and test_taskgroup_task_context: in one copy of the caller's
// context, two tasks made by create(coro, ctx) set shared_cvar() to 1, then to 2. `ret` gets
// what the copy holds before, between and after them.
template <class Create>
Coro<void> two_tasks_in_copy(std::vector<int>& ret, Create create) {
  Context ctx = asyncio::copy_context();
  ret.push_back(ctx_get(ctx, shared_cvar(), 0));
  Task<void> t1 = create(set_after_yield(1), ctx);
  co_await t1;
  ret.push_back(ctx_get(ctx, shared_cvar(), 0));
  Task<void> t2 = create(set_after_yield(2), ctx);
  co_await t2;
  ret.push_back(ctx_get(ctx, shared_cvar(), 0));
}

// test_get_context's probes: body() runs to completion as `task`, created in a fresh, empty
// context (it starts with nothing set). It sets `var`, asks for the task's context in some way
// and notes what `var` holds right after (`after`) and after a yield (`later`); `at_end` is what
// `var` holds in the task's context once the task is done.
template <class T>
struct GetContextProbe {
  ContextVar<int> var{"var"};
  std::optional<Task<T>> task;
  int after = 0;
  int later = 0;
  int at_end = 0;

  template <class Body>
  void run(Body body) {
    EventLoop loop;
    isolated([&] {
      task = loop.create_task(body());
      loop.run_until_complete(*task);
    });
    at_end = ctx_get(task->get_context(), var, -1);
    loop.close();
  }
};

}  // namespace

// ---------------------------------------------------------------- tasks

TEST_CASE("task_copies_context (test_tasks.BaseTaskTests.test_context_1)", "[contextvars]") {
  ContextVar<std::string> cvar("cvar", "nope");
  std::vector<std::string> seen;
  EventLoop loop;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      seen.push_back(cvar.get());
      auto sub = [&]() -> Coro<void> {
        co_await asyncio::sleep(0);
        seen.push_back("sub " + cvar.get());
        cvar.set("something else");
        seen.push_back("sub " + cvar.get());
      };
      Task<void> subtask = loop.create_task(sub());
      cvar.set("yes");
      seen.push_back(cvar.get());
      co_await subtask;
      seen.push_back(cvar.get());
    }());
  });
  loop.close();
  CHECK(seen == std::vector<std::string>{"nope", "yes", "sub nope", "sub something else", "yes"});
}

TEST_CASE("task_done_callback_context (test_tasks.BaseTaskTests.test_context_2)", "[contextvars]") {
  ContextVar<std::string> cvar("cvar", "nope");
  std::vector<std::string> mismatches;
  std::vector<std::string> callback_saw;
  EventLoop loop;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      auto fut_on_done = [&](Future<void>) {
        callback_saw.push_back(cvar.get());
        cvar.set("something else");  // must not pollute the task's context
      };
      if (cvar.get() != "nope") mismatches.push_back("start");
      for (int j = 0; j < 2; ++j) {
        Future<void> fut = loop.create_future<void>();
        fut.add_done_callback(fut_on_done);
        cvar.set("yes" + std::to_string(j));
        loop.call_soon([fut]() mutable { fut.set_result(); });
        co_await fut;
        if (cvar.get() != "yes" + std::to_string(j)) mismatches.push_back("j" + std::to_string(j));
        for (int i = 0; i < 3; ++i) {
          // The task passes its context to its own callbacks (its wakeups).
          std::string want = "yes" + std::to_string(i) + "-" + std::to_string(j);
          cvar.set(want);
          co_await asyncio::sleep(0);
          if (cvar.get() != want) mismatches.push_back(want);
        }
      }
    }());
  });
  loop.close();
  CHECK(mismatches.empty());
  // Each callback saw the context of add_done_callback's moment: before the set of "yes{j}"
  // (j = 0: the default; j = 1: the last value of round 0).
  CHECK(callback_saw == std::vector<std::string>{"nope", "yes2-0"});
  CHECK(cvar.get() == "nope");
}

TEST_CASE("tasks_parallel (test_tasks.BaseTaskTests.test_context_3)", "[contextvars]") {
  // 100 tasks in parallel, each modifying cvar: random yields instead of random sleeps.
  ContextVar<int> cvar("cvar", -1);
  int mismatches = 0;
  int finished = 0;
  EventLoop loop;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      std::mt19937 rng(3);
      auto sub = [&](int n, std::vector<int> ys) -> Coro<void> {
        for (int i = 0; i < 10; ++i) {
          cvar.set(n + i);
          for (int k = 0; k < ys[i]; ++k) co_await asyncio::sleep(0);
          if (cvar.get() != n + i) ++mismatches;
        }
        ++finished;
      };
      std::vector<Task<void>> tasks;
      for (int t = 0; t < 100; ++t) {
        int num = static_cast<int>(rng() % 11);
        std::vector<int> yields;
        for (int i = 0; i < 10; ++i) yields.push_back(static_cast<int>(rng() % 4));
        tasks.push_back(loop.create_task(sub(num, yields)));
      }
      co_await asyncio::gather(tasks);
      if (cvar.get() != -1) ++mismatches;
    }());
  });
  loop.close();
  CHECK(finished == 100);
  CHECK(mismatches == 0);
  CHECK(cvar.get() == -1);
}

TEST_CASE("task_explicit_context (test_tasks.BaseTaskTests.test_context_4)", "[contextvars]") {
  // loop.create_task(coro, context=ctx) inside a task.
  EventLoop loop;
  std::vector<int> ret;
  auto create = [&](Coro<void> coro, Context ctx) {
    return loop.create_task(std::move(coro), "", std::move(ctx));
  };
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      co_await two_tasks_in_copy(ret, create);
      ret.push_back(shared_cvar().get(0));  // the creator's own context saw none of it
    }());
  });
  loop.close();
  CHECK(ret == std::vector<int>{0, 1, 2, 0});
}

TEST_CASE("task_explicit_context_free (test_tasks.BaseTaskTests.test_context_5)", "[contextvars]") {
  // asyncio.create_task(coro, context=ctx).
  EventLoop loop;
  std::vector<int> ret;
  auto create = [](Coro<void> coro, Context ctx) {
    return asyncio::create_task(std::move(coro), "", std::move(ctx));
  };
  isolated([&] { loop.run_until_complete(two_tasks_in_copy(ret, create)); });
  loop.close();
  CHECK(ret == std::vector<int>{0, 1, 2});
}

TEST_CASE("task_explicit_context_shared (test_tasks.BaseTaskTests.test_context_6)",
          "[contextvars]") {
  // Two tasks in one explicit context see each other's sets.
  EventLoop loop;
  std::vector<int> ret;
  Context ctx;
  auto body_a = [&]() -> Coro<void> {
    shared_cvar().set(1);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    ret.push_back(shared_cvar().get(0));  // b's set
  };
  auto body_b = [&]() -> Coro<void> {
    co_await asyncio::sleep(0);
    ret.push_back(shared_cvar().get(0));  // a's set
    shared_cvar().set(2);
  };
  auto body_main = [&]() -> Coro<void> {
    Task<void> a = loop.create_task(body_a(), "a", ctx);
    Task<void> b = loop.create_task(body_b(), "b", ctx);
    co_await a;
    co_await b;
    ret.push_back(shared_cvar().get(0));  // main has its own context
  };
  isolated([&] {
    Task<void> main = loop.create_task(body_main());
    loop.run_until_complete(main);
  });
  loop.close();
  CHECK(ret == std::vector<int>{1, 2, 0});
  CHECK(ctx_get(ctx, shared_cvar(), 0) == 2);
}

TEST_CASE("task_get_context (test_tasks.BaseTaskTests.test_get_context)", "[contextvars]") {
  // Python asserts `task.get_context() is context`: == compares contents here, so identity
  // is checked by a set made through one handle showing through the other.
  ContextVar<int> var("var");
  EventLoop loop;
  Context context = asyncio::copy_context();
  Task<int> task = loop.create_task([]() -> Coro<int> { co_return 1; }(), "", context);
  loop.run_until_complete(task);
  CHECK(task.get_context() == context);
  context.run([&] { var.set(1); });
  CHECK(ctx_get(task.get_context(), var, -1) == 1);
  // Without an explicit one, the task still has one context, the same at every call.
  Task<int> other = loop.create_task([]() -> Coro<int> { co_return 2; }());
  Context first = other.get_context();
  loop.run_until_complete(other);
  CHECK(other.get_context() == first);
  first.run([&] { var.set(2); });
  CHECK(ctx_get(other.get_context(), var, -1) == 2);
  CHECK(ctx_get(task.get_context(), var, -1) == 1);
  loop.close();
}

TEST_CASE("task_get_context_sees_sets (test_tasks.BaseTaskTests.test_get_context)",
          "[contextvars]") {
  // What a task sets is in its get_context(), asked before, during or after the task.
  ContextVar<int> var("var");
  EventLoop loop;
  std::optional<Task<void>> self;
  int after_get = 0;
  Context during;
  auto body_early = [&]() -> Coro<void> {
    var.set(1);
    co_return;
  };
  auto body_late = [&]() -> Coro<void> {
    var.set(2);
    co_await asyncio::sleep(0);
    var.set(3);
  };
  auto body_mid = [&]() -> Coro<void> {
    var.set(4);
    during = self->get_context();  // asked by the task itself, mid-step
    after_get = var.get(-1);
    var.set(5);
    co_await asyncio::sleep(0);
    var.set(var.get(-1) + 1);
  };
  isolated([&] {  // nothing set: the tasks start with an empty context
    Task<void> early = loop.create_task(body_early());
    Context before = early.get_context();
    Task<void> late = loop.create_task(body_late());
    Task<void> mid = loop.create_task(body_mid());
    self = mid;

    loop.run_until_complete([&]() -> Coro<void> {
      co_await early;
      co_await late;
      co_await mid;
    }());
    CHECK(ctx_get(before, var, -1) == 1);
    CHECK(ctx_get(late.get_context(), var, -1) == 3);
    CHECK(late.get_context() == late.get_context());
    CHECK(after_get == 4);
    CHECK(ctx_get(during, var, -1) == 6);
    CHECK(mid.get_context() == during);
  });
  loop.close();
}

TEST_CASE("task_get_context_from_eager_child (test_tasks.BaseTaskTests.test_get_context)",
          "[contextvars][eager]") {
  // An eager child runs inside its parent's step; asking the parent's context there must not
  // take the parent's variables from the rest of its step.
  GetContextProbe<int> p;
  p.run([&]() -> Coro<int> {
    auto body_child = [&]() -> Coro<void> {
      Context c = p.task->get_context();
      co_return;
    };
    p.var.set(1);
    Task<void> child = asyncio::create_task(body_child(), "child", std::nullopt, true);
    p.after = p.var.get(-1);
    co_await asyncio::sleep(0);
    p.later = p.var.get(-1);
    co_await child;
    co_return 0;
  });
  CHECK(p.after == 1);
  CHECK(p.later == 1);
  CHECK(p.at_end == 1);
}

TEST_CASE("task_get_context_inside_ctx_run (test_tasks.BaseTaskTests.test_get_context)",
          "[contextvars]") {
  // The same, with get_context() asked from inside another Context.run in the task's step.
  GetContextProbe<void> p;
  p.run([&]() -> Coro<void> {
    p.var.set(1);
    Context other;
    other.run([&] { Context mine = p.task->get_context(); });
    p.after = p.var.get(-1);
    p.var.set(2);
    co_await asyncio::sleep(0);
    p.later = p.var.get(-1);
  });
  CHECK(p.after == 1);
  CHECK(p.later == 2);
  CHECK(p.at_end == 2);
}

TEST_CASE("task_context_is_entered (test_context.ContextTest.test_context_run_7)",
          "[contextvars]") {
  // A task's step runs in its context as Context.run does: the context is entered meanwhile,
  // and entering it again from the task is refused (RuntimeError in CPython 3.12 and 3.13).
  EventLoop loop;
  Context ctx;
  bool explicit_refused = false;
  bool own_refused = false;
  std::optional<Task<void>> task;
  auto body = [&]() -> Coro<void> {
    try {
      ctx.run([] {});
    } catch (const asyncio::RuntimeError&) {
      explicit_refused = true;
    }
    try {
      task->get_context().run([] {});
    } catch (const asyncio::RuntimeError&) {
      own_refused = true;
    }
    co_return;
  };
  task = loop.create_task(body(), "", ctx);
  loop.run_until_complete(*task);
  loop.close();
  CHECK(explicit_refused);
  CHECK(own_refused);
  CHECK(ctx.run([] { return 1; }) == 1);  // left once the step is over
}

TEST_CASE("taskgroup_task_context (test_taskgroups.TestTaskGroup.test_taskgroup_task_context)",
          "[contextvars]") {
  EventLoop loop;
  std::vector<int> ret;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      asyncio::TaskGroup g;
      co_await g.run([&]() -> Coro<void> {
        co_await two_tasks_in_copy(ret, [&](Coro<void> coro, Context ctx) {
          return g.create_task(std::move(coro), "", std::move(ctx));
        });
        // Without a context, a group's task gets a copy of its creator's.
        shared_cvar().set(7);
        auto body = [&]() -> Coro<void> {
          ret.push_back(shared_cvar().get(0));
          shared_cvar().set(8);
          co_return;
        };
        Task<void> t3 = g.create_task(body());
        co_await t3;
        ret.push_back(shared_cvar().get(0));
      });
    }());
  });
  loop.close();
  CHECK(ret == std::vector<int>{0, 1, 2, 7, 7});
}

TEST_CASE("main_task_copies_caller_context (test_runners.TestRunner.test_run_keeps_context)",
          "[contextvars]") {
  // run_until_complete's task gets a copy of the context it was called in.
  ContextVar<int> cvar("cvar", -1);
  EventLoop loop;
  Context ctx;
  std::vector<int> seen;
  ctx.run([&] {
    cvar.set(1);
    int got = loop.run_until_complete([&]() -> Coro<int> {
      int old = cvar.get();
      co_await asyncio::sleep(0);
      cvar.set(2);
      co_return old;
    }());
    seen.push_back(got);
    seen.push_back(cvar.get());  // the task's set stayed in the task's copy
  });
  loop.close();
  CHECK(seen == std::vector<int>{1, 1});
  // asyncio.run does the same.
  seen.clear();
  ctx.run([&] { seen.push_back(asyncio::run([&]() -> Coro<int> { co_return cvar.get(); }())); });
  CHECK(seen == std::vector<int>{1});
}

// ---------------------------------------------------------------- wait_for, timeout, shield

TEST_CASE("wait_for_timeout_shield_contexts (test_tasks.BaseTaskTests wait_for context 3.12)",
          "[contextvars]") {
  // 3.12+: wait_for and timeout await the coroutine in the caller's own task, so its sets are
  // the caller's (3.11's wait_for made a task); shield makes a task, which copies the context.
  ContextVar<int> var("var", 0);
  EventLoop loop;
  std::vector<int> seen;
  auto setter = [&]() -> Coro<int> {
    var.set(5);
    co_await asyncio::sleep(0);
    co_return var.get();
  };
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      int r = co_await asyncio::wait_for(setter(), 10.0);
      seen.push_back(r);
      seen.push_back(var.get());
      var.set(0);
      r = co_await asyncio::timeout(10.0).run(setter());
      seen.push_back(r);
      seen.push_back(var.get());
      var.set(0);
      r = co_await asyncio::shield(setter());
      seen.push_back(r);
      seen.push_back(var.get());
    }());
  });
  loop.close();
  CHECK(seen == std::vector<int>{5, 5, 5, 5, 5, 0});
}
