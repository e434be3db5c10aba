// Mirrors CPython test_subprocess.SubprocessMixin (test_shell, test_communicate, test_terminate,
// test_read_stdout_after_process_exit) and SubprocessTransportTests.test_proc_exited. Python
// starts each child with create_subprocess_exec; here Boost.Process v2 starts it and
// adopt_process takes it over. The Process must behave the same either way.
#include <asyncio/asyncio.hpp>
#include <asyncio/process_adopt.hpp>
#include <boost/process/v2/stdio.hpp>

#include <signal.h>
#include <sys/wait.h>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using proc_trace::bytes_repr;
using proc_trace::optional_bytes_repr;
using proc_trace::optional_int;
namespace asio = boost::asio;
namespace bp = boost::process::v2;

asio::io_context host;  // the host program's context, which launches the children

struct Pipes {
  bool in = false, out = false, err = false;
};

// create_subprocess_exec("/bin/sh", "-c", cmd, ...): the host launches it with a pipe on each
// stream and keeps our ends of those asked for; the others close at once (unused here).
Coro<asyncio::Process> exec_sh(std::string cmd, Pipes wanted, bool adopt_after_exit = false) {
  asio::writable_pipe in(host);
  asio::readable_pipe out(host), err(host);
  std::vector<std::string> argv = proc_trace::args("-c", cmd);
  bp::process child(host, "/bin/sh", argv, bp::process_stdio{in, out, err});
  asyncio::adopted_stdio pipes;
  if (wanted.in) pipes.stdin_pipe = std::move(in);
  if (wanted.out) pipes.stdout_pipe = std::move(out);
  if (wanted.err) pipes.stderr_pipe = std::move(err);
  if (adopt_after_exit) {  // a zombie nobody reaped yet
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(child.id()), &info, WEXITED | WNOWAIT);
  }
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  co_return co_await asyncio::adopt_process(loop, std::move(child), std::move(pipes));
}

// Named before each co_await: GCC 12 miscompiles braced temporaries there.
const Pipes none{};
const Pipes in_out{.in = true, .out = true};
const Pipes out_err{.out = true, .err = true};
const Pipes out_only{.out = true};

Coro<> amain() {
  auto proc = co_await exec_sh("exit 3", none);
  int code = co_await proc.wait();
  trace::print("exit 3: wait", code, "returncode", optional_int(proc.returncode()));

  auto cat = co_await exec_sh("exec cat", in_out);
  auto [out, err] = co_await cat.communicate("hello\n");
  trace::print("cat:", optional_bytes_repr(out), optional_bytes_repr(err), "returncode",
               optional_int(cat.returncode()));

  auto both = co_await exec_sh("echo out; echo err >&2; exit 1", out_err);
  auto [out2, err2] = co_await both.communicate();
  trace::print("stdout and stderr:", optional_bytes_repr(out2), optional_bytes_repr(err2),
               "returncode", optional_int(both.returncode()));

  auto sleeper = co_await exec_sh("echo ready; exec sleep 3600", out_only);
  std::string line = co_await sleeper.stdout_->readline();
  trace::print("first line:", bytes_repr(line), "returncode", optional_int(sleeper.returncode()));
  sleeper.terminate();
  int terminated = co_await sleeper.wait();
  trace::print("terminated:", terminated);
  try {
    sleeper.kill();
  } catch (const asyncio::ProcessLookupError&) {
    trace::print("kill after the exit: ProcessLookupError");
  }

  // Python starts this one normally; here it is adopted once it has exited.
  auto early = co_await exec_sh("echo bye; exit 7", out_only, true);
  auto [out3, err3] = co_await early.communicate();
  trace::print("exited early:", optional_bytes_repr(out3), "returncode",
               optional_int(early.returncode()));
}

int main() {
  asyncio::run(amain());
}
