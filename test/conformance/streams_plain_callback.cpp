// Mirrors CPython test_streams.StreamTests.test_start_server (its handle_client_callback) and
// test_server.BaseStartServer.test_start_server_1 (`async with srv`): a client_connected_cb
// that is a plain function is called in connection_made, outside any task, and serves through
// the task it creates; `async with server` closes the server and waits for it on the way out.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;

std::vector<asyncio::Task<void>> tasks;

Coro<void> handle_client(std::shared_ptr<StreamReader> reader,
                         std::shared_ptr<StreamWriter> writer) {
  std::string data = co_await reader->readline();
  writer->write(data);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

void handle_client_callback(std::shared_ptr<StreamReader> reader,
                            std::shared_ptr<StreamWriter> writer) {
  trace::print("callback, in a task:", static_cast<bool>(asyncio::current_task()));
  tasks.push_back(asyncio::get_running_loop().create_task(handle_client(reader, writer)));
}

Coro<> amain() {
  auto server = co_await asyncio::start_server(handle_client_callback, "127.0.0.1", 0);
  int port = port_of(*server);
  auto body = [&]() -> Coro<> {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer->write("hello world!\n");
    trace::print("echo:", bytes_repr(co_await reader->readline()));
    writer->close();
    co_await writer->wait_closed();
    trace::print("serving inside:", server->is_serving());
  };
  co_await server->run(body);  // async with server: <body>
  trace::print("serving after:", server->is_serving(), static_cast<int>(server->sockets().size()));
  tasks.clear();
}

int main() {
  asyncio::run(amain());
}
