// Mirrors CPython test_streams.StreamTests.test_readuntil_limit_found_sep (the "not found"
// half), test_readline_limit and test_readexactly_limit over TCP with open_connection(limit=8):
// with no separator in more than `limit` bytes, readuntil raises LimitOverrunError("Separator
// is not found, and chunk exceed the limit", consumed) and keeps the data; readline raises
// ValueError and clears the buffer; readexactly and read are not limited.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

asyncio::Event go;

Coro<> amain() {
  auto sent = asyncio::get_running_loop().create_future<void>();
  auto handle = [sent](std::shared_ptr<StreamReader> reader,
                       std::shared_ptr<StreamWriter> writer) mutable -> Coro<void> {
    co_await reader->readline();
    writer->write(std::string(20, 'x'));
    co_await writer->drain();
    sent.set_result();
    co_await go.wait();
    writer->write("short\n" + std::string(40, 'z'));
    writer->close();
    co_await writer->wait_closed();
  };
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  asyncio::ConnectionOptions options;
  options.limit = 8;
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server), options);
  writer->write("go\n");
  co_await sent;
  try {
    co_await reader->readuntil("\n");
  } catch (const asyncio::LimitOverrunError& e) {
    trace::print("readuntil:", e.consumed, e.what());
  }
  trace::print("kept, readexactly(5):", bytes_repr(co_await reader->readexactly(5)));
  go.set();
  try {
    co_await reader->readline();
  } catch (const std::invalid_argument& e) {
    trace::print("readline:", "ValueError", e.what());
  }
  trace::print("next readline:", bytes_repr(co_await reader->readline()));
  trace::print("readexactly(30) past the limit:", bytes_repr(co_await reader->readexactly(30)));
  trace::print("read():", bytes_repr(co_await reader->read()));
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
