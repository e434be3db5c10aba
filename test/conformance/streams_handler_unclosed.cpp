// Mirrors CPython test_streams.StreamTests.test_unclosed_server_resource_warnings: a
// start_server handler that returns without writer.close() leaves a writer nobody refers to;
// StreamWriter.__del__ (3.13) closes its transport, so the client reads EOF and the server
// closes. CPython needs its cycle collector for that (gc.collect() below); asyncio-cpp closes the
// connection when the handler's task is done and the last reference to the writer goes.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto handled = loop.create_future<void>();

  auto handle = [handled](std::shared_ptr<StreamReader> reader,
                          std::shared_ptr<StreamWriter>) mutable -> Coro<> {
    trace::print("server got:", bytes_repr(co_await reader->readline()));
    handled.set_result();
  };

  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  writer->write("hello\n");
  co_await handled;
  co_await asyncio::sleep(0);  // the handler's task finishes
  // gc.collect(): nothing to do; the writer went with the handler's task
  trace::print("client reads:", bytes_repr(co_await reader->read()));
  trace::print("at EOF:", reader->at_eof());
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
  trace::print("server closed");
}

int main() {
  asyncio::run(amain());
}
