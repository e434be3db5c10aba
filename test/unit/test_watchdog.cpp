// loop.set_watchdog (beyond CPython: the nearest asyncio test is the slow-callback warning,
// test_base_events.BaseEventLoopTests.test__run_once_logging). Deterministic: a blocked
// callback waits until the monitor has reported it, never for a length of wall time; the
// only waits with a limit are 10 s safety nets.
#include <asyncio/asyncio.hpp>

#include <catch2/catch.hpp>

#include "loop_support.hpp"
#include "unit/child_support.hpp"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using asyncio::EventLoop;
using asyncio::WatchdogReport;
using test_support::in_forked_child;
using test_support::run_once;

namespace {

// Reports (or log records) from the monitor thread, for the loop's thread to wait on.
class Inbox {
 public:
  void add(std::string text, WatchdogReport r = {}) {
    std::lock_guard lock(mutex_);
    texts_.push_back(std::move(text));
    reports_.push_back(std::move(r));
    cv_.notify_all();
  }
  bool wait_for(std::size_t count) {  // safety net: 10 s
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return texts_.size() >= count; });
  }
  std::vector<WatchdogReport> reports() {
    std::lock_guard lock(mutex_);
    return reports_;
  }
  std::vector<std::string> texts() {
    std::lock_guard lock(mutex_);
    return texts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> texts_;
  std::vector<WatchdogReport> reports_;
};

asyncio::WatchdogCallback into(Inbox& inbox) {
  return [&inbox](const WatchdogReport& r) { inbox.add(r.handle, r); };
}

// Blocks the loop until the monitor has made `count` reports, then (to show a step is
// reported once) keeps it blocked for `extra` more seconds on the loop's clock.
struct Blocker {
  Inbox* inbox;
  std::size_t count;
  EventLoop* loop;
  double extra = 0;
  void operator()() const {
    inbox->wait_for(count);
    double until = loop->time() + extra;
    while (loop->time() < until) {
    }
  }
};

// The log sink from any thread (test_support::LogCapture is for the loop's thread only).
class SinkInbox : public Inbox {
 public:
  SinkInbox() {
    asyncio::set_log_sink([this](asyncio::LogLevel level, std::string_view text) {
      add(std::string(asyncio::to_string(level)) + ": " + std::string(text));
    });
  }
  ~SinkInbox() { asyncio::set_log_sink({}); }
  SinkInbox(const SinkInbox&) = delete;
  SinkInbox& operator=(const SinkInbox&) = delete;
};

}  // namespace

TEST_CASE("watchdog_reports_blocked_callback_once: nearest test_base_events.test__run_once_logging",
          "[watchdog]") {
  EventLoop loop;
  loop.set_stats(true);  // both instruments at once
  Inbox inbox;
  loop.set_watchdog(0.05, into(inbox));
  double before = loop.time();
  // Blocked until reported, then three thresholds more: still one report for the step.
  loop.call_soon(Blocker{&inbox, 1, &loop, 0.15});
  run_once(loop);
  loop.set_watchdog(std::nullopt);  // joins the monitor: no report can be on its way
  std::vector<WatchdogReport> reports = inbox.reports();
  REQUIRE(reports.size() == 1);
  const WatchdogReport& r = reports[0];
  CHECK(r.step == 1);
  CHECK(r.duration >= 0.05);
  CHECK(r.started >= before);
  CHECK(r.handle.find("<Handle ") == 0);
  CHECK(r.handle.find("Blocker") != std::string::npos);
  CHECK(r.task.empty());
  CHECK(r.call_graph.empty());
  CHECK(loop.stats().callbacks == 2);  // the blocker and run_once's stop()
}

TEST_CASE("watchdog_each_overrun_step: nearest test_base_events.test__run_once_logging",
          "[watchdog]") {
  EventLoop loop;
  Inbox inbox;
  loop.set_watchdog(0.02, into(inbox));
  loop.call_soon(Blocker{&inbox, 1, &loop});
  loop.call_soon([] {});  // quick: under the threshold, never reported
  loop.call_soon(Blocker{&inbox, 2, &loop});
  run_once(loop);
  loop.set_watchdog(0);
  std::vector<WatchdogReport> reports = inbox.reports();
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].step == 1);
  CHECK(reports[1].step == 3);
}

