// Mirrors CPython test_subprocess.SubprocessMixin (test_stdin_stdout, test_stdin_broken_pipe,
// test_read_stdout_after_process_exit) and test_events.SubprocessTestsMixin
// (test_subprocess_interactive, test_subprocess_close_client_stream): writes to a child's
// stdin reach it after drain(); write_eof() or close() gives the child EOF; wait_closed()
// returns after close(); once the child is gone, drain() raises ConnectionResetError (the
// pipe was closed without error) or BrokenPipeError.
#include <asyncio/asyncio.hpp>

#include <cctype>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

std::string strip(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

Coro<> amain() {
  auto cat = co_await asyncio::create_subprocess_exec("cat", {}, stdio(PIPE, PIPE));
  for (std::string line : {"first\n", "second\n"}) {
    cat.stdin_->write(line);
    co_await cat.stdin_->drain();
    trace::print("echoed:", strip(co_await cat.stdout_->readline()));
  }
  trace::print("can_write_eof:", cat.stdin_->can_write_eof());
  cat.stdin_->write("last, no newline");
  cat.stdin_->write_eof();
  trace::print("after write_eof: is_closing", cat.stdin_->is_closing());
  std::string rest = co_await cat.stdout_->read();
  trace::print("rest until EOF:", rest, "- returncode", co_await cat.wait());

  auto wc = co_await asyncio::create_subprocess_exec("wc", args("-c"), stdio(PIPE, PIPE));
  std::vector<std::string> pieces{std::string(500, 'x'), std::string(500, 'y')};
  wc.stdin_->writelines(pieces);
  wc.stdin_->close();
  co_await wc.stdin_->wait_closed();
  trace::print("close + wait_closed: is_closing", wc.stdin_->is_closing());
  std::string counted = strip(co_await wc.stdout_->read());
  trace::print("wc -c counted:", counted, "- returncode", co_await wc.wait());

  auto gone =
      co_await asyncio::create_subprocess_exec("/bin/sh", args("-c", "exit 0"), stdio(PIPE));
  trace::print("child exited without reading:", co_await gone.wait());
  co_await gone.stdin_->wait_closed();  // the pipe's connection_lost, which may come after the exit
  trace::print("stdin is_closing after the exit:", gone.stdin_->is_closing());
  gone.stdin_->write("too late");
  try {
    co_await gone.stdin_->drain();
    trace::print("drain: no error");
  } catch (const asyncio::OSError& e) {
    trace::print("drain:", trace::type_name(e));
  }
}

int main() {
  asyncio::run(amain());
}
