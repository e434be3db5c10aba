// The exceptions and protocol factories of docs/02-porting-from-python.md, compiled and run:
// each fragment there is copied from this file (test/docs_snippets.py checks that they stay
// the same).
#include <asyncio/asyncio.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace {

// A loopback port nobody listens on: the one a server had, once it is closed.
asyncio::Coro<int> closed_port() {
  auto& loop = asyncio::get_running_loop();
  auto server = co_await loop.create_server([] { return std::make_shared<asyncio::Protocol>(); },
                                            "127.0.0.1", 0);
  int port = server->addresses().at(0).port;
  server->close();
  co_await server->wait_closed();
  co_return port;
}

asyncio::Coro<> forever() {
  while (true) co_await asyncio::sleep(3600);
}

// except ConnectionRefusedError:
asyncio::Coro<> connect_refused(int port) {
  try {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  } catch (const asyncio::ConnectionRefusedError& e) {
    std::cout << "refused, errno " << e.code().value() << "\n";
  } catch (const asyncio::OSError& e) {  // except OSError as e: ... e.errno
    if (e.code() != std::errc::connection_refused) throw;
  }
}

// except TimeoutError: before except OSError:, since a timeout is an OSError too.
asyncio::Coro<> timeout_is_an_os_error() {
  try {
    co_await asyncio::wait_for(forever(), 0.01);
  } catch (const asyncio::TimeoutError& e) {
    std::cout << "timed out; errno set: " << e.has_errno() << "\n";
  } catch (const asyncio::OSError& e) {
    std::cout << "some other OS error: " << e.what() << "\n";
  }
}

// A protocol whose factory shares state with the code that made the server.
struct Stats {
  int connections = 0;
  std::string last_message;
};

class Recorder : public asyncio::Protocol {
 public:
  Recorder(std::shared_ptr<Stats> stats, std::string greeting)
      : stats_(std::move(stats)), greeting_(std::move(greeting)) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> transport) override {
    ++stats_->connections;
    std::dynamic_pointer_cast<asyncio::Transport>(transport)->write(greeting_);
  }
  void data_received(std::string_view data) override { stats_->last_message = data; }

 private:
  std::shared_ptr<Stats> stats_;  // shared with the server's owner, as a Python object is
  std::string greeting_;
};

asyncio::Coro<> factory_with_state() {
  auto& loop = asyncio::get_running_loop();
  auto stats = std::make_shared<Stats>();
  std::string greeting = "hello\n";
  auto factory = [stats, greeting] { return std::make_shared<Recorder>(stats, greeting); };
  auto server = co_await loop.create_server(factory, "127.0.0.1", 0);
  int port = server->addresses().at(0).port;

  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  std::string line = co_await reader->readline();
  writer->write("bye");
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();  // every connection is gone: no Recorder runs any more
  std::cout << "greeted with " << line << "connections: " << stats->connections
            << ", last message: " << stats->last_message << "\n";
}

asyncio::Coro<> amain() {
  int port = co_await closed_port();
  co_await connect_refused(port);
  co_await timeout_is_an_os_error();
  co_await factory_with_state();
}

}  // namespace

int main() {
  asyncio::run(amain());
}
