// Mirrors CPython test_base_events.BaseEventLoopTests.test_log_slow_callbacks: in debug
// mode a callback (or timer) that runs for slow_callback_duration (0.1 s) or longer logs
// the warning "Executing <handle> took N seconds" (N shown in whole tenths, so that a wrong
// unit shows); fast callbacks log nothing.
#include <asyncio/asyncio.hpp>

#include <cmath>
#include <regex>

#include "trace.hpp"

const std::regex SLOW(R"(^Executing <(\w+) .*> took ([0-9.]+) seconds$)");

void print_log(asyncio::LogLevel level, std::string_view view) {
  // Python's asyncio logger drops records below WARNING (the root logger's level).
  if (level < asyncio::LogLevel::warning) return;
  std::string message(view);
  std::smatch match;
  if (std::regex_match(message, match, SLOW)) {
    // Whole tenths: a callback busy for 0.2 s takes 0.2 s and a little, never 0.3 s.
    const long tenths = static_cast<long>(std::floor(std::stod(match[2]) * 10));
    message = "Executing <" + match[1].str() + "> took " + std::to_string(tenths / 10) + "." +
              std::to_string(tenths % 10) + " seconds";
  }
  trace::print("LOG", asyncio::to_string(level), message);
}

asyncio::EventLoop loop;

void busy(std::string name, double seconds) {
  trace::print("start", name);
  double deadline = loop.time() + seconds;
  while (loop.time() < deadline) {
  }
  trace::print("end", name);
}

void stop() {
  loop.stop();
}

int main() {
  asyncio::set_log_sink(print_log);
  loop.set_debug(true);
  trace::print("debug:", loop.get_debug(), "threshold is 0.1:", loop.slow_callback_duration == 0.1);
  loop.call_soon(busy, std::string("fast callback"), 0);
  loop.call_soon(busy, std::string("slow callback"), 0.2);
  loop.call_later(0.001, busy, std::string("slow timer"), 0.2);
  loop.call_later(0.01, stop);
  loop.run_forever();
  loop.set_debug(false);
  loop.call_soon(busy, std::string("slow callback, debug off"), 0.15);
  loop.call_soon(stop);
  loop.run_forever();
  trace::print("done");
  loop.close();
}
