// Ports of CPython's test_asyncio/test_taskgroups.py (3.13's additions are in
// test_taskgroups_cancel.cpp).
// `async with TaskGroup() as g:` is `TaskGroup g; co_await g.run(body);`. Delays are scaled
// down (0.1 s -> 1 ms) keeping their order; long sleeps are always cancelled.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <exception>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::ExceptionGroup;
using asyncio::Task;
using asyncio::TaskGroup;
using Catch::Matchers::Contains;
using namespace test_support;

namespace {

// Python's exception types in these tests.
struct ZeroDivisionError : std::domain_error {
  ZeroDivisionError() : std::domain_error("division by zero") {}
};
struct ValueError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
struct MyExc : std::runtime_error {
  MyExc() : std::runtime_error("MyExc") {}
};

std::string type_name(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const ExceptionGroup&) {
    return "ExceptionGroup";
  } catch (const ZeroDivisionError&) {
    return "ZeroDivisionError";
  } catch (const ValueError&) {
    return "ValueError";
  } catch (const MyExc&) {
    return "MyExc";
  } catch (const CancelledError&) {
    return "CancelledError";
  } catch (...) {
    return "other";
  }
}

// get_error_types(eg): the set of the group's exception types.
std::set<std::string> error_types(const ExceptionGroup& eg) {
  std::set<std::string> out;
  for (auto& e : eg.exceptions) out.insert(type_name(e));
  return out;
}

// The ExceptionGroup f throws; none if it throws something else or nothing.
template <class F>
std::optional<ExceptionGroup> group_from(F&& f) {
  try {
    f();
  } catch (const ExceptionGroup& eg) {
    return eg;
  } catch (...) {
  }
  return std::nullopt;
}

ExceptionGroup nested_group(const ExceptionGroup& eg, std::size_t i) {
  try {
    std::rethrow_exception(eg.exceptions.at(i));
  } catch (const ExceptionGroup& inner) {
    return inner;
  }
}

template <class T>
Coro<T> sleep_result(double delay, T value) {
  co_await asyncio::sleep(delay);
  co_return value;
}

Coro<void> sleep_for(double delay) {
  co_await asyncio::sleep(delay);
}

Coro<void> crash_after(double delay) {
  co_await asyncio::sleep(delay);
  throw ZeroDivisionError();
}

Coro<void> value_error_after(double delay) {
  co_await asyncio::sleep(delay);
  throw ValueError(std::to_string(delay));
}

// `try: await sleep(10) finally: 1 / 0`
Coro<void> sleep_then_crash() {
  try {
    co_await asyncio::sleep(10);
  } catch (...) {
  }
  throw ZeroDivisionError();
}

// Lets freshly created tasks take their first steps.
Coro<void> drain(int iterations = 3) {
  for (int i = 0; i < iterations; ++i) co_await asyncio::sleep(0);
}

