// Mirrors CPython test_subprocess.SubprocessMixin.test_stdin_stdout / test_pause_reading and
// test_streams (test_readline, test_readuntil_*, test_readexactly_eof, test___aiter__):
// `async for line in proc.stdout` (anext() here) yields each line, the last one without its
// newline, then stops at EOF; readuntil/readexactly/read work on a child's stdout; a line
// longer than the limit raises ValueError and is discarded; at EOF readline returns b"".
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
  auto lines = co_await asyncio::create_subprocess_exec("printf", args("one\\ntwo\\n\\nthree"),
                                                        stdio({}, PIPE));
  while (auto line = co_await lines.stdout_->anext()) trace::print("line:", repr(*line));
  trace::print("after the loop: at_eof", lines.stdout_->at_eof(), "readline",
               bytes_repr(co_await lines.stdout_->readline()));
  trace::print("returncode:", co_await lines.wait());

  auto parts =
      co_await asyncio::create_subprocess_exec("printf", args("abc;def;ghi"), stdio({}, PIPE));
  auto& out = *parts.stdout_;
  trace::print("readuntil:", co_await out.readuntil(";"));
  trace::print("readexactly(3):", co_await out.readexactly(3));
  trace::print("read(1):", co_await out.read(1));
  try {
    co_await out.readexactly(10);
  } catch (const asyncio::IncompleteReadError& e) {
    trace::print("readexactly(10): IncompleteReadError partial", e.partial, "expected",
                 e.expected ? std::to_string(*e.expected) : "None");
  }
  trace::print("read() at EOF:", (co_await out.read()).size(), "at_eof", out.at_eof());
  co_await parts.wait();

  asyncio::SubprocessOptions limited = stdio(PIPE, PIPE);
  limited.limit = 16;
  auto longline = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "read go; printf '%040d\\nok\\n' 0"), limited);
  longline.stdin_->write("go\n");  // the whole output then arrives as one chunk
  co_await longline.stdin_->drain();
  try {
    co_await longline.stdout_->readline();
  } catch (const std::invalid_argument&) {
    trace::print("line longer than limit=16: ValueError");
  }
  trace::print("next line:", repr(co_await longline.stdout_->readline()));
  longline.stdin_->close();
  trace::print("returncode:", co_await longline.wait());

  std::vector<std::string> seen;
  auto loop_proc = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "for i in 1 2 3 4 5; do echo \"n$i\"; done"), stdio({}, PIPE));
  for (std::string line; !(line = co_await loop_proc.stdout_->readline()).empty();)
    seen.push_back(strip(line));
  trace::print("readline loop:", str_list(seen), "returncode", co_await loop_proc.wait());
}

int main() {
  asyncio::run(amain());
}
