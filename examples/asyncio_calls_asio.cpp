// Tasks calling plain Boost.Asio operations with asyncio::use_future: a TCP exchange on
// 127.0.0.1 where both ends are Asio sockets awaited from asyncio tasks, a timer cancelled by
// asyncio.wait_for, then an HTTP request made with Boost.Beast to an asyncio streams server.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <iostream>
#include <string>

namespace asio = boost::asio;
namespace http = boost::beast::http;
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

// An HTTP server written as in Python: read the request head, answer with a fixed response.
asyncio::Coro<void> serve_http(std::shared_ptr<asyncio::StreamReader> reader,
                               std::shared_ptr<asyncio::StreamWriter> writer) {
  std::string head = co_await reader->readuntil("\r\n\r\n");
  std::cout << "server got: " << head.substr(0, head.find("\r\n")) << std::endl;
  std::string body = "hello from asyncio";
  writer->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

// The client side is Beast's: its composed operations, awaited through use_future.
asyncio::Coro<void> fetch_with_beast(tcp::endpoint server) {
  tcp::socket sock(asyncio::get_running_loop().io_context());
  co_await sock.async_connect(server, asyncio::use_future);
  http::request<http::string_body> req{http::verb::get, "/hello", 11};
  req.set(http::field::host, "127.0.0.1");
  co_await http::async_write(sock, req, asyncio::use_future);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(sock, buffer, res, asyncio::use_future);
  std::cout << "HTTP " << res.result_int() << " " << res.reason() << ": " << res.body()
            << std::endl;
}

asyncio::Coro<void> amain() {
  asio::io_context& io = asyncio::get_running_loop().io_context();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto server = asyncio::create_task(serve_once(acceptor));
  std::string reply = co_await ask(acceptor.local_endpoint(), "hello asio");
  co_await server;
  std::cout << "reply: " << reply << std::endl;
  co_await give_up_waiting();
  auto http_server = co_await asyncio::start_server(serve_http, "127.0.0.1", 0);
  int port = http_server->addresses().at(0).port;
  co_await fetch_with_beast(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  http_server->close();
  co_await http_server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
