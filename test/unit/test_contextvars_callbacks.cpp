// Context variables and callbacks (asyncio 3.12): call_soon and its siblings, in_context, done
// callbacks, readers, custom exception handlers, to_thread, run_in_executor and
// run_coroutine_threadsafe. Mirrors the callback contexts of CPython's test_base_events,
// test_events, test_futures, test_futures2 (exception handlers) and test_threads.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "contextvars_support.hpp"
#include "loop_support.hpp"

#include <chrono>
#include <cstddef>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

using asyncio::Context;
using asyncio::ContextVar;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using Catch::Matchers::Contains;
using namespace contextvars_support;
using namespace test_support;

// ---------------------------------------------------------------- callbacks

TEST_CASE("call_soon_snapshot (test_base_events call_soon context)", "[contextvars]") {
  // A callback runs in a copy of the context current when it was scheduled: later changes do
  // not reach it, and what it sets reaches neither its scheduler nor other callbacks.
  ContextVar<std::string> var("var", "unset");
  EventLoop loop;
  std::vector<std::string> seen;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      var.set("first");
      loop.call_soon(
          [&](int n) {
            seen.push_back(std::to_string(n) + " " + var.get());
            var.set("set by callback");
          },
          1);
      var.set("second");
      loop.call_soon([&] { seen.push_back("2 " + var.get()); });
      loop.call_later(0, [&] { seen.push_back("later " + var.get()); });
      loop.call_at(loop.time(), [&] { seen.push_back("at " + var.get()); });
      var.set("third");
      co_await asyncio::sleep(0);
      co_await asyncio::sleep(0);
      seen.push_back("task " + var.get());
    }());
  });
  loop.close();
  CHECK(seen ==
        std::vector<std::string>{"1 first", "2 second", "later second", "at second", "task third"});
}

TEST_CASE("callback_sets_do_not_leak (test_base_events call_soon context)", "[contextvars]") {
  // Callbacks scheduled while no variable is set each get an empty context of their own.
  ContextVar<int> var("var");
  EventLoop loop;
  std::vector<int> seen;
  isolated([&] {
    for (int i = 0; i < 3; ++i) {
      loop.call_soon([&, i] {
        seen.push_back(var.get(-1));
        var.set(i);
        seen.push_back(var.get(-1));
        // A callback scheduled from here copies this callback's context.
        if (i == 0) loop.call_soon([&] { seen.push_back(100 + var.get(-1)); });
      });
    }
    run_once(loop);
    run_once(loop);
    CHECK(var.get(-1) == -1);
  });
  loop.close();
  CHECK(seen == std::vector<int>{-1, 0, -1, 1, -1, 2, 100});
}

namespace {

struct TokenTrial {
  int value_in_second = -1;
  std::string refused = "<not run>";
};

// test_context_getset_4 through two callbacks, scheduled in a fresh context (after setting the
// variable when `snapshot`): the first sets the variable and keeps the token; the second reads
// the variable, then resets it with that token.
TokenTrial reset_in_other_callback(bool snapshot) {
  ContextVar<int> var("var", 0);
  EventLoop loop;
  TokenTrial trial;
  std::optional<ContextVar<int>::Token> token;
  isolated([&] {
    if (snapshot) var.set(5);
    loop.call_soon([&] { token.emplace(var.set(1)); });
    loop.call_soon([&] {
      trial.value_in_second = var.get();
      trial.refused = error_text<std::invalid_argument>([&] { var.reset(*token); });
    });
    run_once(loop);
  });
  loop.close();
  return trial;
}

}  // namespace

TEST_CASE("callback_token_other_context (test_context.ContextTest.test_context_getset_4)",
          "[contextvars]") {
  // Two callbacks have two contexts (each a copy_context() in asyncio): a token made in one
  // is refused in the other, even when both were scheduled with no variable set.
  TokenTrial trial = reset_in_other_callback(false);
  CHECK(trial.value_in_second == 0);
  CHECK_THAT(trial.refused, Contains("was created in a different Context"));
}

TEST_CASE("callback_snapshot_token_other_context (test_context.ContextTest.test_context_getset_4)",
          "[contextvars]") {
  // The same with callbacks scheduled while a variable is set (each gets a snapshot).
  TokenTrial trial = reset_in_other_callback(true);
  CHECK_THAT(trial.refused, Contains("was created in a different Context"));
}

TEST_CASE("call_soon_threadsafe_thread_context (test_base_events call_soon_threadsafe context)",
          "[contextvars]") {
  // call_soon_threadsafe from another thread snapshots that thread's context.
  ContextVar<std::string> var("var", "unset");
  EventLoop loop;
  std::vector<std::string> seen;
  isolated([&] {
    var.set("loop thread");
    std::thread t([&] {
      loop.call_soon_threadsafe([&] { seen.push_back("a " + var.get()); });
      var.set("worker");
      loop.call_soon_threadsafe([&] { seen.push_back("b " + var.get()); });
      var.set("worker later");
    });
    t.join();
    loop.call_soon([&] { seen.push_back("c " + var.get()); });
    run_once(loop);
  });
  loop.close();
  CHECK(seen == std::vector<std::string>{"a unset", "b worker", "c loop thread"});
}

