// Mirrors CPython test_sslproto.SelectorStartTLSTests /
// test_ssl.TestSSL.test_create_connection_ssl_1 and test_create_server_ssl_1: over TLS,
// connection_made comes after the handshake (and before create_connection returns), data flows both
// ways, and a close() sends close_notify: each side then sees eof_received and
// connection_lost(None). The TLS extra info is there.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>

#include "net_trace.hpp"
#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using namespace tls_trace;
using proc_trace::str_list;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto server_ctx = server_context();
  auto client_ctx = client_context();
  std::vector<std::shared_ptr<Recorder>> servers;
  auto server_factory = [&servers] {
    servers.push_back(std::make_shared<Recorder>(upper));
    return servers.back();
  };
  asyncio::ServerOptions server_options;
  server_options.ssl = server_ctx;
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0, server_options);
  int port = port_of(*server);
  asyncio::ConnectionOptions options;
  options.ssl = client_ctx;
  options.family = AF_INET;
  auto factory = [] { return std::make_shared<Recorder>(); };
  auto [transport, client] = co_await loop.create_connection(factory, "localhost", port, options);
  trace::print("client events when create_connection returns:", str_list(client->events));
  auto ctx = std::any_cast<std::shared_ptr<asyncio::ssl::SSLContext>>(
      transport->get_extra_info("sslcontext"));
  trace::print("sslcontext is the one given:", ctx == client_ctx);
  auto cert = std::any_cast<asyncio::ssl::PeerCert>(transport->get_extra_info("peercert"));
  trace::print("peer subject:", name_repr(cert.subject));
  trace::print("peer issuer:", name_repr(cert.issuer));
  trace::print("peer subjectAltName:", pairs_repr(cert.subjectAltName));
  auto cipher =
      std::any_cast<std::tuple<std::string, std::string, int>>(transport->get_extra_info("cipher"));
  trace::print("protocol:", std::get<1>(cipher));
  auto compression =
      std::any_cast<std::optional<std::string>>(transport->get_extra_info("compression"));
  trace::print("compression:", compression.value_or("None"));
  trace::print("has ssl_object:", transport->get_extra_info("ssl_object").has_value());
  auto peer = addr_info(*transport, "peername");
  trace::print("peername:", peer && *peer == asyncio::SockAddr{AF_INET, "127.0.0.1", port});
  trace::print("can_write_eof:", transport->can_write_eof());
  auto [low, high] = transport->get_write_buffer_limits();
  trace::print("write buffer limits:",
               "(" + std::to_string(low) + ", " + std::to_string(high) + ")");
  try {
    transport->write_eof();
  } catch (const std::logic_error&) {
    trace::print("write_eof: NotImplementedError");
  }

  transport->write("hello");
  while (client->events.back().rfind("data_received", 0) != 0) co_await asyncio::sleep(0);
  bool server_cert = servers[0]->transport->get_extra_info("peercert").has_value();
  trace::print("server peercert (no client certificate):", server_cert ? "present" : "None");
  transport->close();
  trace::print("is_closing after close():", transport->is_closing());
  co_await client->lost;
  co_await servers[0]->lost;
  trace::print("client:", str_list(client->events));
  trace::print("server:", str_list(servers[0]->events));
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
