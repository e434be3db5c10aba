// Mirrors CPython test_subprocess.SubprocessMixin (test_devnull_input, test_devnull_output,
// test_devnull_error, test_devstdin_input) and Popen's stdio arguments: DEVNULL reads as
// empty and swallows output, an fd we pass is used as is (and stays ours to close), INHERIT
// (Python's None) shares our own stdout, STDOUT sends stderr where stdout goes; our own
// fds 1 and 2 can be given crossed (the child's stdout to our stderr and back).
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::DEVNULL;
using asyncio::PIPE;
using asyncio::STDOUT;
using namespace proc_trace;

std::string pair_repr(const std::pair<std::optional<std::string>, std::optional<std::string>>& p) {
  return "(" + optional_bytes_repr(p.first) + ", " + optional_bytes_repr(p.second) + ")";
}

Coro<> amain() {
  auto cat = co_await asyncio::create_subprocess_exec("cat", {}, stdio(DEVNULL, PIPE));
  auto [cat_out, cat_err] = co_await cat.communicate();
  trace::print("stdin=DEVNULL: cat printed", cat_out->size(),
               "bytes; stdin stream:", cat.stdin_ ? "a stream" : "None");

  auto hide_out = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "printf hidden; printf shown >&2"), stdio({}, DEVNULL, PIPE));
  trace::print("stdout=DEVNULL:", pair_repr(co_await hide_out.communicate()));

  auto hide_err = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "printf shown; printf hidden >&2"), stdio({}, PIPE, DEVNULL));
  trace::print("stderr=DEVNULL:", pair_repr(co_await hide_err.communicate()));

  auto [r, w] = make_pipe();
  auto to_fd = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "printf 'to the fd'; printf ' and stderr' >&2"), stdio({}, w, STDOUT));
  ::close(w);  // ours: still open after the spawn
  std::string via_fd = read_to_eof(r);
  trace::print("stdout=fd, stderr=STDOUT:", via_fd, "- returncode", co_await to_fd.wait());

  auto [r2, w2] = make_pipe();
  write_all(w2, "from our pipe");
  ::close(w2);
  auto from_fd = co_await asyncio::create_subprocess_exec("cat", {}, stdio(r2, PIPE));
  ::close(r2);
  auto [fd_out, fd_err] = co_await from_fd.communicate();
  trace::print("stdin=fd:", *fd_out);

  trace::print("before the inheriting child");
  auto inherit = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "echo 'child: on our stdout'"));
  int code = co_await inherit.wait();
  trace::print("no stdout stream:", inherit.stdout_ ? "a stream" : "None", "- returncode", code);
  auto joined = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "echo 'child: stderr joins inherited stdout' >&2"),
      stdio({}, {}, STDOUT));
  trace::print("returncode", co_await joined.wait());
  auto crossed = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "echo 'child: stderr to our stdout' >&2; echo 'not shown: our stderr'"),
      stdio({}, 2, 1));
  trace::print("crossed, returncode", co_await crossed.wait());
}

int main() {
  asyncio::run(amain());
}
