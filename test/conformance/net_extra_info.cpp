// Mirrors CPython test_events.EventLoopTestsMixin.test_create_connection (its
// get_extra_info checks) and test_selector_events.SelectorTransportTests.test_ctor: a TCP
// transport's peername and sockname are (host, port) pairs, the client's sockname is the
// server side's peername and the other way round; "socket" is the fd; an unknown key gives
// nothing; the names are kept after the connection is closed.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;

using TransportPtr = std::shared_ptr<asyncio::Transport>;

class ServerProto : public asyncio::Protocol {
 public:
  asyncio::Future<TransportPtr> made;
  explicit ServerProto(asyncio::Future<TransportPtr> m) : made(m) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    made.set_result(std::dynamic_pointer_cast<asyncio::Transport>(t));
  }
};

class ClientProto : public asyncio::Protocol {
 public:
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();
  void connection_lost(std::exception_ptr) override { lost.set_result(); }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto made = loop.create_future<TransportPtr>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto server_factory = [made] { return std::make_shared<ServerProto>(made); };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  int port = port_of(*server);
  trace::print("listening sockets:", server->sockets().size());
  trace::print("listening on 127.0.0.1:", server->addresses().at(0).host);
  auto [transport, client] = co_await loop.create_connection(
      [] { return std::make_shared<ClientProto>(); }, "127.0.0.1", port);
  TransportPtr peer = co_await made;
  auto peername = addr_info(*transport, "peername");
  auto sockname = addr_info(*transport, "sockname");
  trace::print("client peername host:", peername->host,
               "port is the server's:", peername->port == port);
  trace::print("client sockname host:", sockname->host,
               "ephemeral port:", sockname->port != 0 && sockname->port != port);
  trace::print("server peername is the client's sockname:",
               addr_info(*peer, "peername") == sockname);
  trace::print("server sockname is the client's peername:",
               addr_info(*peer, "sockname") == peername);
  std::any sock = transport->get_extra_info("socket");
  auto* fd = std::any_cast<int>(&sock);
  trace::print("socket has a fileno:", fd != nullptr && *fd >= 0);
  trace::print("unknown key:", transport->get_extra_info("no such key").has_value() ? "?" : "None");
  transport->close();
  co_await client->lost;
  trace::print("peername after close:", addr_info(*transport, "peername") == peername);
  peer->close();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
