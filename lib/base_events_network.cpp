// base_events' networking: getaddrinfo off the loop, connecting, creating servers (Server
// itself and its accept loop: server.cpp) and datagram endpoints.
#include "debug_logs.hpp"
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

std::vector<AddrInfo> resolve_blocking(const std::optional<std::string>& host,
                                       const std::optional<std::string>& port, int family, int type,
                                       int proto, int flags) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = type;
  hints.ai_protocol = proto;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  // An absent host or port is NULL; "" goes through as it is, as Python passes it.
  int rc =
      ::getaddrinfo(host ? host->c_str() : nullptr, port ? port->c_str() : nullptr, &hints, &res);
  if (rc != 0) throw gaierror(rc);
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
  if (rc != 0) throw gaierror(rc);
  return {host, serv};
}

bool is_numeric_host(const std::optional<std::string>& host) {
  unsigned char buf[sizeof(in6_addr)];
  return host && (::inet_pton(AF_INET, host->c_str(), buf) == 1 ||
                  ::inet_pton(AF_INET6, host->c_str(), buf) == 1);
}

}  // namespace

Coro<std::vector<AddrInfo>> EventLoop::getaddrinfo(std::optional<std::string> host,
                                                   std::optional<std::string> port, int family,
                                                   int type, int proto, int flags) {
  // A numeric or absent host needs no resolver thread (asyncio's _ipaddr_info shortcut); ""
  // is not numeric: the resolver refuses it, as Python's does.
  const bool inline_ok = is_numeric_host(host) || !host;
  if (get_debug()) {
    // Read here, on the loop's thread: the record may be written on the resolver's.
    const double slow = slow_callback_duration;
    const int resolve_flags = inline_ok ? flags | AI_NUMERICHOST : flags;
    auto logged = [=] {
      return detail::resolve_logged(slow, host, port, family, type, proto, flags, [&] {
        return resolve_blocking(host, port, family, type, proto, resolve_flags);
      });
    };
    if (inline_ok) co_return logged();
    co_return co_await run_in_executor(nullptr, logged);
  }
  if (inline_ok)
    co_return resolve_blocking(host, port, family, type, proto, flags | AI_NUMERICHOST);
  co_return co_await run_in_executor(nullptr, resolve_blocking, host, port, family, type, proto,
                                     flags);
}

namespace detail {

// base_events._ensure_resolved: a numeric host needs no getaddrinfo, and asyncio does not
// call it (nor log it) then; anything else goes through loop.getaddrinfo.
Coro<std::vector<AddrInfo>> ensure_resolved(EventLoop& loop, std::optional<std::string> host,
                                            std::optional<std::string> port, int family, int type,
                                            int proto, int flags) {
  if (is_numeric_host(host))
    co_return resolve_blocking(host, port, family, type, proto, flags | AI_NUMERICHOST);
  co_return co_await loop.getaddrinfo(std::move(host), std::move(port), family, type, proto, flags);
}

}  // namespace detail

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

void bind_to(int fd, const SockAddr& addr) {
  sockaddr_storage ss{};
  socklen_t len = from_sockaddr(addr, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return;
  // create_unix_server says when its path is taken; a datagram endpoint lets socket.bind's own
  // error through.
  const int err = errno;
  if (addr.family == AF_UNIX && err == EADDRINUSE)
    throw_os_error(err, "Address " + addr.repr() + " is already in use");
  throw_os_error(err);
}

void check_stream_socket(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) throw_socket_error(errno);
  if (type != SOCK_STREAM)
    throw std::invalid_argument("A Stream Socket was expected, got " + std::to_string(type));
  make_nonblocking_cloexec(fd);
}

