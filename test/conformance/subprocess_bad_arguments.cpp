// cpython: 3.13+
// Mirrors Lib/test/test_subprocess.py ProcessTestCase.test_invalid_env and
// test_invalid_args (embedded null byte): subprocess arguments are checked before anything
// starts. 3.13 also refuses an empty environment name (3.11 and 3.12 start the child).
// Nothing is left behind: no fd, no child.
#include <asyncio/asyncio.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using Env = std::map<std::string, std::string>;

Coro<> attempt(std::string label, std::string program, std::vector<std::string> args,
               std::optional<Env> env = std::nullopt) {
  asyncio::SubprocessOptions options;
  options.env = std::move(env);
  try {
    auto proc = co_await asyncio::create_subprocess_exec(program, args, options);
    trace::print(label, "exit", co_await proc.wait());
  } catch (const std::invalid_argument& e) {
    trace::print(label + ": ValueError " + e.what());
  }
}

// Arguments are named before each co_await: GCC 12 miscompiles braced temporaries there.
Coro<> amain() {
  using namespace std::string_literals;
  const std::vector<std::string> none;
  const std::vector<std::string> nul_arg = {"a\0b"s};
  const Env nul_value = {{"A", "x\0y"s}};
  const Env eq_name = {{"LD_PRELOAD=/x.so:X", "1"}};
  const Env empty_name = {{"", "1"}};
  const Env eq_value = {{"A", "a=b"}};
  std::size_t before = proc_trace::open_fd_count();
  co_await attempt("NUL in an argument", "/bin/true", nul_arg);
  co_await attempt("NUL in a value", "/bin/true", none, nul_value);
  co_await attempt("'=' in a name", "/bin/true", none, eq_name);
  co_await attempt("empty name", "/bin/true", none, empty_name);
  co_await attempt("'=' in a value", "/bin/true", none, eq_value);
  trace::print("fds leaked:", proc_trace::open_fd_count() - before);
}

int main() {
  asyncio::run(amain());
}
