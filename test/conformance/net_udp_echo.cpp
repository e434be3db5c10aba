// Mirrors CPython test_events.EventLoopTestsMixin.test_create_datagram_endpoint and
// test_selector_events.SelectorDatagramTransportTests (test_sendto, test_read_ready):
// connection_made first; datagram_received gets the data and the sender's address; sendto to
// that address answers it; a connected endpoint sendto()s without an address and its
// peername is the server; close() gives connection_lost(None).
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::SockAddr;
using namespace net_trace;
using proc_trace::str_list;

class EchoServer : public asyncio::DatagramProtocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();
  std::shared_ptr<asyncio::DatagramTransport> transport;
  SockAddr last_addr;

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::DatagramTransport>(t);
    events.push_back("connection_made");
  }
  void datagram_received(std::string_view data, const SockAddr& addr) override {
    events.push_back("datagram_received " + std::string(data));
    last_addr = addr;
    transport->sendto(upper(data), addr);
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
    lost.set_result();
  }
};

class Client : public asyncio::DatagramProtocol {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::vector<std::string> events;
  asyncio::Future<SockAddr> reply = loop.create_future<SockAddr>();
  asyncio::Future<void> lost = loop.create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  void datagram_received(std::string_view data, const SockAddr& addr) override {
    events.push_back("datagram_received " + std::string(data));
    reply.set_result(addr);
    reply = loop.create_future<SockAddr>();
  }
  void error_received(std::exception_ptr exc) override {
    events.push_back("error_received " + exc_str(exc));
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
    lost.set_result();
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  asyncio::DatagramOptions server_options;
  server_options.local_addr = asyncio::HostPort("127.0.0.1", 0);
  auto [server_t, server] = co_await loop.create_datagram_endpoint(
      [] { return std::make_shared<EchoServer>(); }, server_options);
  SockAddr server_addr = *addr_info(*server_t, "sockname");
  trace::print("server sockname host:", server_addr.host);
  trace::print("server peername:", addr_repr(addr_info(*server_t, "peername")));

  asyncio::DatagramOptions client_options;
  client_options.remote_addr = asyncio::HostPort(server_addr.host, server_addr.port);
  auto [client_t, client] = co_await loop.create_datagram_endpoint(
      [] { return std::make_shared<Client>(); }, client_options);
  trace::print("connected client peername is the server:",
               addr_info(*client_t, "peername") == server_addr);
  auto reply = client->reply;
  client_t->sendto("ping");
  trace::print("reply from the server's address:", co_await reply == server_addr);
  trace::print("server saw the client's sockname:",
               server->last_addr == *addr_info(*client_t, "sockname"));

  asyncio::DatagramOptions other_options;
  other_options.local_addr = asyncio::HostPort("127.0.0.1", 0);
  auto [other_t, other] = co_await loop.create_datagram_endpoint(
      [] { return std::make_shared<Client>(); }, other_options);
  reply = other->reply;
  other_t->sendto("pong", server_addr);
  trace::print("unconnected endpoint, reply from:", co_await reply == server_addr);
  trace::print("write buffer size:", other_t->get_write_buffer_size());

  client_t->close();
  trace::print("is_closing:", client_t->is_closing());
  co_await client->lost;
  other_t->close();
  trace::print("is_closing:", other_t->is_closing());
  co_await other->lost;
  server_t->close();
  trace::print("is_closing:", server_t->is_closing());
  co_await server->lost;
  trace::print("server:", str_list(server->events));
  trace::print("client:", str_list(client->events));
  trace::print("other:", str_list(other->events));
}

int main() {
  asyncio::run(amain());
}
