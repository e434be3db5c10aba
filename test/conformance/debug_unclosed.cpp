// Mirrors CPython BaseEventLoop.__del__ (test_base_events' ResourceWarning "unclosed event
// loop"): a loop dropped without close() warns "unclosed event loop <...>" with its state, and
// is closed; a closed loop says nothing. CPython warns when its collector frees the loop
// (gc.collect() below), asyncio-cpp in ~EventLoop, and only in debug mode: this pair runs in
// debug mode. The loop's class name differs (_UnixSelectorEventLoop, EventLoop) and is
// printed as LOOP.
#include <asyncio/asyncio.hpp>

#include <regex>
#include <string>
#include <vector>

#include "trace.hpp"

std::vector<std::string> caught;  // the warnings the log sink received

void show() {
  for (const auto& message : caught) {
    std::string text =
        std::regex_replace(message, std::regex(R"(<\w+ running=)"), "<LOOP running=");
    trace::print("warning:", text);
  }
  if (caught.empty()) trace::print("no warning");
  caught.clear();
}

int main() {
  asyncio::set_log_sink([](asyncio::LogLevel level, std::string_view message) {
    if (level == asyncio::LogLevel::warning) caught.emplace_back(message);
  });
  {
    auto loop = asyncio::new_event_loop();
    loop->set_debug(true);
  }  // del loop; gc.collect()
  trace::print("dropped without close():");
  show();

  {
    auto loop = asyncio::new_event_loop();
    loop->set_debug(true);
    loop->close();
  }  // del loop; gc.collect()
  trace::print("dropped after close():");
  show();
}
