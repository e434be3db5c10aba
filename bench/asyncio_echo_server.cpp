// bench/asyncio-echo-server: echoes every TCP connection on 127.0.0.1, for load clients.
//   asyncio-echo-server --api=protocol|streams|buffered --port=N [--loops=K] [--pin]
// Prints "ready" once every loop listens; exits on SIGINT or SIGTERM. With K > 1 there are
// K loops on K threads sharing the port through SO_REUSEPORT.
//
// --pin (B11) pins loop i to the i-th CPU the server may use, and steers each new connection
// to the loop of the CPU that handles its SYN (a classic reuseport BPF program: socket index =
// CPU % K). On loopback that is the connecting thread's CPU, so a client thread pinned to
// CPU i is served by loop i with no cross-CPU wakeup. The loops bind in order, so that loop i
// holds socket index i of the reuseport group.
#include <asyncio/asyncio.hpp>

#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Config {
  std::string api = "protocol";
  int port = 0;
  int loops = 1;
  bool pin = false;
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

// The CPUs the process may use, read once: a pinned thread's own mask is one CPU, and the
// threads it starts inherit that.
const std::vector<int>& allowed_cpus() {
  static const std::vector<int> cpus = [] {
    std::vector<int> all;
    cpu_set_t allowed;
    if (::sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &allowed)) all.push_back(c);
    }
    return all;
  }();
  return cpus;
}

// Pins the calling thread to the index-th allowed CPU (wrapping around).
void pin_to_cpu(int index) {
  const auto& cpus = allowed_cpus();
  if (cpus.empty()) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpus[std::size_t(index) % cpus.size()], &one);
  ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one);
}

// New connections go to reuseport socket CPU % loops (see the header comment).
void steer_by_cpu(int listening_fd, int loops) {
  sock_filter code[] = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, std::uint32_t(SKF_AD_OFF + SKF_AD_CPU)},
      {BPF_ALU | BPF_MOD | BPF_K, 0, 0, std::uint32_t(loops)},
      {BPF_RET | BPF_A, 0, 0, 0},
  };
  sock_fprog program{static_cast<unsigned short>(std::size(code)), code};
  if (::setsockopt(listening_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program) !=
      0)
    std::perror("SO_ATTACH_REUSEPORT_CBPF");
}

struct Loops {
  explicit Loops(int k) : loops(std::size_t(k), nullptr) {}
  std::vector<asyncio::EventLoop*> loops;
  std::vector<std::thread> threads;
  void stop_all() {
    for (auto* l : loops)
      if (l != nullptr) l->call_soon_threadsafe([l] { l->stop(); });
  }
};

// One loop: bind, call `listening` on the loop's thread, serve until stopped.
template <class Listening>
void run_loop(const Config& c, Loops& all, int index, Listening&& listening) {
  if (c.pin) pin_to_cpu(index);
  asyncio::EventLoop loop;
  all.loops[std::size_t(index)] = &loop;
  auto server = loop.run_until_complete(start(c));
  listening(loop, *server);
  loop.run_forever();
  server->close();
  loop.close();
}

// Loop 0 (this thread) starts the others once it listens, one after another when pinned.
void run_all(const Config& c, Loops& all) {
  run_loop(c, all, 0, [&](asyncio::EventLoop& loop, asyncio::Server& server) {
    // Only this thread takes SIGINT and SIGTERM: the others start with them blocked.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::vector<std::promise<void>> bound(std::size_t(c.loops));
    std::vector<std::future<void>> listening;
    for (int i = 1; i < c.loops; ++i) {
      listening.push_back(bound[std::size_t(i)].get_future());
      all.threads.emplace_back([&c, &all, &bound, i] {
        run_loop(c, all, i,
                 [&](asyncio::EventLoop&, asyncio::Server&) { bound[std::size_t(i)].set_value(); });
      });
      if (c.pin) listening.back().wait();
    }
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
    for (auto& f : listening) f.wait();
    if (c.pin && c.loops > 1) steer_by_cpu(server.sockets().at(0), c.loops);
    loop.add_signal_handler(SIGINT, [&all] { all.stop_all(); });
    loop.add_signal_handler(SIGTERM, [&all] { all.stop_all(); });
    std::puts("ready");
    std::fflush(stdout);
  });
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
    else if (arg == "--pin")
      c.pin = true;
    else {
      std::fprintf(stderr,
                   "usage: %s --api=protocol|streams|buffered --port=N [--loops=K] [--pin]\n",
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
  allowed_cpus();  // before any thread is pinned
  Loops all(c.loops);
  run_all(c, all);
  for (auto& t : all.threads) t.join();
}
