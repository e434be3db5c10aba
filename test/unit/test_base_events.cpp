// Ports of CPython's test_asyncio/test_base_events.py: BaseEventLoopTests and RunningLoopTests.
// CPython's tests mock the selector; here the same intent is checked through behaviour.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "env_override.hpp"
#include "loop_support.hpp"

#include <cstdlib>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using asyncio::EventLoop;
using asyncio::LogLevel;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Message;
using Catch::Matchers::StartsWith;
using namespace test_support;

namespace {

constexpr double clock_resolution = 1e-9;  // time.get_clock_info('monotonic').resolution

// CPython's zero_error(): 1/0.
struct ZeroError {
  void operator()() const { throw std::runtime_error("division by zero"); }
};

// CPython's zero_error(fut): completes the future, then fails.
struct ZeroErrorFuture {
  void operator()(asyncio::Future<bool> fut) const {
    fut.set_result(true);
    throw std::runtime_error("division by zero");
  }
};

struct StopLoop {
  EventLoop* loop;
  void operator()() const { loop->stop(); }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  lines.push_back(text.substr(start));
  return lines;
}

// What CPython's check_thread() sees when another thread schedules on a running loop.
struct ThreadCheck {
  int errors = 0;  // RuntimeErrors from call_soon, call_later and call_at
  std::string message;
  bool threadsafe_ok = false;
};

ThreadCheck schedule_from_other_thread(EventLoop& loop, bool create_loop, int& calls) {
  ThreadCheck result;
  std::thread other([&] {
    std::optional<EventLoop> own;  // CPython's create_loop=True: that thread has a loop too
    if (create_loop) own.emplace();
    auto attempt = [&](auto&& schedule) {
      try {
        schedule();
      } catch (const asyncio::RuntimeError& e) {
        ++result.errors;
        result.message = e.what();
      }
    };
    attempt([&] { loop.call_soon([&calls] { ++calls; }); });
    attempt([&] { loop.call_later(60, Noop{}); });
    attempt([&] { loop.call_at(loop.time() + 60, Noop{}); });
    loop.call_soon_threadsafe(Noop{});
    result.threadsafe_ok = true;
  });
  other.join();
  return result;
}

// Not a std::exception, like a BaseException that is not an Exception.
struct KeyboardInterrupt {};

}  // namespace

TEST_CASE("test_base_events.BaseEventLoopTests.test_close") {
  // close() may be called repeatedly; a closed loop refuses to run.
  EventLoop loop;
  asyncio::Future<int> fut(loop);
  CHECK_FALSE(loop.is_closed());
  loop.close();
  CHECK(loop.is_closed());
  loop.close();
  loop.close();
  CHECK(loop.is_closed());
  CHECK_THROWS_MATCHES(loop.run_forever(), asyncio::RuntimeError, Message("Event loop is closed"));
  CHECK_THROWS_MATCHES(loop.run_until_complete(fut), asyncio::RuntimeError,
                       Message("Event loop is closed"));
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_call_soon") {
  SECTION("queued, run once") {
    // call_soon queues the callback: nothing runs inline, the next iteration runs it once.
    EventLoop loop;
    int calls = 0;
    asyncio::Handle h = loop.call_soon([&calls] { ++calls; });
    CHECK(static_cast<bool>(h));
    CHECK_FALSE(h.cancelled());
    CHECK(calls == 0);
    run_once(loop);
    CHECK(calls == 1);
    run_once(loop);
    CHECK(calls == 1);
  }
  SECTION("FIFO, arguments bound by value") {
    // call_soon(callback, *args) keeps the order of calls and copies the arguments.
    EventLoop loop;
    std::vector<std::string> calls;
    auto record = [&calls](const std::string& s, int n) { calls.push_back(s + std::to_string(n)); };
    std::string arg = "a";
    loop.call_soon(record, arg, 1);
    arg = "b";
    loop.call_soon(record, arg, 2);
    loop.call_soon(record, "c", 3);
    run_once(loop);
    CHECK(calls == std::vector<std::string>{"a1", "b2", "c3"});
  }
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_call_later") {
  // A timer that is not due stays scheduled: it is not put on the ready queue.
  EventLoop loop;
  bool called = false;
  double before = loop.time();
  asyncio::TimerHandle h = loop.call_later(10.0, [&called] { called = true; });
  double after = loop.time();
  CHECK(h.when() >= before + 10.0);
  CHECK(h.when() <= after + 10.0);
  run_once(loop);
  CHECK_FALSE(called);
  CHECK_FALSE(h.cancelled());
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_call_later_negative_delays") {
  // Past deadlines are due at once and still run in deadline order.
  EventLoop loop;
  std::vector<std::string> calls;
  auto cb = [&calls](const std::string& arg) { calls.push_back(arg); };
  loop.call_later(-1, cb, "a");
  loop.call_later(-2, cb, "b");
  run_once(loop);
  CHECK(calls == std::vector<std::string>{"b", "a"});
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_time_and_call_at") {
  // call_at uses loop.time()'s clock and never fires before its deadline.
  EventLoop loop;
  const double delay = 0.01;
  double t0 = loop.time();  // before `when`: a slow (sanitized) build must not shrink dt
  double when = t0 + delay;
  double fired_at = 0;
  loop.call_at(when, [&] {
    fired_at = loop.time();
    loop.stop();
  });
  REQUIRE(run_forever_guarded(loop));
  CHECK(fired_at >= when - clock_resolution);
  CHECK(loop.time() - t0 >= delay - clock_resolution);
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_check_thread") {
  // Debug mode rejects non-thread-safe calls from another thread while the loop runs.
  // The loop thread blocks in join() inside a callback, so the non-debug case is race-free.
  bool debug = GENERATE(true, false);
  bool create_loop = GENERATE(false, true);
  CAPTURE(debug, create_loop);
  EventLoop loop;
  loop.set_debug(debug);
  int calls = 0;
  ThreadCheck result;
  loop.call_soon([&] {
    result = schedule_from_other_thread(loop, create_loop, calls);
    loop.stop();
  });
  loop.run_forever();
  run_once(loop);
  CHECK(result.threadsafe_ok);
  if (debug) {
    CHECK(result.errors == 3);
    CHECK(result.message ==
          "Non-thread-safe operation invoked on an event loop other than the current one");
    CHECK(calls == 0);
  } else {
    CHECK(result.errors == 0);
    CHECK(calls == 1);
  }
}

