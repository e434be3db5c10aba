// Mirrors CPython test_unix_events.SelectorEventLoopSignalTests (add/remove_signal_handler)
// together with test_subprocess's child watcher tests: a SIGCHLD handler installed with
// loop.add_signal_handler runs when a child exits, and does not stop the loop's child
// watcher from reaping children and reporting their exit status, before or after it is
// removed.
#include <asyncio/asyncio.hpp>

#include <csignal>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

Coro<int> exit_code(int code) {
  auto proc = co_await asyncio::create_subprocess_exec("/bin/sh",
                                                       args("-c", "exit " + std::to_string(code)));
  co_return co_await proc.wait();
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto signalled = loop.create_future<std::string>();
  auto on_sigchld = [signalled](std::string tag) mutable {
    if (!signalled.done()) signalled.set_result(tag);
  };
  loop.add_signal_handler(SIGCHLD, on_sigchld, std::string("child exited"));
  trace::print("with a SIGCHLD handler:", co_await exit_code(4));
  trace::print("handler ran:", co_await asyncio::wait_for(signalled, 10));  // a safety net only
  std::vector<Coro<int>> children;
  for (int i = 0; i < 5; ++i) children.push_back(exit_code(i));
  trace::print("concurrent children:", int_list(co_await asyncio::gather(std::move(children))));
  trace::print("remove_signal_handler:", loop.remove_signal_handler(SIGCHLD));
  trace::print("after removal:", co_await exit_code(5));
}

int main() {
  asyncio::run(amain());
}
