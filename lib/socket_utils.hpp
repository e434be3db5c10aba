// sockaddr <-> SockAddr, and sockets made the way the loop needs them.
#pragma once

#include <asyncio/transports.hpp>

#include "fd_hints.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <utility>

namespace asyncio::detail {

SockAddr to_sockaddr(const sockaddr* sa, socklen_t len);
// Fills `out` for host/port (numeric host) or for a Unix path; returns its length.
socklen_t from_sockaddr(const SockAddr& addr, sockaddr_storage& out);
SockAddr local_address(int fd);  // getsockname
SockAddr peer_address(int fd);   // getpeername; family 0 when not connected

// socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: Asio 1.81 would not set close-on-exec.
// socket(2), non-blocking and close-on-exec; a stale watch on its number is dropped.
int open_socket(EventLoop& loop, int family, int type, int proto);
void make_nonblocking_cloexec(int fd);
void set_nodelay_if_tcp(int fd);
// read(2) of up to n bytes, retried through EINTR; 0 at end of file, OSError on failure.
// It may block: the sendfile fallbacks run it in the executor.
std::size_t blocking_read(int fd, char* buffer, std::size_t n);
// OSError(err) as socket methods raise it: the subclass by errno, "[Errno N] strerror".
[[noreturn]] void throw_socket_error(int err);

struct SocketGuard {  // closes the fd unless handed on
  int fd = -1;
  ~SocketGuard() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

}  // namespace asyncio::detail
