// A Boost.Asio server hands each accepted connection to a protocol ported from asyncio:
// the acceptor is plain Asio; the per-connection logic is an asyncio.Protocol, run by an
// asyncio loop that is a guest on the same io_context.
#include <asyncio/asyncio.hpp>

#include <boost/asio.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

// Ported as is from a Python server: upper-cases each line, "bye" ends the connection.
class ShoutProtocol : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport_ = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void data_received(std::string_view data) override {
    pending_ += data;
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      if (line == "bye") return transport_->close();
      for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      transport_->write(line + "\n");
    }
  }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::shared_ptr<asyncio::Transport> transport_;
  std::string pending_;
};

// A client written with asyncio streams, to show the server working.
asyncio::Coro<void> client(int port, asio::io_context& io) {
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  writer->write("hello asio\nbye\n");
  std::cout << "server said: " << co_await reader->readline();
  std::cout << "then EOF: " << (co_await reader->read()).empty() << std::endl;
  writer->close();
  io.stop();
}

int main() {
  asio::io_context io;
  asyncio::EventLoop loop(io);  // a guest: io.run() drives it
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor.async_accept([&](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    // Hand the connection over: the transport owns the fd from here on.
    auto adopt = loop.connect_accepted_socket([] { return std::make_shared<ShoutProtocol>(); },
                                              socket.release());
    loop.create_task(std::move(adopt));
  });
  loop.create_task(client(acceptor.local_endpoint().port(), io));
  io.run();
  loop.close();
}
