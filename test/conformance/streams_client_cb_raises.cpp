// Mirrors CPython test_streams.StreamTests.test_unhandled_exceptions: the client_connected_cb
// task's exception goes to the loop's exception handler with the message "Unhandled exception
// in client_connected_cb" and the transport is closed, so the client reads EOF. That is
// gh-110894, in CPython 3.12.1 and, backported, 3.11.7; the pair follows 3.11.7 and later, since
// 3.11.2 (Debian 12's python3) lacks it.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

Coro<void> handle(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  std::string line = co_await reader->readline();
  writer->write("got " + line);
  co_await writer->drain();
  throw std::invalid_argument("boom");
}

std::string describe(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::invalid_argument& e) {
    return std::string("ValueError ") + e.what();
  } catch (const std::exception& e) {
    return std::string("C++ exception ") + e.what();
  } catch (...) {
    return "unknown";
  }
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto reported = loop.create_future<std::string>();
  loop.set_exception_handler(
      [reported](asyncio::EventLoop&, const asyncio::ExceptionContext& context) mutable {
        reported.set_result(context.message + " / " + describe(context.exception));
      });
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  writer->write("hello\n");
  trace::print("reply:", bytes_repr(co_await reader->readline()));
  trace::print("handler:", co_await reported);
  trace::print("then EOF:", bytes_repr(co_await reader->read()));
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