TEST_CASE("watchdog_names_the_task: nearest test_tasks.BaseTaskTests.test_task_repr",
          "[watchdog]") {
  EventLoop loop;
  Inbox inbox;
  loop.set_watchdog(0.02, into(inbox));
  auto stuck = [&]() -> asyncio::Coro<int> {
    co_await asyncio::sleep(0);
    inbox.wait_for(1);  // this step blocks the loop
    co_return 1;
  };
  int result = loop.run_until_complete(loop.create_task(stuck(), "stuck"));
  loop.set_watchdog(std::nullopt);
  CHECK(result == 1);
  std::vector<WatchdogReport> reports = inbox.reports();
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].task == "stuck");
  CHECK(reports[0].handle.find("<Handle ") == 0);
}

namespace {
asyncio::Coro<int> blocking_inner(Inbox& inbox) {
  co_await asyncio::sleep(0);  // the step after this one blocks
  inbox.wait_for(1);
  co_return 2;
}
asyncio::Coro<int> blocking_outer(Inbox& inbox) {
  int n = co_await blocking_inner(inbox);
  co_return n;
}
}  // namespace

// The graph is the one the blocked step began from: inner suspended in sleep(0), under outer.
TEST_CASE("watchdog_call_graph: nearest test_graph.CallStackTestBase.test_stack_task",
          "[watchdog][graph]") {
  EventLoop loop;
  Inbox inbox;
  loop.set_watchdog(0.02, into(inbox));
  int result = loop.run_until_complete(loop.create_task(blocking_outer(inbox), "stuck"));
  loop.set_watchdog(std::nullopt);
  CHECK(result == 2);
  std::vector<WatchdogReport> reports = inbox.reports();
  REQUIRE(reports.size() == 1);
  const std::string& graph = reports[0].call_graph;
  INFO(graph);
  CHECK(graph.find("* Task(name='stuck'") == 0);
  std::size_t inner = graph.find("in async blocking_inner()");
  std::size_t outer = graph.find("in async blocking_outer()");
  CHECK(inner != std::string::npos);
  CHECK(outer != std::string::npos);
  CHECK(inner < outer);  // innermost first, as 3.14 prints a stack
}

TEST_CASE("watchdog_default_logs_warning: nearest test_base_events.test__run_once_logging",
          "[watchdog]") {
  SinkInbox logs;
  EventLoop loop;
  loop.set_watchdog(0.02);  // no callback: the sink, at warning level
  loop.call_soon(Blocker{&logs, 1, &loop});
  run_once(loop);
  loop.set_watchdog(std::nullopt);
  std::vector<std::string> texts = logs.texts();
  REQUIRE(texts.size() == 1);
  CHECK(texts[0].find("WARNING: Event loop blocked for ") == 0);
  CHECK(texts[0].find(" seconds by <Handle ") != std::string::npos);
  CHECK(texts[0].find("Blocker") != std::string::npos);
}

TEST_CASE("watchdog_callback_error_is_logged: nearest test_base_events.test_set_exc_handler_broken",
          "[watchdog]") {
  SinkInbox logs;
  EventLoop loop;
  loop.set_watchdog(0.02, [](const WatchdogReport&) { throw std::runtime_error("boom"); });
  loop.call_soon(Blocker{&logs, 1, &loop});
  int after = 0;
  loop.call_soon([&] { ++after; });  // the loop goes on
  run_once(loop);
  loop.set_watchdog(std::nullopt);
  CHECK(after == 1);
  std::vector<std::string> texts = logs.texts();
  REQUIRE(texts.size() == 1);
  CHECK(texts[0].find("ERROR: Exception in watchdog callback") == 0);
  CHECK(texts[0].find("boom") != std::string::npos);
}

TEST_CASE("watchdog_set_from_its_callback: nearest test_base_events.test_check_thread",
          "[watchdog]") {
  // The callback runs on the monitor thread: changing the watchdog there would race with the
  // loop, so it raises; call_soon_threadsafe is the way.
  SinkInbox logs;
  EventLoop loop;
  loop.set_watchdog(0.02, [&loop](const WatchdogReport&) {
    loop.set_watchdog(std::nullopt);  // raises: logged as the callback's error
  });
  loop.call_soon(Blocker{&logs, 1, &loop});
  run_once(loop);
  CHECK(loop.get_watchdog() == 0.02);
  loop.set_watchdog(std::nullopt);
  std::vector<std::string> texts = logs.texts();
  REQUIRE(texts.size() == 1);
  CHECK(texts[0].find("ERROR: Exception in watchdog callback") == 0);
  CHECK(texts[0].find("call_soon_threadsafe") != std::string::npos);
}

