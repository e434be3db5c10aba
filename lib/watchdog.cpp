// The blocked-loop watchdog: a monitor thread that reports a callback or task step running
// past a threshold, from what the loop published when the step began (never from the frames
// that are running).
#include "linux/fork_child.hpp"
#include "loop_health.hpp"
#include "loop_impl.hpp"

#include <asyncio/graph.hpp>
#include <asyncio/log.hpp>
#include <asyncio/task.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace asyncio {

namespace detail {

thread_local std::unique_ptr<Watchdog>* watched_steps = nullptr;
thread_local bool on_monitor_thread = false;  // a watchdog's callback is running here

namespace {

// Bumped in a forked child: a watchdog made before the fork has no monitor there.
std::atomic<std::uint64_t> fork_generation{0};

using Clock = std::chrono::steady_clock;

double seconds_now() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

}  // namespace

void forget_watchdogs_in_child() noexcept {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
}

struct Watchdog::Shared {
  double threshold;
  WatchdogCallback callback;  // never empty: the default logs
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  // What the loop published at the start of the current step, under `mutex`.
  std::uint64_t step = 0;
  double started = 0;
  std::string handle;
  std::string task;
  std::string call_graph;  // the task's, as it stood when the step began
  // The last step that ended; written without the lock, so the loop's end mark is cheap.
  std::atomic<std::uint64_t> finished{0};

  void monitor();
  void report(std::unique_lock<std::mutex>& lock, double now);
};

// Sleeps until the running step would overrun; with none running, polls at half the
// threshold, so that a step that began meanwhile is seen before it overruns. Waits are kept
// within [1 ms, 1 h]: a tiny threshold must not spin, a huge one must not overflow the clock.
void Watchdog::Shared::monitor() {
  std::unique_lock lock(mutex);
  std::uint64_t reported = 0;
  auto sleep = [&](double seconds) {
    wake.wait_for(lock, std::chrono::duration<double>(std::clamp(seconds, 1e-3, 3600.0)));
  };
  while (!stop) {
    bool running = step != 0 && finished.load(std::memory_order_acquire) != step;
    if (!running || step == reported) {
      sleep(threshold / 2);
      continue;
    }
    double now = seconds_now();
    if (now - started < threshold) {
      sleep(started + threshold - now);
      continue;
    }
    reported = step;
    report(lock, now);
  }
}

// Calls the callback without the lock: the loop must not wait on a slow callback.
void Watchdog::Shared::report(std::unique_lock<std::mutex>& lock, double now) {
  WatchdogReport r;
  r.step = step;
  r.started = started;
  r.duration = now - started;
  r.handle = handle;
  r.task = task;
  r.call_graph = call_graph;
  lock.unlock();
  try {
    callback(r);
  } catch (...) {
    log(LogLevel::error,
        "Exception in watchdog callback\n" + describe_exception(std::current_exception()));
  }
  lock.lock();
}

Watchdog::Watchdog(double seconds, WatchdogCallback callback)
    : seconds_(seconds),
      shared_(std::make_shared<Shared>()),
      fork_generation_(fork_generation.load(std::memory_order_relaxed)) {
  shared_->threshold = seconds;
  shared_->callback = callback ? std::move(callback) : [](const WatchdogReport& r) {
    log(LogLevel::warning, format_watchdog_report(r));
  };
  monitor_ = std::thread([shared = shared_] {
    on_monitor_thread = true;
    shared->monitor();
  });
}

Watchdog::~Watchdog() {
  if (fork_generation.load(std::memory_order_relaxed) != fork_generation_) {
    // The monitor stayed in the parent; its lock may be held forever here. Forget both.
    new std::thread(std::move(monitor_));  // deliberately leaked, as the executor's threads
    new std::shared_ptr<Shared>(std::move(shared_));
    return;
  }
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stop = true;
  }
  shared_->wake.notify_all();
  if (monitor_.get_id() == std::this_thread::get_id()) {
    monitor_.detach();  // the callback closed the loop: the thread ends once it returns
  } else {
    monitor_.join();
  }
}

void Watchdog::begin_step(HandleImpl* h, double now) {
  if (fork_generation.load(std::memory_order_relaxed) != fork_generation_) return;
  std::string text;
  try {
    text = repr_of(h);
  } catch (...) {  // out of memory: report the step without its repr
  }
  std::lock_guard lock(shared_->mutex);
  shared_->handle.swap(text);
  shared_->task.clear();
  shared_->call_graph.clear();
  shared_->started = now;
  ++shared_->step;
}

// Called before the step resumes the task: its frames still stand where it last suspended,
// so the graph is the one the blocked step started from. The monitor only reads the text.
void Watchdog::note_task(const TaskCore& task) {
  if (fork_generation.load(std::memory_order_relaxed) != fork_generation_) return;
  try {
    std::string name = task.get_name();
    std::string graph = format_call_graph(capture_call_graph(task.state->shared_from_this(), {}));
    std::lock_guard lock(shared_->mutex);
    shared_->task.swap(name);
    shared_->call_graph.swap(graph);
  } catch (...) {  // out of memory: report the step without them
  }
}

void Watchdog::end_step() noexcept {
  // Only the loop's thread writes `step`: reading it here needs no lock.
  shared_->finished.store(shared_->step, std::memory_order_release);
}

}  // namespace detail

std::string format_watchdog_report(const WatchdogReport& report) {
  char took[64];
  std::snprintf(took, sizeof took, "%.3f", report.duration);
  std::string out = "Event loop blocked for " + std::string(took) + " seconds by " + report.handle;
  if (!report.task.empty()) out += " in task '" + report.task + "'";
  if (!report.call_graph.empty()) out += "\n" + report.call_graph;
  return out;
}

// ---------------------------------------------------------------- public API

void EventLoop::set_watchdog(std::optional<double> seconds, WatchdogCallback callback) {
  if (seconds && (std::isnan(*seconds) || *seconds < 0 || std::isinf(*seconds))) {
    throw std::invalid_argument("the watchdog's threshold must be a finite number of seconds >= 0");
  }
  Impl& L = *impl_;
  if (detail::on_monitor_thread) {  // it would race with the loop's thread
    throw RuntimeError(
        "set_watchdog() called from the watchdog's callback: use call_soon_threadsafe");
  }
  bool on = seconds && *seconds > 0;
  if (on) L.check_closed();
  std::unique_ptr<detail::Watchdog> next;
  if (on) next = std::make_unique<detail::Watchdog>(*seconds, std::move(callback));
  std::swap(L.watchdog, next);
  L.update_instrumented();
  next.reset();  // the old monitor is joined here
}

std::optional<double> EventLoop::get_watchdog() const noexcept {
  if (!impl_->watchdog) return std::nullopt;
  return impl_->watchdog->seconds();
}

}  // namespace asyncio
