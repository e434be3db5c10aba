// Ports of the tests of asyncio.events' loop functions in test_events.py (PolicyTests,
// GetEventLoopTestsMixin), and of gather and ensure_future called before the loop runs.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "runner_support.hpp"

#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::RuntimeError;
using Catch::Matchers::Contains;
using test_support::CurrentLoopCleared;
using test_support::runtime_error_of;
using test_support::value_after_sleep;

TEST_CASE(
    "get_event_loop_after_set_none: test_events.PolicyTests.test_get_event_loop_after_set_none",
    "[runners]") {
  CurrentLoopCleared cleared;
  CHECK(runtime_error_of([] { asyncio::get_event_loop(); }) ==
        "RuntimeError: There is no current event loop in thread 'MainThread'.");
}

TEST_CASE("get_event_loop_thread: test_events.PolicyTests.test_get_event_loop_thread",
          "[runners]") {
  // Each thread has its own current loop: one set here is not another thread's.
  CurrentLoopCleared cleared;
  auto loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  std::string in_thread;
  std::thread other([&] { in_thread = runtime_error_of([] { asyncio::get_event_loop(); }); });
  other.join();
  CHECK_THAT(in_thread, Contains("There is no current event loop in thread '"));
  CHECK(&asyncio::get_event_loop() == loop.get());
}

TEST_CASE("set_event_loop: test_events.PolicyTests.test_set_event_loop / test_new_event_loop",
          "[runners]") {
  CurrentLoopCleared cleared;
  auto old_loop = asyncio::new_event_loop();
  auto loop = asyncio::new_event_loop();
  CHECK(old_loop != loop);
  CHECK_FALSE(loop->is_closed());
  asyncio::set_event_loop(old_loop);
  asyncio::set_event_loop(loop);
  CHECK(&asyncio::get_event_loop() == loop.get());
  loop->close();
  CHECK(&asyncio::get_event_loop() == loop.get());  // a closed loop stays current, as in asyncio
  old_loop->close();
}

TEST_CASE(
    "get_event_loop_running: test_events.GetEventLoopTestsMixin."
    "test_get_event_loop_returns_running_loop2",
    "[runners]") {
  // The running loop wins over the one set; once it stops, the one set answers again.
  CurrentLoopCleared cleared;
  auto loop = asyncio::new_event_loop();
  auto other = asyncio::new_event_loop();
  asyncio::set_event_loop(other);
  auto func = [&]() -> Coro<bool> {
    co_return &asyncio::get_event_loop() == loop.get() &&
        &asyncio::get_running_loop() == loop.get();
  };
  CHECK(loop->run_until_complete(func()));
  CHECK(&asyncio::get_event_loop() == other.get());
  asyncio::set_event_loop(nullptr);
  CHECK_THAT(runtime_error_of([] { asyncio::get_event_loop(); }), Contains("no current"));
  loop->close();
  other->close();
}

TEST_CASE("gather_before_run: test_tasks.GatherTests (the set_event_loop idiom)", "[runners]") {
  // set_event_loop(loop); loop.run_until_complete(gather(a(), b())): gather and ensure_future
  // called before the loop runs wrap their coroutines on the current loop.
  CurrentLoopCleared cleared;
  auto loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  auto both = asyncio::gather(value_after_sleep(1), value_after_sleep(2));
  CHECK(&both.get_loop() == loop.get());
  auto result = loop->run_until_complete(both);
  CHECK(result == std::tuple<int, int>{1, 2});
  auto task = asyncio::ensure_future(value_after_sleep(3));
  CHECK(&task.get_loop() == loop.get());
  CHECK(loop->run_until_complete(task) == 3);
  std::vector<Coro<int>> coros;
  coros.push_back(value_after_sleep(4));
  auto all = asyncio::gather(std::move(coros));
  CHECK(loop->run_until_complete(all) == std::vector<int>{4});
  loop->close();
}

TEST_CASE("gather_future_loop: test_tasks.GatherTests (the first future's loop)", "[runners]") {
  // With no current loop, a future's own loop is the one gather uses for the rest, as asyncio.
  CurrentLoopCleared cleared;
  auto loop = asyncio::new_event_loop();
  asyncio::Future<int> fut = loop->create_future<int>();
  fut.set_result(0);
  auto both = asyncio::gather(fut, value_after_sleep(5));
  CHECK(&both.get_loop() == loop.get());
  CHECK(loop->run_until_complete(both) == std::tuple<int, int>{0, 5});
  CHECK_THROWS_AS(asyncio::gather(value_after_sleep(6)), RuntimeError);
  loop->close();
}