TEST_CASE("watchdog_quick_steps_not_reported: nearest test_base_events.test__run_once_logging",
          "[watchdog]") {
  EventLoop loop;
  Inbox inbox;
  loop.set_watchdog(5.0, into(inbox));
  int ran = 0;
  for (int i = 0; i < 100; ++i) loop.call_soon([&] { ++ran; });
  run_once(loop);
  loop.set_watchdog(std::nullopt);
  CHECK(ran == 100);
  CHECK(inbox.reports().empty());
}

TEST_CASE("watchdog_arguments: nearest test_base_events.test_call_later_negative_delays",
          "[watchdog]") {
  // A threshold is a finite number of seconds; 0 or nullopt turns the watchdog off.
  EventLoop loop;
  CHECK_FALSE(loop.get_watchdog());
  CHECK_THROWS_AS(loop.set_watchdog(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(loop.set_watchdog(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(loop.set_watchdog(std::numeric_limits<double>::infinity()),
                  std::invalid_argument);
  CHECK_FALSE(loop.get_watchdog());
  loop.set_watchdog(0.5);
  CHECK(loop.get_watchdog() == 0.5);
  loop.set_watchdog(0);
  CHECK_FALSE(loop.get_watchdog());
  loop.set_watchdog(1.0);
  loop.set_watchdog(std::nullopt);
  CHECK_FALSE(loop.get_watchdog());
}

TEST_CASE("watchdog_close_and_destroy: nearest test_base_events.BaseEventLoopTests.test_close",
          "[watchdog]") {
  {
    EventLoop loop;
    loop.set_watchdog(0.01);
    run_once(loop);
  }  // destroyed with the watchdog set: its monitor is joined
  EventLoop loop;
  loop.set_watchdog(0.01);
  loop.close();
  CHECK_FALSE(loop.get_watchdog());
  CHECK_THROWS_AS(loop.set_watchdog(1.0), asyncio::RuntimeError);
  loop.set_watchdog(std::nullopt);  // turning it off is always allowed
}

TEST_CASE("watchdog_changed_by_a_callback: nearest test_base_events.test_set_debug", "[watchdog]") {
  // A callback may turn the watchdog off or set a new one; a batch that began without one
  // is not watched, the next one is.
  EventLoop loop;
  Inbox inbox;
  loop.set_watchdog(5.0, into(inbox));
  loop.call_soon([&] { loop.set_watchdog(std::nullopt); });
  loop.call_soon([] {});
  run_once(loop);
  CHECK_FALSE(loop.get_watchdog());
  loop.call_soon([&] { loop.set_watchdog(0.02, into(inbox)); });
  run_once(loop);
  loop.call_soon(Blocker{&inbox, 1, &loop});  // watched by the new one
  run_once(loop);
  loop.set_watchdog(std::nullopt);
  std::vector<WatchdogReport> reports = inbox.reports();
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].handle.find("Blocker") != std::string::npos);
}

namespace {
#if defined(__SANITIZE_THREAD__)
constexpr bool tsan = true;
#else
constexpr bool tsan = false;
#endif
// Under ASan with LeakSanitizer on (the preset's detect_leaks=1) the child, which starts a
// monitor thread after forking a threaded process, hangs until its alarm; with detect_leaks=0
// it passes, as does a standalone program without Catch2. The parent's part still runs there.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool asan = true;
#else
constexpr bool asan = false;
#endif

}  // namespace

TEST_CASE("watchdog_fork: nearest test_unix_events.TestFork.test_fork_not_share_event_loop",
          "[watchdog][fork]") {
  // The child has no monitor thread: turning the parent's watchdog off or closing the loop
  // there must not wait for it, and a new loop there gets a watchdog of its own.
  EventLoop loop;
  Inbox inbox;
  loop.set_watchdog(0.02, into(inbox));
  std::string child = in_forked_child([&] {
    loop.set_watchdog(std::nullopt);
    loop.close();
    if (tsan || asan) return std::string("closed");  // TSan cannot start threads in a forked child
    EventLoop own;
    Inbox own_inbox;
    own.set_watchdog(0.02, into(own_inbox));
    own.call_soon(Blocker{&own_inbox, 1, &own});
    run_once(own);
    own.close();
    return "closed, reported " + std::to_string(own_inbox.reports().size());
  });
  CHECK(child == (tsan || asan ? "closed" : "closed, reported 1"));
  loop.call_soon(Blocker{&inbox, 1, &loop});  // the parent's is still on
  run_once(loop);
  loop.set_watchdog(std::nullopt);
  CHECK(inbox.reports().size() == 1);
}
