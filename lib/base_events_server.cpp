// base_events.create_server and unix_events.create_unix_server: the listening sockets a
// Server is made of (the Server itself and its accept loop are in server.cpp).
#include "debug_logs.hpp"
#include "server_impl.hpp"
#include "socket_utils.hpp"

#include <asyncio/log.hpp>
#include <asyncio/tasks.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace asyncio::detail {

namespace {

// Closes the sockets made so far unless they were handed on.
struct SocketsGuard {
  SocketsGuard() = default;
  SocketsGuard(SocketsGuard&& other) noexcept : fds(other.release()) {}
  std::vector<int> fds;
  ~SocketsGuard() {
    for (int fd : fds) ::close(fd);
  }
  std::vector<int> release() { return std::exchange(fds, {}); }
};

void set_flag(int fd, int level, int name) {
  int one = 1;
  ::setsockopt(fd, level, name, &one, sizeof one);
}

// The options create_server sets before bind(2).
void set_listen_options(int fd, int family, const ServerOptions& options) {
  if (family != AF_UNIX && options.reuse_address.value_or(true))
    set_flag(fd, SOL_SOCKET, SO_REUSEADDR);
  if (options.reuse_port) set_flag(fd, SOL_SOCKET, SO_REUSEPORT);
  if (options.keep_alive) set_flag(fd, SOL_SOCKET, SO_KEEPALIVE);
  // One socket per family: an IPv6 socket must not take the IPv4 addresses too.
  if (family == AF_INET6) set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY);
}

// create_server's checks of its TLS arguments, before anything listens.
void check_server_ssl(const ServerOptions& options) {
  if (options.ssl) return;
  if (options.ssl_handshake_timeout)
    throw std::invalid_argument("ssl_handshake_timeout is only meaningful with ssl");
  if (options.ssl_shutdown_timeout)
    throw std::invalid_argument("ssl_shutdown_timeout is only meaningful with ssl");
}

std::string host_repr(const std::optional<std::string>& host) {
  return host ? "'" + *host + "'" : "None";
}

// Every host's addresses, each distinct one once (Python makes a set of them).
Coro<std::vector<AddrInfo>> resolve_hosts(EventLoop& loop, const Hosts& hosts,
                                          std::optional<int> port, const ServerOptions& options) {
  std::optional<std::string> service;
  if (port) service = std::to_string(*port);
  std::vector<AddrInfo> distinct;
  for (const std::optional<std::string>& host : hosts.to_resolve()) {
    auto infos =
        co_await ensure_resolved(loop, host, service, options.family, SOCK_STREAM, 0, AI_PASSIVE);
    if (infos.empty()) throw OSError("getaddrinfo(" + host_repr(host) + ") returned empty list");
    for (AddrInfo& info : infos) {
      auto same = [&](const AddrInfo& seen) {
        return seen.family == info.family && seen.proto == info.proto && seen.addr == info.addr;
      };
      if (std::none_of(distinct.begin(), distinct.end(), same)) distinct.push_back(info);
    }
  }
  co_return distinct;
}

// A bound socket per address. As in asyncio, an address whose socket cannot be made, or
// that is not available here (EADDRNOTAVAIL: its family is off), is left out; any other
// bind error is raised.
std::vector<int> bind_each(EventLoop& loop, const std::vector<AddrInfo>& infos,
                           const ServerOptions& options) {
  SocketsGuard made;
  for (const AddrInfo& info : infos) {
    int fd = -1;
    try {
      fd = open_socket(loop, info.family, SOCK_STREAM, info.proto);
    } catch (const std::system_error&) {  // a family or protocol this host lacks
      continue;
    }
    made.fds.push_back(fd);
    set_listen_options(fd, info.family, options);
    sockaddr_storage ss{};
    socklen_t len = from_sockaddr(info.addr, ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) continue;
    int err = errno;
    if (err != EADDRNOTAVAIL) throw_os_error(err, bind_error_text(info.addr, err));
    made.fds.pop_back();
    ::close(fd);
  }
  if (made.fds.empty()) {
    std::string tried;
    for (const AddrInfo& info : infos) tried += (tried.empty() ? "" : ", ") + info.addr.repr();
    throw OSError("could not bind on any address out of [" + tried + "]");
  }
  return made.release();
}

