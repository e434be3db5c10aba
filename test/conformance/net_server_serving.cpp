// Mirrors CPython test_server.BaseStartServer.test_start_server_1 (serve_forever),
// test_base_events.BaseEventLoopWithSelectorTests.test_create_server_no_getaddrinfo /
// start_serving=False and test_server.test_start_server_2: with start_serving=False the
// server is not serving (not listening) until start_serving(); serve_forever runs until
// cancelled, then the server is closed; a second concurrent serve_forever and a
// serve_forever on a closed server raise RuntimeError.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;

class Echo : public asyncio::Protocol {
 public:
  std::shared_ptr<asyncio::Transport> transport;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void data_received(std::string_view data) override { transport->write(upper(data)); }
};

class Client : public asyncio::Protocol {
 public:
  asyncio::Future<std::string> chunk = asyncio::get_running_loop().create_future<std::string>();
  void data_received(std::string_view data) override { chunk.set_result(std::string(data)); }
};

Coro<std::string> echo_once(int port, std::string text) {
  auto [transport, client] = co_await asyncio::get_running_loop().create_connection(
      [] { return std::make_shared<Client>(); }, "127.0.0.1", port);
  transport->write(text);
  std::string reply = co_await client->chunk;
  transport->close();
  co_return reply;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  asyncio::ServerOptions options;
  options.start_serving = false;
  auto server =
      co_await loop.create_server([] { return std::make_shared<Echo>(); }, "127.0.0.1", 0, options);
  int port = port_of(*server);
  trace::print("start_serving=False: is_serving", server->is_serving());
  try {
    co_await loop.create_connection([] { return std::make_shared<asyncio::Protocol>(); },
                                    "127.0.0.1", port);
  } catch (const asyncio::ConnectionRefusedError&) {
    trace::print("not listening yet: ConnectionRefusedError");
  }
  co_await server->start_serving();
  trace::print("after start_serving(): is_serving", server->is_serving());
  co_await server->start_serving();  // a no-op
  trace::print("echo:", co_await echo_once(port, "served"));

  auto task = asyncio::create_task(server->serve_forever());
  co_await asyncio::sleep(0);
  trace::print("serve_forever running: is_serving", server->is_serving());
  try {
    co_await server->serve_forever();
  } catch (const asyncio::RuntimeError&) {
    trace::print("second serve_forever: RuntimeError");
  }
  trace::print("echo:", co_await echo_once(port, "forever"));
  task.cancel();
  try {
    co_await task;
  } catch (const asyncio::CancelledError&) {
    trace::print("serve_forever cancelled: CancelledError");
  }
  trace::print("after cancelling: is_serving", server->is_serving(),
               "sockets:", server->sockets().size());
  try {
    co_await server->serve_forever();
  } catch (const asyncio::RuntimeError&) {
    trace::print("serve_forever on a closed server: RuntimeError");
  }
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
