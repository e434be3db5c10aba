// Mirrors CPython test_subprocess.SubprocessMixin.test_start_new_session and Popen's
// pass_fds, start_new_session and process_group (3.11+): an fd listed in pass_fds is open
// in the child, an unlisted one is not; start_new_session makes the child a session and
// group leader (sid == pgid == pid); process_group=0 makes it a group leader in our
// session; by default it shares our session and process group.
#include <asyncio/asyncio.hpp>

#include <unistd.h>
#include <sstream>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

// pid, pgid and sid of the shell itself, from /proc/<pid>/stat (fields 1, 5 and 6).
const std::string IDS =
    "read -r pid comm state ppid pgid sid rest < /proc/$$/stat; echo $pid $pgid $sid";

struct Written {
  std::string data;
  int code;
  bool complained;
};

Coro<Written> write_through(int r, int w, bool pass_it) {
  asyncio::SubprocessOptions options = stdio({}, {}, PIPE);
  if (pass_it) options.pass_fds.push_back(w);
  auto proc = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "printf passed > /proc/self/fd/" + std::to_string(w)), options);
  ::close(w);
  auto [out, err] = co_await proc.communicate();
  co_return Written{read_to_eof(r), *proc.returncode(), !err->empty()};
}

Coro<std::string> ids(asyncio::SubprocessOptions options) {
  options.stdout_ = PIPE;
  auto proc = co_await asyncio::create_subprocess_exec("/bin/sh", args("-c", IDS), options);
  auto [out, err] = co_await proc.communicate();
  std::istringstream in(*out);
  int pid = 0, pgid = 0, sid = 0;
  in >> pid >> pgid >> sid;
  co_return "{'pid is the child': " + py_bool(pid == proc.pid) +
      ", 'group leader': " + py_bool(pgid == pid) + ", 'session leader': " + py_bool(sid == pid) +
      ", 'our group': " + py_bool(pgid == ::getpgid(0)) +
      ", 'our session': " + py_bool(sid == ::getsid(0)) + "}";
}

Coro<> amain() {
  auto [r, w] = make_pipe();
  Written passed = co_await write_through(r, w, true);
  trace::print("pass_fds: child wrote", repr(passed.data), "returncode", passed.code, "stderr",
               passed.complained);
  int fds[2];
  if (::pipe(fds) != 0) co_return;  // inheritable: close_fds must still close it
  Written unpassed = co_await write_through(fds[0], fds[1], false);
  trace::print("not passed: child wrote", repr(unpassed.data), "failed", unpassed.code != 0,
               "stderr", unpassed.complained);

  trace::print("default:", co_await ids({}));
  asyncio::SubprocessOptions session;
  session.start_new_session = true;
  trace::print("start_new_session:", co_await ids(session));
  asyncio::SubprocessOptions group;
  group.process_group = 0;
  trace::print("process_group=0:", co_await ids(group));
}

int main() {
  asyncio::run(amain());
}
