// Ports of CPython's test_asyncio/test_runners.py (RunTests, RunnerTests); the asyncio.run
// basics are in test_tasks.cpp, the loop functions in test_current_loop.cpp. SIGINT is raised from
// inside the loop, never after a sleep; the tests that need it set SIGINT's default disposition
// first (Catch2 installs its own handler), as CPython's Runner only takes Ctrl-C over the default
// one.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"
#include "runner_support.hpp"
#include "signal_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::KeyboardInterrupt;
using asyncio::Runner;
using asyncio::RuntimeError;
using Catch::Matchers::Contains;
using test_support::CurrentLoopCleared;
using test_support::runtime_error_of;
using test_support::SignalDisposition;
using test_support::value_after_sleep;

namespace {

static_assert(!std::is_base_of_v<std::exception, KeyboardInterrupt>,
              "KeyboardInterrupt is a BaseException: catch (std::exception&) must not take it");

void (*sigint_handler())(int) {
  struct sigaction action {};
  ::sigaction(SIGINT, nullptr, &action);
  return action.sa_handler;
}

// CPython's interrupt_self(): the signal a Ctrl-C sends, raised on the main thread.
void interrupt_self() {
  ::raise(SIGINT);
}

// The ownership a new_event_loop() factory hands out, with a count of its calls.
struct CountingFactory {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  std::shared_ptr<EventLoop> loop = asyncio::new_event_loop();
  std::shared_ptr<EventLoop> operator()() const {
    ++*calls;
    return loop;
  }
};

}  // namespace

// ---------------------------------------------------------------- RunTests

TEST_CASE("run_only_coro: test_runners.RunTests.test_asyncio_run_only_coro", "[runners]") {
  // An empty Coro is C++'s "not a coroutine": ValueError('a coroutine was expected').
  CurrentLoopCleared cleared;
  CHECK_THAT(runtime_error_of([] { asyncio::run(Coro<int>{}); }),
             Contains("a coroutine was expected"));
}

TEST_CASE("run_debug_unset: test_runners.RunTests.test_asyncio_run_debug", "[runners]") {
  // debug=None leaves the loop's own setting; true and false set it (test_tasks.cpp checks those).
  CurrentLoopCleared cleared;
  auto debug = []() -> Coro<bool> { co_return asyncio::get_event_loop().get_debug(); };
  CHECK_FALSE(asyncio::run(debug()));
  CHECK(asyncio::run(debug(), true));
  CHECK(asyncio::run(debug(), std::nullopt, [] {
    auto loop = asyncio::new_event_loop();
    loop->set_debug(true);
    return loop;
  }));
}

TEST_CASE("run_loop_factory: test_runners.RunTests.test_asyncio_run_loop_factory", "[runners]") {
  // The factory is called once, its loop runs main and is closed; set_event_loop is not called.
  CurrentLoopCleared cleared;
  CountingFactory factory;
  auto main_coro = [&]() -> Coro<bool> {
    co_return &asyncio::get_running_loop() == factory.loop.get();
  };
  CHECK(asyncio::run(main_coro(), std::nullopt, factory));
  CHECK(*factory.calls == 1);
  CHECK(factory.loop->is_closed());
  CHECK_THROWS_AS(asyncio::get_event_loop(), RuntimeError);
}

TEST_CASE("run_set_event_loop: test_runners.RunTests.test_asyncio_run_set_event_loop",
          "[runners]") {
  // A runner with no factory makes its loop the current one (seen once no loop runs), and
  // asyncio.run clears the current loop when it is done.
  CurrentLoopCleared cleared;
  Runner runner;
  CHECK(runner.run(value_after_sleep(42)) == 42);
  CHECK(&asyncio::get_event_loop() == &runner.get_loop());
  CHECK(asyncio::run(value_after_sleep(42)) == 42);
  CHECK_THAT(runtime_error_of([] { asyncio::get_event_loop(); }),
             Contains("There is no current event loop in thread 'MainThread'."));
}

// ---------------------------------------------------------------- RunnerTests

TEST_CASE("runner_debug: test_runners.RunnerTests.test_non_debug / test_debug", "[runners]") {
  CurrentLoopCleared cleared;
  Runner non_debug(false);
  CHECK_FALSE(non_debug.get_loop().get_debug());
  Runner debug(true);
  CHECK(debug.get_loop().get_debug());
}

