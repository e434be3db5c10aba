// bench/echo_client: the load client of benchmarks B9-B11 (echo throughput) and B12 (memory
// per idle connection), driving any echo server on 127.0.0.1 (asyncio-echo-server,
// raw_asio_echo_server, echo_py.py). Raw non-blocking sockets and one level-triggered epoll
// loop on one thread, so that the client costs as little CPU as it can.
//
//   echo_client echo --port=N [--peer=NAME] [--conns=10] [--sizes=1024,10240,102400]
//                    [--seconds=2] [--warmup=0.5] [--server-pid=P] [--bench=B9]
//                    [--threads=1] [--pin]
//   echo_client idle --port=N [--peer=NAME] [--conns=1000] [--warm-conns=10] --server-pid=P
//
// echo: `conns` connections each ping-pong one message at a time (send the message, wait for
// the whole echo, check it byte for byte, send it again). For each size in turn: `warmup`
// seconds unmeasured, then `seconds` measured; requests completed in the measured window count.
// One JSON line per size: requests/s, payload bytes/s (one way), and, with --server-pid, the
// server's CPU time (all its threads, /proc/P/task/*/schedstat) per request. With --threads=K
// the connections are split over K client threads, each with its own epoll loop, and the
// line sums them; --pin pins thread i to the i-th CPU the client may use (B11: each client
// thread connects from its own CPU, which the multi-loop server steers to the loop there).
//
// idle: opens `warm-conns` connections and echoes one byte on each (the server's one-time
// costs), reads the server's VmRSS, opens `conns` more and echoes one byte on each (so the
// server has accepted each one and set it up), reads VmRSS again; one JSON line with the
// bytes per connection. The connections stay open (idle) until the line is printed.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void check_sys(bool ok, const char* what) {
  if (!ok) throw std::system_error(errno, std::system_category(), what);
}

struct Options {
  std::string mode;
  std::string peer = "unknown";
  int port = 0;
  int conns = -1;  // -1: the mode's default
  int warm_conns = 10;
  std::vector<std::size_t> sizes{1024, 10 * 1024, 100 * 1024};
  double seconds = 2.0;
  double warmup = 0.5;
  long server_pid = 0;
  std::string bench;  // the "bench" of the JSON lines; default B9 (echo) or B12 (idle)
  int threads = 1;
  bool pin = false;
};

// ---------------------------------------------------------------- the server's figures

// CPU time of every thread of `pid` in ns (schedstat's first field), or -1.
std::int64_t server_cpu_ns(long pid) {
  if (pid <= 0) return -1;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  std::int64_t total = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/schedstat");
    std::int64_t ns = 0;
    if (f >> ns) total += ns;
  }
  ::closedir(d);
  return total;
}

// VmRSS of `pid` in KiB, or -1.
long server_rss_kb(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// ---------------------------------------------------------------- sockets

int connect_to(int port, bool blocking) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check_sys(fd >= 0, "socket");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  check_sys(rc == 0, "connect");
  if (!blocking) check_sys(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == 0, "fcntl");
  return fd;
}

