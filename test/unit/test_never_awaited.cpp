// Coroutines that never run: debug mode's "coroutine '<name>' was never awaited", and none of
// it outside debug mode or for coroutines that did run.
#include "unit/loop_support.hpp"

#include <catch2/catch.hpp>

#include <string>

using asyncio::Coro;
using asyncio::EventLoop;
using test_support::LogCapture;

namespace {

Coro<int> fetch_answer() {
  co_return 42;
}

namespace nested {
Coro<void> helper(int) {
  co_return;
}
}  // namespace nested

bool mentions(const LogCapture& log, const std::string& text) {
  for (const auto& r : log.records) {
    if (r.text.find(text) != std::string::npos) return true;
  }
  return false;
}

// Runs, on a new loop with debug mode on or off, a coroutine that calls drop(), which makes
// coroutines and drops them unawaited.
template <class Drop>
void run_dropping(bool debug, Drop drop) {
  EventLoop loop;
  loop.set_debug(debug);
  loop.run_until_complete([&]() -> Coro<void> {
    drop();
    co_return;
  }());
}

}  // namespace

TEST_CASE(
    "never_awaited_debug (test_coroutines.CoroutineTest.test_unawaited_warning_during_shutdown)",
    "[coroutines]") {
  LogCapture log;
  run_dropping(true, [] {
    { auto unused = fetch_answer(); }
    { auto unused = nested::helper(1); }
  });
  REQUIRE(mentions(log, "coroutine 'fetch_answer' was never awaited"));
  REQUIRE(mentions(log, "coroutine 'nested::helper' was never awaited"));
  REQUIRE(mentions(log, "Coroutine function defined at"));
  REQUIRE(mentions(log, "test_never_awaited.cpp"));
}

TEST_CASE(
    "never_awaited_quiet_outside_debug "
    "(test_events.EventLoopTestsMixin.test_run_until_complete_nesting)",
    "[coroutines]") {
  LogCapture log;
  run_dropping(false, [] { auto unused = fetch_answer(); });
  CHECK_FALSE(mentions(log, "was never awaited"));
}

TEST_CASE("awaited_or_scheduled_is_quiet (test_coroutines.CoroutineTest.test_func_9)",
          "[coroutines]") {
  LogCapture log;
  EventLoop loop;
  loop.set_debug(true);
  int got = loop.run_until_complete([]() -> Coro<int> {
    int a = co_await fetch_answer();
    auto task = asyncio::create_task(fetch_answer());
    int b = co_await task;
    co_return a + b;
  }());
  CHECK(got == 84);
  // A task cancelled before its first step still throws into its coroutine: it ran.
  auto task = loop.create_task(fetch_answer());
  task.cancel();
  test_support::run_once(loop);
  CHECK(task.cancelled());
  CHECK_FALSE(mentions(log, "was never awaited"));
}
