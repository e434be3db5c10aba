// Mirrors CPython test_events.EventLoopTestsMixin.test_create_server_sock and
// test_create_connection_sock: create_server(sock=) serves a socket we bound ourselves (the
// server lists that very socket), create_connection(sock=) adopts a socket we connected
// ourselves; data flows both ways; closing the transport closes the adopted socket.
#include <asyncio/asyncio.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <algorithm>

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
  void data_received(std::string_view data) override {
    transport->write(std::string(data.rbegin(), data.rend()));
  }
};

class Client : public asyncio::Protocol {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Future<std::string> chunk = loop.create_future<std::string>();
  asyncio::Future<std::string> lost = loop.create_future<std::string>();
  void data_received(std::string_view data) override { chunk.set_result(std::string(data)); }
  void connection_lost(std::exception_ptr exc) override { lost.set_result(exc_str(exc)); }
};

sockaddr_in loopback(int port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<uint16_t>(port));
  return sin;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin = loopback(0);
  ::bind(listener, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  socklen_t len = sizeof sin;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&sin), &len);
  int port = ntohs(sin.sin_port);
  asyncio::ServerOptions server_options;
  server_options.sock = listener;
  auto server =
      co_await loop.create_server([] { return std::make_shared<Echo>(); }, server_options);
  trace::print("server serves our socket:", server->sockets().at(0) == listener);
  trace::print("is_serving:", server->is_serving());

  int conn = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to = loopback(port);
  ::connect(conn, reinterpret_cast<sockaddr*>(&to), sizeof to);
  asyncio::ConnectionOptions options;
  options.sock = conn;
  auto [transport, client] =
      co_await loop.create_connection([] { return std::make_shared<Client>(); }, options);
  std::any sock = transport->get_extra_info("socket");
  trace::print("transport uses our socket:", std::any_cast<int>(sock) == conn);
  trace::print("peername port:", addr_info(*transport, "peername")->port == port);
  transport->write("olleh");
  trace::print("echo:", co_await client->chunk);
  transport->close();
  trace::print("connection_lost:", co_await client->lost);
  trace::print(proc_trace::fd_is_open(conn) ? "adopted socket still open"
                                            : "adopted socket closed");
  server->close();
  co_await server->wait_closed();
  trace::print(proc_trace::fd_is_open(listener) ? "listening socket still open"
                                                : "listening socket closed");
}

int main() {
  asyncio::run(amain());
}
