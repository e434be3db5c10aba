// Task factories (asyncio 3.12): set/get_task_factory, factories that change or decorate the
// task, their errors (C++'s own rule: TaskRequest::make, the task it built must be returned),
// create_eager_task_factory, and the task counts of TaskGroup and gather. Ports of CPython's
// test_base_events.py test_set_task_factory and test_eager_task_factory.py's counting tests.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "eager_support.hpp"
#include "loop_support.hpp"

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using Catch::Matchers::Contains;
using namespace eager_support;
using namespace test_support;

// ---------------------------------------------------------------- task counting

namespace {

// AsyncTaskCounter: counts the tasks its factory makes without eager_start.
struct TaskCounter {
  int task_count = 0;
  int made = 0;
  int done_at_creation = 0;
};

void install_counter(EventLoop& loop, TaskCounter& counter, bool eager) {
  TaskFactory counting = [&counter](TaskRequest& request) {
    if (!request.eager_start.value_or(false)) ++counter.task_count;
    TaskRef task = request.make();
    ++counter.made;
    counter.done_at_creation += task.done();
    return task;
  };
  loop.set_task_factory(eager ? asyncio::create_eager_task_factory(counting) : counting);
}

// What a counting run must show; a field left unset is not checked.
struct Counts {
  std::optional<int> task_count;
  std::optional<int> made;
  std::optional<int> done_at_creation;
};

void check_counts(const TaskCounter& counter, const Counts& want) {
  if (want.task_count) CHECK(counter.task_count == *want.task_count);
  if (want.made) CHECK(counter.made == *want.made);
  if (want.done_at_creation) CHECK(counter.done_at_creation == *want.done_at_creation);
}

// Runs make()'s coroutine to completion on a new loop whose factory counts the tasks (through
// create_eager_task_factory when `eager`), closes the loop and checks the counts against
// `want`. Returns the coroutine's result.
template <class Make>
auto run_counted(bool eager, const Counts& want, Make make) {
  EventLoop loop;
  TaskCounter counter;
  install_counter(loop, counter, eager);
  using Result = decltype(loop.run_until_complete(make()));
  if constexpr (std::is_void_v<Result>) {
    loop.run_until_complete(make());
    loop.close();
    check_counts(counter, want);
  } else {
    Result result = loop.run_until_complete(make());
    loop.close();
    check_counts(counter, want);
    return result;
  }
}

Coro<int> awaitable_chain(int depth) {
  if (depth == 0) co_return 0;
  int rest = co_await awaitable_chain(depth - 1);
  co_return 1 + rest;
}

Coro<void> recursive_taskgroups(int width, int depth) {
  if (depth == 0) co_return;
  asyncio::TaskGroup tg;
  co_await tg.run([&]() -> Coro<void> {
    for (int i = 0; i < width; ++i) tg.create_task(recursive_taskgroups(width, depth - 1));
    co_return;
  });
}

Coro<void> recursive_gather(int width, int depth) {
  if (depth == 0) co_return;
  std::vector<Coro<void>> children;
  for (int i = 0; i < width; ++i) children.push_back(recursive_gather(width, depth - 1));
  co_await asyncio::gather(std::move(children));
}

}  // namespace

TEST_CASE("awaitables_chain (test_eager_task_factory.NonEagerTests.test_awaitables_chain)",
          "[eager]") {
  int depth = run_counted(false, {.task_count = 1}, [] { return awaitable_chain(100); });
  CHECK(depth == 100);
}

TEST_CASE("awaitables_chain_eager (test_eager_task_factory.EagerTests.test_awaitables_chain)",
          "[eager]") {
  // done_at_creation 0: the loop was not running, so the task was scheduled lazily.
  Counts want{.task_count = 0, .made = 1, .done_at_creation = 0};
  int depth = run_counted(true, want, [] { return awaitable_chain(100); });
  CHECK(depth == 100);
}

TEST_CASE("recursive_taskgroups (test_eager_task_factory.NonEagerTests.test_recursive_taskgroups)",
          "[eager]") {
  // 781 = 1 + 5 + 5^2 + 5^3 + 5^4
  run_counted(false, {.task_count = 781, .done_at_creation = 0},
              [] { return recursive_taskgroups(5, 4); });
}

