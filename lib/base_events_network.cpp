// base_events' networking: getaddrinfo off the loop, connecting, creating servers (Server
// itself and its accept loop: server.cpp) and datagram endpoints.
#include "server_impl.hpp"
#include "socket_utils.hpp"
#include "unix_pipes.hpp"

#include <asyncio/log.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/threads.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace asyncio {

// ---------------------------------------------------------------- name resolution

namespace {

class GaiError : public std::system_error {  // socket.gaierror: an OSError of its own
 public:
  explicit GaiError(int code)
      : std::system_error(
            code, std::generic_category(),
            std::string("[Errno ") + std::to_string(code) + "] " + ::gai_strerror(code)) {}
};

std::vector<AddrInfo> resolve_blocking(const std::string& host, const std::string& port, int family,
                                       int type, int proto, int flags) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = type;
  hints.ai_protocol = proto;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                         port.empty() ? nullptr : port.c_str(), &hints, &res);
  if (rc != 0) throw GaiError(rc);
  std::vector<AddrInfo> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next)
    out.push_back({ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                   ai->ai_canonname ? ai->ai_canonname : "",
                   detail::to_sockaddr(ai->ai_addr, ai->ai_addrlen)});
  ::freeaddrinfo(res);
  return out;
}

std::pair<std::string, std::string> name_blocking(const SockAddr& addr, int flags) {
  sockaddr_storage ss{};
  socklen_t len = detail::from_sockaddr(addr, ss);
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  int rc = ::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, serv,
                         sizeof serv, flags);
  if (rc != 0) throw GaiError(rc);
  return {host, serv};
}

