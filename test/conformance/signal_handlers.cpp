// Mirrors CPython test_unix_events.SelectorEventLoopSignalTests (test_add_signal_handler,
// test_remove_signal_handler, test_add_signal_handler_install_error) and
// test_events.EventLoopTestsMixin.test_add_signal_handler.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

#include <unistd.h>
#include <csignal>
#include <string>
#include <vector>

asyncio::EventLoop loop;
std::vector<int> caught;

std::string caught_list() {
  std::string out = "[";
  for (std::size_t i = 0; i < caught.size(); ++i)
    out += (i ? ", " : "") + std::to_string(caught[i]);
  return out + "]";
}

void handler(std::string name, int n) {
  caught.push_back(n);
  trace::print("handler", name, std::to_string(n),
               "running loop:", &asyncio::get_running_loop() == &loop);
  loop.stop();
}

bool is_default(int sig) {
  struct sigaction action {};
  ::sigaction(sig, nullptr, &action);
  return action.sa_handler == SIG_DFL;
}

int main() {
  loop.add_signal_handler(SIGUSR1, handler, std::string("usr1"), 1);
  loop.call_soon([] { trace::print("before the signal"); });
  loop.call_soon([] { ::kill(::getpid(), SIGUSR1); });
  loop.call_soon([] { trace::print("after kill, same batch"); });
  loop.run_forever();
  trace::print("caught", caught_list());

  loop.add_signal_handler(SIGUSR1, handler, std::string("replaced"), 2);
  loop.call_soon([] { ::kill(::getpid(), SIGUSR1); });
  loop.call_later(10, [] { loop.stop(); });  // safety net only
  loop.run_forever();
  trace::print("caught", caught_list());

  for (int sig : {0, -1, NSIG, 1000}) {
    try {
      loop.add_signal_handler(sig, handler, std::string("bad"), 0);
    } catch (const std::invalid_argument& e) {
      trace::print("ValueError:", e.what());
    }
  }
  for (int sig : {SIGKILL, SIGSTOP}) {
    try {
      loop.add_signal_handler(sig, handler, std::string("uncatchable"), 0);
    } catch (const asyncio::RuntimeError& e) {
      trace::print("RuntimeError:", e.what());
    }
  }

  trace::print("remove:", loop.remove_signal_handler(SIGUSR1));
  trace::print("remove again:", loop.remove_signal_handler(SIGUSR1));
  trace::print("default restored:", is_default(SIGUSR1));
  loop.add_signal_handler(SIGUSR2, handler, std::string("closed"), 3);
  loop.close();
  trace::print("close restored:", is_default(SIGUSR2));
  try {
    loop.add_signal_handler(SIGUSR2, handler, std::string("closed"), 4);
  } catch (const asyncio::RuntimeError& e) {
    trace::print("RuntimeError:", e.what());
  }
}
