// Mirrors CPython test_subprocess.POSIXProcessTestCase.test_restore_signals and the signal
// state execve(2) hands a child: restore_signals puts SIGPIPE and SIGXFSZ (which Python
// ignores) back to SIG_DFL, a signal we ignore stays ignored, one we handle
// (loop.add_signal_handler) arrives at SIG_DFL, and the child's mask is the caller's (here
// with SIGWINCH blocked). The child, cat, reports its own /proc/self/status.
#include <asyncio/asyncio.hpp>

#include <signal.h>

#include <sstream>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

struct Watched {
  int sig;
  const char* name;
};
constexpr Watched WATCHED[] = {{SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"},   {SIGPIPE, "SIGPIPE"},
                               {SIGXFSZ, "SIGXFSZ"}, {SIGWINCH, "SIGWINCH"}, {SIGTERM, "SIGTERM"}};

std::string decode(const std::string& status, const std::string& field) {
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(field + ":", 0) != 0) continue;
    unsigned long long bits = std::stoull(line.substr(field.size() + 1), nullptr, 16);
    std::vector<std::string> names;
    for (const Watched& w : WATCHED)
      if (bits & (1ULL << (w.sig - 1))) names.push_back(w.name);
    return str_list(names);
  }
  return "None";
}

Coro<std::string> child_state() {
  auto proc = co_await asyncio::create_subprocess_exec("/bin/cat", args("/proc/self/status"),
                                                       stdio({}, PIPE));
  auto [out, err] = co_await proc.communicate();
  co_return "{'SigIgn': " + decode(*out, "SigIgn") + ", 'SigCgt': " + decode(*out, "SigCgt") +
      ", 'SigBlk': " + decode(*out, "SigBlk") + "}";
}

void block_winch(int how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  ::pthread_sigmask(how, &set, nullptr);
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  trace::print("at start:", co_await child_state());
  loop.add_signal_handler(SIGUSR1, [] {});
  auto old_usr2 = ::signal(SIGUSR2, SIG_IGN);
  block_winch(SIG_BLOCK);
  trace::print("USR1 handled, USR2 ignored, WINCH blocked:", co_await child_state());
  block_winch(SIG_UNBLOCK);
  ::signal(SIGUSR2, old_usr2);
  loop.remove_signal_handler(SIGUSR1);
  trace::print("all put back:", co_await child_state());
}

int main() {
  ::signal(SIGXFSZ, SIG_IGN);  // as Python at startup (this library ignores SIGPIPE itself)
  asyncio::run(amain());
}