TEST_CASE("test_base_events.BaseEventLoopTests.test__run_once") {
  SECTION("cancelled head timer dropped") {
    // A cancelled timer at the head is dropped and never runs; the next live timer is awaited.
    EventLoop loop;
    bool h1_ran = false;
    double h2_ran_at = 0;
    asyncio::TimerHandle h1 = loop.call_later(0.001, [&] { h1_ran = true; });
    asyncio::TimerHandle h2 = loop.call_later(0.01, [&] {
      h2_ran_at = loop.time();
      loop.stop();
    });
    h1.cancel();
    REQUIRE(run_forever_guarded(loop));
    CHECK_FALSE(h1_ran);
    CHECK(h2_ran_at >= h2.when() - clock_resolution);
  }
  SECTION("poll timeout is 0 when callbacks are ready") {
    // With a callback ready, the poll must not wait for the far timer (or block at all).
    EventLoop loop;
    Watchdog dog(loop);
    int calls = 0;
    loop.call_later(3600, [&calls] { calls += 100; });
    loop.call_soon([&] {
      ++calls;
      loop.stop();
    });
    loop.run_forever();
    CHECK(dog.disarm());
    CHECK(calls == 1);
  }
  SECTION("timers fire in deadline order, FIFO on ties") {
    // Expired timers are appended by deadline, FIFO among equal deadlines.
    EventLoop loop;
    std::vector<std::string> order;
    auto rec = [&order](const std::string& s) { order.push_back(s); };
    double t = loop.time();
    loop.call_at(t + 0.003, rec, "c");
    loop.call_at(t + 0.001, rec, "a");
    loop.call_at(t + 0.002, rec, "b1");
    loop.call_at(t + 0.002, rec, "b2");
    loop.call_at(t + 0.002, rec, "b3");
    loop.call_at(t + 0.004, StopLoop{&loop});
    REQUIRE(run_forever_guarded(loop));
    CHECK(order == std::vector<std::string>{"a", "b1", "b2", "b3", "c"});
  }
}

TEST_CASE("test_base_events.BaseEventLoopTests.test__run_once_schedule_handle") {
  // A handle scheduled by a timer callback waits in the ready queue for the next iteration.
  EventLoop loop;
  bool processed = false;
  bool inner_ran = false;
  loop.call_at(loop.time() - 1, [&] {
    processed = true;
    loop.call_soon([&inner_ran] { inner_ran = true; });
  });
  loop.stop();
  loop.run_forever();  // exactly one iteration
  CHECK(processed);
  CHECK_FALSE(inner_ran);
  loop.stop();
  loop.run_forever();
  CHECK(inner_ran);
}

