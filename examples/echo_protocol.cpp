// An echo server and client with the protocol API: the port of echo_protocol.py.
#include <asyncio/asyncio.hpp>

#include <cstdio>
#include <string>

using asyncio::Coro;

class EchoServer : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> transport) override {
    transport_ = std::dynamic_pointer_cast<asyncio::Transport>(transport);
    std::printf("server: connection from a client\n");
  }
  void data_received(std::string_view data) override {
    std::printf("server: echoing %.*s\n", static_cast<int>(data.size()), data.data());
    transport_->write(data);
  }
  bool eof_received() override {
    std::printf("server: client sent EOF\n");
    return false;  // closes the transport, as returning None does
  }
  void connection_lost(std::exception_ptr) override { std::printf("server: connection closed\n"); }

 private:
  std::shared_ptr<asyncio::Transport> transport_;
};

class EchoClient : public asyncio::Protocol {
 public:
  EchoClient(std::string message, asyncio::Future<void> done)
      : message_(std::move(message)), done_(std::move(done)) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> transport) override {
    auto t = std::dynamic_pointer_cast<asyncio::Transport>(transport);
    t->write(message_);
    t->write_eof();  // the server answers, then closes
  }
  void data_received(std::string_view data) override { received_ += data; }
  void connection_lost(std::exception_ptr) override {
    std::printf("client: got back %s\n", received_.c_str());
    done_.set_result();
  }

 private:
  std::string message_;
  asyncio::Future<void> done_;
  std::string received_;
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto server =
      co_await loop.create_server([] { return std::make_shared<EchoServer>(); }, "127.0.0.1", 0);
  int port = server->addresses().at(0).port;
  auto done = loop.create_future<void>();
  auto client = [done] { return std::make_shared<EchoClient>("hello world", done); };
  co_await loop.create_connection(client, "127.0.0.1", port);
  co_await done;
  server->close();
  co_await server->wait_closed();
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  asyncio::run(amain());
}
