// Server's state, shared by the accept loop and the transports it creates.
#pragma once

#include <asyncio/base_events.hpp>

#include "loop_resource.hpp"
#include "sslproto.hpp"

#include <optional>
#include <set>
#include <vector>

#include <sys/types.h>

namespace asyncio {

namespace detail {
/// A Unix server's socket file as it was after the bind: closing the server unlinks the
/// path only while it is still that file (create_unix_server's cleanup_socket, 3.13).
struct UnixSocketFile {
  std::string path;
  dev_t dev;
  ino_t ino;
};
}  // namespace detail

struct Server::Impl final : detail::LoopResource {
  Impl(EventLoop& l, detail::ProtocolFactory f, std::vector<int> listening, int backlog_)
      : LoopResource(l),
        loop(l),
        factory(std::move(f)),
        socks(std::move(listening)),
        backlog(backlog_) {}

  EventLoop& loop;
  detail::ProtocolFactory factory;
  std::vector<int> socks;  // listening fds, owned; empty once closed
  std::vector<SockAddr> addrs;
  bool closed = false;
  int backlog;
  bool serving = false;
  std::set<Transport*> clients;  // accepted transports not yet lost
  std::optional<std::vector<Future<void>>> waiters{std::in_place};  // nullopt once woken
  std::optional<Future<void>> serving_forever;
  std::weak_ptr<Server> self;
  std::optional<detail::SSLSettings> ssl;           // TLS on every accepted connection
  std::optional<detail::UnixSocketFile> unix_file;  // unlinked once the sockets close

  void attach(Transport* t) { clients.insert(t); }
  void detach(Transport* t);
  void wakeup() noexcept;
  void close_sockets();
  void remove_socket_file() noexcept;
  void close_with_loop() noexcept override;
  void start_accepting(int fd);
  void accept_connections(int fd);
};

namespace detail {
// A stream transport over a connected socket (selector_transports.cpp).
std::shared_ptr<Transport> make_socket_transport(EventLoop& loop, int fd,
                                                 std::shared_ptr<BaseProtocol> protocol,
                                                 std::shared_ptr<Server> server,
                                                 std::optional<Future<void>> waiter);
// base_events._interleave_addrinfos: first_count - 1 of the first family, then round-robin.
std::vector<AddrInfo> interleave_families(const std::vector<AddrInfo>& infos, int first_count);
// create_connection's happy eyeballs (staggered.staggered_race): the connected fd. When
// every attempt fails, raises as connect_in_turn does.
Coro<int> race_connections(EventLoop& loop, std::vector<AddrInfo> infos, double delay,
                           ConnectionOptions options,
                           std::optional<std::vector<AddrInfo>> locals = std::nullopt);
// create_connection without happy eyeballs: each address in turn, bound first to the first
// of `locals` of its family that binds. When all fail: ExceptionGroup("create_connection
// failed") with all_errors, else the one error, or the first when all read alike, or an
// errno-less OSError("Multiple exceptions: <each str>").
Coro<int> connect_in_turn(EventLoop& loop, std::vector<AddrInfo> infos,
                          std::optional<std::vector<AddrInfo>> locals, bool all_errors);
// base_events._ensure_resolved: a numeric host is converted here, without getaddrinfo's
// thread (nor its debug records); any other goes through loop.getaddrinfo.
Coro<std::vector<AddrInfo>> ensure_resolved(EventLoop& loop, std::optional<std::string> host,
                                            std::optional<std::string> port, int family, int type,
                                            int proto = 0, int flags = 0);
// "error while attempting to bind on address ('h', p): [errno 98] address already in use"
std::string bind_error_text(const SockAddr& addr, int err);
void bind_to(int fd, const SockAddr& addr);
// A socket handed in must be a stream socket; it becomes non-blocking and close-on-exec.
void check_stream_socket(int fd);
// selector_events._make_ssl_transport: the socket transport carries an SSLProtocol; the
// application gets the TLS transport, and the waiter wakes after the handshake.
std::shared_ptr<Transport> make_ssl_transport(EventLoop& loop, int fd,
                                              std::shared_ptr<BaseProtocol> protocol,
                                              SSLSettings settings, std::shared_ptr<Server> server,
                                              std::optional<Future<void>> waiter);
Coro<std::size_t> transport_sendfile(EventLoop& loop, std::shared_ptr<Transport> transport, int fd,
                                     std::size_t offset, std::optional<std::size_t> count,
                                     bool fallback);
std::shared_ptr<DatagramTransport> make_datagram_transport(EventLoop& loop, int fd,
                                                           std::shared_ptr<BaseProtocol> protocol,
                                                           std::optional<SockAddr> remote,
                                                           Future<void> waiter);
}  // namespace detail

}  // namespace asyncio
