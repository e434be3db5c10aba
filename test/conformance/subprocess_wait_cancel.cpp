// Mirrors CPython test_subprocess.SubprocessMixin (test_cancel_process_wait,
// test_subprocess_concurrent_wait, test_kill_issue43884) and test_events
// .SubprocessTestsMixin.test_subprocess_close_after_finish: cancelling a wait() leaves the
// child running; wait_for(wait(), timeout) raises TimeoutError and the child still runs;
// several tasks waiting all get the exit code; wait() after the exit returns the same code
// again; kill/terminate/send_signal after the child was reaped raise ProcessLookupError;
// a communicate() cut short by wait_for leaves a child that can still be killed and awaited.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <functional>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

Coro<> amain() {
  auto proc =
      co_await asyncio::create_subprocess_exec("cat", {}, stdio(PIPE));  // runs until stdin closes
  auto waiter = asyncio::create_task(proc.wait());
  co_await asyncio::sleep(0);
  waiter.cancel();
  try {
    co_await waiter;
  } catch (const asyncio::CancelledError&) {
    trace::print("wait() cancelled; returncode:", optional_int(proc.returncode()));
  }

  try {
    co_await asyncio::wait_for(proc.wait(), 0.01);
  } catch (const asyncio::TimeoutError&) {
    trace::print("wait_for(wait(), 0.01): TimeoutError; returncode:",
                 optional_int(proc.returncode()));
  }

  std::vector<asyncio::Task<int>> waiters;
  for (int i = 0; i < 3; ++i) waiters.push_back(asyncio::create_task(proc.wait()));
  co_await asyncio::sleep(0);
  std::vector<std::string> pending;
  for (auto& w : waiters) pending.push_back(py_bool(w.done()));
  trace::print("three waiters pending:", raw_list(pending));
  proc.stdin_->close();
  std::vector<int> codes = co_await asyncio::gather(waiters);
  trace::print("all waiters:", int_list(codes));
  int again = co_await proc.wait();
  int and_again = co_await proc.wait();
  trace::print("wait() again:", again, "and again:", and_again);
  trace::print("returncode:", optional_int(proc.returncode()));

  std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"kill()", [&] { proc.kill(); }},
      {"terminate()", [&] { proc.terminate(); }},
      {"send_signal(0)", [&] { proc.send_signal(0); }},
      {"send_signal(SIGKILL)", [&] { proc.send_signal(SIGKILL); }}};
  for (auto& [name, call] : calls) {
    try {
      call();
      trace::print(name, "after exit: no error");
    } catch (const asyncio::OSError& e) {
      trace::print(name, "after exit:", trace::type_name(e));
    }
  }

  auto sleeper = co_await asyncio::create_subprocess_exec("sleep", args("100"), stdio({}, PIPE));
  try {
    co_await asyncio::wait_for(sleeper.communicate(), 0.05);
  } catch (const asyncio::TimeoutError&) {
    trace::print("wait_for(communicate(), 0.05): TimeoutError; returncode:",
                 optional_int(sleeper.returncode()));
  }
  sleeper.kill();
  trace::print("killed after the timeout:", co_await sleeper.wait());

  auto nine = co_await asyncio::create_subprocess_exec("/bin/sh", args("-c", "exit 9"));
  int first = co_await nine.wait();
  int second = co_await nine.wait();
  trace::print("exit 9:", first, second, optional_int(nine.returncode()));
}

int main() {
  asyncio::run(amain());
}
