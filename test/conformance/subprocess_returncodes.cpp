// Mirrors CPython test_subprocess.SubprocessMixin (test_kill, test_terminate, test_send_signal),
// test_events.SubprocessTestsMixin (test_subprocess_exitcode, test_subprocess_kill,
// test_subprocess_terminate, test_subprocess_send_signal) and Popen's returncode convention:
// an exit status is returned as is, death by signal N as -N, whether we send the signal or
// the child does; returncode stays None while the child runs; once the child has been
// reaped (wait() returned), send_signal/terminate/kill raise ProcessLookupError.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <functional>
#include <optional>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

Coro<int> exit_status(std::string script) {
  auto proc = co_await asyncio::create_subprocess_exec("/bin/sh", args("-c", script));
  co_return co_await proc.wait();
}

// No pipes: once wait() (called before the exit) returns, the transport is finished.
Coro<asyncio::Process> sleeper(std::string action) {
  auto proc = co_await asyncio::create_subprocess_exec("sleep", args("100"));
  trace::print(action, "- returncode while running:", optional_int(proc.returncode()));
  if (action == "kill") {
    proc.kill();
  } else if (action == "terminate") {
    proc.terminate();
  } else {
    proc.send_signal(SIGUSR1);
  }
  int code = co_await proc.wait();
  trace::print(action, "- wait():", code, "returncode:", optional_int(proc.returncode()));
  co_return proc;
}

Coro<> amain() {
  for (std::string script : {"exit 3", "exit 0", "exit 255", "true", "kill -9 $$", "kill -TERM $$"})
    trace::print("sh -c " + repr(script) + ":", co_await exit_status(script));

  std::optional<asyncio::Process> proc;
  for (std::string action : {"kill", "terminate", "send_signal(SIGUSR1)"})
    proc.emplace(co_await sleeper(action));
  trace::print("SIGKILL, SIGTERM, SIGUSR1:", -SIGKILL, -SIGTERM, -SIGUSR1);

  std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"send_signal(SIGTERM)", [&] { proc->send_signal(SIGTERM); }},
      {"terminate()", [&] { proc->terminate(); }},
      {"kill()", [&] { proc->kill(); }}};
  for (auto& [name, call] : calls) {
    try {
      call();
      trace::print(name, "after reap: no error");
    } catch (const asyncio::OSError& e) {
      trace::print(name, "after reap:", trace::type_name(e));
    }
  }
}

int main() {
  asyncio::run(amain());
}