TEST_CASE(
    "recursive_taskgroups_eager (test_eager_task_factory.EagerTests.test_recursive_taskgroups)",
    "[eager]") {
  // CPython 3.12 and 3.13: every task but the first completes within its eager step (a group
  // whose tasks are all done does not suspend in __aexit__).
  run_counted(true, {.task_count = 0, .made = 781, .done_at_creation = 780},
              [] { return recursive_taskgroups(5, 4); });
}

TEST_CASE("recursive_gather (test_eager_task_factory.NonEagerTests.test_recursive_gather)",
          "[eager]") {
  run_counted(false, {.task_count = 781, .done_at_creation = 0},
              [] { return recursive_gather(5, 4); });
}

TEST_CASE("recursive_gather_eager (test_eager_task_factory.EagerTests.test_recursive_gather)",
          "[eager]") {
  run_counted(true, {.task_count = 0, .made = 781}, [] { return recursive_gather(5, 4); });
}

TEST_CASE(
    "recursive_gather_eager_completion (test_eager_task_factory.EagerTests.test_recursive_gather)",
    "[eager]") {
  // CPython 3.12 and 3.13 report 780 tasks done at creation: 3.12's gather runs the done
  // callbacks of children already done before it returns ("in the special case that *all*
  // futures finished eagerly, this will effectively complete the gather eagerly").
  run_counted(true, {.done_at_creation = 780}, [] { return recursive_gather(5, 4); });
}

TEST_CASE(
    "gather_of_done_children_done_at_return "
    "(test_eager_task_factory.EagerTests.test_recursive_gather)",
    "[eager]") {
  // The same rule with plain futures: gather(done_fut).done() is True at once in 3.12+.
  EventLoop loop;
  bool done_at_return = false;
  int value = 0;
  loop.run_until_complete([&]() -> Coro<void> {
    Future<int> fut = loop.create_future<int>();
    fut.set_result(3);
    auto g = asyncio::gather(fut);
    done_at_return = g.done();
    auto [v] = co_await g;
    value = v;
  }());
  loop.close();
  CHECK(value == 3);
  CHECK(done_at_return);
}

// ---------------------------------------------------------------- set_task_factory

TEST_CASE("factory_default_and_reset (test_base_events.BaseEventLoopTests.test_set_task_factory)",
          "[eager]") {
  EventLoop loop;
  CHECK_FALSE(loop.get_task_factory());
  int calls = 0;
  TaskFactory factory = [&](TaskRequest& request) {
    ++calls;
    return request.make();
  };
  loop.set_task_factory(factory);
  CHECK(loop.get_task_factory());
  bool lazy_done_at_creation = true;
  loop.run_until_complete([&]() -> Coro<void> {
    Task<std::string> t = loop.create_task(hello());
    lazy_done_at_creation = t.done();  // a factory is not eager by itself
    co_await t;
  }());
  CHECK(calls == 2);
  CHECK_FALSE(lazy_done_at_creation);
  loop.set_task_factory({});  // None: the default factory again
  CHECK_FALSE(loop.get_task_factory());
  loop.run_until_complete(hello());
  CHECK(calls == 2);
  loop.set_task_factory(asyncio::eager_task_factory);
  CHECK(loop.get_task_factory().target_type() == asyncio::eager_task_factory.target_type());
  loop.set_task_factory(nullptr);
  CHECK_FALSE(loop.get_task_factory());
  loop.close();
}

