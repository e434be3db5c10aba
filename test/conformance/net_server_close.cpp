// Mirrors CPython test_server.BaseStartServer.test_start_server_1 / test_wait_closed_basic /
// test_wait_closed_race and test_events.test_create_server: a server is serving once created;
// close() stops listening (is_serving False, no sockets, new connections refused) but leaves
// accepted connections up; a second close() is a no-op; wait_closed returns once closed and
// the connections are gone.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;

class Echo : public asyncio::Protocol {
 public:
  asyncio::Future<void> lost;
  std::shared_ptr<asyncio::Transport> transport;
  explicit Echo(asyncio::Future<void> l) : lost(l) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void data_received(std::string_view data) override { transport->write(upper(data)); }
  void connection_lost(std::exception_ptr) override { lost.set_result(); }
};

class Client : public asyncio::Protocol {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Future<std::string> chunk = loop.create_future<std::string>();
  asyncio::Future<void> lost = loop.create_future<void>();
  void data_received(std::string_view data) override { chunk.set_result(std::string(data)); }
  void connection_lost(std::exception_ptr) override { lost.set_result(); }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto server_lost = loop.create_future<void>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto server_factory = [server_lost] { return std::make_shared<Echo>(server_lost); };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  int port = port_of(*server);
  trace::print("get_loop is the loop:", &server->get_loop() == &loop);
  trace::print("is_serving:", server->is_serving(), "sockets:", server->sockets().size());
  auto [transport, client] =
      co_await loop.create_connection([] { return std::make_shared<Client>(); }, "127.0.0.1", port);
  server->close();
  trace::print("after close(): is_serving", server->is_serving(),
               "sockets:", server->sockets().size());
  server->close();  // a no-op
  transport->write("still up");
  trace::print("the accepted connection still echoes:", co_await client->chunk);
  try {
    co_await loop.create_connection([] { return std::make_shared<asyncio::Protocol>(); },
                                    "127.0.0.1", port);
  } catch (const asyncio::ConnectionRefusedError&) {
    trace::print("a new connection: ConnectionRefusedError");
  }
  transport->close();
  co_await client->lost;
  co_await server_lost;
  co_await server->wait_closed();
  trace::print("wait_closed returned; is_serving", server->is_serving());
  co_await server->wait_closed();
  trace::print("wait_closed again returned");
}

int main() {
  asyncio::run(amain());
}
