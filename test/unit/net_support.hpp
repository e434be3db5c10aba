// Helpers shared by the networking unit tests (test_server*.cpp, test_ssl.cpp).
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "conformance/net_trace.hpp"
#include "conformance/proc_trace.hpp"

#include <cstdint>
#include <exception>
#include <memory>
#include <system_error>
#include <utility>

namespace test_support {

// The errno an OSError carries; -1 for anything else.
inline int errno_of(const std::exception_ptr& exc) {
  return proc_trace::error_code(exc);
}

using net_trace::closed_port;  // a loopback TCP or UDP port nobody listens on
using proc_trace::fd_is_open;

inline asyncio::Coro<void> yield_once() {
  co_await asyncio::sleep(0);
}

// `times` loop iterations.
inline void spin(asyncio::EventLoop& loop, int times = 1) {
  for (int i = 0; i < times; ++i) loop.run_until_complete(yield_once());
}

// Runs a coroutine, or waits for a future, with a safety-net timeout.
template <class T>
T run(asyncio::EventLoop& loop, asyncio::Coro<T> body, double limit = 20.0) {
  return loop.run_until_complete(asyncio::wait_for(std::move(body), limit));
}

template <class T>
T wait(asyncio::EventLoop& loop, asyncio::Future<T> fut, double limit = 20.0) {
  return loop.run_until_complete(asyncio::wait_for(fut, limit));
}

// How many fds the process has open.
inline int open_fd_count() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

// A blocking client socket connected to 127.0.0.1:port (the handshake completes in the backlog).
inline int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  return fd;
}

struct NoFileLimit {  // restores RLIMIT_NOFILE on the way out, whatever happens
  NoFileLimit() { ::getrlimit(RLIMIT_NOFILE, &saved); }
  ~NoFileLimit() { restore(); }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  void set_soft(rlim_t soft) {
    rlimit r = saved;
    r.rlim_cur = soft;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &r) == 0);
  }
  // At least `soft` fds, raising the hard limit if need be: that needs CAP_SYS_RESOURCE (up to
  // fs.nr_open); without it, the soft limit goes as high as the hard one allows.
  void raise_soft_to(rlim_t soft) {
    if (saved.rlim_cur == RLIM_INFINITY || saved.rlim_cur >= soft) return;
    rlimit r = saved;
    r.rlim_cur = soft;
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < soft) r.rlim_max = soft;
    if (::setrlimit(RLIMIT_NOFILE, &r) != 0) set_soft(saved.rlim_max);
  }
  rlimit saved{};
};

// Holds its transport, as most protocols do: transport and protocol form a cycle.
struct Holding : asyncio::Protocol {
  std::shared_ptr<asyncio::BaseTransport> transport;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override { transport = t; }
};

}  // namespace test_support
