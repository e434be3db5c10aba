// Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_close,
// test_write_ready_closing, test_abort, test_force_close) and test_events.test_close_flushes.
// With 32 MiB buffered behind a peer that is not reading:
// - close() keeps writing; connection_lost(None) comes only once the buffer is flushed, and the
//   peer gets every byte, then EOF; a second close() is a no-op;
// - abort() drops the buffer and closes at once; connection_lost(None) comes in the next loop
//   iteration, not inline; the peer gets less than was written.
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
  asyncio::Future<void> done;
  std::size_t received = 0;
  std::vector<std::string> events;
  std::shared_ptr<asyncio::Transport> transport;

  ServerProto(asyncio::Future<ServerProto*> m, asyncio::Future<void> d) : made(m), done(d) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    transport->pause_reading();
    made.set_result(this);
  }
  void data_received(std::string_view data) override { received += data.size(); }
  bool eof_received() override {
    events.push_back("eof_received");
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
    done.set_result();
  }
};

class ClientProto : public asyncio::Protocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();

  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
    lost.set_result();
  }
};

Coro<> scenario(bool abort) {
  trace::print(abort ? "-- abort()" : "-- close()");
  auto& loop = asyncio::get_running_loop();
  auto made = loop.create_future<ServerProto*>();
  std::vector<std::shared_ptr<ServerProto>> keep;  // the protocols outlive their transports
  auto done = loop.create_future<void>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto server_factory = [&keep, made, done] {
    return keep.emplace_back(std::make_shared<ServerProto>(made, done));
  };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  auto [transport, client] = co_await loop.create_connection(
      [] { return std::make_shared<ClientProto>(); }, "127.0.0.1", port_of(*server));
  ServerProto* peer = co_await made;
  transport->write(std::string(TOTAL, 'x'));
  trace::print("data buffered:", transport->get_write_buffer_size() > 0);
  for (int i = 0; i < 2; ++i) {  // a no-op the second time
    if (abort)
      transport->abort();
    else
      transport->close();
  }
  trace::print("is_closing:", transport->is_closing(), "events:", str_list(client->events));
  co_await spin(5);
  trace::print("client events after five iterations:", str_list(client->events));
  peer->transport->resume_reading();
  co_await client->lost;
  co_await done;
  trace::print("client:", str_list(client->events));
  trace::print("server:", str_list(peer->events));
  trace::print("write buffer size at the end:", transport->get_write_buffer_size());
  trace::print("server got every byte:", peer->received == TOTAL);
  server->close();
  co_await server->wait_closed();
}

Coro<> amain() {
  co_await scenario(false);
  co_await scenario(true);
}

int main() {
  asyncio::run(amain());
}
