// Mirrors CPython test_base_events.BaseEventLoopWithSelectorTests
// (test_create_connection_server_hostname_errors, test_create_connection_ssl_timeout_*,
// test_create_server_ssl_timeout_for_plain_socket) and test_unix_events'
// test_create_unix_connection_ssl_noserverhost: TLS arguments that make no sense raise
// ValueError (std::invalid_argument), and start_tls refuses a transport it cannot wrap
// (TypeError in Python; std::invalid_argument here too).
#include <asyncio/asyncio.hpp>

#include <unistd.h>

#include "net_trace.hpp"
#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using namespace tls_trace;

template <class Aw>
Coro<> check(std::string what, Aw aw, bool type_error = false) {
  try {
    co_await std::move(aw);
  } catch (const std::invalid_argument& e) {
    std::string text = e.what();
    std::string tail = "is not supported by start_tls()";
    if (type_error)
      trace::print(what + ": TypeError:",
                   text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail);
    else
      trace::print(what + ": ValueError: " + text);
  }
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto ctx = client_context();
  auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
  auto server = co_await loop.create_server(factory, "127.0.0.1", 0);
  int port = port_of(*server);

  asyncio::ConnectionOptions o1;
  o1.server_hostname = "x";
  co_await check("server_hostname without ssl",
                 loop.create_connection(factory, "127.0.0.1", port, o1));
  asyncio::ConnectionOptions o2;
  o2.ssl_handshake_timeout = 1;
  co_await check("handshake timeout without ssl",
                 loop.create_connection(factory, "127.0.0.1", port, o2));
  asyncio::ConnectionOptions o3;
  o3.ssl_shutdown_timeout = 1;
  co_await check("shutdown timeout without ssl",
                 loop.create_connection(factory, "127.0.0.1", port, o3));
  asyncio::ConnectionOptions o4;
  o4.ssl = ctx;
  co_await check("unix socket without server_hostname",
                 loop.create_unix_connection(factory, "/nonexistent", o4));
  asyncio::ServerOptions s1;
  s1.ssl_handshake_timeout = 1;
  co_await check("server handshake timeout without ssl",
                 loop.create_server(factory, "127.0.0.1", 0, s1));
  asyncio::ConnectionOptions o5;
  o5.ssl = ctx;
  o5.ssl_handshake_timeout = -1;
  co_await check("negative handshake timeout",
                 loop.create_connection(factory, "127.0.0.1", port, o5));
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  auto [pipe, proto] = co_await loop.connect_write_pipe(factory, fds[1]);
  auto as_transport = std::dynamic_pointer_cast<asyncio::Transport>(pipe);
  // A write pipe is no Transport in C++; a socket-less Transport stands in for it.
  std::shared_ptr<asyncio::Transport> target =
      as_transport ? as_transport : std::make_shared<FakeTransport>();
  co_await check("start_tls on a pipe",
                 loop.start_tls(target, std::make_shared<asyncio::Protocol>(), ctx), true);
  pipe->close();
  ::close(fds[0]);
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
