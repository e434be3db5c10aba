// Mirrors CPython test_subprocess.SubprocessMixin.test_subprocess_concurrent_wait (3.12) and
// test_events.SubprocessTestsMixin.test_subprocess_wait_no_same_group: many children
// created and awaited at once each get their own exit status (the watcher never mixes
// them up or loses one), concurrent communicate() calls keep each child's data apart, and
// killing some children leaves the others untouched.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <set>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

constexpr int N = 20;

Coro<asyncio::Process> spawn_exit(int i) {
  co_return co_await asyncio::create_subprocess_exec("/bin/sh",
                                                     args("-c", "exit " + std::to_string(i)));
}

std::string repeated(const std::string& piece, int times) {
  std::string out;
  for (int k = 0; k < times; ++k) out += piece;
  return out;
}

Coro<std::string> echo(int i) {
  auto proc = co_await asyncio::create_subprocess_exec(
      "/bin/sh", args("-c", "cat; exit " + std::to_string(i)), stdio(PIPE, PIPE));
  const std::string input = repeated(std::to_string(i), 5000);
  auto [out, err] = co_await proc.communicate(input);
  co_return "(" + py_bool(*out == input) + ", " + optional_int(proc.returncode()) + ")";
}

Coro<int> wait_for_exit(asyncio::Process* proc) {
  co_return co_await proc->wait();
}

Coro<> amain() {
  std::vector<Coro<asyncio::Process>> spawns;
  for (int i = 0; i < N; ++i) spawns.push_back(spawn_exit(i));
  std::vector<asyncio::Process> procs = co_await asyncio::gather(std::move(spawns));
  std::set<int> pids;
  for (auto& p : procs) pids.insert(p.pid);
  trace::print("distinct pids:", pids.size() == N);
  std::vector<Coro<int>> waits;
  for (auto& p : procs) waits.push_back(wait_for_exit(&p));
  trace::print("exit codes:", int_list(co_await asyncio::gather(std::move(waits))));

  std::vector<Coro<std::string>> echoes;
  for (int i = 0; i < 10; ++i) echoes.push_back(echo(i));
  trace::print("concurrent communicate:", raw_list(co_await asyncio::gather(std::move(echoes))));

  std::vector<asyncio::Process> children;
  for (int i = 0; i < 4; ++i)
    children.push_back(co_await asyncio::create_subprocess_exec("sleep", args("100")));
  for (int i = 0; i < 4; ++i)
    children.push_back(co_await asyncio::create_subprocess_exec(
        "/bin/sh", args("-c", "exit " + std::to_string(i))));
  std::vector<asyncio::Task<int>> exits;
  for (auto& p : children) exits.push_back(asyncio::create_task(wait_for_exit(&p)));
  for (int i = 0; i < 4; i += 2) children[i].kill();
  for (int i = 1; i < 4; i += 2) children[i].terminate();
  std::vector<int> codes = co_await asyncio::gather(exits);
  trace::print("killed and quick:", int_list(codes), -SIGKILL, -SIGTERM);
}

int main() {
  asyncio::run(amain());
}
