// What the sock_* conformance pairs take from Python's socket module: sockets made and bound
// the way the .py files make them, getsockname(), socketpair().
#pragma once

#include <asyncio/asyncio.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

namespace sock_trace {

// socket.socket(AF_INET, type), with setblocking(False) unless asked otherwise.
inline int make_socket(int type = SOCK_STREAM, bool blocking = false) {
  return ::socket(AF_INET, type | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
}

// sock.bind(("127.0.0.1", 0))
inline void bind_local(int fd) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

inline asyncio::SockAddr getsockname(int fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
  return asyncio::SockAddr{AF_INET, text, ntohs(sin.sin_port)};
}

// socket.socketpair() with both ends setblocking(False).
inline std::pair<int, int> socketpair() {
  int fds[2] = {-1, -1};
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
  return {fds[0], fds[1]};
}

// Starts `receive`, cancels it once it waits and awaits it: true if it ended cancelled
// (sock_trace.py's cancel_once_waiting).
template <class T>
asyncio::Coro<bool> cancel_once_waiting(asyncio::Coro<T> receive) {
  auto task = asyncio::create_task(std::move(receive));
  co_await asyncio::sleep(0);
  try {
    task.cancel();
    co_await task;
  } catch (const asyncio::CancelledError&) {
    co_return true;
  }
  co_return false;
}

// sock.gettimeout() == 0
inline bool is_nonblocking(int fd) {
  return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

}  // namespace sock_trace