// Blocking: sends one byte and waits for its echo.
void echo_one_byte(int fd) {
  char out = 'x', in = 0;
  ssize_t r;
  do {
    r = ::send(fd, &out, 1, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  check_sys(r == 1, "send");
  do {
    r = ::recv(fd, &in, 1, 0);
  } while (r < 0 && errno == EINTR);
  if (r == 0) throw std::runtime_error("the server closed a connection");
  check_sys(r == 1 && in == out, "recv");
}

// ---------------------------------------------------------------- echo: ping-pong load

// What one client thread measured for one message size.
struct Window {
  long counted = 0;
  double wall = 0;
  double server_cpu_s = -1;  // the server's CPU time over this thread's window
  bool ok = false;
};

struct Conn {
  int fd = -1;
  std::size_t sent = 0;
  std::size_t received = 0;
  bool busy = false;      // a request is in flight
  bool want_out = false;  // EPOLLOUT is registered (the message did not fit at once)
};

class EchoLoad {
 public:
  EchoLoad(const Options& o) : o_(o), epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    check_sys(epfd_ >= 0, "epoll_create1");
    conns_.resize(static_cast<std::size_t>(o.conns));
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].fd = connect_to(o.port, false);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      check_sys(::epoll_ctl(epfd_, EPOLL_CTL_ADD, conns_[i].fd, &ev) == 0, "epoll_ctl");
    }
  }
  ~EchoLoad() {
    for (auto& c : conns_) ::close(c.fd);
    ::close(epfd_);
  }
  EchoLoad(const EchoLoad&) = delete;
  EchoLoad& operator=(const EchoLoad&) = delete;

  // One size: warm-up, measured window, then the requests in flight drain.
  Window run(std::size_t size) {
    size_ = size;
    msg_.resize(size);
    for (std::size_t i = 0; i < size; ++i)  // a pattern that a lost or shifted byte breaks
      msg_[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    scratch_.resize(size);
    mismatches_ = 0;
    auto t0 = Clock::now();
    auto window_start =
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.warmup));
    auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(o_.seconds));
    bool measuring = false;
    long counted = 0;
    std::int64_t cpu0 = -1;
    Clock::time_point measured_from{};
    for (auto& c : conns_) start_request(c);
    while (true) {
      auto now = Clock::now();
      if (!measuring && now >= window_start) {
        measuring = true;
        measured_from = now;
        cpu0 = server_cpu_ns(o_.server_pid);
      }
      if (now >= window_end) break;
      poll_once(100, [&](Conn& c) {
        if (measuring) ++counted;
        start_request(c);
      });
    }
    double wall = seconds_since(measured_from);
    std::int64_t cpu1 = server_cpu_ns(o_.server_pid);
    // Let the requests in flight finish, so that the next size starts on quiet connections.
    auto drain_start = Clock::now();
    while (in_flight() > 0 && seconds_since(drain_start) < 30.0) poll_once(100, [](Conn&) {});
    bool ok = counted > 0 && mismatches_ == 0 && in_flight() == 0;
    double server_cpu_s = cpu0 >= 0 && cpu1 >= 0 ? double(cpu1 - cpu0) * 1e-9 : -1.0;
    return {counted, wall, server_cpu_s, ok};
  }

 private:
  long in_flight() const {
    long n = 0;
    for (const auto& c : conns_) n += c.busy;
    return n;
  }

  void set_want_out(Conn& c, bool on) {
    if (c.want_out == on) return;
    c.want_out = on;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    check_sys(::epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev) == 0, "epoll_ctl");
  }

  void start_request(Conn& c) {
    c.sent = c.received = 0;
    c.busy = true;
    send_more(c);
  }

  void send_more(Conn& c) {
    while (c.sent < size_) {
      ssize_t r = ::send(c.fd, msg_.data() + c.sent, size_ - c.sent, MSG_NOSIGNAL);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        check_sys(false, "send");
      }
      c.sent += static_cast<std::size_t>(r);
    }
    set_want_out(c, c.sent < size_);
  }

  // One read per readiness report (level-triggered: epoll reports again what is left).
  // Returns true when the whole echo has arrived.
  bool receive(Conn& c) {
    std::size_t want = size_ - c.received;
    ssize_t r = ::recv(c.fd, scratch_.data(), want, 0);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return false;
      check_sys(false, "recv");
    }
    if (r == 0) throw std::runtime_error("the server closed a connection");
    if (!c.busy ||
        std::memcmp(scratch_.data(), msg_.data() + c.received, static_cast<std::size_t>(r)) != 0)
      ++mismatches_;
    c.received += static_cast<std::size_t>(r);
    return c.received == size_;
  }

  template <class OnDone>
  void poll_once(int timeout_ms, OnDone&& on_done) {
    epoll_event events[64];
    int n = ::epoll_wait(epfd_, events, 64, timeout_ms);
    if (n < 0 && errno == EINTR) return;
    check_sys(n >= 0, "epoll_wait");
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[events[i].data.u64];
      if ((events[i].events & EPOLLOUT) && c.sent < size_) send_more(c);
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (receive(c)) {
          c.busy = false;
          on_done(c);
        }
      }
    }
  }

  const Options& o_;
  int epfd_;
  std::vector<Conn> conns_;
  std::size_t size_ = 0;
  std::string msg_;
  std::string scratch_;
  long mismatches_ = 0;
};

void print_window(const Options& o, std::size_t size, const std::vector<Window>& parts) {
  Window sum;
  sum.ok = true;
  for (const Window& w : parts) {
    sum.counted += w.counted;
    sum.wall = std::max(sum.wall, w.wall);
    sum.ok = sum.ok && w.ok;
  }
  sum.server_cpu_s = parts.at(0).server_cpu_s;  // read over every server thread at once
  double rate = double(sum.counted) / sum.wall;
  std::printf(
      "{\"bench\":\"%s\",\"peer\":\"%s\",\"size\":%zu,\"conns\":%d,\"threads\":%d,"
      "\"n\":%ld,\"wall_s\":%.6f,\"rate\":%.1f,\"bytes_per_s\":%.1f,\"server_cpu_s\":%.6f,"
      "\"server_us_per_req\":%.3f,\"ok\":%s}\n",
      o.bench.c_str(), o.peer.c_str(), size, o.conns, o.threads, sum.counted, sum.wall, rate,
      rate * double(size), sum.server_cpu_s,
      sum.counted > 0 && sum.server_cpu_s >= 0 ? sum.server_cpu_s * 1e6 / double(sum.counted)
                                               : -1.0,
      sum.ok ? "true" : "false");
  std::fflush(stdout);
}

// Pins the calling thread to the index-th CPU it may run on (wrapping around).
void pin_to_cpu(int index) {
  cpu_set_t allowed;
  check_sys(::sched_getaffinity(0, sizeof allowed, &allowed) == 0, "sched_getaffinity");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpus[std::size_t(index) % cpus.size()], &one);
  check_sys(::pthread_setaffinity_np(::pthread_self(), sizeof one, &one) == 0, "setaffinity");
}

