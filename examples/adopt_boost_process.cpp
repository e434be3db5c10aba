// A host launches a child with Boost.Process v2, with Asio pipes for its stdio, and a task
// adopts it: from then on it is an asyncio::Process like any create_subprocess_exec gave.
#include <asyncio/asyncio.hpp>
#include <asyncio/process_adopt.hpp>
#include <boost/process/v2/stdio.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace bp = boost::process::v2;

asyncio::Coro<void> talk_to(bp::process child, asyncio::adopted_stdio pipes) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Process proc = co_await asyncio::adopt_process(loop, std::move(child), std::move(pipes));
  auto [out, err] = co_await proc.communicate("hello from asyncio\n");
  std::cout << "stdout: " << *out << "stderr: " << *err << "returncode: " << *proc.returncode()
            << std::endl;
}

int main() {
  asio::io_context host;
  asio::writable_pipe in(host);
  asio::readable_pipe out(host), err(host);
  std::vector<std::string> args = {"-c",
                                   "read line; echo \"$line\" | tr a-z A-Z; echo bye >&2; exit 3"};
  bp::process child(host, "/bin/sh", args, bp::process_stdio{in, out, err});

  asyncio::adopted_stdio pipes;
  pipes.stdin_pipe = std::move(in);
  pipes.stdout_pipe = std::move(out);
  pipes.stderr_pipe = std::move(err);
  asyncio::run(talk_to(std::move(child), std::move(pipes)));
}
