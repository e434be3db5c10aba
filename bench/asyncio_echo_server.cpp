// bench/asyncio-echo-server: echoes every TCP connection on 127.0.0.1, for load clients.
//   asyncio-echo-server --api=protocol|streams|buffered --port=N [--loops=K]
// Prints "ready" once every loop listens; exits on SIGINT or SIGTERM. With K > 1 there are
// K loops on K threads sharing the port through SO_REUSEPORT.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Config {
  std::string api = "protocol";
  int port = 0;
  int loops = 1;
};

class EchoProtocol : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport_ = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void data_received(std::string_view data) override { transport_->write(data); }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::shared_ptr<asyncio::Transport> transport_;
};

class EchoBufferedProtocol : public asyncio::BufferedProtocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport_ = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  std::span<char> get_buffer(std::ptrdiff_t) override { return {buffer_.get(), size}; }
  void buffer_updated(std::size_t n) override {
    transport_->write(std::string_view(buffer_.get(), n));
  }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::shared_ptr<asyncio::Transport> transport_;
  static constexpr std::size_t size = 256 * 1024;
  // Uninitialised: an idle connection touches no page of it.
  std::unique_ptr<char[]> buffer_{new char[size]};
};

asyncio::Coro<void> echo_stream(std::shared_ptr<asyncio::StreamReader> reader,
                                std::shared_ptr<asyncio::StreamWriter> writer) {
  while (true) {
    std::string data = co_await reader->read(256 * 1024);
    if (data.empty()) break;
    writer->write(data);
    co_await writer->drain();
  }
  writer->close();
}

asyncio::Coro<std::shared_ptr<asyncio::Server>> start(const Config& c) {
  asyncio::ServerOptions options;
  options.reuse_port = c.loops > 1;
  if (c.api == "streams")
    co_return co_await asyncio::start_server(echo_stream, "127.0.0.1", c.port, options);
  auto& loop = asyncio::get_running_loop();
  if (c.api == "buffered")
    co_return co_await loop.create_server([] { return std::make_shared<EchoBufferedProtocol>(); },
                                          "127.0.0.1", c.port, options);
  co_return co_await loop.create_server([] { return std::make_shared<EchoProtocol>(); },
                                        "127.0.0.1", c.port, options);
}

// One loop: serve until SIGINT/SIGTERM (the main loop) or until stop() (the others).
void run_loop(const Config& c, bool handles_signals, std::latch& listening,
              std::vector<asyncio::EventLoop*>& loops, int index) {
  asyncio::EventLoop loop;
  loops[index] = &loop;
  auto server = loop.run_until_complete(start(c));
  listening.count_down();
  if (handles_signals) {
    auto stop_all = [&loops] {
      for (auto* l : loops)
        if (l != nullptr) l->call_soon_threadsafe([l] { l->stop(); });
    };
    loop.add_signal_handler(SIGINT, stop_all);
    loop.add_signal_handler(SIGTERM, stop_all);
  }
  loop.run_forever();
  server->close();
  loop.close();
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--api=", 0) == 0)
      c.api = arg.substr(6);
    else if (arg.rfind("--port=", 0) == 0)
      c.port = std::atoi(arg.c_str() + 7);
    else if (arg.rfind("--loops=", 0) == 0)
      c.loops = std::atoi(arg.c_str() + 8);
    else {
      std::fprintf(stderr, "usage: %s --api=protocol|streams|buffered --port=N [--loops=K]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if ((c.api != "protocol" && c.api != "streams" && c.api != "buffered") || c.loops < 1) {
    std::fprintf(stderr, "bad --api or --loops\n");
    std::exit(2);
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Config c = parse(argc, argv);
  // Block the signals in every thread but the main loop's, so that they reach its handlers.
  std::latch listening(c.loops);
  std::vector<asyncio::EventLoop*> loops(static_cast<std::size_t>(c.loops), nullptr);
  std::vector<std::thread> threads;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  for (int i = 1; i < c.loops; ++i)
    threads.emplace_back([&, i] { run_loop(c, false, listening, loops, i); });
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  std::thread announce([&] {
    listening.wait();
    std::puts("ready");
    std::fflush(stdout);
  });
  run_loop(c, true, listening, loops, 0);
  announce.join();
  for (auto& t : threads) t.join();
}
