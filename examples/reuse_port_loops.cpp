// Scaling out: N event loops on N threads serve one port through SO_REUSEPORT, and the
// kernel spreads the connections over them. Each loop is an ordinary asyncio loop.
#include <asyncio/asyncio.hpp>

#include <atomic>
#include <iostream>
#include <latch>
#include <thread>
#include <vector>

constexpr int loops = 4;
constexpr int connections = 200;
std::atomic<int> served{0};

asyncio::Coro<void> greet(std::shared_ptr<asyncio::StreamReader> reader,
                          std::shared_ptr<asyncio::StreamWriter> writer) {
  std::string name = co_await reader->readline();
  writer->write("hello " + name);
  co_await writer->drain();
  writer->close();
  served.fetch_add(1);
}

// One server loop: serves until the main thread stops it.
void serve(int port, std::latch& listening, asyncio::EventLoop*& self) {
  asyncio::EventLoop loop;
  self = &loop;
  asyncio::ServerOptions options;
  options.reuse_port = true;
  auto server = loop.run_until_complete(asyncio::start_server(greet, "127.0.0.1", port, options));
  listening.count_down();
  loop.run_forever();
  server->close();
  loop.close();
}

asyncio::Coro<int> clients(int port) {
  int answered = 0;
  for (int i = 0; i < connections; ++i) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer->write("client\n");
    if (co_await reader->readline() == "hello client\n") ++answered;
    writer->close();
    co_await writer->wait_closed();
  }
  co_return answered;
}

int main() {
  // Pick a free port with a throwaway listener, then let every loop bind it.
  asyncio::EventLoop probe_loop;
  auto probe = probe_loop.run_until_complete(probe_loop.create_server(
      [] { return std::make_shared<asyncio::Protocol>(); }, "127.0.0.1", 0));
  int port = probe->addresses().at(0).port;
  probe->close();
  probe_loop.close();

  std::latch listening(loops);
  std::vector<asyncio::EventLoop*> servers(loops, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < loops; ++i)
    threads.emplace_back(serve, port, std::ref(listening), std::ref(servers[i]));
  listening.wait();

  int answered = asyncio::run(clients(port));
  for (auto* loop : servers) loop->call_soon_threadsafe([loop] { loop->stop(); });
  for (auto& t : threads) t.join();
  std::cout << loops << " loops on one port answered " << answered << " of " << connections
            << " connections (" << served.load() << " served)" << std::endl;
}