namespace {

Coro<void> sock_connect(EventLoop& loop, int fd, const SockAddr& addr) {
  co_await loop.sock_connect(fd, addr);
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

// "<AddressFamily.AF_INET: 2>", as Python prints a family.
std::string family_repr(int family) {
  if (family == AF_INET) return "<AddressFamily.AF_INET: 2>";
  if (family == AF_INET6) return "<AddressFamily.AF_INET6: 10>";
  if (family == AF_UNIX) return "<AddressFamily.AF_UNIX: 1>";
  return std::to_string(family);
}

int try_bind(int fd, const SockAddr& addr) {
  sockaddr_storage ss{};
  socklen_t len = from_sockaddr(addr, ss);
  return ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
}

// Binds to the first local address of `family` that takes; the failures before it join
// `errors`, and the last one is raised when none takes.
void bind_local(int fd, int family, const std::vector<AddrInfo>& locals,
                std::vector<std::exception_ptr>& errors) {
  std::exception_ptr last;
  for (const AddrInfo& local : locals) {
    if (local.family != family) continue;
    int err = try_bind(fd, local.addr);
    if (err == 0) return;
    if (last) errors.push_back(last);
    last = make_os_error(err, bind_error_text(local.addr, err));
  }
  if (last) std::rethrow_exception(last);
  throw OSError("no matching local address with family=" + family_repr(family) + " found");
}

// base_events._connect_sock: one address. Each OSError on the way joins `errors` and is
// raised; the caller decides what to make of them all.
Coro<int> connect_sock(EventLoop& loop, std::vector<std::exception_ptr>& errors,
                       const AddrInfo& info, const std::optional<std::vector<AddrInfo>>& locals) {
  SocketGuard guard;
  try {
    guard.fd = open_socket(loop, info.family, SOCK_STREAM, info.proto);
    if (locals) bind_local(guard.fd, info.family, *locals, errors);
    co_await sock_connect(loop, guard.fd, info.addr);
    co_return guard.release();
  } catch (const std::system_error&) {
    errors.push_back(std::current_exception());
    throw;
  }
}

// create_connection once every address failed: with all_errors an ExceptionGroup of them
// all; else the one error, or the first when all read the same, or an errno-less OSError
// listing them.
[[noreturn]] void raise_connect_errors(std::vector<std::exception_ptr> errors, bool all_errors) {
  if (all_errors) throw ExceptionGroup("create_connection failed", std::move(errors));
  if (errors.empty()) throw OSError("create_connection failed");  // no address was tried
  std::vector<std::string> texts;
  for (const std::exception_ptr& error : errors) texts.push_back(exception_str(error));
  if (std::all_of(texts.begin(), texts.end(), [&](auto& text) { return text == texts[0]; }))
    std::rethrow_exception(errors[0]);
  std::string joined;
  for (const std::string& text : texts) joined += (joined.empty() ? "" : ", ") + text;
  throw OSError("Multiple exceptions: " + joined);
}

}  // namespace

// Tries each address in turn, as create_connection does without happy eyeballs.
Coro<int> connect_in_turn(EventLoop& loop, std::vector<AddrInfo> infos,
                          std::optional<std::vector<AddrInfo>> locals, bool all_errors) {
  std::vector<std::exception_ptr> errors;
  for (const AddrInfo& info : infos) {
    try {
      co_return co_await connect_sock(loop, errors, info, locals);
    } catch (const std::system_error&) {  // recorded in errors; on to the next address
    }
  }
  raise_connect_errors(std::move(errors), all_errors);
}

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

namespace {

// One attempt of the race; its errors go to its own slot, which outlives the attempt.
using ErrorSlots = std::vector<std::vector<std::exception_ptr>>;
Coro<int> race_attempt(EventLoop& loop, std::shared_ptr<ErrorSlots> slots, std::size_t index,
                       AddrInfo info, std::optional<std::vector<AddrInfo>> locals) {
  co_return co_await connect_sock(loop, (*slots)[index], info, locals);
}

}  // namespace

// staggered.staggered_race: the next attempt starts when the delay passes or the latest
// attempt fails; the first connected socket wins and the others are cancelled or closed.
Coro<int> race_connections(EventLoop& loop, std::vector<AddrInfo> infos, double delay,
                           ConnectionOptions options, std::optional<std::vector<AddrInfo>> locals) {
  auto slots = std::make_shared<ErrorSlots>(infos.size());  // in start order, as Python's list
  std::exception_ptr other_error;                           // not an OSError
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
    if (started < infos.size()) {
      pending.push_back(
          loop.create_task(race_attempt(loop, slots, started, infos[started], locals)));
      ++started;
    }
    if (pending.empty()) break;
    std::optional<double> timeout;
    if (started < infos.size()) timeout = delay;  // more to start: do not wait longer
    auto result = co_await wait(pending, timeout, FIRST_COMPLETED);
    for (auto& f : result.done) {
      if (f.exception())
        other_error = f.exception();
      else if (winner < 0)
        winner = f.result();
      else
        ::close(f.result());  // a later success is not needed
    }
    pending = std::move(result.pending);
  }
  if (winner >= 0) co_return winner;
  std::vector<std::exception_ptr> errors;
  for (auto& slot : *slots) errors.insert(errors.end(), slot.begin(), slot.end());
  if (errors.empty() && other_error) std::rethrow_exception(other_error);
  raise_connect_errors(std::move(errors), options.all_errors);
}

