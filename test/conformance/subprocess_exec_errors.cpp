// Mirrors CPython test_subprocess.SubprocessMixin (test_popen_error,
// test_popen_error_with_stdin_pipe) and test_events.SubprocessTestsMixin
// .test_subprocess_exec_invalid_args, with Popen's errors: a program that does not exist
// (by path or on PATH) and a cwd that does not exist raise FileNotFoundError, a file that is
// not executable or a directory raise PermissionError; the failure is raised by the
// coroutine, the protocol never sees connection_made, and no fd is leaked. Closing the
// transport of a running child kills it (test_subprocess.SubprocessMixin.test_close_kill_running).
#include <asyncio/asyncio.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <fstream>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

class Proto : public asyncio::SubprocessProtocol {
 public:
  static inline int made = 0;
  asyncio::Future<void> done = asyncio::get_running_loop().create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override { ++made; }
  void connection_lost(std::exception_ptr) override { done.set_result(); }
};

auto make_proto() {
  return std::make_shared<Proto>();
}

Coro<> attempt(std::string label, std::string program,
               std::optional<std::string> cwd = std::nullopt) {
  asyncio::SubprocessOptions options = stdio(PIPE, PIPE, PIPE);
  options.cwd = std::move(cwd);
  try {
    auto proc = co_await asyncio::create_subprocess_exec(program, {}, options);
    trace::print(label, "started?", co_await proc.wait());
  } catch (const asyncio::OSError& e) {
    trace::print(label + ":", trace::type_name(e), "errno", errno_name(e.code().value()));
  }
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/confXXXXXX";
  std::string tmp = ::mkdtemp(pattern.data());
  std::string plain = tmp + "/plain";
  std::ofstream(plain) << "#!/bin/sh\necho no\n";
  ::chmod(plain.c_str(), 0644);
  std::size_t before = open_fd_count();
  co_await attempt("missing path", "/nonexistent/program");
  co_await attempt("missing on PATH", "no-such-program-conformance");
  co_await attempt("missing cwd", "/bin/sh", tmp + "/missing");
  co_await attempt("not executable", plain);
  co_await attempt("a directory", tmp);
  try {
    co_await loop.subprocess_exec(make_proto, "/nonexistent/program");
  } catch (const asyncio::OSError& e) {
    trace::print("protocol:", trace::type_name(e) + ", connection_made calls:", Proto::made);
  }
  trace::print("fds leaked:", static_cast<long>(open_fd_count()) - static_cast<long>(before));
  ::unlink(plain.c_str());
  ::rmdir(tmp.c_str());

  auto proc = co_await asyncio::create_subprocess_exec("cat", {}, stdio(PIPE, PIPE));
  trace::print("pid positive:", proc.pid > 0,
               "returncode while running:", optional_int(proc.returncode()));
  auto [transport, proto] = co_await loop.subprocess_exec(make_proto, "cat");
  trace::print(
      "transport pid matches:", transport->get_pid() > 0 && transport->get_pid() != proc.pid,
      "connection_made calls:", Proto::made);
  proc.stdin_->close();
  int code = co_await proc.wait();
  trace::print("cat after stdin closed:", code, optional_int(proc.returncode()));
  transport->close();  // kills the running child, as asyncio does
  co_await proto->done;
  trace::print("close() killed the running child:", optional_int(transport->get_returncode()));
}

int main() {
  asyncio::run(amain());
}