// Client thread `t`: its share of the connections, made from its own CPU when pinned.
void echo_thread(const Options& o, int t, std::barrier<>& sync, std::vector<Window>& out) {
  if (o.pin) pin_to_cpu(t);
  Options mine = o;
  mine.conns = o.conns / o.threads + (t < o.conns % o.threads ? 1 : 0);
  mine.server_pid = t == 0 ? o.server_pid : 0;
  EchoLoad load(mine);
  for (std::size_t i = 0; i < o.sizes.size(); ++i) {
    sync.arrive_and_wait();  // every thread connected, or done with the previous size
    out[i] = load.run(o.sizes[i]);
  }
}

int run_echo(const Options& o) {
  std::vector<std::vector<Window>> windows(std::size_t(o.threads),
                                           std::vector<Window>(o.sizes.size()));
  std::barrier<> sync(o.threads);
  std::vector<std::exception_ptr> errors(std::size_t(o.threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        echo_thread(o, t, sync, windows[std::size_t(t)]);
      } catch (...) {
        errors[std::size_t(t)] = std::current_exception();
        sync.arrive_and_drop();  // the other threads go on without this one
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  bool ok = true;
  for (std::size_t i = 0; i < o.sizes.size(); ++i) {
    std::vector<Window> parts;
    for (auto& w : windows) parts.push_back(w[i]);
    print_window(o, o.sizes[i], parts);
    for (const Window& w : parts) ok = ok && w.ok;
  }
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------- idle: memory per connection

int run_idle(const Options& o) {
  if (o.server_pid <= 0) throw std::invalid_argument("idle needs --server-pid");
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(o.warm_conns + o.conns));
  for (int i = 0; i < o.warm_conns; ++i) {
    fds.push_back(connect_to(o.port, true));
    echo_one_byte(fds.back());
  }
  long before = server_rss_kb(o.server_pid);
  for (int i = 0; i < o.conns; ++i) {
    fds.push_back(connect_to(o.port, true));
    echo_one_byte(fds.back());
  }
  long after = server_rss_kb(o.server_pid);
  bool ok = before > 0 && after > 0;
  double per_conn = double(after - before) * 1024.0 / double(o.conns);
  std::printf(
      "{\"bench\":\"%s\",\"peer\":\"%s\",\"n\":%d,\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,"
      "\"bytes_per_conn\":%.1f,\"ok\":%s}\n",
      o.bench.c_str(), o.peer.c_str(), o.conns, before, after, per_conn, ok ? "true" : "false");
  std::fflush(stdout);
  for (int fd : fds) ::close(fd);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------- driver

std::vector<std::size_t> parse_sizes(const std::string& s) {
  std::vector<std::size_t> sizes;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) sizes.push_back(std::stoul(item));
  if (sizes.empty()) throw std::invalid_argument("no --sizes");
  return sizes;
}

Options parse(int argc, char** argv) {
  if (argc < 2) throw std::invalid_argument("usage: echo_client <echo|idle> --port=N [options]");
  Options o;
  o.mode = argv[1];
  if (o.mode != "echo" && o.mode != "idle") throw std::invalid_argument("mode: echo or idle");
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--pin") {
      o.pin = true;
      continue;
    }
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos)
      throw std::invalid_argument("expected --key=value: " + arg);
    std::string key = arg.substr(2, eq - 2), v = arg.substr(eq + 1);
    if (key == "port")
      o.port = std::stoi(v);
    else if (key == "peer")
      o.peer = v;
    else if (key == "conns")
      o.conns = std::stoi(v);
    else if (key == "warm-conns")
      o.warm_conns = std::stoi(v);
    else if (key == "sizes")
      o.sizes = parse_sizes(v);
    else if (key == "seconds")
      o.seconds = std::stod(v);
    else if (key == "warmup")
      o.warmup = std::stod(v);
    else if (key == "server-pid")
      o.server_pid = std::stol(v);
    else if (key == "bench")
      o.bench = v;
    else if (key == "threads")
      o.threads = std::stoi(v);
    else
      throw std::invalid_argument("unknown option --" + key);
  }
  if (o.port <= 0) throw std::invalid_argument("--port=N is required");
  if (o.conns < 0) o.conns = o.mode == "echo" ? 10 : 1000;
  if (o.bench.empty()) o.bench = o.mode == "echo" ? "B9" : "B12";
  if (o.conns < 1) throw std::invalid_argument("--conns must be positive");
  if (o.threads < 1 || o.threads > o.conns)
    throw std::invalid_argument("--threads must be between 1 and --conns");
  return o;
}

// Room for the idle mode's connections.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse(argc, argv);
    raise_fd_limit();
    return o.mode == "echo" ? run_echo(o) : run_idle(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 2;
  }
}