TEST_CASE("factory_request_fields (test_base_events.BaseEventLoopTests.test_set_task_factory)",
          "[eager]") {
  // The factory gets create_task's arguments as the request: name, context, eager_start.
  EventLoop loop;
  struct Seen {
    std::string name;
    std::optional<Context> context;
    std::optional<bool> eager_start;
  };
  std::vector<Seen> seen;
  loop.set_task_factory([&](TaskRequest& request) {
    seen.push_back({request.name, request.context, request.eager_start});
    CHECK(&request.loop == &loop);
    return request.make();
  });
  Context ctx;
  Context ctx2;
  loop.run_until_complete([&]() -> Coro<void> {
    Task<void> a = loop.create_task(noop(), "a", ctx, false);
    Task<void> b = asyncio::create_task(noop(), "b", std::nullopt, true);
    Task<void> c = asyncio::create_task(noop());
    CHECK(a.get_name() == "a");
    CHECK(b.get_name() == "b");
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      tg.create_task(noop(), "g", ctx2);
      co_return;
    });
    co_await a;
    co_await b;
    co_await c;
  }());
  loop.close();
  REQUIRE(seen.size() == 5);
  CHECK(seen[0].name.empty());  // run_until_complete's task
  CHECK_FALSE(seen[0].context.has_value());
  CHECK_FALSE(seen[0].eager_start.has_value());
  CHECK(seen[1].name == "a");
  REQUIRE(seen[1].context.has_value());
  CHECK(*seen[1].context == ctx);
  CHECK(seen[1].eager_start == std::optional<bool>(false));
  CHECK(seen[2].name == "b");
  CHECK_FALSE(seen[2].context.has_value());
  CHECK(seen[2].eager_start == std::optional<bool>(true));
  CHECK(seen[3].name.empty());
  CHECK_FALSE(seen[3].eager_start.has_value());
  CHECK(seen[4].name == "g");
  REQUIRE(seen[4].context.has_value());
  CHECK(*seen[4].context == ctx2);
}

TEST_CASE("factory_changes_request (test_base_events.BaseEventLoopTests.test_set_task_factory)",
          "[eager][contextvars]") {
  // What the factory changes in the request is what make() builds with.
  ContextVar<std::string> var("var", "unset");
  EventLoop loop;
  Context chosen;
  chosen.run([&] { var.set("chosen by the factory"); });
  std::vector<std::string> trace;
  loop.set_task_factory([&](TaskRequest& request) {
    if (request.name == "special") {
      request.name = "renamed";
      request.context = chosen;
      request.eager_start = true;
    }
    return request.make();
  });
  auto body = [&]() -> Coro<void> {
    trace.push_back(asyncio::current_task().get_name() + " sees " + var.get());
    co_return;
  };
  loop.run_until_complete([&]() -> Coro<void> {
    Task<void> t = loop.create_task(body(), "special");
    trace.push_back("created " + t.get_name() + (t.done() ? " done" : " pending"));
    co_await t;
    Task<void> u = loop.create_task(body(), "plain");
    trace.push_back("created " + u.get_name() + (u.done() ? " done" : " pending"));
    co_await u;
  }());
  loop.close();
  CHECK(trace == std::vector<std::string>{"renamed sees chosen by the factory",
                                          "created renamed done", "created plain pending",
                                          "plain sees unset"});
}

TEST_CASE("factory_decorates (test_base_events.BaseEventLoopTests.test_set_task_factory)",
          "[eager]") {
  // A factory that decorates what make() built: a done callback, a name.
  EventLoop loop;
  std::vector<std::string> trace;
  loop.set_task_factory([&](TaskRequest& request) {
    if (request.name.empty()) return request.make();  // run_until_complete's task
    request.eager_start = true;
    TaskRef task = request.make();
    trace.push_back("made " + task.get_name() + (task.done() ? " done" : " pending"));
    task.set_name("decorated-" + task.get_name());
    task.add_done_callback(
        [&trace](TaskRef done) { trace.push_back("done callback " + done.get_name()); });
    return task;
  });
  auto quick = [&]() -> Coro<int> {
    trace.push_back("quick runs");
    co_return 1;
  };
  auto slow = [&]() -> Coro<int> {
    trace.push_back("slow runs");
    co_await asyncio::sleep(0);
    trace.push_back("slow resumes");
    co_return 2;
  };
  loop.run_until_complete([&]() -> Coro<void> {
    Task<int> a = loop.create_task(quick(), "a");
    trace.push_back("created " + a.get_name());
    Task<int> b = loop.create_task(slow(), "b");
    trace.push_back("created " + b.get_name());
    int ra = co_await a;
    int rb = co_await b;
    trace.push_back("results " + std::to_string(ra) + " " + std::to_string(rb));
    co_await asyncio::sleep(0);
  }());
  loop.close();
  CHECK(trace == std::vector<std::string>{"quick runs", "made a done", "created decorated-a",
                                          "slow runs", "made b pending", "created decorated-b",
                                          "done callback decorated-a", "slow resumes",
                                          "done callback decorated-b", "results 1 2"});
}

