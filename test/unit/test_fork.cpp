// A process forked from inside a running loop (CPython's test_unix_events.TestFork, 3.12): the
// child forgets the parent's running loop, task, current loop and signal table, so it can run
// asyncio::run() of its own, and its signals stay its own.
#include <asyncio/asyncio.hpp>

#include <catch2/catch.hpp>

#include "unit/child_support.hpp"

#include <csignal>
#include <string>

using asyncio::Coro;
using test_support::in_forked_child;

namespace {

std::string loop_seen_by_child() {
  try {
    asyncio::get_event_loop();
    return "LOOP";
  } catch (const asyncio::RuntimeError&) {
  }
  try {
    asyncio::get_running_loop();
    return "RUNNING LOOP";
  } catch (const asyncio::RuntimeError&) {
  }
  return "NO LOOP";
}

Coro<int> child_main() {
  co_await asyncio::sleep(0.001);
  co_return co_await asyncio::create_task([]() -> Coro<int> { co_return 42; }());
}

}  // namespace

TEST_CASE("fork_not_share_loop: test_unix_events.TestFork.test_fork_not_share_event_loop",
          "[fork]") {
  // 3.14's get_event_loop() creates no loop: the child sees none, neither the running one
  // nor the one set on the thread.
  asyncio::set_event_loop(asyncio::new_event_loop());
  std::string report;
  asyncio::run([&]() -> Coro<> {
    report = in_forked_child(loop_seen_by_child);
    co_return;
  }());
  CHECK(report == "NO LOOP");
  CHECK(in_forked_child(loop_seen_by_child) == "NO LOOP");  // the loop set, not running
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("fork_asyncio_run: test_unix_events.TestFork.test_fork_asyncio_run", "[fork]") {
  // Forked from inside a task, where CPython's test forks outside any loop: the harder case.
  std::string report;
  asyncio::run([&]() -> Coro<> {
    report = in_forked_child([] { return std::to_string(asyncio::run(child_main())); });
    co_return;
  }());
  CHECK(report == "42");
}

TEST_CASE("fork_asyncio_subprocess: test_unix_events.TestFork.test_fork_asyncio_subprocess",
          "[fork][subprocess]") {
  std::string report;
  asyncio::run([&]() -> Coro<> {
    report = in_forked_child([] {
      return std::to_string(asyncio::run([]() -> Coro<int> {
        auto proc = co_await asyncio::create_subprocess_exec("true");
        co_return co_await proc.wait();
      }()));
    });
    co_return;
  }());
  CHECK(report == "0");
}

TEST_CASE("fork_signal_handling: test_unix_events.TestFork.test_fork_signal_handling", "[fork]") {
  int parent_handled = 0;
  std::string report;
  asyncio::run([&]() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    auto parent_got = loop.create_future<bool>();
    loop.add_signal_handler(SIGUSR1, [&] {
      ++parent_handled;
      if (!parent_got.done()) parent_got.set_result(true);
    });
    report = in_forked_child([] {
      ::raise(SIGUSR1);  // the parent's handler, inherited: must not reach the parent's loop
      return asyncio::run([]() -> Coro<std::string> {
        auto& child_loop = asyncio::get_running_loop();
        auto got = child_loop.create_future<bool>();
        child_loop.add_signal_handler(SIGUSR1, [&got] { got.set_result(true); });
        ::raise(SIGUSR1);
        co_return (co_await got) ? "child handled" : "?";
      }());
    });
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);  // a stray byte would be read here
    int before = parent_handled;
    ::raise(SIGUSR1);  // the parent's loop still works
    bool got = co_await parent_got;
    CHECK(got);
    CHECK(before == 0);
    loop.remove_signal_handler(SIGUSR1);
  }());
  CHECK(report == "child handled");
  CHECK(parent_handled == 1);
}
