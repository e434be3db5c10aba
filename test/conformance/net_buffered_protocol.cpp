// Mirrors CPython test_buffered_proto.BaseTestBufferedProtocol.test_buffered_protocol and
// test_selector_events.SelectorSocketTransportBufferedProtocolTests (test_ctor,
// test_get_buffer_error...): over TCP a BufferedProtocol is asked for a buffer with
// get_buffer(-1), gets each read's size in buffer_updated (never more than its buffer), then
// eof_received and connection_lost(None).
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <set>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;
using proc_trace::str_list;

class Buffered : public RecordsEnd<asyncio::BufferedProtocol> {
 public:
  char buf[4];
  std::set<std::ptrdiff_t> hints;
  std::string data;
  std::vector<std::size_t> sizes;

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  std::span<char> get_buffer(std::ptrdiff_t sizehint) override {
    hints.insert(sizehint);
    return std::span<char>(buf, sizeof buf);
  }
  void buffer_updated(std::size_t nbytes) override {
    sizes.push_back(nbytes);
    data.append(buf, nbytes);
  }
};

Coro<void> handle(std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter> writer) {
  std::string block;
  for (int i = 0; i < 10; ++i) block += "0123456789";
  writer->write(block);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [transport, proto] = co_await loop.create_connection(
      [] { return std::make_shared<Buffered>(); }, "127.0.0.1", port_of(*server));
  co_await proto->lost;
  std::vector<std::string> hints;
  for (auto h : proto->hints) hints.push_back(std::to_string(h));
  trace::print("sizehints:", proc_trace::raw_list(hints));
  trace::print("data:", bytes_repr(proto->data));
  trace::print("every read fits the buffer:",
               std::all_of(proto->sizes.begin(), proto->sizes.end(),
                           [](std::size_t n) { return n > 0 && n <= 4; }));
  trace::print("reads:", proto->sizes.size());
  trace::print("events:", str_list(proto->events));
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