TEST_CASE("test_base_events.BaseEventLoopTests.test__run_once_cancelled_event_cleanup") {
  // Cancelling more than half of >100 timers makes the next iteration rebuild the heap.
  // Observable contract: live timers fire exactly once, cancelled ones never.
  EventLoop loop;
  constexpr int n = 300;
  std::vector<int> fired(n, 0);
  std::vector<asyncio::TimerHandle> handles;
  double t = loop.time();
  for (int i = 0; i < n; ++i) {
    handles.push_back(loop.call_at(t + 0.001 + 1e-5 * i, [&fired, i] { ++fired[i]; }));
  }
  for (int i = 0; i < n; ++i) {
    if (i % 3 != 0) handles[i].cancel();  // 200 of 300, before the loop runs
  }
  // A second wave, cancelled from a callback while the loop runs.
  std::vector<int> fired2(n, 0);
  std::vector<asyncio::TimerHandle> handles2;
  for (int i = 0; i < n; ++i) {
    handles2.push_back(loop.call_at(t + 0.006 + 1e-5 * i, [&fired2, i] { ++fired2[i]; }));
  }
  loop.call_at(t + 0.005, [&] {
    for (int i = 0; i < n; ++i) {
      if (i % 4 != 0) handles2[i].cancel();
    }
  });
  loop.call_at(t + 0.02, StopLoop{&loop});
  REQUIRE(run_forever_guarded(loop));
  std::vector<int> wrong;
  for (int i = 0; i < n; ++i) {
    if (fired[i] != (i % 3 == 0 ? 1 : 0)) wrong.push_back(i);
    if (fired2[i] != (i % 4 == 0 ? 1 : 0)) wrong.push_back(n + i);
  }
  CHECK(wrong.empty());
  // The loop still schedules normally after the purges.
  bool later = false;
  loop.call_later(0.001, [&] {
    later = true;
    loop.stop();
  });
  REQUIRE(run_forever_guarded(loop));
  CHECK(later);
}

