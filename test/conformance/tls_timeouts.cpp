// Mirrors CPython test_sslproto.SslProtoHandshakeTests.test_handshake_timeout and
// test_ssl.TestSSL.test_shutdown_timeout_handler_*: a peer that never answers the
// ClientHello fails create_connection with ConnectionAbortedError after
// ssl_handshake_timeout; a peer that never answers close_notify ends the connection with
// TimeoutError('SSL shutdown timed out') after ssl_shutdown_timeout.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using namespace tls_trace;

class Silent : public asyncio::Protocol {  // a plain TCP server that never speaks TLS
 public:
  std::shared_ptr<asyncio::BaseTransport> transport;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override { transport = t; }
};

class Deaf : public asyncio::Protocol {  // a TLS server that stops reading once connected
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    std::dynamic_pointer_cast<asyncio::Transport>(t)->pause_reading();
  }
};

class Client : public asyncio::Protocol {
 public:
  asyncio::Future<std::exception_ptr> lost =
      asyncio::get_running_loop().create_future<std::exception_ptr>();
  void connection_lost(std::exception_ptr exc) override { lost.set_result(exc); }
};

std::string describe(std::exception_ptr exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const asyncio::TimeoutError& e) {
    return std::string("TimeoutError ") + e.what();
  } catch (const asyncio::OSError& e) {
    return trace::type_name(e) + " " + e.what();
  }
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto client_factory = [] { return std::make_shared<Client>(); };

  auto silent_factory = [] { return std::make_shared<Silent>(); };
  auto silent = co_await loop.create_server(silent_factory, "127.0.0.1", 0);
  asyncio::ConnectionOptions options;
  options.ssl = client_context();
  options.ssl_handshake_timeout = 0.2;
  double start = loop.time();
  try {
    co_await loop.create_connection(client_factory, "127.0.0.1", port_of(*silent), options);
  } catch (const std::system_error& e) {
    trace::print("handshake:", describe(std::current_exception()));
  }
  trace::print("waited at least the timeout:", loop.time() - start >= 0.15);
  silent->close();

  asyncio::ServerOptions server_options;
  server_options.ssl = server_context();
  auto deaf_factory = [] { return std::make_shared<Deaf>(); };
  auto deaf = co_await loop.create_server(deaf_factory, "127.0.0.1", 0, server_options);
  options.ssl_handshake_timeout.reset();
  options.ssl_shutdown_timeout = 0.2;
  auto [transport, client] =
      co_await loop.create_connection(client_factory, "127.0.0.1", port_of(*deaf), options);
  start = loop.time();
  transport->close();
  std::exception_ptr exc = co_await client->lost;
  trace::print("shutdown:", describe(exc));
  trace::print("waited at least the timeout:", loop.time() - start >= 0.15);
  deaf->close();
  // The deaf side never closes (its reading is paused); Python's GC collects it at exit.
  // Here its transport and TLS protocol hold each other: abort it to end the connection.
  deaf->abort_clients();
  co_await deaf->wait_closed();
}

int main() {
  asyncio::run(amain());
}
