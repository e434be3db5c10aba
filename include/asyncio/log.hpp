// asyncio.log: stands in for Python's `asyncio` logger.
#pragma once

#include <functional>
#include <string_view>

namespace asyncio {

enum class LogLevel { debug, info, warning, error, critical };

/// Receives every record the library logs. Called from whichever thread logs.
using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Installs a sink; an empty one restores the default, which writes records of
/// warning and above to stderr, like Python's last-resort handler.
void set_log_sink(LogSink sink);
/// Never throws: if the sink throws, the record goes to stderr instead.
void log(LogLevel level, std::string_view message) noexcept;

const char* to_string(LogLevel level) noexcept;

}  // namespace asyncio
