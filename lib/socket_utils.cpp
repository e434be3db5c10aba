#include "socket_utils.hpp"

#include <asyncio/exceptions.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace asyncio {

std::string SockAddr::repr() const {
  if (family == AF_UNIX) return "'" + host + "'";
  std::string text = "('" + host + "', " + std::to_string(port);
  if (family == AF_INET6) text += ", " + std::to_string(flowinfo) + ", " + std::to_string(scope_id);
  return text + ")";
}

namespace detail {

void throw_socket_error(int err) {
  throw_os_error(err);
}

SockAddr to_sockaddr(const sockaddr* sa, socklen_t len) {
  SockAddr out;
  out.family = sa->sa_family;
  char text[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    out.host = text;
    out.port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    out.host = text;
    out.port = ntohs(in6->sin6_port);
    out.flowinfo = ntohl(in6->sin6_flowinfo);
    out.scope_id = in6->sin6_scope_id;
  } else if (sa->sa_family == AF_UNIX) {
    auto* un = reinterpret_cast<const sockaddr_un*>(sa);
    std::size_t n =
        len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    out.host.assign(un->sun_path, ::strnlen(un->sun_path, n));
  }
  return out;
}

socklen_t from_sockaddr(const SockAddr& addr, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (addr.family == AF_UNIX) {
    auto* un = reinterpret_cast<sockaddr_un*>(&out);
    if (addr.host.size() >= sizeof un->sun_path)
      throw std::invalid_argument("AF_UNIX path too long: " + addr.host);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, addr.host.data(), addr.host.size());
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + addr.host.size() + 1);
  }
  if (addr.family == AF_INET6 || (addr.family == 0 && addr.host.find(':') != std::string::npos)) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(addr.port));
    in6->sin6_flowinfo = htonl(addr.flowinfo);
    in6->sin6_scope_id = addr.scope_id;
    if (::inet_pton(AF_INET6, addr.host.c_str(), &in6->sin6_addr) != 1)
      throw std::invalid_argument("not a numeric IPv6 address: " + addr.host);
    return sizeof(sockaddr_in6);
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&out);
  in->sin_family = AF_INET;
  in->sin_port = htons(static_cast<uint16_t>(addr.port));
  if (::inet_pton(AF_INET, addr.host.c_str(), &in->sin_addr) != 1)
    throw std::invalid_argument("not a numeric IPv4 address: " + addr.host);
  return sizeof(sockaddr_in);
}

SockAddr local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return to_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

SockAddr peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return to_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

int open_socket(EventLoop& loop, int family, int type, int proto) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) throw_socket_error(errno);
  forget_stale_watch(loop, fd);
  return fd;
}

void make_nonblocking_cloexec(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) throw_socket_error(errno);
  int fd_flags = ::fcntl(fd, F_GETFD);
  if (fd_flags < 0 || ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) < 0) throw_socket_error(errno);
}

// asyncio's _set_nodelay: every TCP transport gets TCP_NODELAY.
void set_nodelay_if_tcp(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return;
  sockaddr_storage ss{};
  socklen_t sl = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) return;
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::size_t blocking_read(int fd, char* buffer, std::size_t n) {
  ssize_t got;
  do got = ::read(fd, buffer, n);
  while (got < 0 && errno == EINTR);
  if (got < 0) throw_os_error(errno);
  return std::size_t(got);
}

}  // namespace detail
}  // namespace asyncio
