// loop.stats() and the run loop's instrumented twin: the plain run_once stays as it is and
// branches here, once per iteration, while stats or a watchdog are on.
#include "loop_health.hpp"
#include "loop_impl.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace asyncio {

namespace detail {

namespace {
// Nearest rank, as bench/ computes its percentiles.
double percentile(const std::vector<double>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}
}  // namespace

void LoopStatsState::note_timer_lag(double lag) noexcept {
  if (!std::isfinite(lag)) return;  // call_at(-inf): due forever, late by nothing meaningful
  lags[lag_next % lag_window] = std::max(lag, 0.0);
  ++lag_next;
  ++counters.timers_fired;
}

LoopStats LoopStatsState::snapshot() const {
  LoopStats out = counters;
  out.enabled = true;
  std::size_t n = std::min(lag_next, lag_window);
  out.timer_lag_samples = n;
  if (n == 0) return out;
  std::vector<double> sorted(lags.begin(), lags.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(sorted.begin(), sorted.end());
  out.timer_lag_p50 = percentile(sorted, 0.50);
  out.timer_lag_p99 = percentile(sorted, 0.99);
  out.timer_lag_max = sorted.back();
  return out;
}

bool stats_from_environment() {
  const char* value = std::getenv("ASYNCIO_CPP_STATS");
  return value != nullptr && *value != '\0';  // as ASYNCIO_CPP_DEBUG: any non-empty value
}

}  // namespace detail

// ---------------------------------------------------------------- the instrumented loop

void EventLoop::Impl::run_once_instrumented() {
  purge_cancelled_timers();
  double timeout = select_timeout();
  if (stats) {
    double t0 = self.time();
    poll_io(timeout);
    stats->counters.poll_seconds += self.time() - t0;
  } else {
    poll_io(timeout);
  }
  flush_staged_io();
  collect_expired_timers();
  run_ready_batch_instrumented();
  rearm_flushed_io();
}

// run_ready_batch with counters and the watchdog's step marks. Only the batch is timed, not
// each callback (a clock read per callback would cost B1 a third of its speed): debug mode's
// own per-callback timing counts slow callbacks exactly; without it a batch that ran past
// slow_callback_duration counts as one slow callback. A callback may turn stats or the
// watchdog on or off: both are looked up again after each one.
void EventLoop::Impl::run_ready_batch_instrumented() {
  detail::LoopStatsState* const batch_stats = stats.get();
  const std::uint64_t generation = stats_generation;
  detail::WatchedSteps watched(watchdog);
  std::size_t ntodo = ready.size();
  double t0 = 0;
  if (batch_stats) {
    batch_stats->note_ready(ntodo);
    t0 = self.time();
  }
  std::uint64_t ran = 0;
  for (; ntodo > 0; --ntodo) {
    HandleImpl* h = ready.pop_front();
    if (!h->cancelled) {
      if (watchdog || (stats && h->is_timer)) [[unlikely]] {
        before_step(h);
      }
      run_handle(h);
      if (watchdog) [[unlikely]] {
        watchdog->end_step();
      }
      ++ran;
    }
    h->release();
  }
  if (batch_stats != nullptr && stats_generation == generation) {
    double took = self.time() - t0;
    batch_stats->counters.callback_seconds += took;
    batch_stats->counters.callbacks += ran;
    if (!debug && ran > 0 && took >= self.slow_callback_duration) {
      ++batch_stats->counters.slow_callbacks;
    }
    batch_stats->note_ready(ready.size());
    ++batch_stats->counters.iterations;
  }
}

// A timer's lateness, and the watchdog's mark: each reads the clock, so only these do.
void EventLoop::Impl::before_step(HandleImpl* h) {
  detail::Watchdog* w = watchdog.get();
  bool timer = stats != nullptr && h->is_timer;
  double now = self.time();
  if (timer) stats->note_timer_lag(now - h->when);
  if (w != nullptr) w->begin_step(h, now);
}

// ---------------------------------------------------------------- public API

LoopStats EventLoop::stats() const {
  if (!impl_->stats) return LoopStats{};
  return impl_->stats->snapshot();
}

void EventLoop::set_stats(bool enabled) {
  Impl& L = *impl_;
  if (enabled == (L.stats != nullptr)) return;
  ++L.stats_generation;
  if (enabled) {
    L.stats = std::make_unique<detail::LoopStatsState>();
  } else {
    L.stats.reset();
  }
  L.update_instrumented();
}

bool EventLoop::get_stats() const noexcept {
  return impl_->stats != nullptr;
}

}  // namespace asyncio
