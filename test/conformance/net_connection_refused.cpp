// Mirrors CPython test_events.EventLoopTestsMixin.test_create_connection_connection_refused
// (and test_streams.StreamTests.test_open_connection_error): connecting to a port nobody
// listens on raises ConnectionRefusedError (errno ECONNREFUSED) from create_connection and
// from asyncio.open_connection; no protocol is made.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int made = 0;
  int port = closed_port();
  try {
    co_await loop.create_connection(
        [&made] {
          ++made;
          return std::make_shared<asyncio::Protocol>();
        },
        "127.0.0.1", port);
  } catch (const asyncio::ConnectionRefusedError& e) {
    trace::print("create_connection:", trace::type_name(e), e.code().value() == ECONNREFUSED);
  }
  trace::print("protocols made:", made);
  try {
    co_await asyncio::open_connection("127.0.0.1", port);
  } catch (const asyncio::OSError& e) {
    trace::print("open_connection:", trace::type_name(e), e.code().value() == ECONNREFUSED);
  }
  asyncio::ConnectionOptions options;
  options.local_addr = asyncio::HostPort("127.0.0.1", 0);
  try {
    co_await loop.create_connection([] { return std::make_shared<asyncio::Protocol>(); },
                                    "127.0.0.1", port, options);
  } catch (const asyncio::OSError& e) {
    trace::print("with local_addr:", trace::type_name(e), e.code().value() == ECONNREFUSED);
  }
}

int main() {
  asyncio::run(amain());
}
