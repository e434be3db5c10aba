// subprocesses.py, ported: children run concurrently, their output read line by line,
// a large input piped through cat, and a child stopped with a signal.
#include <asyncio/asyncio.hpp>

#include <iostream>
#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::PIPE;

Coro<std::string> run(std::string cmd) {
  asyncio::SubprocessOptions options;
  options.stdout_ = PIPE;
  auto proc = co_await asyncio::create_subprocess_shell(cmd, options);
  std::string lines;
  while (auto line = co_await proc.stdout_->anext()) {  // async for line in proc.stdout
    if (!lines.empty()) lines += " | ";
    lines += line->substr(0, line->find('\n'));
  }
  int code = co_await proc.wait();
  co_return "[" + cmd + "] exited with " + std::to_string(code) + ": " + lines;
}

Coro<void> main_coro() {
  auto results =
      co_await asyncio::gather(run("echo one; echo two"), run("printf 'a\\nb\\nc\\n'; exit 3"));
  std::cout << std::get<0>(results) << "\n" << std::get<1>(results) << "\n";

  asyncio::SubprocessOptions pipes;
  pipes.stdin_ = PIPE;
  pipes.stdout_ = PIPE;
  auto cat = co_await asyncio::create_subprocess_exec("cat", pipes);
  auto [out, err] = co_await cat.communicate(std::string(100000, 'x'));
  std::cout << "cat echoed " << out->size() << " bytes; returncode " << *cat.returncode() << "\n";

  auto sleeper = co_await asyncio::create_subprocess_exec("sleep", "60");
  sleeper.terminate();
  std::cout << "sleep terminated: " << co_await sleeper.wait() << std::endl;
}

int main() {
  asyncio::run(main_coro());
}