// What a closing Unix server unlinks: its socket file, as it was right after the bind.
std::optional<UnixSocketFile> socket_file_of(int fd) {
  SockAddr name = local_address(fd);
  if (name.family != AF_UNIX || name.host.empty() || name.host[0] == '\0') return std::nullopt;
  struct stat st {};
  if (::stat(name.host.c_str(), &st) != 0) return std::nullopt;
  return UnixSocketFile{name.host, st.st_dev, st.st_ino};
}

Coro<std::shared_ptr<Server>> finish_server(EventLoop& loop, ProtocolFactory factory,
                                            SocketsGuard socks, ServerOptions options,
                                            std::optional<UnixSocketFile> file = std::nullopt) {
  std::optional<SSLSettings> ssl;
  if (options.ssl)
    ssl = ssl_settings(options.ssl, true, {}, options.ssl_handshake_timeout,
                       options.ssl_shutdown_timeout);
  auto impl =
      std::make_unique<Server::Impl>(loop, std::move(factory), std::vector<int>{}, options.backlog);
  impl->ssl = std::move(ssl);
  impl->unix_file = std::move(file);
  auto server = std::make_shared<Server>(std::move(impl));  // now owns the sockets
  server->impl().socks = socks.release();
  for (int fd : server->impl().socks) server->impl().addrs.push_back(local_address(fd));
  server->impl().self = server;
  if (options.start_serving) {
    co_await server->start_serving();
    co_await sleep(0);  // asyncio: let the accept readers register first
  }
  if (loop.get_debug()) log_serving(server->impl().socks);
  co_return server;
}

}  // namespace

std::string bind_error_text(const SockAddr& addr, int err) {
  std::string cause = "[errno " + std::to_string(err) + "] " + std::strerror(err);
  std::transform(cause.begin(), cause.end(), cause.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return "error while attempting to bind on address " + addr.repr() + ": " + cause;
}

Coro<std::shared_ptr<Server>> start_tcp_server(EventLoop& loop, ProtocolFactory factory, Hosts host,
                                               std::optional<int> port, ServerOptions options) {
  check_server_ssl(options);
  SocketsGuard socks;
  if (host.given() || port) {
    if (options.sock >= 0)
      throw std::invalid_argument("host/port and sock can not be specified at the same time");
    auto infos = co_await resolve_hosts(loop, host, port, options);
    socks.fds = bind_each(loop, infos, options);
  } else {
    if (options.sock < 0) throw std::invalid_argument("Neither host/port nor sock were specified");
    check_stream_socket(options.sock);
    socks.fds.push_back(options.sock);
  }
  co_return co_await finish_server(loop, std::move(factory), std::move(socks), options);
}

Coro<std::shared_ptr<Server>> start_unix_server(EventLoop& loop, ProtocolFactory factory,
                                                std::string path, ServerOptions options) {
  check_server_ssl(options);
  SocketsGuard socks;
  if (options.sock >= 0) {
    make_nonblocking_cloexec(options.sock);
    socks.fds.push_back(options.sock);
  } else {
    // asyncio removes a stale socket file (but nothing else) before binding.
    struct stat st {};
    if (!path.empty() && path[0] != '\0' && ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
      ::unlink(path.c_str());
    socks.fds.push_back(open_socket(loop, AF_UNIX, SOCK_STREAM, 0));
    bind_to(socks.fds[0], SockAddr{AF_UNIX, path, 0});
  }
  std::optional<UnixSocketFile> file;
  if (options.cleanup_socket) file = socket_file_of(socks.fds[0]);
  co_return co_await finish_server(loop, std::move(factory), std::move(socks), options,
                                   std::move(file));
}

}  // namespace asyncio::detail