namespace {

// The service getaddrinfo gets for a port: none (NULL) for an absent one, as for None.
std::optional<std::string> port_text(std::optional<int> port) {
  if (!port) return std::nullopt;
  return std::to_string(*port);
}

Coro<std::optional<std::vector<AddrInfo>>> resolve_local(EventLoop& loop,
                                                         const ConnectionOptions& options) {
  if (!options.local_addr) co_return std::nullopt;
  const auto& [host, port] = *options.local_addr;
  std::optional<std::string> local_host;  // "" stands for Python's None here
  if (!host.empty()) local_host = host;
  auto locals =
      co_await ensure_resolved(loop, local_host, std::to_string(port), options.family, SOCK_STREAM);
  if (locals.empty()) throw OSError("getaddrinfo() returned empty list");
  co_return locals;
}

// create_connection's host/port branch: the connected fd.
Coro<int> connect_to_host(EventLoop& loop, std::optional<std::string> host, std::optional<int> port,
                          const ConnectionOptions& options) {
  auto infos = co_await ensure_resolved(loop, host, port_text(port), options.family, SOCK_STREAM);
  if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
  auto locals = co_await resolve_local(loop, options);
  int lead = options.interleave.value_or(options.happy_eyeballs_delay ? 1 : 0);
  if (lead > 0) infos = interleave_families(infos, lead);
  if (options.happy_eyeballs_delay && infos.size() > 1)
    co_return co_await race_connections(loop, infos, *options.happy_eyeballs_delay, options,
                                        std::move(locals));
  co_return co_await connect_in_turn(loop, std::move(infos), std::move(locals), options.all_errors);
}

}  // namespace

Coro<Connected> open_tcp_connection(EventLoop& loop, ProtocolFactory factory,
                                    std::optional<std::string> host, std::optional<int> port,
                                    ConnectionOptions options) {
  std::optional<SSLSettings> ssl = client_ssl(options, host.value_or(""), false);
  int fd = options.sock;
  if (host || port) {
    if (options.sock >= 0)
      throw std::invalid_argument("host/port and sock can not be specified at the same time");
    fd = co_await connect_to_host(loop, host, port, options);
  } else {
    if (options.sock < 0)
      throw std::invalid_argument("host and port was not specified and no sock specified");
    check_stream_socket(options.sock);
  }
  Connected made = co_await wrap_connected(loop, std::move(factory), fd, std::move(ssl));
  if (loop.get_debug()) log_connected(fd, host, port, made);
  co_return made;
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
  Connected made = co_await wrap_connected(loop, std::move(factory), fd, std::move(ssl));
  if (loop.get_debug()) log_handled(fd, made);
  co_return made;
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
          co_await ensure_resolved(loop, options.local_addr->first,
                                   std::to_string(options.local_addr->second), family, SOCK_DGRAM);
      local = l.at(0).addr;
      family = local->family;
    }
    if (options.remote_addr) {
      auto r =
          co_await ensure_resolved(loop, options.remote_addr->first,
                                   std::to_string(options.remote_addr->second), family, SOCK_DGRAM);
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
  if (loop.get_debug()) log_datagram_created(options, *transport, protocol.get());
  if (std::exception_ptr failure = co_await await_outcome(waiter)) {
    transport->close();
    std::rethrow_exception(failure);
  }
  co_return DatagramConnected(transport, protocol);
}

}  // namespace detail

}  // namespace asyncio
