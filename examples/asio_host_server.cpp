// A plain Boost.Asio TCP echo server whose io_context also carries an asyncio loop:
// the loop's call_later ticks and a worker thread's call_soon_threadsafe reports run
// beside the server's own handlers, all on one io_context and one thread.
#include <asyncio/asyncio.hpp>

#include <boost/asio.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <thread>

namespace asio = boost::asio;
using asio::ip::tcp;

// The server: ordinary Asio code that knows nothing about asyncio.
class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  explicit EchoSession(tcp::socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(data_),
                            [self = shared_from_this()](auto ec, std::size_t n) {
                              if (!ec) self->write(n);
                            });
  }
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(data_, n),
                      [self = shared_from_this()](auto ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }
  tcp::socket socket_;
  char data_[1024];
};

void accept_loop(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](auto ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<EchoSession>(std::move(socket))->start();
    accept_loop(acceptor);
  });
}

int main() {
  asio::io_context io;
  asyncio::EventLoop loop(io);  // the loop shares the server's io_context

  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  accept_loop(acceptor);
  auto port = acceptor.local_endpoint().port();
  std::cout << "echo server listening on 127.0.0.1:" << port << std::endl;

  // asyncio side: a ticking timer and a finish line, as a ported program would have them.
  int ticks = 0;
  bool echoes_done = false;
  auto maybe_finish = [&] {
    if (ticks < 3 || !echoes_done) return;
    std::cout << "server closed after 3 echoes" << std::endl;
    io.stop();
  };
  std::function<void()> tick = [&] {
    std::cout << "tick " << ++ticks << "\n";
    if (ticks < 3) loop.call_later(0.01, tick);
    maybe_finish();
  };
  loop.call_later(0.01, tick);

  // A worker thread: a blocking client that reports each echo back to the loop.
  std::thread worker([&loop, &echoes_done, &maybe_finish, port] {
    asio::io_context client_io;
    tcp::socket client(client_io);
    client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    for (int i = 1; i <= 3; ++i) {
      std::string line = "message " + std::to_string(i);
      asio::write(client, asio::buffer(line));
      std::string echo(line.size(), '\0');
      asio::read(client, asio::buffer(echo));
      loop.call_soon_threadsafe([echo] { std::cout << "worker got echo: " << echo << "\n"; });
    }
    loop.call_soon_threadsafe([&echoes_done, &maybe_finish] {
      echoes_done = true;
      maybe_finish();
    });
  });

  io.run();  // the host drives: server handlers and loop callbacks interleave
  worker.join();
  loop.close();
}
