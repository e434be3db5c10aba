// Mirrors CPython test_subprocess.SubprocessMixin (test_communicate, test_empty_input,
// test_stdin_stdout, test_stdin_broken_pipe, test_communicate_ignore_broken_pipe):
// communicate(input) feeds stdin, closes it and collects stdout/stderr to EOF; 300 KB
// round-trip through cat without deadlock; stdout and stderr are read together; a stream
// that is not a pipe gives None; a child that stops reading stdin does not make it fail.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

std::uint64_t checksum(const std::string& data) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < data.size(); i += 4096) {
    std::uint64_t sum = 0;
    for (std::size_t j = i; j < std::min(data.size(), i + 4096); ++j)
      sum += static_cast<unsigned char>(data[j]);
    value = (value * 31 + sum) % 1'000'000'007;
  }
  return value;
}

std::string strip(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string pair_repr(const std::pair<std::optional<std::string>, std::optional<std::string>>& p) {
  return "(" + optional_bytes_repr(p.first) + ", " + optional_bytes_repr(p.second) + ")";
}

// The child reads a little, then closes its stdin while most of the input is still
// buffered: the stdin pipe is lost with BrokenPipeError, which communicate() swallows.
Coro<> ignores_stdin() {
  auto proc = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "head -c 1 >/dev/null; exec 0<&-; printf early"), stdio(PIPE, PIPE));
  auto [out, err] = co_await proc.communicate(std::string(1'000'000, 'x'));
  trace::print("child ignores its stdin:", *out, optional_bytes_repr(err), "returncode",
               optional_int(proc.returncode()));
}

Coro<> amain() {
  auto proc = co_await asyncio::create_subprocess_exec("cat", {}, stdio(PIPE, PIPE));
  auto [out, err] = co_await proc.communicate("hello\n");
  trace::print("cat:", strip(out.value()), optional_bytes_repr(err), "returncode",
               optional_int(proc.returncode()));

  std::string big(300'000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7 + i / 251) % 256);
  auto cat = co_await asyncio::create_subprocess_exec("cat", {}, stdio(PIPE, PIPE));
  auto [big_out, big_err] = co_await cat.communicate(big);
  trace::print("300 KB through cat:", big_out->size(), "bytes, checksum", checksum(*big_out),
               "expected", checksum(big), "equal", *big_out == big);

  auto both = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "printf out; printf err >&2; exit 4"), stdio({}, PIPE, PIPE));
  auto [both_out, both_err] = co_await both.communicate();
  trace::print("stdout and stderr:", *both_out, *both_err, "returncode",
               optional_int(both.returncode()));

  // stderr fills first: reading the streams one after the other would deadlock
  auto large = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "head -c 300000 /dev/zero >&2; head -c 200000 /dev/zero"),
      stdio({}, PIPE, PIPE));
  auto [large_out, large_err] = co_await large.communicate();
  trace::print("both streams large:", large_out->size(), large_err->size(), "returncode",
               optional_int(large.returncode()));

  auto nopipes = co_await asyncio::create_subprocess_exec("true");
  auto result = co_await nopipes.communicate();
  trace::print("no pipes:", pair_repr(result), "returncode", optional_int(nopipes.returncode()));

  auto empty = co_await asyncio::create_subprocess_exec("cat", {}, stdio(PIPE, PIPE));
  auto [empty_out, empty_err] = co_await empty.communicate("");
  trace::print("empty input:", empty_out->size(), optional_bytes_repr(empty_err));

  co_await ignores_stdin();
}

int main() {
  asyncio::run(amain());
}
