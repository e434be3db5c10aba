// The connection-setup records asyncio logs in debug mode (base_events, selector_events and
// unix_events): their texts, and the Python-like reprs they need. Every caller tests
// loop.get_debug() first, so outside debug mode none of this runs: one branch per setup.
#pragma once

#include <asyncio/base_events.hpp>
#include <asyncio/network_options.hpp>
#include <asyncio/subprocess_options.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncio::detail {

// ---------------------------------------------------------------- reprs

/// Python's repr() of a str: 'text', or "it's" when only double quotes avoid escaping.
std::string py_str_repr(std::string_view text);
/// A socket as Python prints it: "<socket.socket fd=7, family=2, type=1, proto=6,
/// laddr=(...), raddr=(...)>", or with `transport_socket` the "<asyncio.TransportSocket ...>"
/// that transports and servers hand out. Read from the fd itself (getsockopt, getsockname).
std::string socket_repr(int fd, bool transport_socket);
/// A protocol has no repr of its own: Python's default object repr, "<Type object at 0x...>",
/// with the C++ class name (demangled) in place of module.class.
std::string protocol_repr(const BaseProtocol* protocol);
/// "<Server sockets=(<asyncio.TransportSocket ...>,)>", "<Server sockets=()>" once closed.
std::string server_repr(const std::vector<int>& listening);
/// repr() of the list socket.getaddrinfo returns.
std::string addrinfo_list_repr(const std::vector<AddrInfo>& infos);

// ---------------------------------------------------------------- the records

/// "Get address info host:port, family=..., ..." then "Getting address info ... took N.NNNms:
/// [...]", the latter at INFO when it took `slow` seconds or more; runs `resolve` between
/// them (in whichever thread calls this, as asyncio's worker thread does).
template <class Resolve>
std::vector<AddrInfo> resolve_logged(double slow, const std::optional<std::string>& host,
                                     const std::optional<std::string>& port, int family, int type,
                                     int proto, int flags, Resolve resolve);
std::string getaddrinfo_query(const std::optional<std::string>& host,
                              const std::optional<std::string>& port, int family, int type,
                              int proto, int flags);
void log_getaddrinfo_start(const std::string& query);
void log_getaddrinfo_done(const std::string& query, double seconds, double slow,
                          const std::vector<AddrInfo>& infos);

/// create_connection: "<socket> connected to host:port: (<transport>, <protocol>)".
void log_connected(int fd, const std::optional<std::string>& host, std::optional<int> port,
                   const Connected& made);
/// connect_accepted_socket: "<socket> handled: (<transport>, <protocol>)".
void log_handled(int fd, const Connected& made);
/// create_server / create_unix_server, at INFO: "<Server sockets=(...)> is serving".
void log_serving(const std::vector<int>& listening);
/// The accept loop: "<Server ...> got a new connection from <addr>: <socket>".
void log_new_connection(const std::vector<int>& listening, const SockAddr& peer, int conn);
/// connect_read_pipe / connect_write_pipe: "Read pipe 6 connected: (<transport>, <protocol>)".
void log_pipe_connected(bool read, int fd, const BaseTransport& transport,
                        const BaseProtocol* protocol);
/// create_datagram_endpoint; at INFO when a local address was given, as in asyncio.
void log_datagram_created(const DatagramOptions& options, const BaseTransport& transport,
                          const BaseProtocol* protocol);
/// "execute program 'ls'" or "run shell command 'cmd'": the start of the two records below.
std::string subprocess_title(const std::vector<std::string>& argv, bool shell);
/// Before the child starts: the title and how its stdin/stdout/stderr are set.
void log_subprocess_start(const std::string& title, const SubprocessOptions& options);
/// Once it is connected, at INFO: "<title>: <transport>".
void log_subprocess_created(const std::string& title, const BaseTransport& transport);

template <class Resolve>
std::vector<AddrInfo> resolve_logged(double slow, const std::optional<std::string>& host,
                                     const std::optional<std::string>& port, int family, int type,
                                     int proto, int flags, Resolve resolve) {
  const std::string query = getaddrinfo_query(host, port, family, type, proto, flags);
  log_getaddrinfo_start(query);
  const auto start = std::chrono::steady_clock::now();  // EventLoop::time()'s clock
  std::vector<AddrInfo> infos = resolve();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  log_getaddrinfo_done(query, took.count(), slow, infos);
  return infos;
}

}  // namespace asyncio::detail
