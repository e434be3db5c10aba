// Mirrors CPython test_streams.StreamTests.test_readexactly_eof, test_readuntil_eof,
// test_readline_eof and test_readline_read_byte_count over TCP: at EOF, readline gives the
// partial line, readuntil raises IncompleteReadError(partial, None) and drops the buffer,
// readexactly raises IncompleteReadError(partial, n).
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

struct Connection {
  std::shared_ptr<asyncio::Server> server;
  std::shared_ptr<StreamReader> reader;
  std::shared_ptr<StreamWriter> writer;
};

Coro<Connection> send_and_close(std::string data) {
  auto handle = [data](std::shared_ptr<StreamReader>,
                       std::shared_ptr<StreamWriter> writer) -> Coro<void> {
    writer->write(data);
    writer->close();
    co_await writer->wait_closed();
  };
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  co_return Connection{server, reader, writer};
}

Coro<> finish(Connection& c) {
  c.writer->close();
  co_await c.writer->wait_closed();
  c.server->close();
  co_await c.server->wait_closed();
}

std::string expected_repr(const std::optional<std::size_t>& expected) {
  return expected ? std::to_string(*expected) : "None";
}

Coro<> amain() {
  {
    Connection c = co_await send_and_close("full\npart");
    trace::print("readline:", bytes_repr(co_await c.reader->readline()));
    trace::print("readline at EOF:", bytes_repr(co_await c.reader->readline()));
    trace::print("then:", bytes_repr(co_await c.reader->readline()));
    co_await finish(c);
  }
  {
    Connection c = co_await send_and_close("abcd");
    try {
      co_await c.reader->readexactly(10);
    } catch (const asyncio::IncompleteReadError& e) {
      trace::print("readexactly(10):", "IncompleteReadError", bytes_repr(e.partial),
                   expected_repr(e.expected));
      trace::print("message:", e.what());
    }
    co_await finish(c);
  }
  {
    Connection c = co_await send_and_close("no separator");
    try {
      co_await c.reader->readuntil("!");
    } catch (const asyncio::IncompleteReadError& e) {
      trace::print("readuntil('!'):", bytes_repr(e.partial), expected_repr(e.expected));
    }
    trace::print("buffer dropped, read():", bytes_repr(co_await c.reader->read()));
    try {
      co_await c.reader->readexactly(1);
    } catch (const asyncio::IncompleteReadError& e) {
      trace::print("readexactly(1) at EOF:", bytes_repr(e.partial), expected_repr(e.expected));
    }
    co_await finish(c);
  }
}

int main() {
  asyncio::run(amain());
}
