// Mirrors CPython test_unix_events.TestFork (test_fork_asyncio_run, test_fork_signal_handling,
// test_fork_not_share_event_loop), forking from inside a running task: the child runs an
// asyncio.run() of its own that talks to the parent's server and handles a signal the parent's
// loop also handles; the parent's loop and its signal handler are untouched.
#include <asyncio/asyncio.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;

std::string strip(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

Coro<> child_main(int port) {
  co_await asyncio::sleep(0);
  auto got = asyncio::get_running_loop().create_future<std::string>();
  asyncio::get_running_loop().add_signal_handler(SIGUSR1, [&got] { got.set_result("SIGUSR1"); });
  ::kill(::getpid(), SIGUSR1);
  trace::print("child handled", co_await got);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  writer->write("from child\n");
  trace::print("child got", strip(co_await reader->readline()));
  writer->close();
  co_await writer->wait_closed();
}

Coro<> handle(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  std::string line = co_await reader->readline();
  writer->write("echo " + line);
  co_await writer->drain();
  writer->close();
}

[[noreturn]] void in_child(int port) {
  try {
    asyncio::get_running_loop();
    trace::print("child: a running loop");
  } catch (const asyncio::RuntimeError& e) {
    trace::print("child: RuntimeError", e.what());
  }
  try {
    asyncio::run(child_main(port));
  } catch (const std::exception& e) {
    trace::print("child error", trace::type_name(e), e.what());
  }
  ::_exit(0);
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  std::vector<std::string> parent_signals;
  loop.add_signal_handler(SIGUSR1, [&] { parent_signals.push_back("SIGUSR1"); });
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  int port = net_trace::port_of(*server);
  pid_t pid = ::fork();
  if (pid == 0) in_child(port);
  int status = co_await loop.run_in_executor(nullptr, [pid] {
    int raw = 0;
    ::waitpid(pid, &raw, 0);
    return raw;
  });
  trace::print("parent: child exited with", WEXITSTATUS(status));
  for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
  trace::print("parent signals after the child's:", parent_signals.empty() ? "[]" : "['SIGUSR1']");
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  writer->write("from parent\n");
  trace::print("parent got", strip(co_await reader->readline()));
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
  loop.remove_signal_handler(SIGUSR1);
}

int main() {
  asyncio::run(amain());
}
