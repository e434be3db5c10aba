// asyncio.log: stands in for Python's `asyncio` logger.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

enum class LogLevel { debug, info, warning, error, critical };

/// Receives every record the library logs. Called from whichever thread logs.
using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Installs a sink; an empty one restores the default, which writes records of
/// warning and above to stderr, like Python's last-resort handler. Waits for a record being
/// delivered on another thread: once it returns, the old sink is not called again, so what it
/// captures may go. Called from inside a sink, it does not wait (the current record finishes).
void set_log_sink(LogSink sink);
/// Never throws: if the sink throws, the record goes to stderr instead. Records from several
/// threads reach the sink one at a time. A record logged from inside the sink (re-entrant) is
/// delivered after the sink returns, on the same thread; past 64 such records for one outer
/// record, the rest are dropped and counted, so a sink that always logs cannot loop forever.
void log(LogLevel level, std::string_view message) noexcept;
/// How many re-entrant records were dropped since the process started.
std::uint64_t log_records_dropped() noexcept;

const char* to_string(LogLevel level) noexcept;

}  // namespace asyncio
ASYNCIO_CPP_API_END