bool is_numeric_host(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Coro<std::vector<AddrInfo>> EventLoop::getaddrinfo(std::string host, std::string port, int family,
                                                   int type, int proto, int flags) {
  // A numeric host needs no resolver thread (asyncio's _ipaddr_info shortcut).
  if (is_numeric_host(host) || host.empty())
    co_return resolve_blocking(host, port, family, type, proto, flags | AI_NUMERICHOST);
  co_return co_await run_in_executor(nullptr, resolve_blocking, host, port, family, type, proto,
                                     flags);
}

Coro<std::pair<std::string, std::string>> EventLoop::getnameinfo(SockAddr addr, int flags) {
  co_return co_await run_in_executor(nullptr, name_blocking, std::move(addr), flags);
}

// ---------------------------------------------------------------- TLS upgrade

Coro<std::shared_ptr<Transport>> EventLoop::start_tls(
    std::shared_ptr<Transport> transport, std::shared_ptr<BaseProtocol> protocol,
    std::shared_ptr<boost::asio::ssl::context> sslcontext, StartTLSOptions options) {
  if (!sslcontext)
    throw std::invalid_argument("sslcontext is expected to be an instance of ssl.SSLContext");
  if (!dynamic_cast<detail::StartTLSCompatible*>(transport.get()))
    throw std::invalid_argument("transport " + transport->repr() +
                                " is not supported by start_tls()");
  auto settings = detail::ssl_settings(std::move(sslcontext), options.server_side,
                                       options.server_hostname.value_or(""),
                                       options.ssl_handshake_timeout, options.ssl_shutdown_timeout);
  Future<void> waiter = create_future<void>();
  auto [ssl_protocol, app_transport] =
      detail::make_ssl_protocol(*this, std::move(protocol), std::move(settings), waiter, false);
  // Paused first, so that no data reaches the TLS protocol before its connection_made.
  transport->pause_reading();
  transport->set_protocol(ssl_protocol);
  Handle conmade = call_soon([p = ssl_protocol, transport] { p->connection_made(transport); });
  Handle resume = call_soon([transport] { transport->resume_reading(); });
  if (std::exception_ptr failure = co_await detail::await_outcome(waiter)) {
    transport->close();
    conmade.cancel();
    resume.cancel();
    std::rethrow_exception(failure);
  }
  co_return app_transport;
}

// ---------------------------------------------------------------- loop.sendfile
// (the sock_* coroutines are in sock_lowlevel.cpp)

Coro<std::size_t> EventLoop::sendfile(std::shared_ptr<Transport> transport, int fd,
                                      std::size_t offset, std::optional<std::size_t> count,
                                      bool fallback) {
  return detail::transport_sendfile(*this, std::move(transport), fd, offset, count, fallback);
}

namespace detail {

namespace {

Coro<void> sock_connect(EventLoop& loop, int fd, const SockAddr& addr) {
  co_await loop.sock_connect(fd, addr);
}

void bind_to(int fd, const SockAddr& addr) {
  sockaddr_storage ss{};
  socklen_t len = from_sockaddr(addr, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    throw_socket_error(errno, "error while attempting to bind on address " + addr.repr());
}

// A socket handed in must be a stream socket; it becomes non-blocking and close-on-exec.
void check_stream_socket(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    throw_socket_error(errno, "getsockopt");
  if (type != SOCK_STREAM)
    throw std::invalid_argument("A Stream Socket was expected, got " + std::to_string(type));
  make_nonblocking_cloexec(fd);
}

// create_connection's checks of its TLS arguments, before anything connects.
std::optional<SSLSettings> client_ssl(const ConnectionOptions& options, const std::string& host,
                                      bool unix_socket) {
  auto only_with_ssl = [](const char* name) {
    return std::invalid_argument(std::string(name) + " is only meaningful with ssl");
  };
  if (!options.ssl) {
    if (options.server_hostname) throw only_with_ssl("server_hostname");
    if (options.ssl_handshake_timeout) throw only_with_ssl("ssl_handshake_timeout");
    if (options.ssl_shutdown_timeout) throw only_with_ssl("ssl_shutdown_timeout");
    return std::nullopt;
  }
  if (unix_socket && !options.server_hostname)
    throw std::invalid_argument("you have to pass server_hostname when using ssl");
  if (!options.server_hostname && host.empty())
    throw std::invalid_argument("You must set server_hostname when using ssl without a host");
  return ssl_settings(options.ssl, false, options.server_hostname.value_or(host),
                      options.ssl_handshake_timeout, options.ssl_shutdown_timeout);
}

// _create_connection_transport: the protocol is made once the socket is connected.
Coro<Connected> wrap_connected(EventLoop& loop, ProtocolFactory factory, int fd,
                               std::optional<SSLSettings> ssl = std::nullopt) {
  SocketGuard guard{fd};
  std::shared_ptr<BaseProtocol> protocol = factory();
  Future<void> waiter = loop.create_future<void>();
  std::shared_ptr<Transport> transport;
  if (ssl)
    transport =
        make_ssl_transport(loop, guard.release(), protocol, std::move(*ssl), nullptr, waiter);
  else
    transport = make_socket_transport(loop, guard.release(), protocol, nullptr, waiter);
  if (std::exception_ptr failure = co_await await_outcome(waiter)) {
    transport->close();
    std::rethrow_exception(failure);
  }
  co_return Connected(transport, protocol);
}

// Tries each address in turn, as create_connection does without happy eyeballs.
Coro<int> connect_any(EventLoop& loop, const std::vector<AddrInfo>& infos,
                      const ConnectionOptions& options) {
  std::vector<std::string> errors;
  int first_errno = 0;
  for (const AddrInfo& info : infos) {
    SocketGuard guard{open_socket(loop, info.family, SOCK_STREAM, info.proto)};
    std::exception_ptr failure;
    try {
      if (options.local_addr) {
        auto local = co_await loop.getaddrinfo(options.local_addr->first,
                                               std::to_string(options.local_addr->second),
                                               info.family, SOCK_STREAM);
        bind_to(guard.fd, local.at(0).addr);
      }
      co_await sock_connect(loop, guard.fd, info.addr);
      co_return guard.release();
    } catch (const std::system_error& e) {
      if (first_errno == 0) first_errno = e.code().value();
      errors.push_back(e.what());
      failure = std::current_exception();
    }
    if (infos.size() == 1) std::rethrow_exception(failure);
  }
  bool same = std::all_of(errors.begin(), errors.end(), [&](auto& e) { return e == errors[0]; });
  if (same) throw std::system_error(first_errno, std::system_category(), errors.at(0));
  std::string joined;
  for (auto& e : errors) joined += (joined.empty() ? "" : ", ") + e;
  throw std::system_error(first_errno, std::system_category(), "Multiple exceptions: " + joined);
}

}  // namespace

// base_events._interleave_addrinfos: first_count - 1 of the first family, then round-robin.
std::vector<AddrInfo> interleave_families(const std::vector<AddrInfo>& infos, int first_count) {
  std::vector<std::vector<AddrInfo>> by_family;
  for (const AddrInfo& info : infos) {
    auto it = std::find_if(by_family.begin(), by_family.end(),
                           [&](auto& group) { return group.front().family == info.family; });
    if (it == by_family.end())
      by_family.push_back({info});
    else
      it->push_back(info);
  }
  std::vector<AddrInfo> out;
  auto& first = by_family.front();
  // The first family leads with first_count - 1 addresses; then one of each family in turn.
  std::size_t lead = std::min(first.size(), static_cast<std::size_t>(std::max(first_count - 1, 0)));
  out.insert(out.end(), first.begin(), first.begin() + static_cast<std::ptrdiff_t>(lead));
  first.erase(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(lead));
  for (std::size_t round = 0;; ++round) {
    bool any = false;
    for (auto& group : by_family)
      if (round < group.size()) {
        out.push_back(group[round]);
        any = true;
      }
    if (!any) break;
  }
  return out;
}

static Coro<int> connect_one(EventLoop& loop, AddrInfo info, ConnectionOptions options) {
  std::vector<AddrInfo> one;
  one.push_back(std::move(info));
  co_return co_await connect_any(loop, one, options);
}

// staggered.staggered_race: the next attempt starts when the delay passes or the latest
// attempt fails; the first connected socket wins and the others are cancelled or closed.
Coro<int> race_connections(EventLoop& loop, std::vector<AddrInfo> infos, double delay,
                           ConnectionOptions options) {
  std::exception_ptr last_error;
  int winner = -1;
  std::vector<Future<int>> pending;
  struct CancelPending {  // staggered_race's finally: no attempt outlives the race
    std::vector<Future<int>>& tasks;
    ~CancelPending() {
      for (auto& f : tasks) f.cancel();
    }
  } cancel_pending{pending};
  std::size_t started = 0;
  while (winner < 0) {
    if (started < infos.size())
      pending.push_back(loop.create_task(connect_one(loop, infos[started++], options)));
    if (pending.empty()) break;
    std::optional<double> timeout;
    if (started < infos.size()) timeout = delay;  // more to start: do not wait longer
    auto result = co_await wait(pending, timeout, FIRST_COMPLETED);
    for (auto& f : result.done) {
      if (f.exception())
        last_error = f.exception();
      else if (winner < 0)
        winner = f.result();
      else
        ::close(f.result());  // a later success is not needed
    }
    pending = std::move(result.pending);
  }
  if (winner >= 0) co_return winner;
  std::rethrow_exception(last_error);
}

Coro<Connected> open_tcp_connection(EventLoop& loop, ProtocolFactory factory, std::string host,
                                    int port, ConnectionOptions options) {
  std::optional<SSLSettings> ssl = client_ssl(options, host, false);
  if (options.sock >= 0) {
    if (!host.empty())
      throw std::invalid_argument("host/port and sock can not be specified at the same time");
    check_stream_socket(options.sock);
    co_return co_await wrap_connected(loop, std::move(factory), options.sock, std::move(ssl));
  }
  auto infos = co_await loop.getaddrinfo(host, std::to_string(port), options.family, SOCK_STREAM);
  if (infos.empty())
    throw std::system_error(EINVAL, std::system_category(), "getaddrinfo() returned empty list");
  int lead = options.interleave.value_or(options.happy_eyeballs_delay ? 1 : 0);
  if (lead > 0) infos = interleave_families(infos, lead);
  int fd = -1;
  if (options.happy_eyeballs_delay && infos.size() > 1)
    fd = co_await race_connections(loop, infos, *options.happy_eyeballs_delay, options);
  else
    fd = co_await connect_any(loop, infos, options);
  co_return co_await wrap_connected(loop, std::move(factory), fd, std::move(ssl));
}

Coro<Connected> open_unix_connection(EventLoop& loop, ProtocolFactory factory, std::string path,
                                     ConnectionOptions options) {
  std::optional<SSLSettings> ssl = client_ssl(options, path, true);
  if (options.sock >= 0) {
    check_stream_socket(options.sock);
    co_return co_await wrap_connected(loop, std::move(factory), options.sock, std::move(ssl));
  }
  SocketGuard guard{open_socket(loop, AF_UNIX, SOCK_STREAM, 0)};
  SockAddr addr{AF_UNIX, path, 0};  // named: GCC 12 mishandles temporaries in co_await
  co_await sock_connect(loop, guard.fd, addr);
  co_return co_await wrap_connected(loop, std::move(factory), guard.release(), std::move(ssl));
}

Coro<Connected> adopt_connected_socket(EventLoop& loop, ProtocolFactory factory, int fd,
                                       ServerOptions options) {
  std::optional<SSLSettings> ssl;
  if (options.ssl)
    ssl = ssl_settings(options.ssl, true, {}, options.ssl_handshake_timeout,
                       options.ssl_shutdown_timeout);
  else if (options.ssl_handshake_timeout)
    throw std::invalid_argument("ssl_handshake_timeout is only meaningful with ssl");
  else if (options.ssl_shutdown_timeout)
    throw std::invalid_argument("ssl_shutdown_timeout is only meaningful with ssl");
  check_stream_socket(fd);
  co_return co_await wrap_connected(loop, std::move(factory), fd, std::move(ssl));
}

// ---------------------------------------------------------------- datagrams

Coro<DatagramConnected> open_datagram_endpoint(EventLoop& loop, ProtocolFactory factory,
                                               DatagramOptions options) {
  SocketGuard guard;
  std::optional<SockAddr> remote;
  if (options.sock >= 0) {
    if (options.local_addr || options.remote_addr || options.family != 0 || options.reuse_port ||
        options.allow_broadcast)
      throw std::invalid_argument(
          "socket modifier keyword arguments can not be used when sock is specified");
    make_nonblocking_cloexec(options.sock);
    guard.fd = options.sock;
  } else {
    if (!options.local_addr && !options.remote_addr && options.family == 0)
      throw std::invalid_argument("unexpected address family");
    std::optional<SockAddr> local;
    int family = options.family;
    if (options.local_addr) {
      auto l =
          co_await loop.getaddrinfo(options.local_addr->first,
                                    std::to_string(options.local_addr->second), family, SOCK_DGRAM);
      local = l.at(0).addr;
      family = local->family;
    }
    if (options.remote_addr) {
      auto r = co_await loop.getaddrinfo(options.remote_addr->first,
                                         std::to_string(options.remote_addr->second), family,
                                         SOCK_DGRAM);
      remote = r.at(0).addr;
      family = remote->family;
    }
    guard.fd = open_socket(loop, family, SOCK_DGRAM, 0);
    int one = 1;
    if (options.reuse_port) ::setsockopt(guard.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (options.allow_broadcast) ::setsockopt(guard.fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    if (local) bind_to(guard.fd, *local);
    if (remote) co_await sock_connect(loop, guard.fd, *remote);
  }
  std::shared_ptr<BaseProtocol> protocol = factory();
  Future<void> waiter = loop.create_future<void>();
  auto transport = make_datagram_transport(loop, guard.release(), protocol, remote, waiter);
  if (std::exception_ptr failure = co_await await_outcome(waiter)) {
    transport->close();
    std::rethrow_exception(failure);
  }
  co_return DatagramConnected(transport, protocol);
}

// ---------------------------------------------------------------- servers

namespace {

int listen_socket(EventLoop& loop, const SockAddr& addr, int proto, const ServerOptions& options) {
  SocketGuard guard{open_socket(loop, addr.family, SOCK_STREAM, proto)};
  int one = 1;
  if (addr.family != AF_UNIX && options.reuse_address.value_or(true))
    ::setsockopt(guard.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (options.reuse_port) ::setsockopt(guard.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.family == AF_INET6) ::setsockopt(guard.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  bind_to(guard.fd, addr);
  return guard.release();
}

// create_server's checks of its TLS arguments, before anything listens.
void check_server_ssl(const ServerOptions& options) {
  if (options.ssl) return;
  if (options.ssl_handshake_timeout)
    throw std::invalid_argument("ssl_handshake_timeout is only meaningful with ssl");
  if (options.ssl_shutdown_timeout)
    throw std::invalid_argument("ssl_shutdown_timeout is only meaningful with ssl");
}

Coro<std::shared_ptr<Server>> finish_server(EventLoop& loop, ProtocolFactory factory,
                                            std::vector<int> socks, ServerOptions options) {
  auto impl =
      std::make_unique<Server::Impl>(loop, std::move(factory), std::move(socks), options.backlog);
  for (int fd : impl->socks) impl->addrs.push_back(local_address(fd));
  if (options.ssl)
    impl->ssl = ssl_settings(options.ssl, true, {}, options.ssl_handshake_timeout,
                             options.ssl_shutdown_timeout);
  auto server = std::make_shared<Server>(std::move(impl));
  server->impl().self = server;
  if (options.start_serving) {
    co_await server->start_serving();
    co_await sleep(0);  // asyncio: let the accept readers register first
  }
  co_return server;
}

}  // namespace

Coro<std::shared_ptr<Server>> start_tcp_server(EventLoop& loop, ProtocolFactory factory,
                                               std::string host, int port, ServerOptions options) {
  check_server_ssl(options);
  std::vector<int> socks;
  struct CloseAll {  // on failure every socket made so far is closed
    std::vector<int>& socks;
    bool done = false;
    ~CloseAll() {
      if (!done)
        for (int fd : socks) ::close(fd);
    }
  } close_all{socks};
  if (options.sock >= 0) {
    if (!host.empty() || port != 0)
      throw std::invalid_argument("host/port and sock can not be specified at the same time");
    make_nonblocking_cloexec(options.sock);
    socks.push_back(options.sock);
  } else {
    auto infos = co_await loop.getaddrinfo(host, std::to_string(port), options.family, SOCK_STREAM,
                                           0, AI_PASSIVE);
    std::vector<SockAddr> seen;
    for (const AddrInfo& info : infos) {
      if (std::find(seen.begin(), seen.end(), info.addr) != seen.end()) continue;
      seen.push_back(info.addr);
      socks.push_back(listen_socket(loop, info.addr, info.proto, options));
    }
  }
  close_all.done = true;
  co_return co_await finish_server(loop, std::move(factory), std::move(socks), options);
}

Coro<std::shared_ptr<Server>> start_unix_server(EventLoop& loop, ProtocolFactory factory,
                                                std::string path, ServerOptions options) {
  check_server_ssl(options);
  std::vector<int> socks;
  if (options.sock >= 0) {
    make_nonblocking_cloexec(options.sock);
    socks.push_back(options.sock);
  } else {
    // asyncio removes a stale socket file (but nothing else) before binding.
    struct stat st {};
    if (!path.empty() && path[0] != '\0' && ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
      ::unlink(path.c_str());
    socks.push_back(listen_socket(loop, SockAddr{AF_UNIX, path, 0}, 0, options));
  }
  co_return co_await finish_server(loop, std::move(factory), std::move(socks), options);
}

}  // namespace detail

}  // namespace asyncio
