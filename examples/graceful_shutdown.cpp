// Graceful shutdown: workers run in a TaskGroup until SIGINT or SIGTERM arrives; then each is
// cancelled, cleans up, and the program exits normally. The program sends itself SIGTERM after
// 50 ms to stand in for an operator, so the example ends on its own.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <iostream>
#include <unistd.h>
#include <vector>

asyncio::Coro<void> worker(int id) {
  try {
    for (;;) co_await asyncio::sleep(0.01);  // the work
  } catch (const asyncio::CancelledError&) {
    std::cout << "worker " << id << ": cancelled, cleaning up" << std::endl;
    throw;  // cancellation must propagate, as in asyncio
  }
}

asyncio::Coro<void> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Event stop;
  for (int sig : {SIGINT, SIGTERM}) {
    loop.add_signal_handler(sig, [&stop, sig] {
      std::cout << "received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << std::endl;
      stop.set();
    });
  }
  loop.call_later(0.05, [] { ::kill(::getpid(), SIGTERM); });  // the "operator"

  asyncio::TaskGroup tg;
  co_await tg.run([&]() -> asyncio::Coro<> {
    std::vector<asyncio::Task<void>> workers;
    for (int id = 1; id <= 3; ++id) workers.push_back(tg.create_task(worker(id)));
    std::cout << "3 workers running; waiting for SIGINT or SIGTERM" << std::endl;
    co_await stop.wait();
    for (auto& w : workers) w.cancel();
  });
  for (int sig : {SIGINT, SIGTERM}) loop.remove_signal_handler(sig);
  std::cout << "all workers finished: clean shutdown" << std::endl;
}

int main() { asyncio::run(main_coro()); }
