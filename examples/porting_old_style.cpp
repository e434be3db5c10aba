// The old-style loop code of docs/02-porting-from-python.md ("Code written before
// asyncio.run"), compiled and run: each fragment there is copied from this file
// (test/docs_snippets.py checks that they stay the same).
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <iostream>
#include <memory>

namespace {

asyncio::Coro<int> fetch(int n) {
  co_await asyncio::sleep(0);
  co_return n * 10;
}

asyncio::Coro<> handle(std::shared_ptr<asyncio::StreamReader>,
                       std::shared_ptr<asyncio::StreamWriter> writer) {
  writer->close();
  co_await writer->wait_closed();
}

asyncio::Coro<> tick_forever() {
  while (true) co_await asyncio::sleep(3600);
}

// loop.run_until_complete(asyncio.gather(...)), the gather made before the loop runs.
void gather_before_the_loop_runs() {
  auto loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  auto [a, b] = loop->run_until_complete(asyncio::gather(fetch(1), fetch(2)));
  std::cout << "gathered " << a << " and " << b << "\n";
  asyncio::set_event_loop(nullptr);
  loop->close();
}

// A server started by run_until_complete, then run_forever until Ctrl-C.
void serve_until_ctrl_c() {
  auto loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  auto server = loop->run_until_complete(asyncio::start_server(handle, "127.0.0.1", 0));
  loop->call_later(0.01, [] { std::raise(SIGINT); });           // the test's Ctrl-C
  loop->add_signal_handler(SIGINT, [&loop] { loop->stop(); });  // except KeyboardInterrupt: pass
  loop->run_forever();
  std::cout << "stopped by Ctrl-C\n";
  server->close();
  loop->run_until_complete(server->wait_closed());
  asyncio::set_event_loop(nullptr);
  loop->close();
}

// The same with the shutdown asyncio.run does: Runner::close(), run by its destructor.
void run_forever_in_a_runner() {
  asyncio::Runner runner;
  auto& loop = runner.get_loop();
  auto ticker = loop.create_task(tick_forever());
  loop.call_later(0.01, [] { std::raise(SIGINT); });  // the test's Ctrl-C
  loop.add_signal_handler(SIGINT, [&loop] { loop.stop(); });
  loop.run_forever();
  std::cout << "stopped; the runner cancels what is left\n";
  runner.close();  // cancels ticker and waits for it, shuts the executor down, closes the loop
  std::cout << "ticker cancelled: " << ticker.cancelled() << "\n";
}

}  // namespace

int main() {
  gather_before_the_loop_runs();
  serve_until_ctrl_c();
  run_forever_in_a_runner();
}
