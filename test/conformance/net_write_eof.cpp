// Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_write_eof,
// test_write_eof_buffer, test_write_after_write_eof...) and test_events.test_create_connection:
// a TCP transport can_write_eof; write_eof sends what is buffered first, then EOF; the
// transport stays open for reading (the peer can still reply); a second write_eof is a
// no-op.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

constexpr std::size_t TOTAL = 32 * 1024 * 1024;

class ServerProto : public asyncio::Protocol {
 public:
  asyncio::Future<ServerProto*> made;
  std::size_t received = 0;
  std::vector<std::string> events;
  std::shared_ptr<asyncio::Transport> transport;

  explicit ServerProto(asyncio::Future<ServerProto*> m) : made(m) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    transport->pause_reading();
    made.set_result(this);
  }
  void data_received(std::string_view data) override { received += data.size(); }
  bool eof_received() override {
    events.push_back("eof_received after " + std::to_string(received) + " bytes");
    transport->write("reply after eof");
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
  }
};

struct ClientProto : Recorder {
  ClientProto() : Recorder(nullptr, false) {}
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto made = loop.create_future<ServerProto*>();
  std::vector<std::shared_ptr<ServerProto>> keep;  // the protocols outlive their transports
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto server_factory = [&keep, made] {
    return keep.emplace_back(std::make_shared<ServerProto>(made));
  };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  auto [transport, client] = co_await loop.create_connection(
      [] { return std::make_shared<ClientProto>(); }, "127.0.0.1", port_of(*server));
  ServerProto* peer = co_await made;
  trace::print("can_write_eof:", transport->can_write_eof());
  transport->write(std::string(TOTAL, 'x'));
  trace::print("data buffered (the peer does not read):", transport->get_write_buffer_size() > 0);
  transport->write_eof();
  transport->write_eof();  // a no-op
  trace::print("after write_eof: is_closing", transport->is_closing());
  peer->transport->resume_reading();
  co_await client->lost;
  trace::print("server:", str_list(peer->events));
  trace::print("client:", str_list(client->events));
  trace::print("write buffer size at the end:", transport->get_write_buffer_size());
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
