// Mirrors CPython test_events.EventLoopTestsMixin.test_create_connection and
// test_create_server, and test_selector_events.SelectorSocketTransportTests (test_read_ready,
// test_read_ready_eof, test_close): over TCP each side sees connection_made (before
// create_connection returns, for the client), data_received, eof_received and
// connection_lost(None) last; a transport closed by its owner skips eof_received.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  std::vector<std::shared_ptr<Recorder>> servers;
  auto server_factory = [&servers] {
    servers.push_back(std::make_shared<Recorder>(upper));
    return servers.back();
  };
  auto server = co_await loop.create_server(server_factory, "127.0.0.1", 0);
  int port = port_of(*server);
  auto client_factory = [] { return std::make_shared<Recorder>(); };

  {
    auto [transport, client] = co_await loop.create_connection(client_factory, "127.0.0.1", port);
    trace::print("client events when create_connection returns:", str_list(client->events));
    transport->write("hello");
    transport->write_eof();
    co_await client->lost;
    co_await servers[0]->lost;
    trace::print("client:", str_list(client->events));
    trace::print("server:", str_list(servers[0]->events));
  }
  {
    auto [transport, client] = co_await loop.create_connection(client_factory, "127.0.0.1", port);
    transport->close();
    trace::print("is_closing after close():", transport->is_closing());
    co_await client->lost;
    co_await servers[1]->lost;
    trace::print("client:", str_list(client->events));
    trace::print("server:", str_list(servers[1]->events));
  }
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
