// Mirrors CPython test_selector_events.SelectorTransportTests.test_set_protocol /
// test_get_protocol and test_sslproto-free protocol switching (test_buffered_proto's
// switch from a Protocol to a BufferedProtocol): set_protocol makes the transport deliver
// the next data, EOF and connection_lost to the new protocol; get_protocol returns it.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

using TransportPtr = std::shared_ptr<asyncio::Transport>;

class Second : public RecordsEnd<asyncio::BufferedProtocol> {
 public:
  char buf[100];
  asyncio::Future<void> switched = asyncio::get_running_loop().create_future<void>();

  std::span<char> get_buffer(std::ptrdiff_t) override { return std::span<char>(buf, sizeof buf); }
  void buffer_updated(std::size_t nbytes) override {
    events.push_back("buffer_updated " + std::string(buf, nbytes));
  }
};

class First : public asyncio::Protocol {
 public:
  std::shared_ptr<Second> second;
  std::vector<std::string> events;
  TransportPtr transport;

  explicit First(std::shared_ptr<Second> s) : second(std::move(s)) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    events.push_back("connection_made");
  }
  void data_received(std::string_view data) override {
    events.push_back("data_received " + std::string(data));
    transport->set_protocol(second);
    second->switched.set_result();
  }
};

class Peer : public asyncio::Protocol {
 public:
  asyncio::Future<TransportPtr> made;
  explicit Peer(asyncio::Future<TransportPtr> m) : made(m) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    made.set_result(std::dynamic_pointer_cast<asyncio::Transport>(t));
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto made = loop.create_future<TransportPtr>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto server_factory = [made] { return std::make_shared<Peer>(made); };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  auto second = std::make_shared<Second>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto client_factory = [second] { return std::make_shared<First>(second); };
  auto [transport, first] =
      co_await loop.create_connection(client_factory, "127.0.0.1", port_of(*server));
  TransportPtr peer = co_await made;
  trace::print("get_protocol is the first:", transport->get_protocol() == first);
  peer->write("one");
  co_await second->switched;
  trace::print("get_protocol is the second:", transport->get_protocol() == second);
  peer->write("two");
  peer->close();
  co_await second->lost;
  trace::print("first:", str_list(first->events));
  trace::print("second:", str_list(second->events));
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
