// Tasks calling plain Boost.Asio operations with asyncio::use_future: a TCP exchange on
// 127.0.0.1 where both ends are Asio sockets awaited from asyncio tasks, then a timer
// cancelled by asyncio.wait_for.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio.hpp>

#include <cctype>
#include <chrono>
#include <iostream>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

// Accepts one connection and answers its message upper-cased.
asyncio::Coro<void> serve_once(tcp::acceptor& acceptor) {
  tcp::socket peer(acceptor.get_executor());
  co_await acceptor.async_accept(peer, asyncio::use_future);
  char data[64];
  std::size_t n = co_await peer.async_read_some(asio::buffer(data), asyncio::use_future);
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>(std::toupper(data[i]));
  co_await asio::async_write(peer, asio::buffer(data, n), asyncio::use_future);
}

asyncio::Coro<std::string> ask(tcp::endpoint server, std::string message) {
  tcp::socket sock(asyncio::get_running_loop().io_context());
  co_await sock.async_connect(server, asyncio::use_future);
  co_await asio::async_write(sock, asio::buffer(message), asyncio::use_future);
  std::string reply(message.size(), '\0');
  co_await asio::async_read(sock, asio::buffer(reply), asyncio::use_future);
  co_return reply;
}

// Cancelling the future cancels the Asio operation: wait_for's timeout tells the timer to
// stop (cancellation_type::terminal) and raises TimeoutError once the timer has answered.
asyncio::Coro<void> give_up_waiting() {
  asio::steady_timer timer(asyncio::get_running_loop().io_context(), std::chrono::hours(1));
  try {
    co_await asyncio::wait_for(timer.async_wait(asyncio::use_future), 0.01);
  } catch (const asyncio::TimeoutError&) {
    std::cout << "timer abandoned after the timeout" << std::endl;
  }
}

asyncio::Coro<void> amain() {
  asio::io_context& io = asyncio::get_running_loop().io_context();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto server = asyncio::create_task(serve_once(acceptor));
  std::string reply = co_await ask(acceptor.local_endpoint(), "hello asio");
  co_await server;
  std::cout << "reply: " << reply << std::endl;
  co_await give_up_waiting();
}

int main() {
  asyncio::run(amain());
}
