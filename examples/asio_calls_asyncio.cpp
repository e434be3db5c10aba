// A plain Boost.Asio server whose sessions are asio::awaitable coroutines, calling a ported
// asyncio coroutine through asyncio::async_run. The loop is a guest of the server's
// io_context; a client in the same program sends a few lines and prints the replies. Last, a
// request that takes too long is abandoned: Asio cancels the operation (awaitable_operators'
// `||` against a timer), which cancels the asyncio task.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <cctype>
#include <chrono>
#include <exception>
#include <iostream>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

// ---- the ported asyncio side

asyncio::Coro<std::string> shout(std::string line) {
  co_await asyncio::sleep(0.01);
  for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  co_return line;
}

// Answers a line within a budget, as the Python original did with asyncio.wait_for.
asyncio::Coro<std::string> handle(std::string line) {
  try {
    co_return co_await asyncio::wait_for(shout(std::move(line)), 1.0);
  } catch (const asyncio::TimeoutError&) {
    co_return "(timed out)";
  }
}

asyncio::Coro<int> slow_answer() {
  try {
    co_await asyncio::sleep(3600);
  } catch (const asyncio::CancelledError&) {
    std::cout << "task: cancelled by Asio" << std::endl;
    throw;
  }
  co_return 42;
}

// ---- the Asio side

asio::awaitable<void> session(tcp::socket peer, asyncio::EventLoop& loop) {
  std::string buffer;
  try {
    for (;;) {
      std::size_t n = co_await asio::async_read_until(peer, asio::dynamic_buffer(buffer), '\n',
                                                      asio::use_awaitable);
      std::string line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
      std::string reply = co_await asyncio::async_run(loop, handle(line), asio::use_awaitable);
      co_await asio::async_write(peer, asio::buffer(reply + "\n"), asio::use_awaitable);
    }
  } catch (const boost::system::system_error&) {  // the client hung up (eof)
  }
}

asio::awaitable<void> serve(tcp::acceptor& acceptor, asyncio::EventLoop& loop) {
  for (;;) {
    tcp::socket peer = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), session(std::move(peer), loop), asio::detached);
  }
}

asio::awaitable<void> client(tcp::endpoint server) {
  tcp::socket sock(co_await asio::this_coro::executor);
  co_await sock.async_connect(server, asio::use_awaitable);
  std::string buffer;
  for (std::string line : {"hello", "asyncio from asio", "bye"}) {
    co_await asio::async_write(sock, asio::buffer(line + "\n"), asio::use_awaitable);
    std::size_t n = co_await asio::async_read_until(sock, asio::dynamic_buffer(buffer), '\n',
                                                    asio::use_awaitable);
    std::cout << "reply: " << buffer.substr(0, n - 1) << std::endl;
    buffer.erase(0, n);
  }
}

// The timer wins the race: `||` cancels the other branch, whose slot cancels the task.
asio::awaitable<void> give_up_on_slow_task(asyncio::EventLoop& loop) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
  auto winner = co_await (asyncio::async_run(loop, slow_answer(), asio::use_awaitable) ||
                          timer.async_wait(asio::use_awaitable));
  std::cout << "asio: gave up after the timer (branch " << winner.index() << ")" << std::endl;
}

int main() {
  asio::io_context io;
  asyncio::EventLoop loop(io);  // a guest: io.run() drives it
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(io, serve(acceptor, loop), asio::detached);
  auto program = [&]() -> asio::awaitable<void> {
    co_await client(acceptor.local_endpoint());
    co_await give_up_on_slow_task(loop);
  };
  asio::co_spawn(io, program(), [&](std::exception_ptr error) {
    if (error) std::cout << "client failed" << std::endl;
    acceptor.close();  // ends serve()
    loop.close();      // the open loop is the host's work: io.run() may now return
  });
  io.run();
  std::cout << "server done" << std::endl;
}
