// Mirrors CPython test_selector_events.SelectorDatagramTransportTests.test_read_ready_err /
// test_sendto_error_received_connected and test_events.test_create_datagram_endpoint_sock:
// a UDP endpoint connected to a port nobody listens on gets the ICMP "port unreachable" back
// as error_received(ConnectionRefusedError, errno ECONNREFUSED); the transport stays open.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::SockAddr;
using namespace net_trace;
using proc_trace::str_list;

class Client : public asyncio::DatagramProtocol {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::vector<std::string> events;
  asyncio::Future<std::exception_ptr> error = loop.create_future<std::exception_ptr>();
  asyncio::Future<void> lost = loop.create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  void datagram_received(std::string_view, const SockAddr&) override {
    events.push_back("datagram_received");
  }
  void error_received(std::exception_ptr exc) override {
    events.push_back("error_received " + exc_str(exc));
    if (!error.done()) error.set_result(exc);
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exc_str(exc));
    lost.set_result();
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int port = closed_port(SOCK_DGRAM);
  asyncio::DatagramOptions options;
  options.remote_addr = asyncio::HostPort("127.0.0.1", port);
  auto [transport, client] =
      co_await loop.create_datagram_endpoint([] { return std::make_shared<Client>(); }, options);
  transport->sendto("anyone?");
  std::exception_ptr exc = co_await client->error;
  trace::print("error:", exc_str(exc), proc_trace::error_code(exc) == ECONNREFUSED);
  trace::print("is_closing after the error:", transport->is_closing());
  transport->close();
  co_await client->lost;
  trace::print("events:", str_list(client->events));
}

int main() {
  asyncio::run(amain());
}
