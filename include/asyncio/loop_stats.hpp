// Loop health: what EventLoop::stats() counts and what the watchdog reports (beyond CPython;
// docs/08-debugging.md, "Loop health").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// A snapshot of the loop's counters since set_stats(true) (or since the loop was made, with
/// ASYNCIO_CPP_STATS=1). All zero while stats are off. Times are in seconds, on the loop's
/// clock (EventLoop::time()).
struct LoopStats {
  bool enabled = false;
  std::uint64_t iterations = 0;       // passes of the run loop (or guest steps)
  std::uint64_t callbacks = 0;        // callbacks run, task steps included; cancelled ones not
  std::size_t ready_high_water = 0;   // most callbacks ready at once, seen at each batch's ends
  std::uint64_t slow_callbacks = 0;   // see docs/08-debugging.md: exact in debug mode
  std::uint64_t timers_fired = 0;     // timers whose lateness was measured, in all
  std::size_t timer_lag_samples = 0;  // how many of them the window holds (at most 1024)
  double timer_lag_p50 = 0;           // how late timers ran against their `when`, over the
  double timer_lag_p99 = 0;           // last 1024 timers (nearest-rank percentiles)
  double timer_lag_max = 0;
  double poll_seconds = 0;      // waiting for I/O, timers and other threads (0 in guest mode)
  double callback_seconds = 0;  // running callbacks and task steps
};

/// What the watchdog hands its callback when one callback or task step has run longer than
/// the threshold. Everything but `duration` was captured when the step began.
struct WatchdogReport {
  std::uint64_t step = 0;  // the step's ordinal since the watchdog was set
  double started = 0;      // loop.time() when it began
  double duration = 0;     // seconds it had run when reported (at least the threshold)
  std::string handle;      // the running handle's repr, e.g. "<Handle on_request()>"
  std::string task;        // the running task's name; empty when the step is no task's
  std::string call_graph;  // the task's call graph as its step began (format_call_graph)
};

/// Runs on the watchdog's own thread, never on the loop's: it must not touch the loop except
/// through call_soon_threadsafe, and must not wait for the loop (close() waits for it).
using WatchdogCallback = std::function<void(const WatchdogReport&)>;

/// The text the default callback logs at warning level.
std::string format_watchdog_report(const WatchdogReport& report);

}  // namespace asyncio
ASYNCIO_CPP_API_END
