// Mirrors CPython test_streams.StreamTests.test_open_connection / test_start_server and
// test_readline, test_readuntil_separator, test_readexactly, test_read_eof,
// test_read_until_eof over TCP: a start_server callback writes a block and closes; the
// client reads it back with readline, readuntil, readexactly, read(n) and read(-1); at EOF
// read() and readline() give b'' and at_eof() is True.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;


Coro<void> handle(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  std::string request = co_await reader->readline();
  writer->write("line one\nfield|abcdefghij" + upper(request) + "rest of it\nlast");
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

Coro<> amain() {
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  writer->write("go\n");
  trace::print("readline:", bytes_repr(co_await reader->readline()));
  trace::print("readuntil('|'):", bytes_repr(co_await reader->readuntil("|")));
  trace::print("readexactly(4):", bytes_repr(co_await reader->readexactly(4)));
  trace::print("read(3):", bytes_repr(co_await reader->read(3)));
  trace::print("readexactly(0):", bytes_repr(co_await reader->readexactly(0)));
  trace::print("read(0):", bytes_repr(co_await reader->read(0)));
  trace::print("readuntil():", bytes_repr(co_await reader->readuntil()));
  trace::print("at_eof before EOF is read:", reader->at_eof());
  trace::print("read(-1):", bytes_repr(co_await reader->read(-1)));
  trace::print("at_eof:", reader->at_eof());
  trace::print("read() at EOF:", bytes_repr(co_await reader->read()));
  trace::print("readline() at EOF:", bytes_repr(co_await reader->readline()));
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
