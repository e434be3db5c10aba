#include <asyncio/log.hpp>

#include <cstdio>
#include <mutex>
#include <string>

namespace asyncio {

namespace {
std::mutex sink_mutex;
LogSink& current_sink() {
  static LogSink sink;
  return sink;
}
}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard lock(sink_mutex);
  current_sink() = std::move(sink);
}

namespace {
void write_stderr(std::string_view message) noexcept {
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::fputc('\n', stderr);
}
}  // namespace

void log(LogLevel level, std::string_view message) noexcept {
  std::lock_guard lock(sink_mutex);
  if (!current_sink()) {
    if (level >= LogLevel::warning) write_stderr(message);
    return;
  }
  try {
    current_sink()(level, message);
  } catch (...) {
    // Logging runs on error paths that must not throw: a failing sink loses nothing.
    write_stderr(message);
  }
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