TEST_CASE("factory_wrong_task (TaskRequest: the built task must be returned)", "[eager]") {
  // Python accepts whatever the factory returns; C++ cannot return another Task<T>, so a
  // factory must give back the task make() built.
  EventLoop loop;
  std::string wrong;
  std::string missing;
  std::string twice;
  int built_runs = 0;
  auto counted = [&]() -> Coro<void> {
    ++built_runs;
    co_return;
  };
  loop.run_until_complete([&]() -> Coro<void> {
    TaskRef other = asyncio::current_task();
    loop.set_task_factory([&](TaskRequest& request) {
      request.make();
      return other;  // not the one it built
    });
    wrong = error_text<asyncio::RuntimeError>([&] { (void)loop.create_task(counted()); });
    loop.set_task_factory([&](TaskRequest&) { return other; });  // built nothing
    {
      LogCapture quiet;  // the coroutine is dropped unstarted
      missing = error_text<asyncio::RuntimeError>([&] { (void)loop.create_task(counted()); });
    }
    loop.set_task_factory([&](TaskRequest& request) {
      request.make();
      return request.make();
    });
    twice = error_text<asyncio::RuntimeError>([&] { (void)loop.create_task(counted()); });
    loop.set_task_factory({});
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
  }());
  loop.close();
  CHECK_THAT(wrong, Contains("must return the task"));
  CHECK_THAT(missing, Contains("without calling TaskRequest::make()"));
  CHECK_THAT(twice, Contains("called twice"));
  CHECK(built_runs == 2);  // what make() built ran, even though create_task failed
}

TEST_CASE(
    "factory_exception_propagates (test_base_events.BaseEventLoopTests.test_set_task_factory)",
    "[eager]") {
  EventLoop loop;
  std::string text;
  bool still_works = false;
  loop.run_until_complete([&]() -> Coro<void> {
    loop.set_task_factory([](TaskRequest&) -> TaskRef { throw std::domain_error("no tasks"); });
    {
      LogCapture quiet;
      text = error_text<std::domain_error>([&] { (void)loop.create_task(noop()); });
    }
    loop.set_task_factory({});
    Task<std::string> t = loop.create_task(hello());
    std::string value = co_await t;
    still_works = value == "hello";
  }());
  loop.close();
  CHECK(text == "no tasks");
  CHECK(still_works);
}

TEST_CASE("factory_replaces_itself (test_base_events.BaseEventLoopTests.test_set_task_factory)",
          "[eager]") {
  // The factory may change the loop's factory while it runs.
  EventLoop loop;
  int calls = 0;
  bool second_lazy = false;
  loop.run_until_complete([&]() -> Coro<void> {
    loop.set_task_factory([&](TaskRequest& request) {
      ++calls;
      loop.set_task_factory({});
      request.eager_start = true;
      return request.make();
    });
    Task<std::string> a = loop.create_task(hello());
    Task<std::string> b = loop.create_task(hello());
    second_lazy = !b.done();
    CHECK(a.done());
    co_await b;
  }());
  loop.close();
  CHECK(calls == 1);
  CHECK(second_lazy);
}

TEST_CASE(
    "create_eager_task_factory_inner (test_eager_task_factory.EagerTaskFactoryLoopTests.setUp)",
    "[eager]") {
  // asyncio.create_eager_task_factory(custom): custom builds every task, with eager_start set;
  // an explicit eager_start=false to create_task still wins (3.14's create_task argument).
  CHECK_THROWS_AS(asyncio::create_eager_task_factory(TaskFactory{}), std::invalid_argument);
  EventLoop loop;
  std::vector<std::string> trace;
  loop.set_task_factory(asyncio::create_eager_task_factory([&](TaskRequest& request) {
    trace.push_back("inner " + request.name + " eager=" +
                    (request.eager_start ? (*request.eager_start ? "true" : "false") : "none"));
    return request.make();
  }));
  loop.run_until_complete([&]() -> Coro<void> {
    Task<std::string> e1 = loop.create_task(hello(), "e1");
    trace.push_back(std::string("e1 ") + (e1.done() ? "done" : "pending"));
    Task<std::string> l1 = loop.create_task(hello(), "l1", std::nullopt, false);
    trace.push_back(std::string("l1 ") + (l1.done() ? "done" : "pending"));
    co_await l1;
  }());
  loop.close();
  REQUIRE(trace.size() == 5);
  CHECK(trace[0] == "inner  eager=true");  // run_until_complete's task
  CHECK(std::vector<std::string>(trace.begin() + 1, trace.end()) ==
        std::vector<std::string>{"inner e1 eager=true", "e1 done", "inner l1 eager=false",
                                 "l1 pending"});
}

