// Loop health: stats() and the watchdog on a server whose handler blocks the loop by mistake
// (docs/08-debugging.md, "Loop health: stats() and the watchdog").
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using asyncio::Coro;

Coro<> handle_request(std::shared_ptr<asyncio::StreamReader> reader,
                      std::shared_ptr<asyncio::StreamWriter> writer) {
  std::string line = co_await reader->readline();
  // The bug: a blocking call on the loop's thread (it belongs in asyncio::to_thread). Every
  // other connection, timer and task waits for it.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  writer->write("done: " + line);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

// A periodic timer: how late it fires is the loop's lag.
Coro<> ticker() {
  while (true) co_await asyncio::sleep(0.02);
}

void on_blocked(const asyncio::WatchdogReport& report) {
  // On the watchdog's own thread, while the loop is still blocked: report and return.
  std::printf("watchdog: the loop is blocked by %s in task '%s' (%.1f s so far)\n",
              report.handle.c_str(), report.task.c_str(), report.duration);
}

void print_stats(const asyncio::LoopStats& s) {
  std::printf("iterations: %llu, callbacks: %llu, most ready at once: %zu\n",
              static_cast<unsigned long long>(s.iterations),
              static_cast<unsigned long long>(s.callbacks), s.ready_high_water);
  std::printf("timer lag: p50 %.3f s, p99 %.3f s, max %.3f s over %zu timers\n", s.timer_lag_p50,
              s.timer_lag_p99, s.timer_lag_max, s.timer_lag_samples);
  std::printf("time polling %.3f s, running callbacks %.3f s\n", s.poll_seconds,
              s.callback_seconds);
  std::printf("slow callbacks: %llu\n", static_cast<unsigned long long>(s.slow_callbacks));
  std::printf("a timer ran at least 0.4 s late: %s\n", s.timer_lag_max >= 0.4 ? "yes" : "no");
}

Coro<> amain() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  loop.set_stats(true);                // or ASYNCIO_CPP_STATS=1 in the environment
  loop.set_watchdog(0.1, on_blocked);  // no callback: a warning through the log sink
  auto server = co_await asyncio::start_server(handle_request, "127.0.0.1", 0);
  auto ticks = loop.create_task(ticker(), "ticker");
  int port = server->addresses().at(0).port;
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  writer->write("ping\n");
  std::string reply = co_await reader->readline();
  std::printf("client got: %s", reply.c_str());
  writer->close();
  co_await writer->wait_closed();
  ticks.cancel();
  server->close();
  co_await server->wait_closed();
  print_stats(loop.stats());
  loop.set_watchdog(std::nullopt);  // joins the watchdog's thread
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  asyncio::run(amain());
}
