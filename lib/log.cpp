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

void log(LogLevel level, std::string_view message) {
  std::lock_guard lock(sink_mutex);
  if (current_sink()) {
    current_sink()(level, message);
  } else if (level >= LogLevel::warning) {
    std::string line(message);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warning: return "WARNING";
    case LogLevel::error: return "ERROR";
    case LogLevel::critical: return "CRITICAL";
  }
  return "?";
}

}  // namespace asyncio
