// Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_read_ready_conn_reset
// (and test_streams.StreamTests.test_read_exception over a real socket): when the peer resets
// the connection (SO_LINGER 0, then close), the transport's protocol gets
// connection_lost(ConnectionResetError) without eof_received; a StreamReader's read() raises
// ConnectionResetError; write() after write_eof() raises RuntimeError.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::bytes_repr;

using TransportPtr = std::shared_ptr<asyncio::Transport>;

struct Proto : Recorder {
  Proto() : Recorder(nullptr, false) {}
};

void reset(const TransportPtr& transport) {
  std::any sock = transport->get_extra_info("socket");
  linger lg{1, 0};
  ::setsockopt(std::any_cast<int>(sock), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  transport->abort();
}

std::vector<TransportPtr> accepted;

class ServerProto : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    auto transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    accepted.push_back(transport);
    transport->write("before reset");
    if (accepted.size() == 1) asyncio::get_running_loop().call_soon(reset, transport);
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto server =
      co_await loop.create_server([] { return std::make_shared<ServerProto>(); }, "127.0.0.1", 0);
  int port = port_of(*server);
  auto [transport, proto] =
      co_await loop.create_connection([] { return std::make_shared<Proto>(); }, "127.0.0.1", port);
  co_await proto->lost;
  bool saw_eof =
      std::find(proto->events.begin(), proto->events.end(), "eof_received") != proto->events.end();
  trace::print("protocol:", proto->events.back(), saw_eof);
  trace::print("is_closing:", transport->is_closing());

  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  trace::print("read:", bytes_repr(co_await reader->readexactly(12)));
  writer->write_eof();
  try {
    writer->write("more");
  } catch (const asyncio::RuntimeError& e) {
    trace::print("write after write_eof:", "RuntimeError", e.what());
  }
  reset(accepted[1]);
  try {
    co_await reader->read();
  } catch (const asyncio::ConnectionResetError&) {
    trace::print("read after the reset: ConnectionResetError");
  }
  writer->close();
  try {
    co_await writer->wait_closed();
    trace::print("wait_closed returned");
  } catch (const asyncio::OSError& e) {
    trace::print("wait_closed:", trace::type_name(e));
  }
  accepted.clear();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
