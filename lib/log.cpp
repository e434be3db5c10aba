#include <asyncio/log.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace asyncio {

namespace {

// The sink is swapped under `swap_mutex` and called under `call_mutex`, so that a sink may
// install another one (it keeps running on its own copy) and records from several threads
// never reach it at once.
std::mutex swap_mutex;
std::mutex call_mutex;
std::shared_ptr<const LogSink>& current_sink() {
  static std::shared_ptr<const LogSink> sink;
  return sink;
}
std::shared_ptr<const LogSink> sink_now() {
  std::lock_guard lock(swap_mutex);
  return current_sink();
}

// A record logged from inside the sink (the sink logs, or writes over a transport that logs an
// error) cannot wait for `call_mutex`, which its own thread holds: it is queued and delivered
// once the sink returns. A sink that logs on every record would loop forever, so each outer
// record delivers at most `max_deferred` of them; the rest are dropped and counted.
constexpr std::size_t max_deferred = 64;
struct Record {
  LogLevel level;
  std::string text;
};
struct Reentry {
  bool inside = false;
  std::size_t accepted = 0;
  std::deque<Record> deferred;
};
thread_local Reentry reentry;
std::atomic<std::uint64_t> dropped{0};

void write_stderr(std::string_view message) noexcept {
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::fputc('\n', stderr);
}

void deliver(const std::shared_ptr<const LogSink>& sink, LogLevel level,
             std::string_view message) noexcept {
  if (!sink || !*sink) {
    if (level >= LogLevel::warning) write_stderr(message);
    return;
  }
  try {
    (*sink)(level, message);
  } catch (...) {
    // Logging runs on error paths that must not throw: a failing sink loses nothing.
    write_stderr(message);
  }
}

void defer(LogLevel level, std::string_view message) noexcept {
  if (reentry.accepted >= max_deferred) {
    dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  try {
    reentry.deferred.push_back({level, std::string(message)});
    ++reentry.accepted;
  } catch (...) {
    dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

void set_log_sink(LogSink sink) {
  auto next = sink ? std::make_shared<const LogSink>(std::move(sink)) : nullptr;
  // Outside a sink, wait for a delivery in progress on another thread: once this returns, the
  // old sink is never called again, so whatever it captured may be destroyed. Inside a sink
  // the caller's own delivery holds `call_mutex`; the old sink finishes its current record.
  std::unique_lock<std::mutex> no_delivery(call_mutex, std::defer_lock);
  if (!reentry.inside) no_delivery.lock();
  std::lock_guard lock(swap_mutex);
  current_sink() = std::move(next);
}

void log(LogLevel level, std::string_view message) noexcept {
  if (reentry.inside) return defer(level, message);
  std::lock_guard lock(call_mutex);
  reentry.inside = true;
  deliver(sink_now(), level, message);
  while (!reentry.deferred.empty()) {
    Record next = std::move(reentry.deferred.front());
    reentry.deferred.pop_front();
    deliver(sink_now(), next.level, next.text);
  }
  reentry.accepted = 0;
  reentry.inside = false;
}

std::uint64_t log_records_dropped() noexcept {
  return dropped.load(std::memory_order_relaxed);
}

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug:
      return "DEBUG";
    case LogLevel::info:
      return "INFO";
    case LogLevel::warning:
      return "WARNING";
    case LogLevel::error:
      return "ERROR";
    case LogLevel::critical:
      return "CRITICAL";
  }
  return "?";
}

}  // namespace asyncio
