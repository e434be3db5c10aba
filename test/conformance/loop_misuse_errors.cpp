// Mirrors test_events.EventLoopTestsMixin.test_run_until_complete_nesting (the refused
// coroutine never runs), test_unix_events.TestFunctional.test_add_reader_or_writer_transport_fd
// (RuntimeError on an fd a transport owns), and a Semaphore released past 2**31 - 1.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::EventLoop;

std::vector<std::string> ran;

Coro<> inner() {
  ran.push_back("inner");
  co_return;
}

Coro<> nested(EventLoop& loop) {
  try {
    loop.run_until_complete(inner());
  } catch (const asyncio::RuntimeError& e) {
    trace::print("nested run_until_complete:", e.what());
  }
  for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
  trace::print("inner ran:", !ran.empty());
}

Coro<> transport_fd(EventLoop& loop) {
  int sv[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  auto [tr, pr] = co_await loop.connect_accepted_socket(
      [] { return std::make_shared<asyncio::Protocol>(); }, sv[0]);
  const int fd = sv[0];
  std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"add_reader", [&] { loop.add_reader(fd, [] {}); }},
      {"add_writer", [&] { loop.add_writer(fd, [] {}); }},
      {"remove_reader", [&] { loop.remove_reader(fd); }},
      {"remove_writer", [&] { loop.remove_writer(fd); }},
  };
  for (auto& [name, call] : calls) {
    try {
      call();
      trace::print(name, "accepted");
    } catch (const asyncio::RuntimeError& e) {
      std::string prefix = "File descriptor " + std::to_string(fd) + " is used by transport";
      trace::print(name, "RuntimeError:", std::string(e.what()).rfind(prefix, 0) == 0);
    }
  }
  tr->close();
  co_await asyncio::sleep(0);
  ::close(sv[1]);
}

Coro<> semaphore() {
  asyncio::Semaphore sem(INT_MAX);
  sem.release();
  sem.release();
  trace::print(sem.repr().find("value:2147483649") != std::string::npos);
  co_await sem.acquire();
  trace::print(sem.repr().find("value:2147483648") != std::string::npos);
}

int main() {
  EventLoop loop;
  loop.run_until_complete(nested(loop));
  loop.run_until_complete(transport_fd(loop));
  loop.run_until_complete(semaphore());
  loop.close();
  try {
    loop.run_until_complete(inner());
  } catch (const asyncio::RuntimeError& e) {
    trace::print("closed loop:", e.what());
  }
  trace::print("inner ran:", !ran.empty());
}
