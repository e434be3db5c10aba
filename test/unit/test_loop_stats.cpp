// loop.stats() (beyond CPython: no asyncio test covers it; each test names the CPython test
// nearest to what it checks). Deterministic: timer lateness comes from deadlines set in the
// past on the loop's clock, and a "slow" callback spins until the loop's clock has moved.
#include <asyncio/asyncio.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <cstdlib>
#include <optional>
#include <string>

using asyncio::EventLoop;
using test_support::run_once;

namespace {

// A callback of known length on the loop's clock.
void spin(EventLoop& loop, double seconds) {
  double until = loop.time() + seconds;
  while (loop.time() < until) {
  }
}

class StatsEnv {  // sets or unsets ASYNCIO_CPP_STATS for the scope of a test
 public:
  StatsEnv() {
    if (const char* old = std::getenv("ASYNCIO_CPP_STATS")) saved_ = old;
  }
  ~StatsEnv() {
    if (saved_) {
      ::setenv("ASYNCIO_CPP_STATS", saved_->c_str(), 1);
    } else {
      ::unsetenv("ASYNCIO_CPP_STATS");
    }
  }
  StatsEnv(const StatsEnv&) = delete;
  StatsEnv& operator=(const StatsEnv&) = delete;

 private:
  std::optional<std::string> saved_;
};

}  // namespace

TEST_CASE("stats_off_by_default: nearest test_base_events.BaseEventLoopTests.test_set_debug",
          "[stats]") {
  StatsEnv restore;
  ::unsetenv("ASYNCIO_CPP_STATS");
  EventLoop loop;
  CHECK_FALSE(loop.get_stats());
  loop.call_soon([] {});
  run_once(loop);
  asyncio::LoopStats s = loop.stats();
  CHECK_FALSE(s.enabled);
  CHECK(s.iterations == 0);
  CHECK(s.callbacks == 0);
}

TEST_CASE("stats_env_var: nearest test_base_events.BaseEventLoopTests.test_env_var_debug",
          "[stats]") {
  // ASYNCIO_CPP_STATS is read when a loop is made, as ASYNCIO_CPP_DEBUG is: non-empty is on.
  StatsEnv restore;
  ::setenv("ASYNCIO_CPP_STATS", "", 1);
  CHECK_FALSE(EventLoop().get_stats());
  ::setenv("ASYNCIO_CPP_STATS", "1", 1);
  EventLoop loop;
  CHECK(loop.get_stats());
  run_once(loop);
  CHECK(loop.stats().enabled);
  CHECK(loop.stats().callbacks == 1);  // run_once's stop()
}

TEST_CASE("stats_callbacks_iterations: nearest test_base_events.BaseEventLoopTests.test__run_once",
          "[stats]") {
  EventLoop loop;
  loop.set_stats(true);
  int ran = 0;
  for (int i = 0; i < 3; ++i) loop.call_soon([&] { ++ran; });
  loop.call_soon([] {}).cancel();  // skipped: not counted
  run_once(loop);                  // one batch: the 3, the cancelled one and stop()
  asyncio::LoopStats s = loop.stats();
  CHECK(ran == 3);
  CHECK(s.enabled);
  CHECK(s.iterations == 1);
  CHECK(s.callbacks == 4);
  CHECK(s.ready_high_water == 5);
  run_once(loop);
  CHECK(loop.stats().iterations == 2);
  CHECK(loop.stats().callbacks == 5);
}

TEST_CASE("stats_ready_high_water_after_batch: test_base_events.test__run_once_schedule_handle",
          "[stats]") {
  // What a batch schedules waits for the next one: the queue's size after it counts too.
  EventLoop loop;
  loop.set_stats(true);
  loop.call_soon([&] {
    for (int i = 0; i < 10; ++i) loop.call_soon([] {});
  });
  run_once(loop);
  CHECK(loop.stats().ready_high_water == 10);
  loop.stop();  // the 10 run in the next batch, before this stop
  loop.run_forever();
  CHECK(loop.stats().callbacks == 2 + 10);
}

TEST_CASE("stats_timer_lag_percentiles: nearest test_base_events.test_time_and_call_at",
          "[stats]") {
  // Timers due 1..100 seconds ago on the loop's clock: each runs at least that late.
  EventLoop loop;
  loop.set_stats(true);
  double now = loop.time();
  for (int k = 1; k <= 100; ++k) loop.call_at(now - k, [] {});
  loop.call_soon([] {}).cancel();
  run_once(loop);
  asyncio::LoopStats s = loop.stats();
  CHECK(s.timers_fired == 100);
  CHECK(s.timer_lag_samples == 100);
  CHECK(s.timer_lag_p50 >= 50.0);
  CHECK(s.timer_lag_p50 < 51.0);  // safety net: the run took under a second
  CHECK(s.timer_lag_p99 >= 99.0);
  CHECK(s.timer_lag_p99 < 100.0);
  CHECK(s.timer_lag_max >= 100.0);
  CHECK(s.timer_lag_max < 101.0);
}

