// Debug mode through your own log sink (docs/08-debugging.md): a failing callback is reported
// with where it was scheduled, and a loop that is never closed warns when it is destroyed.
#include <asyncio/asyncio.hpp>

#include <iostream>
#include <string>
#include <string_view>

// Each record is one call, multi-line ones included; here every line gets the level in front.
void to_stdout(asyncio::LogLevel level, std::string_view text) {
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::cout << asyncio::to_string(level) << ": " << rest.substr(0, end) << "\n";
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
}

void fails() {
  throw std::runtime_error("boom");
}

int main() {
  asyncio::set_log_sink(to_stdout);
  {
    asyncio::EventLoop loop;
    loop.set_debug(true);  // or ASYNCIO_CPP_DEBUG=1 in the environment
    loop.call_soon(fails);
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
  }                                // never closed: "unclosed event loop <EventLoop ...>"
  asyncio::set_log_sink(nullptr);  // back to stderr
}
