// Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_read_ready_eof and
// test_read_ready_eof_keep_open: when eof_received returns True the transport stays
// half-open (it can still write, and closes when told to); when it returns False (or None)
// the transport closes itself right after eof_received.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

class ServerProto : public asyncio::Protocol {
 public:
  bool keep_open;
  asyncio::Future<void> done;
  std::vector<std::string> events;
  std::shared_ptr<asyncio::Transport> transport;

  ServerProto(bool k, asyncio::Future<void> d) : keep_open(k), done(d) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void data_received(std::string_view data) override {
    events.push_back("data_received " + std::string(data));
  }
  bool eof_received() override {
    events.push_back("eof_received");
    if (keep_open) asyncio::get_running_loop().call_soon([this] { reply_later(); });
    return keep_open;
  }
  void reply_later() {
    events.push_back(std::string("after eof: is_closing ") +
                     (transport->is_closing() ? "True" : "False"));
    transport->write("late reply");
    transport->close();
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
    done.set_result();
  }
};

struct ClientProto : Recorder {
  ClientProto() : Recorder(nullptr, false) {}
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  for (bool keep_open : {true, false}) {
    auto done = loop.create_future<void>();
    std::vector<std::shared_ptr<ServerProto>> protos;
    auto factory = [&] {
      protos.push_back(std::make_shared<ServerProto>(keep_open, done));
      return protos.back();
    };
    auto server = co_await loop.create_server(factory, "127.0.0.1", 0);
    int port = port_of(*server);
    auto [transport, client] = co_await loop.create_connection(
        [] { return std::make_shared<ClientProto>(); }, "127.0.0.1", port);
    transport->write("ping");
    transport->write_eof();
    co_await done;
    co_await client->lost;
    std::string label = std::string("eof_received returns ") + (keep_open ? "True" : "False") + ":";
    trace::print(label, "server", str_list(protos[0]->events));
    trace::print(label, "client", str_list(client->events));
    server->close();
    co_await server->wait_closed();
  }
}

int main() {
  asyncio::run(amain());
}