TEST_CASE("stats_timer_lag_rolling_window: nearest test_base_events.test_time_and_call_at",
          "[stats]") {
  // The window keeps the last 1024 timers: very late ones that ran first fall out of it.
  EventLoop loop;
  loop.set_stats(true);
  double now = loop.time();
  for (int k = 0; k < 100; ++k) loop.call_at(now - 1000, [] {});
  run_once(loop);
  CHECK(loop.stats().timer_lag_max >= 1000.0);
  for (int k = 0; k < 1024; ++k) loop.call_at(loop.time(), [] {});
  run_once(loop);
  asyncio::LoopStats s = loop.stats();
  CHECK(s.timers_fired == 1124);
  CHECK(s.timer_lag_samples == 1024);
  CHECK(s.timer_lag_max < 1000.0);
}

TEST_CASE(
    "stats_slow_callbacks: nearest test_base_events.BaseEventLoopTests.test__run_once_logging",
    "[stats]") {
  EventLoop loop;
  loop.set_stats(true);
  loop.slow_callback_duration = 0.01;
  SECTION("a batch that ran past the threshold counts once outside debug mode") {
    loop.call_soon([&] { spin(loop, 0.02); });
    loop.call_soon([] {});
    run_once(loop);
    CHECK(loop.stats().slow_callbacks == 1);
    loop.slow_callback_duration = 1000;
    loop.call_soon([] {});
    run_once(loop);
    CHECK(loop.stats().slow_callbacks == 1);
  }
  SECTION("debug mode times each callback: the count is exact") {
    test_support::LogCapture logs;  // the "Executing ... took" warnings
    loop.set_debug(true);
    loop.call_soon([&] { spin(loop, 0.02); });
    loop.call_soon([&] { spin(loop, 0.02); });
    loop.call_soon([] {});
    run_once(loop);
    CHECK(loop.stats().slow_callbacks == 2);
    CHECK(logs.records.size() == 2);
  }
}

TEST_CASE("stats_poll_and_callback_time: nearest test_base_events.test_run_once_in_executor",
          "[stats]") {
  // Time spent in callbacks against time spent polling, on the loop's clock.
  EventLoop loop;
  loop.set_stats(true);
  double t0 = loop.time();
  loop.call_soon([&] { spin(loop, 0.02); });
  loop.call_later(0.05, [&] { loop.stop(); });
  loop.run_forever();
  double elapsed = loop.time() - t0;
  asyncio::LoopStats s = loop.stats();
  CHECK(s.callback_seconds >= 0.02);
  CHECK(s.poll_seconds > 0.0);  // it waited for the timer
  CHECK(s.poll_seconds + s.callback_seconds <= elapsed);
  CHECK(s.timers_fired == 1);
}

TEST_CASE("stats_toggle: nearest test_base_events.BaseEventLoopTests.test_set_debug", "[stats]") {
  // Off drops the counters; on starts again from zero. A callback may do either.
  EventLoop loop;
  loop.set_stats(true);
  run_once(loop);
  CHECK(loop.stats().callbacks == 1);
  loop.call_soon([&] { loop.set_stats(false); });
  loop.call_soon([] {});
  run_once(loop);
  CHECK_FALSE(loop.get_stats());
  CHECK(loop.stats().callbacks == 0);
  loop.call_soon([&] { loop.set_stats(true); });
  run_once(loop);  // the batch that turned them on is not counted: it began without them
  CHECK(loop.stats().callbacks == 0);
  run_once(loop);
  CHECK(loop.stats().callbacks == 1);
  CHECK(loop.stats().iterations == 1);
}

TEST_CASE("stats_count_task_steps: nearest test_tasks.BaseTaskTests.test_step_result", "[stats]") {
  // A task's steps are callbacks: create_task's first step, and one per sleep(0).
  EventLoop loop;
  loop.set_stats(true);
  auto body = []() -> asyncio::Coro<int> {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_return 7;
  };
  int result = loop.run_until_complete(body());
  CHECK(result == 7);
  CHECK(loop.stats().callbacks >= 3);
}

TEST_CASE("stats_guest_mode: nearest test_base_events.BaseEventLoopTests.test_run_once",
          "[stats]") {
  // A host's io_context drives the loop: each guest step is an iteration, with no poll time.
  boost::asio::io_context host;
  EventLoop loop(host);
  loop.set_stats(true);
  int ran = 0;
  loop.call_soon([&] { ++ran; });
  loop.call_soon([&] {
    ++ran;
    host.stop();
  });
  host.run_for(std::chrono::seconds(10));  // returns at once via stop(); a safety net
  asyncio::LoopStats s = loop.stats();
  CHECK(ran == 2);
  CHECK(s.callbacks == 2);
  CHECK(s.iterations >= 1);
  CHECK(s.poll_seconds == 0.0);
}
