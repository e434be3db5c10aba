// The library's log records through spdlog (docs/08-debugging.md, "The log sink"). Built when
// CMake finds spdlog (Debian: libspdlog-dev).
#include <asyncio/asyncio.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>
#include <string_view>

spdlog::level::level_enum to_spdlog(asyncio::LogLevel level) {
  switch (level) {
    case asyncio::LogLevel::debug:
      return spdlog::level::debug;
    case asyncio::LogLevel::info:
      return spdlog::level::info;
    case asyncio::LogLevel::warning:
      return spdlog::level::warn;
    case asyncio::LogLevel::error:
      return spdlog::level::err;
    case asyncio::LogLevel::critical:
      return spdlog::level::critical;
  }
  return spdlog::level::err;
}

// Installs `logger` as the sink of every record asyncio-cpp logs; spdlog filters by level.
void log_through(std::shared_ptr<spdlog::logger> logger) {
  asyncio::set_log_sink([logger](asyncio::LogLevel level, std::string_view text) {
    logger->log(to_spdlog(level), "{}", text);
  });
}

int main() {
  auto logger = spdlog::stdout_logger_st("asyncio");
  logger->set_pattern("[%n] [%l] %v");
  logger->set_level(spdlog::level::warn);  // as Python's root logger: WARNING and above
  log_through(logger);
  asyncio::EventLoop loop;
  loop.call_soon([] { throw std::runtime_error("boom"); });
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
  loop.close();
  asyncio::set_log_sink(nullptr);  // before the logger goes
}
