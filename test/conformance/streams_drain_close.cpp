// Mirrors CPython test_streams.StreamTests.test_drain_raises, test_wait_closed_on_close,
// test_wait_closed_on_close_with_unread_data and test_streams.test_eof_feed_when_closing:
// drain() waits while the peer does not read and returns once the buffer is under the high
// mark; close() makes is_closing() True; wait_closed() returns once the connection is lost
// (twice is fine); drain() afterwards raises ConnectionResetError; the peer reads every
// byte then EOF; writer.get_extra_info gives the transport's peername.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

constexpr std::size_t TOTAL = 16 * 1024 * 1024;

asyncio::Event start_reading;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto received = loop.create_future<std::size_t>();
  auto handle = [received](std::shared_ptr<StreamReader> reader,
                           std::shared_ptr<StreamWriter> writer) mutable -> Coro<void> {
    co_await start_reading.wait();
    std::string data = co_await reader->read();
    received.set_result(data.size());
    writer->close();
    co_await writer->wait_closed();
  };
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  int port = port_of(*server);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  std::any peername = writer->get_extra_info("peername");
  trace::print("peername port is the server's:",
               std::any_cast<asyncio::SockAddr>(peername).port == port);
  trace::print("can_write_eof:", writer->can_write_eof());
  writer->write(std::string(TOTAL, 'x'));
  auto drain = asyncio::create_task(writer->drain());
  co_await spin(5);
  trace::print("drain waits while the peer does not read:", !drain.done());
  start_reading.set();
  co_await drain;
  std::size_t high = writer->transport()->get_write_buffer_limits().second;
  trace::print("drained: buffer under the high mark:",
               writer->transport()->get_write_buffer_size() <= high);
  trace::print("is_closing:", writer->is_closing());
  writer->write_eof();
  trace::print("server read:", co_await received == TOTAL);
  trace::print("client read():", bytes_repr(co_await reader->read()));
  trace::print("at_eof:", reader->at_eof());
  writer->close();
  trace::print("after close(): is_closing", writer->is_closing());
  co_await writer->wait_closed();
  co_await writer->wait_closed();
  trace::print("wait_closed twice returned");
  try {
    co_await writer->drain();
  } catch (const asyncio::OSError& e) {
    trace::print("drain after close:", trace::type_name(e));
  }
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
