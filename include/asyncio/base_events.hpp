// asyncio.base_events' networking: Server, and the loop's connection, server and datagram
// coroutines (the transports are in lib/selector_transports.cpp, lib/selector_datagram.cpp).
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/network_options.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/transports.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

struct AddrInfo {
  int family = 0;
  int type = 0;
  int proto = 0;
  std::string canonname;
  SockAddr addr;
};

namespace detail {
using ProtocolFactory = std::function<std::shared_ptr<BaseProtocol>()>;
using Connected = std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>;
Coro<Connected> open_tcp_connection(EventLoop& loop, ProtocolFactory factory,
                                    std::optional<std::string> host, std::optional<int> port,
                                    ConnectionOptions options);
Coro<Connected> open_unix_connection(EventLoop& loop, ProtocolFactory factory, std::string path,
                                     ConnectionOptions options);
Coro<Connected> adopt_connected_socket(EventLoop& loop, ProtocolFactory factory, int fd,
                                       ServerOptions options = {});
Coro<std::shared_ptr<Server>> start_tcp_server(EventLoop& loop, ProtocolFactory factory, Hosts host,
                                               std::optional<int> port, ServerOptions options);
Coro<std::shared_ptr<Server>> start_unix_server(EventLoop& loop, ProtocolFactory factory,
                                                std::string path, ServerOptions options);
using DatagramConnected =
    std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<BaseProtocol>>;
Coro<DatagramConnected> open_datagram_endpoint(EventLoop& loop, ProtocolFactory factory,
                                               DatagramOptions options);

template <class Factory>
ProtocolFactory erase_factory(Factory factory) {
  return [f = std::move(factory)]() -> std::shared_ptr<BaseProtocol> { return f(); };
}

/// Gives the pair its caller's protocol type back.
template <class TransportT, class Factory, class Pair>
Coro<std::pair<std::shared_ptr<TransportT>, typename std::invoke_result_t<Factory&>>> typed_pair(
    Coro<Pair> connecting) {
  using P = typename std::invoke_result_t<Factory&>::element_type;
  Pair made = co_await std::move(connecting);
  co_return std::pair(std::move(made.first), std::dynamic_pointer_cast<P>(made.second));
}
}  // namespace detail

/// asyncio.Server: listening sockets, and the connections accepted from them.
class Server : public std::enable_shared_from_this<Server> {
 public:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  ~Server();

  EventLoop& get_loop() const;
  bool is_serving() const;
  std::vector<int> sockets() const;         // the listening fds
  std::vector<SockAddr> addresses() const;  // their sockname, e.g. to learn port 0's port
  void close();                             // stops listening; connections stay up
  void close_clients();                     // 3.13: close() every accepted transport
  void abort_clients();                     // 3.13: abort() every accepted transport
  Coro<void> start_serving();
  Coro<void> serve_forever();  // until cancelled; then closes and waits
  Coro<void> wait_closed();    // until closed and every connection is gone
  /// Python's `async with server: <body>`: runs body(), then closes the server and awaits
  /// wait_closed() however the body ended (returned, threw, or was cancelled), and rethrows
  /// what it threw:
  ///   co_await server->run([&]() -> Coro<> { co_await server->serve_forever(); });
  /// The body is kept alive until run() returns, so it may capture by reference.
  Coro<void> run(std::function<Coro<void>()> body);

  /// As asyncio's: "<Server sockets=(<asyncio.TransportSocket fd=6, family=2, ...>,)>".
  std::string repr() const;

  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

template <class Factory>
auto EventLoop::create_connection(Factory factory, std::optional<std::string> host, int port,
                                  ConnectionOptions options) {
  return detail::typed_pair<Transport, Factory>(detail::open_tcp_connection(
      *this, detail::erase_factory(std::move(factory)), std::move(host), port, options));
}

template <class Factory>
auto EventLoop::create_connection(Factory factory, ConnectionOptions options) {
  return detail::typed_pair<Transport, Factory>(detail::open_tcp_connection(
      *this, detail::erase_factory(std::move(factory)), std::nullopt, std::nullopt, options));
}

template <class Factory>
auto EventLoop::create_unix_connection(Factory factory, std::string path,
                                       ConnectionOptions options) {
  return detail::typed_pair<Transport, Factory>(detail::open_unix_connection(
      *this, detail::erase_factory(std::move(factory)), std::move(path), options));
}

template <class Factory>
auto EventLoop::connect_accepted_socket(Factory factory, int fd, ServerOptions options) {
  return detail::typed_pair<Transport, Factory>(detail::adopt_connected_socket(
      *this, detail::erase_factory(std::move(factory)), fd, std::move(options)));
}

template <class Factory>
Coro<std::shared_ptr<Server>> EventLoop::create_server(Factory factory, Hosts host, int port,
                                                       ServerOptions options) {
  return detail::start_tcp_server(*this, detail::erase_factory(std::move(factory)), std::move(host),
                                  port, options);
}

template <class Factory>
Coro<std::shared_ptr<Server>> EventLoop::create_server(Factory factory, ServerOptions options) {
  return detail::start_tcp_server(*this, detail::erase_factory(std::move(factory)), Hosts(),
                                  std::nullopt, options);
}

template <class Factory>
Coro<std::shared_ptr<Server>> EventLoop::create_unix_server(Factory factory, std::string path,
                                                            ServerOptions options) {
  return detail::start_unix_server(*this, detail::erase_factory(std::move(factory)),
                                   std::move(path), options);
}

template <class Factory>
auto EventLoop::create_datagram_endpoint(Factory factory, DatagramOptions options) {
  return detail::typed_pair<DatagramTransport, Factory>(
      detail::open_datagram_endpoint(*this, detail::erase_factory(std::move(factory)), options));
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
