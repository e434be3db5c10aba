// Mirrors CPython test_waitfor.AsyncioWaitForTest.test_wait_for and
// test_wait_for_with_global_loop: wait_for around an operation that does not finish in time
// raises TimeoutError and cancels the operation's future; one that finishes in time gives its
// result. Here the operations are a boost::asio::steady_timer's async_wait and a local
// socket's async_read_some, through asyncio::use_future, where the .py file awaits a future
// set by call_later and loop.sock_recv. wait_for's timeout cancels the Asio operation
// (cancellation_type::terminal) and returns once it has answered.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <string>

#include "trace.hpp"

namespace asio = boost::asio;
using asyncio::Coro;
using asyncio::use_future;

Coro<> amain() {
  auto& io = asyncio::get_running_loop().io_context();
  asio::steady_timer timer(io, std::chrono::hours(1));
  auto waited = timer.async_wait(use_future);
  try {
    co_await asyncio::wait_for(waited, 0.01);
  } catch (const asyncio::TimeoutError& e) {
    trace::print("timer:", trace::type_name(e), "cancelled:", waited.cancelled());
  }

  asio::local::stream_protocol::socket a(io), b(io);
  asio::local::connect_pair(a, b);
  char data[100];
  try {
    co_await asyncio::wait_for(a.async_read_some(asio::buffer(data), use_future), 0.01);
  } catch (const asyncio::TimeoutError& e) {
    trace::print("recv:", trace::type_name(e));
  }
  asio::write(b, asio::buffer("late data", 9));
  std::size_t n = co_await asyncio::wait_for(a.async_read_some(asio::buffer(data), use_future), 10);
  trace::print("recv in time:", std::string(data, n));
  a.close();
  b.close();
}

int main() {
  asyncio::run(amain());
}