// ---------------------------------------------------------------- TaskGroup and gather

TEST_CASE("taskgroup_eager_tasks (test_eager_task_factory with TaskGroup)", "[eager]") {
  EagerLoop e;
  bool quick_done_at_creation = false;
  bool slow_done_at_creation = true;
  std::string results;
  e.loop.run_until_complete([&]() -> Coro<void> {
    Future<void> gate = e.loop.create_future<void>();
    Task<std::string> a, b;
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> Coro<void> {
      a = tg.create_task(hello());
      quick_done_at_creation = a.done();
      b = tg.create_task(after_gate(gate, "slow"));
      slow_done_at_creation = b.done();
      e.loop.call_soon([gate]() mutable { gate.set_result(); });
      co_return;
    });
    results = a.result() + " " + b.result();
  }());
  CHECK(quick_done_at_creation);
  CHECK_FALSE(slow_done_at_creation);
  CHECK(results == "hello slow");
}

TEST_CASE("taskgroup_eager_failure (test_eager_task_factory with TaskGroup)", "[eager]") {
  // A task failing in its eager step aborts the group at once: the body is cancelled at its
  // next await, and the failure comes out in the ExceptionGroup.
  EagerLoop e;
  std::vector<std::string> trace;
  bool sibling_cancelled = false;
  e.loop.run_until_complete([&]() -> Coro<void> {
    Future<void> never = e.loop.create_future<void>();
    Task<std::string> sibling;
    try {
      asyncio::TaskGroup tg;
      co_await tg.run([&]() -> Coro<void> {
        sibling = tg.create_task(after_gate(never, "never"));
        Task<int> f = tg.create_task(raise_now("tg-fail"));
        trace.push_back(std::string("failed task done at creation: ") + (f.done() ? "yes" : "no"));
        co_await asyncio::sleep(0);
        trace.push_back("not reached");
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      for (auto& exc : eg.exceptions) {
        try {
          std::rethrow_exception(exc);
        } catch (const std::invalid_argument& err) {
          trace.push_back(std::string("group holds ") + err.what());
        } catch (...) {
          trace.push_back("group holds something else");
        }
      }
    }
    sibling_cancelled = sibling.cancelled();
  }());
  CHECK(trace ==
        std::vector<std::string>{"failed task done at creation: yes", "group holds tg-fail"});
  CHECK(sibling_cancelled);
}

TEST_CASE("gather_eager_factory (test_eager_task_factory.EagerTests.test_recursive_gather)",
          "[eager]") {
  EagerLoop e;
  std::vector<std::string> trace;
  auto tagged = [&](std::string tag) -> Coro<std::string> {
    trace.push_back(tag);
    co_return tag;
  };
  e.loop.run_until_complete([&]() -> Coro<void> {
    auto g = asyncio::gather(tagged("g1"), tagged("g2"), tagged("g3"));
    trace.push_back("gather returned");
    auto [a, b, c] = co_await g;
    trace.push_back(a + b + c);
    std::vector<Coro<std::string>> coros;
    coros.push_back(tagged("r1"));
    coros.push_back(tagged("r2"));
    auto results = co_await asyncio::gather(std::move(coros));
    trace.push_back(results.at(0) + results.at(1));
  }());
  CHECK(trace == std::vector<std::string>{"g1", "g2", "g3", "gather returned", "g1g2g3", "r1", "r2",
                                          "r1r2"});
}