TEST_CASE("in_context (test_base_events call_soon context=)", "[contextvars]") {
  // loop.call_soon(cb, *args, context=ctx): the callback runs in ctx itself, not a copy.
  ContextVar<std::string> var("var", "unset");
  EventLoop loop;
  Context ctx;
  ctx.run([&] { var.set("in ctx"); });
  std::vector<std::string> seen;
  isolated([&] {
    var.set("caller");
    loop.call_soon(asyncio::in_context(ctx,
                                       [&](const std::string& tag) {
                                         seen.push_back(tag + " " + var.get());
                                         var.set("changed by callback");
                                       }),
                   std::string("soon"));
    loop.call_later(0, asyncio::in_context(ctx, [&] { seen.push_back("later " + var.get()); }));
    run_once(loop);
    CHECK(var.get() == "caller");
  });
  loop.close();
  CHECK(seen == std::vector<std::string>{"soon in ctx", "later changed by callback"});
  CHECK(ctx_get<std::string>(ctx, var, "") == "changed by callback");
}

TEST_CASE("in_context_entered (test_context.ContextTest.test_context_run_7 via call_soon)",
          "[contextvars]") {
  // call_soon(cb, context=ctx) while ctx is entered (the loop runs inside ctx.run): entering
  // it fails with RuntimeError. A custom exception handler would run in the handle's context
  // (3.12), which cannot be entered either: CPython 3.12 and 3.13 never call it and log
  // "Unhandled error in exception handler" about the callback's error.
  EventLoop loop;
  Context ctx;
  bool ran = false;
  std::vector<std::string> messages;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& c) { messages.push_back(c.message); });
  std::vector<std::string> logged;
  {
    LogCapture capture;
    ctx.run([&] {
      loop.call_soon(asyncio::in_context(ctx, [&] { ran = true; }));
      run_once(loop);
    });
    for (auto& record : capture.records) logged.push_back(record.text);
  }
  loop.close();
  CHECK_FALSE(ran);
  CHECK(messages.empty());
  REQUIRE(logged.size() == 1);
  CHECK_THAT(logged[0], Contains("Unhandled error in exception handler"));
  CHECK_THAT(logged[0], Contains("Exception in callback"));
  CHECK_THAT(logged[0], Contains("is already entered"));
}

TEST_CASE("add_done_callback_context (test_futures add_done_callback context)", "[contextvars]") {
  // The callback runs in a copy of the context current at add_done_callback.
  ContextVar<int> var("var", 0);
  EventLoop loop;
  std::vector<int> seen;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      Future<int> fut = loop.create_future<int>();
      var.set(1);
      fut.add_done_callback([&](Future<int> f) {
        seen.push_back(var.get() * 100 + f.result());
        var.set(50);
      });
      var.set(2);
      fut.add_done_callback([&](Future<int>) { seen.push_back(var.get() * 100); });
      var.set(3);
      fut.set_result(7);
      co_await asyncio::sleep(0);
      seen.push_back(var.get());
    }());
  });
  loop.close();
  CHECK(seen == std::vector<int>{107, 200, 3});
}

// ---------------------------------------------------------------- executors

TEST_CASE("to_thread_contextvars (test_threads.ToThreadTests.test_to_thread_contextvars)",
          "[contextvars]") {
  ContextVar<std::string> test_ctx("test_ctx");
  EventLoop loop;
  std::string result;
  std::string after;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      test_ctx.set("parrot");
      result = co_await asyncio::to_thread([&] {
        std::string got = test_ctx.get();
        test_ctx.set("changed in thread");  // a copy: the caller does not see it
        return got;
      });
      after = test_ctx.get();
    }());
  });
  loop.close();
  CHECK(result == "parrot");
  CHECK(after == "parrot");
}

TEST_CASE("run_in_executor_worker_context (test_threads run_in_executor context)",
          "[contextvars]") {
  // run_in_executor does not carry the caller's context: the worker runs in its own, which
  // keeps what earlier jobs on that thread set (a thread's context, as in Python); to_thread's
  // jobs run in copies and leave the worker's own context alone.
  ContextVar<std::string> var("var");
  EventLoop loop;
  asyncio::ThreadPoolExecutor pool(1);
  std::vector<std::string> seen;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      var.set("caller");
      std::string a = co_await loop.run_in_executor(&pool, [&] {
        std::string got = var.get("<unset>");
        var.set("worker");
        return got;
      });
      seen.push_back(a);
      std::string b = co_await loop.run_in_executor(&pool, [&] { return var.get("<unset>"); });
      seen.push_back(b);
      seen.push_back(var.get());
    }());
  });
  pool.shutdown();
  loop.close();
  CHECK(seen == std::vector<std::string>{"<unset>", "worker", "caller"});
}

// ---------------------------------------------------------------- exception handlers (3.12)