// Counts cancellations: `try: await sleep(d) except CancelledError: n += 1; raise`.
Coro<void> count_cancel(int& n, double delay = 10) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    ++n;
    throw;
  }
}

}  // namespace

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_01", "[taskgroups]") {
  // Also test_taskgroup_02: the group waits for its tasks, also those created later.
  EventLoop loop;
  Task<int> t1, t2, t3;
  auto main_coro = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      t1 = g.create_task(sleep_result(0.001, 42));
      t2 = g.create_task(sleep_result(0.002, 11));
      co_await asyncio::sleep(0.0015);
      t3 = g.create_task(sleep_result(0.002, 7));
    });
    CHECK(t1.result() == 42);
    CHECK(t2.result() == 11);
    CHECK(t3.result() == 7);
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_03", "[taskgroups]") {
  // A task cancelled explicitly does not disturb the group.
  EventLoop loop;
  Task<int> t1, t2;
  auto main_coro = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      t1 = g.create_task(sleep_result(10.0, 42));
      co_await asyncio::sleep(0.001);
      t1.cancel();
      t2 = g.create_task(sleep_result(0.002, 11));
    });
  };
  loop.run_until_complete(main_coro());
  CHECK(t1.cancelled());
  CHECK(t2.result() == 11);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_04", "[taskgroups]") {
  // A failing task cancels its siblings; the failure comes out in an ExceptionGroup and the
  // code after the group does not run.
  EventLoop loop;
  int num = 0;
  int t2_cancel = 0;
  Task<void> t2;
  auto runner = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      g.create_task(crash_after(0.001));
      t2 = g.create_task(count_cancel(t2_cancel));
      co_return;
    });
    num += 10;
  };
  auto eg = group_from([&] { loop.run_until_complete(runner()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(num == 0);
  CHECK(t2_cancel == 1);
  CHECK(t2.cancelled());
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_cancel_children_on_child_error", "[taskgroups]") {
  // A child's failure cancels the other children and the body of the group.
  EventLoop loop;
  int t2_cancel = 0;
  int runner_cancel = 0;
  auto runner = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      for (int i = 0; i < 3; ++i) g.create_task(crash_after(0.001));
      g.create_task(count_cancel(t2_cancel, 5));
      co_await count_cancel(runner_cancel);
    });
  };
  auto eg = group_from([&] { loop.run_until_complete(runner()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(t2_cancel == 1);
  CHECK(runner_cancel == 1);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_cancellation", "[taskgroups]") {
  // Also test_taskgroup_07: cancelling the task running the group cancels the children and
  // the body, and CancelledError comes out.
  EventLoop loop;
  int num = 0;
  auto runner = [&](bool body_waits) -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      for (int i = 0; i < 5; ++i) g.create_task(count_cancel(num));
      if (!body_waits) co_return;
      int body = 0;
      try {
        co_await count_cancel(body);
      } catch (const CancelledError&) {
        num += 10;
        throw;
      }
    });
  };
  auto main_coro = [&](bool body_waits) -> Coro<void> {
    Task<void> r = asyncio::create_task(runner(body_waits));
    co_await drain();
    CHECK_FALSE(r.done());
    r.cancel();
    co_await r;
  };
  CHECK_THROWS_AS(loop.run_until_complete(main_coro(false)), CancelledError);
  CHECK(num == 5);
  num = 0;
  CHECK_THROWS_AS(loop.run_until_complete(main_coro(true)), CancelledError);
  CHECK(num == 15);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_08", "[taskgroups]") {
  // Children failing while being cancelled: their errors win over the outside cancellation.
  EventLoop loop;
  auto runner = []() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      for (int i = 0; i < 5; ++i) g.create_task(sleep_then_crash());
      co_await asyncio::sleep(10);
    });
  };
  auto main_coro = [&]() -> Coro<void> {
    Task<void> r = asyncio::create_task(runner());
    co_await drain();
    CHECK_FALSE(r.done());
    r.cancel();
    co_await r;
  };
  auto eg = group_from([&] { loop.run_until_complete(main_coro()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(eg->exceptions.size() == 5);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_09", "[taskgroups]") {
  // Also test_taskgroup_10: the body failing (after an await or at once) cancels the
  // children; its error comes out in the group.
  for (bool sleep_first : {true, false}) {
    EventLoop loop;
    Task<int> t1, t2;
    auto runner = [&]() -> Coro<void> {
      TaskGroup g;
      co_await g.run([&]() -> Coro<void> {
        t1 = g.create_task(sleep_result(1.0, 42));
        t2 = g.create_task(sleep_result(2.0, 11));
        if (sleep_first) co_await asyncio::sleep(0.001);
        throw ZeroDivisionError();
      });
    };
    auto eg = group_from([&] { loop.run_until_complete(runner()); });
    REQUIRE(eg);
    CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
    CHECK(t1.cancelled());
    CHECK(t2.cancelled());
  }
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_11", "[taskgroups]") {
  // Also test_taskgroup_12: nested groups, outer task cancelled, inner children failing:
  // the inner group's ExceptionGroup comes out inside the outer's.
  for (bool outer_has_task : {false, true}) {
    EventLoop loop;
    auto runner = [&]() -> Coro<void> {
      TaskGroup g1;
      co_await g1.run([&]() -> Coro<void> {
        if (outer_has_task) g1.create_task(sleep_for(10));
        TaskGroup g2;
        co_await g2.run([&]() -> Coro<void> {
          for (int i = 0; i < 5; ++i) g2.create_task(sleep_then_crash());
          co_await asyncio::sleep(10);
        });
      });
    };
    auto main_coro = [&]() -> Coro<void> {
      Task<void> r = asyncio::create_task(runner());
      co_await drain();
      CHECK_FALSE(r.done());
      r.cancel();
      co_await r;
    };
    auto eg = group_from([&] { loop.run_until_complete(main_coro()); });
    REQUIRE(eg);
    CHECK(error_types(*eg) == std::set<std::string>{"ExceptionGroup"});
    CHECK(error_types(nested_group(*eg, 0)) == std::set<std::string>{"ZeroDivisionError"});
  }
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_13", "[taskgroups]") {
  // The outer group's child fails first: the inner group is cancelled, not failed.
  EventLoop loop;
  auto runner = []() -> Coro<void> {
    TaskGroup g1;
    co_await g1.run([&]() -> Coro<void> {
      g1.create_task(value_error_after(0.001));
      TaskGroup g2;
      co_await g2.run([&]() -> Coro<void> {
        g2.create_task(value_error_after(10));
        co_return;
      });
    });
  };
  auto eg = group_from([&] { loop.run_until_complete(runner()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ValueError"});
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_14", "[taskgroups]") {
  // The inner group's child fails first: its ExceptionGroup is the outer body's error.
  EventLoop loop;
  auto runner = []() -> Coro<void> {
    TaskGroup g1;
    co_await g1.run([&]() -> Coro<void> {
      g1.create_task(value_error_after(10));
      TaskGroup g2;
      co_await g2.run([&]() -> Coro<void> {
        g2.create_task(value_error_after(0.001));
        co_return;
      });
    });
  };
  auto eg = group_from([&] { loop.run_until_complete(runner()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ExceptionGroup"});
  CHECK(error_types(nested_group(*eg, 0)) == std::set<std::string>{"ValueError"});
}

namespace {
// test_taskgroup_15's group: the body, once cancelled, lingers while a child crashes.
Coro<void> group_lingering_after_cancel() {
  TaskGroup g1;
  co_await g1.run([&]() -> Coro<void> {
    g1.create_task(crash_after(0.003));
    std::exception_ptr cancelled;
    try {
      co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
      cancelled = std::current_exception();
    }
    if (cancelled) {
      co_await asyncio::sleep(0.01);
      std::rethrow_exception(cancelled);
    }
  });
}
}  // namespace

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_15", "[taskgroups]") {
  // Also test_taskgroup_16: a child failing while the cancelled body still runs turns the
  // cancellation into an ExceptionGroup, also when the group runs in a task of its own.
  for (bool nested : {false, true}) {
    EventLoop loop;
    auto runner = [&]() -> Coro<void> {
      if (nested) {
        co_await asyncio::create_task(group_lingering_after_cancel());
      } else {
        co_await group_lingering_after_cancel();
      }
    };
    auto main_coro = [&]() -> Coro<void> {
      Task<void> r = asyncio::create_task(runner());
      co_await asyncio::sleep(0.001);
      CHECK_FALSE(r.done());
      r.cancel();
      co_await r;
    };
    auto eg = group_from([&] { loop.run_until_complete(main_coro()); });
    REQUIRE(eg);
    CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
  }
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_17", "[taskgroups]") {
  // Also test_taskgroup_22: an outside cancellation of a group (empty, or with children)
  // comes out as CancelledError.
  for (bool with_children : {false, true}) {
    EventLoop loop;
    int num = 0;
    auto runner = [&]() -> Coro<void> {
      TaskGroup g;
      co_await g.run([&]() -> Coro<void> {
        if (with_children) {
          g.create_task(sleep_result(1.0, 42));
          g.create_task(sleep_result(2.0, 11));
        }
        try {
          co_await asyncio::sleep(10);
        } catch (const CancelledError&) {
          num += 10;
          throw;
        }
      });
    };
    auto main_coro = [&]() -> Coro<void> {
      Task<void> r = asyncio::create_task(runner());
      co_await drain();
      CHECK_FALSE(r.done());
      r.cancel();
      co_await r;
    };
    CHECK_THROWS_AS(loop.run_until_complete(main_coro()), CancelledError);
    CHECK(num == 10);
  }
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_18", "[taskgroups]") {
  // A body answering its cancellation with another exception: that exception, in a group.
  EventLoop loop;
  int num = 0;
  auto runner = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      try {
        co_await asyncio::sleep(10);
      } catch (const CancelledError&) {
        num += 10;
        throw MyExc();
      }
    });
  };
  auto main_coro = [&]() -> Coro<void> {
    Task<void> r = asyncio::create_task(runner());
    co_await drain();
    r.cancel();
    co_await r;
  };
  auto eg = group_from([&] { loop.run_until_complete(main_coro()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"MyExc"});
  CHECK(num == 10);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_19", "[taskgroups]") {
  // The body's own error (raised when it is cancelled) joins the child's in the group.
  EventLoop loop;
  auto nested = []() -> Coro<void> {
    try {
      co_await asyncio::sleep(10);
    } catch (...) {
    }
    throw MyExc();  // `finally: raise MyExc`
  };
  auto runner = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      g.create_task(crash_after(0.001));
      co_await nested();
    });
  };
  auto eg = group_from([&] { loop.run_until_complete(runner()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"MyExc", "ZeroDivisionError"});
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_24", "[taskgroups]") {
  // Also test_taskgroup_25: children may add children; the group waits for all of them,
  // and a later failure still cancels the lot.
  EventLoop loop;
  int finished = 0;
  auto coro1 = [&](double delay) -> Coro<void> {
    co_await asyncio::sleep(delay);
    ++finished;
  };
  auto root = [&](TaskGroup& g) -> Coro<void> {
    co_await asyncio::sleep(0.001);
    g.create_task(coro1(0.001));
    g.create_task(coro1(0.002));
  };
  auto runner = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      g.create_task(root(g));
      co_return;
    });
  };
  loop.run_until_complete(runner());
  CHECK(finished == 2);

  int nhydras = 0;
  std::function<Coro<void>(TaskGroup&)> hydra = [&](TaskGroup& g) -> Coro<void> {
    ++nhydras;
    co_await asyncio::sleep(0.001);
    g.create_task(hydra(g));
    g.create_task(hydra(g));
  };
  auto hercules = [&]() -> Coro<void> {
    while (nhydras < 10) co_await asyncio::sleep(0.0015);
    throw ZeroDivisionError();
  };
  auto hydra_runner = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      g.create_task(hydra(g));
      g.create_task(hercules());
      co_return;
    });
  };
  auto eg = group_from([&] { loop.run_until_complete(hydra_runner()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(nhydras >= 10);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_task_name", "[taskgroups]") {
  // create_task(coro, name) names the task.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      Task<void> t = g.create_task(sleep_for(0), "yolo");
      CHECK(t.get_name() == "yolo");
      co_return;
    });
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_no_create_task_after_failure",
          "[taskgroups]") {
  // Once a child failed the group is shutting down: create_task is a RuntimeError.
  EventLoop loop;
  std::string refused = "<none>";
  auto coro2 = [&](TaskGroup& g) -> Coro<void> {
    bool cancelled = false;
    try {
      co_await asyncio::sleep(1);
    } catch (const CancelledError&) {
      cancelled = true;
    }
    if (!cancelled) co_return;
    try {
      g.create_task(crash_after(0));
    } catch (const asyncio::RuntimeError& e) {
      refused = e.what();
    }
  };
  auto main_coro = [&]() -> Coro<void> {
    TaskGroup g;
    co_await g.run([&]() -> Coro<void> {
      g.create_task(crash_after(0.001));
      g.create_task(coro2(g));
      co_return;
    });
  };
  auto eg = group_from([&] { loop.run_until_complete(main_coro()); });
  REQUIRE(eg);
  CHECK(error_types(*eg) == std::set<std::string>{"ZeroDivisionError"});
  CHECK_THAT(refused, Contains("shutting down"));
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_context_manager_exit_raises",
          "[taskgroups]") {
  // gh-95289: the body failing on its way out after a child failed: both errors in the
  // group, and the parent task is no longer cancelling.
  EventLoop loop;
  struct CustomException : std::runtime_error {
    CustomException() : std::runtime_error("custom") {}
  };
  auto raise_exc = []() -> Coro<void> {
    throw CustomException();
    co_return;
  };
  int cancelling = -1;
  std::size_t errors = 0;
  auto main_coro = [&]() -> Coro<void> {
    asyncio::TaskRef task = asyncio::current_task();
    try {
      TaskGroup tg;
      co_await tg.run([&]() -> Coro<void> {
        try {  // `async with database():` whose exit raises
          tg.create_task(raise_exc());
          co_await asyncio::sleep(1);
        } catch (...) {
        }
        throw CustomException();
      });
    } catch (const ExceptionGroup& eg) {
      cancelling = task.cancelling();
      errors = eg.exceptions.size();
    }
  };
  loop.run_until_complete(main_coro());
  CHECK(cancelling == 0);
  CHECK(errors == 2);
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_already_entered", "[taskgroups]") {
  // Also test_taskgroup_double_enter: a group runs once; entering it again is an error.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    TaskGroup tg;
    std::string inner = "<none>";
    co_await tg.run([&]() -> Coro<void> {
      try {
        co_await tg.run([]() -> Coro<void> { co_return; });
      } catch (const asyncio::RuntimeError& e) {
        inner = e.what();
      }
    });
    CHECK_THAT(inner, Contains("has already been entered"));
    std::string again = "<none>";
    try {
      co_await tg.run([]() -> Coro<void> { co_return; });
    } catch (const asyncio::RuntimeError& e) {
      again = e.what();
    }
    CHECK_THAT(again, Contains("has already been entered"));
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_finished", "[taskgroups]") {
  // Also test_taskgroup_not_entered: create_task before or after the group is an error.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    TaskGroup tg;
    CHECK_THROWS_WITH(tg.create_task(sleep_for(0)), Contains("has not been entered"));
    co_await tg.run([]() -> Coro<void> { co_return; });
    CHECK_THROWS_WITH(tg.create_task(sleep_for(0)), Contains("is finished"));
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_taskgroups.TestTaskGroup.test_taskgroup_without_parent_task", "[taskgroups]") {
  // A group entered outside any task (from a plain callback) is a RuntimeError.
  EventLoop loop;
  TaskGroup tg;
  Coro<void> entering = tg.run([]() -> Coro<void> { co_return; });
  loop.call_soon([&entering] { entering.handle().resume(); });
  run_once(loop);
  REQUIRE(entering.done());
  std::string text = "<none>";
  try {
    entering.handle().promise().take();
  } catch (const asyncio::RuntimeError& e) {
    text = e.what();
  }
  CHECK_THAT(text, Contains("parent task"));
  CHECK_THROWS_WITH(tg.create_task(sleep_for(0)), Contains("has not been entered"));
}