TEST_CASE("test_base_events.BaseEventLoopTests.test__add_callback_cancelled_handle") {
  // A cancelled handle is skipped, also when an earlier callback of the same batch cancels it.
  EventLoop loop;
  std::vector<std::string> calls;
  asyncio::Handle before = loop.call_soon([&] { calls.push_back("before"); });
  before.cancel();
  before.cancel();  // idempotent
  asyncio::Handle victim;
  loop.call_soon([&] {
    calls.push_back("killer");
    victim.cancel();
  });
  victim = loop.call_soon([&] { calls.push_back("victim"); });
  run_once(loop);
  CHECK(before.cancelled());
  CHECK(victim.cancelled());
  CHECK(calls == std::vector<std::string>{"killer"});
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_set_debug") {
  // set_debug/get_debug round-trip.
  EventLoop loop;
  loop.set_debug(true);
  CHECK(loop.get_debug());
  loop.set_debug(false);
  CHECK_FALSE(loop.get_debug());
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_env_var_debug") {
  // ASYNCIO_CPP_DEBUG plays PYTHONASYNCIODEBUG: a non-empty value enables debug mode.
  test_support::EnvOverride restore("ASYNCIO_CPP_DEBUG");
  ::unsetenv("ASYNCIO_CPP_DEBUG");
  CHECK_FALSE(EventLoop().get_debug());
  ::setenv("ASYNCIO_CPP_DEBUG", "", 1);
  CHECK_FALSE(EventLoop().get_debug());
  ::setenv("ASYNCIO_CPP_DEBUG", "1", 1);
  CHECK(EventLoop().get_debug());
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_run_until_complete_loop") {
  // A future of another loop is a ValueError.
  EventLoop loop;
  EventLoop other_loop;
  asyncio::Future<int> fut(loop);
  CHECK_THROWS_AS(other_loop.run_until_complete(fut), std::invalid_argument);
  CHECK_FALSE(fut.done());
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_run_until_complete_baseexception") {
  SECTION("set on the future") {
    // A non-std exception set on the future propagates from run_until_complete, and no pending
    // stop() is left behind: the next run_forever runs until its own stop().
    EventLoop loop;
    asyncio::Future<int> fut(loop);
    loop.call_soon(
        [fut]() mutable { fut.set_exception(std::make_exception_ptr(KeyboardInterrupt{})); });
    CHECK_THROWS_AS(loop.run_until_complete(fut), KeyboardInterrupt);

    bool called = false;
    loop.call_soon([&] {
      loop.call_soon([&] {
        called = true;
        loop.stop();
      });
    });
    REQUIRE(run_forever_guarded(loop));
    CHECK(called);
  }
  SECTION("thrown by a callback") {
    // A callback throwing a non-std exception (a BaseException) goes to the exception handler;
    // the rest of the batch and the loop carry on.
    EventLoop loop;
    std::vector<std::string> seen;
    loop.set_exception_handler([&](EventLoop&, const asyncio::ExceptionContext& ctx) {
      try {
        std::rethrow_exception(ctx.exception);
      } catch (const KeyboardInterrupt&) {
        seen.push_back("handler");
      } catch (...) {
        seen.push_back("other");
      }
    });
    loop.call_soon([] { throw KeyboardInterrupt{}; });
    loop.call_soon([&] { seen.push_back("next"); });
    run_once(loop);
    CHECK(seen == std::vector<std::string>{"handler", "next"});
  }
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_default_exc_handler_callback") {
  // The default handler logs the message, the handle and the exception's last line.
  bool timer = GENERATE(false, true);
  CAPTURE(timer);
  LogCapture logs;
  EventLoop loop;
  asyncio::Future<bool> fut(loop);
  if (timer) {
    loop.call_later(0.001, ZeroErrorFuture{}, fut);
  } else {
    loop.call_soon(ZeroErrorFuture{}, fut);
  }
  fut.add_done_callback([&loop](asyncio::Future<bool>) { loop.stop(); });
  REQUIRE(run_forever_guarded(loop));
  REQUIRE(logs.records.size() == 1);
  CHECK(logs.records[0].level == LogLevel::error);
  std::vector<std::string> lines = lines_of(logs.records[0].text);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0], StartsWith("Exception in callback ") && Contains("ZeroErrorFuture"));
  CHECK_THAT(lines[1], StartsWith(timer ? "handle: <TimerHandle when=" : "handle: <Handle ") &&
                           EndsWith(">"));
  CHECK(lines[2] == "std::runtime_error: division by zero");
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_set_exc_handler_custom") {
  // A custom handler gets the loop and the context; an empty one restores the default.
  LogCapture logs;
  EventLoop loop;
  loop.set_debug(true);
  CHECK_FALSE(loop.get_exception_handler());
  int handler_calls = 0;
  EventLoop* seen_loop = nullptr;
  asyncio::ExceptionContext seen;
  loop.set_exception_handler([&](EventLoop& l, const asyncio::ExceptionContext& ctx) {
    ++handler_calls;
    seen_loop = &l;
    seen = ctx;
  });
  CHECK(static_cast<bool>(loop.get_exception_handler()));
  asyncio::Handle handle = loop.call_soon(ZeroError{});
  run_once(loop);
  REQUIRE(handler_calls == 1);
  CHECK(seen_loop == &loop);
  CHECK_THAT(seen.message, StartsWith("Exception in callback ") && Contains("ZeroError"));
  CHECK(seen.handle == handle);
  CHECK_THROWS_MATCHES(std::rethrow_exception(seen.exception), std::runtime_error,
                       Message("division by zero"));
  CHECK(logs.records.empty());

  loop.set_exception_handler({});
  CHECK_FALSE(loop.get_exception_handler());
  loop.call_soon(ZeroError{});
  run_once(loop);
  CHECK(handler_calls == 1);
  REQUIRE(logs.records.size() == 1);
  CHECK(logs.records[0].level == LogLevel::error);
  CHECK_THAT(logs.records[0].text, StartsWith("Exception in callback ") &&
                                       EndsWith("\nstd::runtime_error: division by zero"));
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_set_exc_handler_broken") {
  // A throwing custom handler: the default handler reports it, with the original context.
  LogCapture logs;
  EventLoop loop;
  loop.set_exception_handler(
      [](EventLoop&, const asyncio::ExceptionContext&) { throw std::logic_error("spam"); });
  loop.call_soon(ZeroError{});
  run_once(loop);
  REQUIRE(logs.records.size() == 1);
  const std::string& text = logs.records[0].text;
  CHECK(logs.records[0].level == LogLevel::error);
  CHECK_THAT(text, StartsWith("Unhandled error in exception handler\n"));
  CHECK_THAT(text, Contains("\ncontext: {'message': 'Exception in callback "));
  CHECK_THAT(text, Contains("'exception': std::runtime_error('division by zero')"));
  CHECK_THAT(text, EndsWith("\nstd::logic_error: spam"));
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_default_exc_handler_broken") {
  // C++ cannot override default_exception_handler; what can break it is the log sink. asyncio
  // then logs "Exception in default exception handler"; here log() keeps the record (stderr)
  // and the loop goes on, so a broken sink loses neither the record nor later callbacks.
  std::vector<std::string> records;
  asyncio::set_log_sink([&records](LogLevel, std::string_view text) {
    records.emplace_back(text);
    throw std::invalid_argument("spam");
  });
  EventLoop loop;
  bool later_ran = false;
  loop.call_soon(ZeroError{});
  loop.call_soon([&later_ran] { later_ran = true; });
  run_once(loop);
  asyncio::set_log_sink({});
  REQUIRE(records.size() == 1);
  CHECK_THAT(records[0], StartsWith("Exception in callback "));
  CHECK(later_ran);
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_run_once") {
  SECTION("run_once idiom") {
    // The run_once idiom: call_soon(stop) + run_forever runs what is ready once.
    EventLoop loop;
    int count = 0;
    loop.call_soon([&count] { ++count; });
    run_once(loop);
    CHECK(count == 1);
    CHECK_FALSE(loop.is_running());
  }
  SECTION("stop() finishes the batch") {
    // stop() lets the rest of the current batch run; callbacks it schedules wait for the next run.
    EventLoop loop;
    std::vector<std::string> calls;
    loop.call_soon([&] {
      calls.push_back("a");
      loop.call_soon([&] { calls.push_back("d"); });
    });
    loop.call_soon([&] {
      calls.push_back("b");
      loop.stop();
    });
    loop.call_soon([&] { calls.push_back("c"); });
    loop.run_forever();
    CHECK(calls == std::vector<std::string>{"a", "b", "c"});
    run_once(loop);
    CHECK(calls == std::vector<std::string>{"a", "b", "c", "d"});
  }
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_run_forever_pre_stopped") {
  // stop() before run_forever(): one iteration, polled with timeout 0, so it cannot block.
  EventLoop loop;
  Watchdog dog(loop);
  std::vector<std::string> calls;
  loop.call_later(3600, [&] { calls.push_back("timer"); });
  loop.call_soon([&] {
    calls.push_back("a");
    loop.call_soon([&] { calls.push_back("b"); });
  });
  loop.stop();
  loop.run_forever();
  CHECK(calls == std::vector<std::string>{"a"});
  CHECK_FALSE(loop.is_running());
  loop.stop();
  loop.run_forever();
  CHECK(calls == std::vector<std::string>{"a", "b"});
  // Nothing ready and no timer due: still exactly one non-blocking iteration.
  loop.stop();
  loop.run_forever();
  CHECK(dog.disarm());
  CHECK(calls == std::vector<std::string>{"a", "b"});
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_log_slow_callbacks") {
  // Debug mode logs callbacks that take slow_callback_duration or longer.
  LogCapture logs;
  EventLoop loop;
  loop.slow_callback_duration = 0.0;

  loop.call_soon(StopLoop{&loop});
  loop.run_forever();
  CHECK(logs.records.empty());  // not in debug mode

  loop.set_debug(true);
  loop.call_soon(StopLoop{&loop});
  loop.run_forever();
  REQUIRE(logs.records.size() == 1);
  CHECK(logs.records[0].level == LogLevel::warning);
  const std::regex expected("^Executing <Handle .*StopLoop.*> took [0-9]+\\.[0-9]{3} seconds$");
  CHECK(std::regex_match(logs.records[0].text, expected));

  logs.records.clear();
  loop.slow_callback_duration = 1e9;
  loop.call_soon(StopLoop{&loop});
  loop.run_forever();
  CHECK(logs.records.empty());
  loop.set_debug(false);  // keeps close()'s debug record out of the capture
}

TEST_CASE("test_base_events.RunningLoopTests.test_running_loop_within_a_loop") {
  // A loop cannot run while another one runs on the same thread.
  EventLoop loop;
  EventLoop outer_loop;
  asyncio::Future<int> fut(loop);
  std::vector<std::string> errors;
  outer_loop.call_soon([&] {
    try {
      loop.run_forever();
    } catch (const asyncio::RuntimeError& e) {
      errors.emplace_back(e.what());
    }
    try {
      loop.run_until_complete(fut);
    } catch (const asyncio::RuntimeError& e) {
      errors.emplace_back(e.what());
    }
    outer_loop.stop();
  });
  outer_loop.run_forever();
  const std::string msg = "Cannot run the event loop while another loop is running";
  CHECK(errors == std::vector<std::string>{msg, msg});
  CHECK_FALSE(loop.is_running());
}