TEST_CASE("runner_custom_factory: test_runners.RunnerTests.test_custom_factory", "[runners]") {
  // get_loop() is the factory's loop, made once; a factory's loop is never made current.
  CurrentLoopCleared cleared;
  CountingFactory factory;
  {
    Runner runner(factory);
    CHECK(*factory.calls == 0);  // lazily: nothing before the first use
    CHECK(&runner.get_loop() == factory.loop.get());
    CHECK(&runner.get_loop() == factory.loop.get());
    CHECK(*factory.calls == 1);
    CHECK_THROWS_AS(asyncio::get_event_loop(), RuntimeError);
  }
  CHECK(factory.loop->is_closed());
  // A lambda or a function is a factory, never taken for `debug` (both convert to bool).
  Runner from_lambda([] {
    auto loop = asyncio::new_event_loop();
    loop->set_debug(true);
    return loop;
  });
  CHECK(from_lambda.get_loop().get_debug());
  Runner from_function(asyncio::new_event_loop, true);
  CHECK(from_function.get_loop().get_debug());
  CHECK_THROWS_AS(asyncio::get_event_loop(), RuntimeError);
}

TEST_CASE("runner_run: test_runners.RunnerTests.test_run", "[runners]") {
  // run() gives the result; after close the loop is closed and get_loop() refuses.
  CurrentLoopCleared cleared;
  CountingFactory factory;  // keeps the loop alive past close() to look at it
  auto f = []() -> Coro<std::string> {
    co_await asyncio::sleep(0);
    co_return "done";
  };
  {
    Runner runner(factory);
    CHECK(runner.run(f()) == "done");
  }
  CHECK(factory.loop->is_closed());
  Runner runner;
  runner.close();  // closing a runner never used does nothing, and run() still works
  CHECK(runner.run(f()) == "done");
}

TEST_CASE("runner_run_several_times: test_runners.RunnerTests (several run() calls, one loop)",
          "[runners]") {
  // Every run() uses the same loop, and a task left pending by one run goes on in the next,
  // as CPython's Runner keeps its loop open between calls.
  CurrentLoopCleared cleared;
  Runner runner;
  EventLoop& loop = runner.get_loop();
  asyncio::Future<int> gate(loop);
  asyncio::Task<int> leftover;
  auto first = [&]() -> Coro<EventLoop*> {
    leftover = asyncio::create_task([](asyncio::Future<int> g) -> Coro<int> {
      int value = co_await g;
      co_return value + 1;
    }(gate));
    co_return &asyncio::get_running_loop();
  };
  auto second = [&]() -> Coro<int> {
    gate.set_result(41);
    int value = co_await leftover;
    co_return value;
  };
  CHECK(runner.run(first()) == &loop);
  CHECK_FALSE(leftover.done());
  CHECK(runner.run(second()) == 42);
  CHECK(&runner.get_loop() == &loop);
}

TEST_CASE("runner_run_non_coro: test_runners.RunnerTests.test_run_non_coro", "[runners]") {
  CurrentLoopCleared cleared;
  Runner runner;
  CHECK_THAT(runtime_error_of([&] { runner.run(Coro<void>{}); }),
             Contains("a coroutine was expected"));
}

TEST_CASE(
    "runner_explicit_close: test_runners.RunnerTests.test_explicit_close / "
    "test_double_close",
    "[runners]") {
  // close() closes the loop and clears the current loop this runner set; get_loop() then
  // refuses, and a second close() does nothing.
  CurrentLoopCleared cleared;
  Runner runner;
  EventLoop& loop = runner.get_loop();
  CHECK(&asyncio::get_event_loop() == &loop);
  runner.close();
  CHECK_THAT(runtime_error_of([&] { runner.get_loop(); }), Contains("Runner is closed"));
  CHECK_THROWS_AS(asyncio::get_event_loop(), RuntimeError);
  runner.close();
  CountingFactory factory;
  Runner with_factory(factory);
  with_factory.get_loop();
  with_factory.close();
  CHECK(factory.loop->is_closed());
  with_factory.close();
  CHECK(*factory.calls == 1);
}

TEST_CASE("runner_close_cancels: test_runners.RunTests.test_asyncio_run_cancels_hanging_tasks",
          "[runners]") {
  // close() cancels what the runs left pending and waits for it, as asyncio.run does.
  CurrentLoopCleared cleared;
  Runner runner;
  bool saw_cancel = false;
  asyncio::Task<void> lo_task;
  auto main_coro = [&]() -> Coro<void> {
    lo_task = asyncio::create_task([](bool& saw) -> Coro<void> {
      try {
        co_await asyncio::sleep(3600);
      } catch (const CancelledError&) {
        saw = true;
        throw;
      }
    }(saw_cancel));
    co_return;
  };
  runner.run(main_coro());
  CHECK_FALSE(lo_task.done());
  runner.close();
  CHECK(lo_task.cancelled());
  CHECK(saw_cancel);
}

