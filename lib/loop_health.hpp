// The loop's health instruments (lib/loop_stats.cpp, lib/watchdog.cpp): counted on the loop's
// thread only while stats or a watchdog are on, so the plain run loop pays one branch per
// iteration for both (docs/04-architecture.md, "Observability").
#pragma once

#include <asyncio/loop_stats.hpp>

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

namespace asyncio::detail {

struct HandleImpl;
struct TaskCore;

/// Plain counters, written by the loop's thread and read by stats() on the same thread.
struct LoopStatsState {
  static constexpr std::size_t lag_window = 1024;

  LoopStats counters;
  std::array<double, lag_window> lags{};  // a ring: the newest overwrites the oldest
  std::size_t lag_next = 0;

  void note_ready(std::size_t ready) noexcept {
    if (ready > counters.ready_high_water) counters.ready_high_water = ready;
  }
  void note_timer_lag(double lag) noexcept;
  LoopStats snapshot() const;
};

/// ASYNCIO_CPP_STATS set to a non-empty value: new loops count from the start.
bool stats_from_environment();

/// The loop's side of a watchdog; the monitor thread shares `Shared` with it.
class Watchdog {
 public:
  Watchdog(double seconds, WatchdogCallback callback);
  ~Watchdog();  // stops the monitor and joins it (never from the monitor itself)
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  double seconds() const noexcept { return seconds_; }
  /// Called by the loop around each callback it runs; note_task by a task's step.
  void begin_step(HandleImpl* h, double now);
  void note_task(const TaskCore& task);
  void end_step() noexcept;

  struct Shared;

 private:
  double seconds_;
  std::shared_ptr<Shared> shared_;
  std::thread monitor_;
  std::uint64_t fork_generation_;  // a forked child has no monitor: it only forgets this one
};

/// The running loop's watchdog slot, set on the loop's thread while an instrumented batch
/// runs, so that a task's step can name its task to the watchdog (tasks.cpp); null otherwise.
/// A slot, not the watchdog: a callback may replace or remove the watchdog mid-batch.
extern thread_local std::unique_ptr<Watchdog>* watched_steps;

inline void note_task_step(const TaskCore& task) {
  if (std::unique_ptr<Watchdog>* slot = watched_steps; slot != nullptr && *slot) {
    (*slot)->note_task(task);
  }
}

/// Scopes `watched_steps` to one batch of callbacks.
class WatchedSteps {
 public:
  explicit WatchedSteps(std::unique_ptr<Watchdog>& slot) noexcept : previous_(watched_steps) {
    watched_steps = &slot;
  }
  ~WatchedSteps() { watched_steps = previous_; }
  WatchedSteps(const WatchedSteps&) = delete;
  WatchedSteps& operator=(const WatchedSteps&) = delete;

 private:
  std::unique_ptr<Watchdog>* previous_;
};

}  // namespace asyncio::detail
