// Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_pause_resume_reading
// and test_events.EventLoopTestsMixin.test_connect_accepted_socket's reading: while paused
// nothing is delivered; pause_reading/resume_reading twice are no-ops; is_reading follows;
// resume_reading delivers what arrived meanwhile; EOF is seen only after resuming.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

using TransportPtr = std::shared_ptr<asyncio::Transport>;

class ServerProto : public asyncio::Protocol {
 public:
  asyncio::Future<TransportPtr> made;
  explicit ServerProto(asyncio::Future<TransportPtr> m) : made(m) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    made.set_result(std::dynamic_pointer_cast<asyncio::Transport>(t));
  }
};

class ClientProto : public QuietRecorder {
 public:
  asyncio::Future<void> chunk = asyncio::get_running_loop().create_future<void>();

  void data_received(std::string_view data) override {
    Recorder::data_received(data);
    if (!chunk.done()) chunk.set_result();
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto made = loop.create_future<TransportPtr>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto server_factory = [made] { return std::make_shared<ServerProto>(made); };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  auto [transport, client] = co_await loop.create_connection(
      [] { return std::make_shared<ClientProto>(); }, "127.0.0.1", port_of(*server));
  TransportPtr peer = co_await made;
  trace::print("is_reading:", transport->is_reading());
  transport->resume_reading();  // not paused: a no-op
  transport->pause_reading();
  transport->pause_reading();  // a no-op
  trace::print("after pause_reading: is_reading", transport->is_reading());
  peer->write("one");
  co_await spin(10);
  trace::print("while paused:", str_list(client->events));
  transport->resume_reading();
  trace::print("after resume_reading: is_reading", transport->is_reading());
  co_await client->chunk;
  trace::print("after resuming:", str_list(client->events));
  transport->pause_reading();
  peer->close();
  co_await spin(10);
  trace::print("paused, the peer closed:", str_list(client->events));
  transport->resume_reading();
  co_await client->lost;
  trace::print("events:", str_list(client->events));
  trace::print("is_reading once closed:", transport->is_reading());
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
