// Mirrors CPython test_streams.StreamTests.test_readuntil_limit_found_sep,
// test_readline_limit_with_existing_data and test_readline_limit over TCP with
// open_connection(limit=8): a separator found past the limit raises LimitOverrunError with
// `consumed` at the separator and leaves the data in the buffer; readline raises ValueError
// and drops the over-long line; short lines still read.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

Coro<> amain() {
  auto sent = asyncio::get_running_loop().create_future<void>();
  auto handle = [sent](std::shared_ptr<StreamReader> reader,
                       std::shared_ptr<StreamWriter> writer) mutable -> Coro<void> {
    co_await reader->readline();
    writer->write("aaaaaaaaaaaa\nok\nbbbbbbbbbbbbbbb\nend\n");
    co_await writer->drain();
    sent.set_result();
    writer->close();
    co_await writer->wait_closed();
  };
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  asyncio::ConnectionOptions options;
  options.limit = 8;
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server), options);
  trace::print("limit:", reader->limit());
  writer->write("go\n");
  co_await sent;
  try {
    co_await reader->readuntil("\n");
  } catch (const asyncio::LimitOverrunError& e) {
    trace::print("readuntil:", "LimitOverrunError", e.consumed, e.what());
  }
  trace::print("the data is still there:", bytes_repr(co_await reader->readexactly(13)));
  trace::print("readline:", bytes_repr(co_await reader->readline()));
  try {
    co_await reader->readline();
  } catch (const std::invalid_argument& e) {
    trace::print("readline over the limit:", "ValueError", e.what());
  }
  trace::print("the long line was dropped:", bytes_repr(co_await reader->readline()));
  trace::print("read():", bytes_repr(co_await reader->read()));
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