namespace {

using StrVar = ContextVar<std::string>;

// The failing callbacks of test_futures2's exception handler tests: set `var`, then fail.
[[noreturn]] void set_and_fail(StrVar& var, const std::string& value) {
  var.set(value);
  throw std::domain_error("1 / 0");
}

// test_futures2's exception handler tests: main(loop, name) runs in a task, in a fresh context,
// with a custom exception handler that notes name.get() at each call (after the message when
// `with_message`). The notes must be `want`.
template <class Main>
void check_handler_notes(bool with_message, const std::vector<std::string>& want, Main main) {
  StrVar name("name", "foo");
  std::vector<std::string> calls;
  EventLoop loop;
  isolated([&] {
    loop.run_until_complete([&]() -> Coro<void> {
      loop.set_exception_handler([&](EventLoop&, const asyncio::ExceptionContext& c) {
        calls.push_back(with_message ? c.message + ": " + name.get() : name.get());
      });
      co_await main(loop, name);
    }());
  });
  loop.close();
  CHECK(calls == want);
}

}  // namespace

TEST_CASE(
    "exc_handler_task_context (test_futures2.FutureTests.test_task_exc_handler_correct_context)",
    "[contextvars]") {
  // gh-96704 (3.12): a custom exception handler runs in the context of the task concerned.
  auto fail_in_task = [](EventLoop&, StrVar& name) -> Coro<void> {
    auto task = [&]() -> Coro<void> {
      set_and_fail(name, "bar");
      co_return;
    };
    asyncio::create_task(task());
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
  };
  check_handler_notes(true, {"Task exception was never retrieved: bar"}, fail_in_task);
}

TEST_CASE(
    "exc_handler_handle_context "
    "(test_futures2.FutureTests.test_handle_exc_handler_correct_context)",
    "[contextvars]") {
  check_handler_notes(false, {"bar"}, [](EventLoop& loop, StrVar& name) -> Coro<void> {
    loop.call_soon([&] { set_and_fail(name, "bar"); });
    co_await asyncio::sleep(0);
  });
}

TEST_CASE(
    "exc_handler_snapshot_context "
    "(test_futures2.FutureTests.test_handle_exc_handler_correct_context)",
    "[contextvars]") {
  // The same for callbacks that run in a snapshot (a variable was set when they were
  // scheduled) and for done callbacks: the handler sees the callback's context.
  check_handler_notes(false, {"baz", "qux"}, [](EventLoop& loop, StrVar& name) -> Coro<void> {
    name.set("pre");
    loop.call_soon([&] { set_and_fail(name, "baz"); });
    co_await asyncio::sleep(0);
    Future<int> fut = loop.create_future<int>();
    fut.add_done_callback([&](Future<int>) { set_and_fail(name, "qux"); });
    fut.set_result(1);
    co_await asyncio::sleep(0);
  });
}

// ---------------------------------------------------------------- fd callbacks, threads

TEST_CASE("reader_context_persists (test_events add_reader context)", "[contextvars]") {
  // asyncio's add_reader makes one Handle, with one copy_context(), for every call of the
  // callback: what a call sets, the next call sees (CPython 3.11 to 3.13 print [0, 1, 2] and
  // [10, 11, 12]), and the caller sees none of it.
  ContextVar<int> var("var", 0);
  EventLoop loop;
  SocketPair pair;
  std::vector<int> seen;
  auto cb = [&] {
    char byte;
    (void)::recv(pair.a, &byte, 1, 0);
    seen.push_back(var.get());
    var.set(var.get() + 1);
  };
  auto feed_three = [&] {
    for (int i = 0; i < 3; ++i) {
      std::size_t before = seen.size();
      REQUIRE(::send(pair.b, "x", 1, 0) == 1);
      REQUIRE(run_until(loop, [&] { return seen.size() > before; }));
    }
  };
  isolated([&] {
    loop.add_reader(pair.a, cb);  // no variable set when added
    feed_three();
    loop.remove_reader(pair.a);
    var.set(10);
    loop.add_reader(pair.a, cb);
    feed_three();
    loop.remove_reader(pair.a);
    CHECK(var.get() == 10);
  });
  loop.close();
  CHECK(seen == std::vector<int>{0, 1, 2, 10, 11, 12});
}

TEST_CASE("run_coroutine_threadsafe_context (test_tasks.RunCoroutineThreadsafeTests context)",
          "[contextvars]") {
  // run_coroutine_threadsafe schedules through call_soon_threadsafe: the task copies the
  // submitting thread's context.
  ContextVar<std::string> var("var", "unset");
  EventLoop loop;
  std::string seen;
  std::string thread_after;
  auto body = [&]() -> Coro<std::string> {
    std::string got = var.get();
    var.set("set by the task");
    co_return got;
  };
  std::thread submitter;
  std::promise<std::string> out;
  std::future<std::string> result = out.get_future();
  isolated([&] {
    var.set("loop thread");
    loop.run_until_complete([&]() -> Coro<void> {
      submitter = std::thread([&] {
        var.set("submitter");
        auto fut = asyncio::run_coroutine_threadsafe(body(), loop);
        out.set_value(fut.result(10));
        thread_after = var.get();
      });
      while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        co_await asyncio::sleep(0);
      }
      seen = result.get();
    }());
  });
  submitter.join();
  loop.close();
  CHECK(seen == "submitter");
  CHECK(thread_after == "submitter");
}
