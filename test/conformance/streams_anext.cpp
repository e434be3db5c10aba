// Mirrors CPython test_streams.StreamTests.test_readline and the StreamReader `async for`
// protocol (StreamReader.__anext__): iterating a StreamReader yields each line with its
// newline, then the last partial line, and stops at EOF; a second iteration at EOF yields
// nothing.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

Coro<void> handle(std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter> writer) {
  std::vector<std::string> lines = {"first\n", "second\n", "\n", "no newline"};
  writer->writelines(lines);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

Coro<> amain() {
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  while (auto line = co_await reader->anext()) trace::print("line:", bytes_repr(*line));
  trace::print("at_eof:", reader->at_eof());
  int count = 0;
  while (auto line = co_await reader->anext()) ++count;
  trace::print("lines on a second iteration:", count);
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