TEST_CASE("runner_second_with_block: test_runners.RunnerTests.test_second_with_block_raises",
          "[runners]") {
  // A run() after close() refuses before the coroutine can run.
  CurrentLoopCleared cleared;
  std::vector<int> ret;
  auto f = [&](int arg) -> Coro<void> {
    ret.push_back(arg);
    co_return;
  };
  Runner runner;
  runner.run(f(1));
  runner.close();
  CHECK_THAT(runtime_error_of([&] { runner.run(f(2)); }), Contains("Runner is closed"));
  CHECK(ret == std::vector<int>{1});
}

TEST_CASE("runner_recursive_run: test_runners.RunnerTests.test_recursive_run", "[runners]") {
  // run() from inside its own running loop refuses, and the inner coroutine never runs.
  CurrentLoopCleared cleared;
  Runner runner;
  bool inner_ran = false;
  auto g = [&]() -> Coro<void> {
    inner_ran = true;
    co_return;
  };
  auto f = [&]() -> Coro<std::string> { co_return runtime_error_of([&] { runner.run(g()); }); };
  CHECK(runner.run(f()) == "RuntimeError: Runner.run() cannot be called from a running event loop");
  CHECK_FALSE(inner_ran);
}

TEST_CASE("runner_set_event_loop_once: test_runners.RunnerTests.test_set_event_loop_called_once",
          "[runners]") {
  // The runner makes its loop current once (gh-95736): a loop the user set after that stays
  // current across later run() calls. close() clears the current loop all the same.
  CurrentLoopCleared cleared;
  auto coro = []() -> Coro<void> { co_return; };
  auto other = asyncio::new_event_loop();
  Runner runner;
  runner.run(coro());
  CHECK(&asyncio::get_event_loop() == &runner.get_loop());
  asyncio::set_event_loop(other);
  runner.run(coro());
  CHECK(&asyncio::get_event_loop() == other.get());
  runner.close();
  CHECK_THROWS_AS(asyncio::get_event_loop(), RuntimeError);
  other->close();
}

// ---------------------------------------------------------------- Ctrl-C

TEST_CASE("runner_sigint_installed: test_runners.RunnerTests.test_signal_install_not_supported_ok",
          "[runners]") {
  // The handler is there only while run() runs, only over the default disposition, and the
  // default comes back afterwards; another disposition is left alone, and run() still works.
  CurrentLoopCleared cleared;
  auto disposition = []() -> Coro<bool> { co_return sigint_handler() == SIG_DFL; };
  Runner runner;
  {
    SignalDisposition dfl(SIGINT, SIG_DFL);
    CHECK_FALSE(runner.run(disposition()));
    CHECK(sigint_handler() == SIG_DFL);
  }
  {
    SignalDisposition ign(SIGINT, SIG_IGN);
    auto ignored = []() -> Coro<bool> { co_return sigint_handler() == SIG_IGN; };
    CHECK(runner.run(ignored()));
    CHECK(sigint_handler() == SIG_IGN);
  }
}

TEST_CASE("runner_sigint_main_thread_only: test_runners.Runner.run (threading.main_thread())",
          "[runners]") {
  // CPython checks threading.main_thread(): a runner on another thread leaves SIGINT alone.
  SignalDisposition dfl(SIGINT, SIG_DFL);
  bool default_inside = false;
  std::thread other([&] {
    Runner runner;
    default_inside = runner.run([]() -> Coro<bool> { co_return sigint_handler() == SIG_DFL; }());
  });
  other.join();
  CHECK(default_inside);
}

TEST_CASE("runner_interrupt_call_soon: test_runners.RunnerTests.test_interrupt_call_soon",
          "[runners]") {
  // A main task that never waits on a future (only sleep(0)) is still cancelled by Ctrl-C;
  // it ends cancelled, so run() throws KeyboardInterrupt.
  CurrentLoopCleared cleared;
  SignalDisposition dfl(SIGINT, SIG_DFL);
  bool saw_cancel = false;
  auto coro = [&]() -> Coro<void> {
    asyncio::get_running_loop().call_soon(interrupt_self);
    try {
      while (true) co_await asyncio::sleep(0);
    } catch (const CancelledError&) {
      saw_cancel = true;
    }
    throw CancelledError();
  };
  Runner runner;
  CHECK_THROWS_AS(runner.run(coro()), KeyboardInterrupt);
  CHECK(saw_cancel);
  CHECK(sigint_handler() == SIG_DFL);
  CHECK(runner.run(value_after_sleep(7)) == 7);  // the runner goes on after an interrupt
}

TEST_CASE("keyboard_interrupt_describe: test_runners.RunnerTests (KeyboardInterrupt in a log)",
          "[runners]") {
  // A KeyboardInterrupt that reaches a log or an exception handler is named, as Python's is.
  auto exc = std::make_exception_ptr(KeyboardInterrupt{});
  CHECK(asyncio::describe_exception(exc) == "asyncio::KeyboardInterrupt");
  CHECK(asyncio::exception_repr(exc) == "asyncio::KeyboardInterrupt()");
}

