// Sockets and files for the sock_* and sendfile tests (test_sock_*.cpp): what CPython's tests
// get from the socket module and tempfile.
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "conformance/net_trace.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <any>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sock_support {

struct Fd {  // closes the fd on the way out
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(std::exchange(fd, -1));
  }
  operator int() const { return fd; }  // NOLINT: reads as the fd it is
};

inline asyncio::SockAddr sockname(int fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
  return asyncio::SockAddr{AF_INET, text, ntohs(sin.sin_port)};
}

// socket.socket(type) bound to 127.0.0.1:0, non-blocking unless asked otherwise.
inline int bound_socket(int type, bool blocking = false) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  return fd;
}

inline int tcp_listener() {
  int fd = bound_socket(SOCK_STREAM);
  REQUIRE(::listen(fd, 8) == 0);
  return fd;
}

inline int tcp_socket(bool blocking = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
  REQUIRE(fd >= 0);
  return fd;
}

// An address where nothing listens: bound, then closed.
inline asyncio::SockAddr closed_tcp_address() {
  Fd probe(bound_socket(SOCK_STREAM));
  return sockname(probe);
}

inline bool is_nonblocking(int fd) {
  return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

inline std::int64_t file_position(int fd) {
  return std::int64_t(::lseek(fd, 0, SEEK_CUR));
}

// tempfile.TemporaryFile() holding `data`, its position back at 0.
struct TempFile {
  explicit TempFile(const std::string& data) {
    char path[] = "/tmp/asyncio_cpp_sock_XXXXXX";
    fd.fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
  }
  Fd fd;
};

// SendfileBase.DATA: 128 KiB, more than a socket buffer takes at once.
inline std::string sendfile_data() {
  std::string data;
  for (int i = 0; i < 1024 * 8; ++i) data += "SendfileBaseData";
  return data;
}

// A connected pair of non-blocking stream sockets.
struct StreamPair {
  StreamPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    a.fd = fds[0];
    b.fd = fds[1];
  }
  Fd a, b;
};

// Everything the socket gives until EOF.
inline asyncio::Coro<std::string> recv_all(asyncio::EventLoop& loop, int fd) {
  std::string all;
  while (true) {
    std::string chunk = co_await loop.sock_recv(fd, 65536);
    if (chunk.empty()) co_return all;
    all += chunk;
  }
}

// A transport of no socket (the tests' mock transport), shared with the conformance pairs.
using net_trace::FakeTransport;

}  // namespace sock_support
