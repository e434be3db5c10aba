// bench/raw_asio_echo_server: the raw Boost.Asio peer of asyncio-echo-server for benchmarks B9
// and B10. One io_context on one thread; per connection async_read_some into the session's
// buffer, async_write of what was read, read again.
//   raw_asio_echo_server --port=N
// Prints "ready" once it listens on 127.0.0.1:N; exits on SIGINT or SIGTERM.
//
// The read buffer is 256 KiB per connection, as much as asyncio-cpp's transports read per call
// (lib/selector_transport_base.hpp max_read); it is allocated with new[] and left untouched, so
// only the pages a read fills count in the server's RSS. TCP_NODELAY is set on each accepted
// socket, as asyncio transports do.
#include <boost/asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kBufferSize = 256 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket)
      : socket_(std::move(socket)), buffer_(new char[kBufferSize]) {}

  void start() {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    read();
  }

 private:
  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_.get(), kBufferSize),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (!ec) self->write(n);
        });
  }

  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buffer_.get(), n),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  tcp::socket socket_;
  std::unique_ptr<char[]> buffer_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket))->start();
    if (acceptor.is_open()) accept(acceptor);
  });
}

int parse_port(int argc, char** argv) {
  int port = -1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--port=", 0) == 0) {
      port = std::atoi(arg.c_str() + 7);
    } else {
      port = -1;
      break;
    }
  }
  if (port < 0) {
    std::fprintf(stderr, "usage: %s --port=N\n", argv[0]);
    std::exit(2);
  }
  return port;
}

}  // namespace

int main(int argc, char** argv) {
  int port = parse_port(argc, argv);
  asio::io_context io(1);
  tcp::acceptor acceptor(
      io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  accept(acceptor);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  std::puts("ready");
  std::fflush(stdout);
  io.run();
}