TEST_CASE("runner_interrupt_wait: test_runners.RunnerTests.test_interrupt_wait", "[runners]") {
  // Interrupting while waiting on a future cancels both the future and the main task.
  CurrentLoopCleared cleared;
  SignalDisposition dfl(SIGINT, SIG_DFL);
  Runner runner;
  asyncio::Future<void> fut = runner.get_loop().create_future();
  bool saw_cancel = false;
  auto coro = [&]() -> Coro<void> {
    try {
      co_await fut;
    } catch (const CancelledError&) {
      saw_cancel = true;
    }
    throw CancelledError();
  };
  runner.get_loop().call_soon(interrupt_self);
  CHECK_THROWS_AS(runner.run(coro()), KeyboardInterrupt);
  CHECK(saw_cancel);
  CHECK(fut.cancelled());
}

TEST_CASE("runner_interrupt_cancelled_task: test_runners.RunnerTests.test_interrupt_cancelled_task",
          "[runners]") {
  // A main task that something else cancelled too ends in CancelledError, not
  // KeyboardInterrupt: after uncancel() one cancellation is still requested.
  CurrentLoopCleared cleared;
  SignalDisposition dfl(SIGINT, SIG_DFL);
  auto subtask = [](asyncio::TaskRef task) -> Coro<void> {
    co_await asyncio::sleep(0);
    task.cancel();
    interrupt_self();
  };
  auto coro = [&]() -> Coro<void> {
    asyncio::create_task(subtask(asyncio::current_task()));
    co_await asyncio::sleep(3600);
  };
  Runner runner;
  CHECK_THROWS_AS(runner.run(coro()), CancelledError);
}

TEST_CASE("runner_interrupt_swallowed: test_runners.Runner.run (a main task that ignores Ctrl-C)",
          "[runners]") {
  // The main task may catch the cancellation and return: run() gives its result, as CPython's
  // Runner.run, which turns only a CancelledError into KeyboardInterrupt.
  CurrentLoopCleared cleared;
  SignalDisposition dfl(SIGINT, SIG_DFL);
  auto coro = []() -> Coro<int> {
    asyncio::get_running_loop().call_soon(interrupt_self);
    try {
      co_await asyncio::sleep(3600);
    } catch (const CancelledError&) {
      co_return asyncio::current_task().cancelling();
    }
    co_return -1;
  };
  Runner runner;
  CHECK(runner.run(coro()) == 1);
}

TEST_CASE("runner_interrupt_after_done: test_runners.Runner._on_sigint (main task done)",
          "[runners]") {
  // A SIGINT that arrives once the main task is done has nothing to cancel: CPython's handler
  // raises KeyboardInterrupt, which run() throws in place of the result.
  CurrentLoopCleared cleared;
  SignalDisposition dfl(SIGINT, SIG_DFL);
  auto coro = []() -> Coro<int> {
    asyncio::get_running_loop().call_soon(interrupt_self);  // runs after the task returned
    co_return 1;
  };
  Runner runner;
  CHECK_THROWS_AS(runner.run(coro()), KeyboardInterrupt);
}

TEST_CASE("runner_user_sigint_handler: test_runners.Runner.run (its handler replaced)",
          "[runners]") {
  // The loop's add_signal_handler(SIGINT, ...) takes Ctrl-C over from the runner, and the
  // runner leaves that handler in place when run() ends, as CPython checks getsignal().
  CurrentLoopCleared cleared;
  SignalDisposition dfl(SIGINT, SIG_DFL);
  Runner runner;
  int heard = 0;
  auto coro = [&]() -> Coro<bool> {
    EventLoop& loop = asyncio::get_running_loop();
    asyncio::Future<void> got = loop.create_future();
    loop.add_signal_handler(SIGINT, [&heard, got]() mutable {
      ++heard;
      got.set_result();
    });
    interrupt_self();
    co_await got;
    co_return asyncio::current_task().cancelling() == 0;
  };
  CHECK(runner.run(coro()));
  CHECK(heard == 1);
  CHECK(sigint_handler() != SIG_DFL);  // the loop's handler stays
  CHECK(runner.get_loop().remove_signal_handler(SIGINT));
  CHECK(sigint_handler() == SIG_DFL);
}

TEST_CASE("runner_second_sigint_ends_process: test_runners.Runner._on_sigint (second SIGINT)",
          "[runners]") {
  // A second SIGINT while the main task is still running is Python's uncaught
  // KeyboardInterrupt: the process ends by SIGINT (exit status 130 in a shell).
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    try {
      Runner runner;
      runner.run([]() -> Coro<void> {
        interrupt_self();  // the first: a cancellation, not delivered yet
        interrupt_self();  // the second: the default action
        co_return;
      }());
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGINT);
}
