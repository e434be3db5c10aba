// Mirrors asyncio.streams.StreamReaderProtocol as a plain Protocol: a subclass that overrides
// data_received sees every byte the socket delivers, and the StreamReader still gets them
// through the base class (as test_streams' custom-protocol tests subclass it). asyncio-cpp's
// StreamReaderProtocol is also a BufferedProtocol; for a subclass it must not read past the
// override.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;

constexpr std::size_t TOTAL = 300'000;  // several reads, and more than the reader's limit

struct Recording : asyncio::StreamReaderProtocol {
  using StreamReaderProtocol::StreamReaderProtocol;
  void data_received(std::string_view data) override {
    seen += data.size();
    StreamReaderProtocol::data_received(data);
  }
  static inline std::size_t seen = 0;
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto handle = [](std::shared_ptr<StreamReader>,
                   std::shared_ptr<StreamWriter> writer) -> Coro<void> {
    writer->write(std::string(TOTAL, 'y'));
    co_await writer->drain();
    writer->close();
    co_await writer->wait_closed();
  };
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  int port = port_of(*server);
  auto reader = std::make_shared<StreamReader>();
  auto factory = [reader, &loop] { return std::make_shared<Recording>(reader, nullptr, loop); };
  auto made = co_await loop.create_connection(factory, "127.0.0.1", port);
  std::string data = co_await reader->read();
  trace::print("client read:", data.size());
  trace::print("data_received saw every byte:", Recording::seen == data.size());
  trace::print("at_eof:", reader->at_eof());
  made.first->close();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
