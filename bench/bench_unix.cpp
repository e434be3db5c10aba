// Unix benchmarks B7 (spawn and wait for /bin/true, a few children in flight) and B8 (a signal
// sent to ourselves, to its handler: latency), for asyncio-cpp and raw POSIX peers.
// Same JSON lines as bench_core; bench/core_py.py runs them on CPython asyncio and uvloop.
//
//   bench_unix info
//   bench_unix B7 <pidfd|thread|spawn> [--n N] [--reps R] [--warmup-n N] [--inflight K]
//   bench_unix B8 <cpp|epoll> [--n N] [--reps R] [--warmup-n N]
//
// B7's "pidfd" and "thread" are asyncio-cpp with that child watcher (they set
// ASYNCIO_CPP_CHILD_WATCHER before the loop starts its first child).
#include <asyncio/asyncio.hpp>

#include <boost/version.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- measuring

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::int64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// CPU time of the children reaped so far (user + system).
std::int64_t children_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto ns = [](const timeval& tv) {
    return std::int64_t{tv.tv_sec} * 1'000'000'000 + std::int64_t{tv.tv_usec} * 1000;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

struct Stopwatch {
  std::int64_t wall0 = now_ns();
  std::int64_t cpu0 = cpu_ns();
  std::int64_t children0 = children_cpu_ns();
  double wall() const { return double(now_ns() - wall0) * 1e-9; }
  double cpu() const { return double(cpu_ns() - cpu0) * 1e-9; }
  double children_cpu() const { return double(children_cpu_ns() - children0) * 1e-9; }
};

// One repetition's figures: times for B7, latency percentiles for B8.
struct Sample {
  long n = 0;
  double wall_s = 0;
  double cpu_s = 0;           // the parent's CPU time, its threads included
  double children_cpu_s = 0;  // the children's, from exec to exit
  double p50_us = 0;
  double p99_us = 0;
  bool ok = true;
};

// Nearest-rank percentile, as core_py.py computes it.
double percentile_us(const std::vector<std::int64_t>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * double(sorted.size())));
  return double(sorted[std::max<std::size_t>(rank, 1) - 1]) * 1e-3;
}

Sample latency_sample(std::vector<std::int64_t> lat, long expected) {
  Sample s;
  s.n = static_cast<long>(lat.size());
  s.ok = s.n == expected && s.n > 0;
  if (s.n == 0) return s;
  std::sort(lat.begin(), lat.end());
  s.p50_us = percentile_us(lat, 0.50);
  s.p99_us = percentile_us(lat, 0.99);
  return s;
}

void check_sys(bool ok, const char* what) {
  if (!ok) throw std::system_error(errno, std::system_category(), what);
}

struct Options {
  std::string bench;
  std::string peer;
  long n = 0;  // 0: the benchmark's default
  int reps = 5;
  long warmup_n = -1;  // -1: n / 10
  long inflight = 8;
};

// ---------------------------------------------------------------- B7: spawn and wait

constexpr const char* kProgram = "/bin/true";

// Children started, and how many of them exited with status 0.
struct SpawnCount {
  long total;
  long started = 0;
  long succeeded = 0;
  bool take() { return started < total ? (++started, true) : false; }
  bool ok() const { return started == total && succeeded == total; }
};

asyncio::Coro<void> spawner(SpawnCount& count) {
  asyncio::SubprocessOptions options;
  options.stdin_ = options.stdout_ = options.stderr_ = asyncio::DEVNULL;
  while (count.take()) {
    asyncio::Process proc = co_await asyncio::create_subprocess_exec(kProgram, options);
    int rc = co_await proc.wait();
    if (rc == 0 && proc.returncode() == 0) ++count.succeeded;
  }
}

asyncio::Coro<void> spawn_all(SpawnCount& count, long inflight) {
  std::vector<asyncio::Task<void>> workers;
  for (long i = 0; i < inflight; ++i) workers.push_back(asyncio::create_task(spawner(count)));
  co_await asyncio::gather(workers);
}

Sample b7_cpp(const Options& o, long n) {
  asyncio::EventLoop loop;
  SpawnCount count{n};
  Stopwatch sw;
  loop.run_until_complete(spawn_all(count, o.inflight));
  Sample s{n, sw.wall(), sw.cpu(), sw.children_cpu()};
  s.ok = count.ok();
  return s;
}

// posix_spawn the same way: /dev/null on 0-2, no other fd inherited.
class RawSpawner {
 public:
  RawSpawner() {
    devnull_ = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    check_sys(devnull_ >= 0, "open /dev/null");
    posix_spawn_file_actions_init(&fa_);
    for (int fd = 0; fd < 3; ++fd) posix_spawn_file_actions_adddup2(&fa_, devnull_, fd);
    posix_spawn_file_actions_addclosefrom_np(&fa_, 3);
  }
  ~RawSpawner() {
    posix_spawn_file_actions_destroy(&fa_);
    ::close(devnull_);
  }
  RawSpawner(const RawSpawner&) = delete;
  RawSpawner& operator=(const RawSpawner&) = delete;

  pid_t spawn() {
    char* argv[] = {const_cast<char*>(kProgram), nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, kProgram, &fa_, nullptr, argv, environ);
    if (rc != 0) throw std::system_error(rc, std::system_category(), "posix_spawn");
    return pid;
  }

 private:
  int devnull_ = -1;
  posix_spawn_file_actions_t fa_;
};

bool reaped_ok(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Spawns `inflight` children, then waits for each slot in turn and refills it.
Sample b7_spawn(const Options& o, long n) {
  RawSpawner spawner;
  SpawnCount count{n};
  std::vector<pid_t> slots(static_cast<std::size_t>(o.inflight), -1);
  Stopwatch sw;
  for (pid_t& pid : slots)
    if (count.take()) pid = spawner.spawn();
  for (bool running = true; running;) {
    running = false;
    for (pid_t& pid : slots) {
      if (pid < 0) continue;
      if (reaped_ok(pid)) ++count.succeeded;
      pid = count.take() ? spawner.spawn() : -1;
      running = running || pid >= 0;
    }
  }
  Sample s{n, sw.wall(), sw.cpu(), sw.children_cpu()};
  s.ok = count.ok();
  return s;
}

// ---------------------------------------------------------------- B8: signal latency

constexpr int kSignal = SIGUSR1;

asyncio::Coro<void> send_signals(asyncio::EventLoop& loop, long n, std::vector<std::int64_t>& lat,
                                 std::optional<asyncio::Future<void>>& arrived, std::int64_t& t1) {
  for (long i = 0; i < n; ++i) {
    arrived = loop.create_future<void>();
    std::int64_t t0 = now_ns();
    check_sys(::kill(::getpid(), kSignal) == 0, "kill");
    co_await *arrived;
    lat.push_back(t1 - t0);
  }
}

Sample b8_cpp(const Options&, long n) {
  asyncio::EventLoop loop;
  std::vector<std::int64_t> lat;
  lat.reserve(n);
  std::optional<asyncio::Future<void>> arrived;
  std::int64_t t1 = 0;
  long unexpected = 0;  // a signal with no send waiting for it
  loop.add_signal_handler(kSignal, [&] {
    t1 = now_ns();
    if (arrived && !arrived->done())
      arrived->set_result();
    else
      ++unexpected;
  });
  loop.run_until_complete(send_signals(loop, n, lat, arrived, t1));
  loop.remove_signal_handler(kSignal);
  Sample s = latency_sample(std::move(lat), n);
  s.ok = s.ok && unexpected == 0;
  return s;
}

// The raw peer: a handler writing a byte to a non-blocking pipe, read by an epoll loop.
int raw_signal_fd = -1;

extern "C" void raw_on_signal(int sig) {
  int saved = errno;
  auto byte = static_cast<std::uint8_t>(sig);
  ssize_t r;
  do {
    r = ::write(raw_signal_fd, &byte, 1);
  } while (r < 0 && errno == EINTR);
  errno = saved;
}

Sample b8_epoll(const Options&, long n) {
  int fds[2];
  check_sys(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2");
  raw_signal_fd = fds[1];
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = raw_on_signal;
  sigfillset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  check_sys(::sigaction(kSignal, &action, &previous) == 0, "sigaction");
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  check_sys(epfd >= 0, "epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fds[0];
  check_sys(::epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev) == 0, "epoll_ctl");

  std::vector<std::int64_t> lat;
  lat.reserve(n);
  long unexpected = 0;
  std::int64_t t0 = now_ns();
  check_sys(::kill(::getpid(), kSignal) == 0, "kill");
  while (static_cast<long>(lat.size()) < n) {
    epoll_event got{};
    if (::epoll_wait(epfd, &got, 1, -1) != 1) continue;  // EINTR
    std::uint8_t buf[64];
    ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r <= 0) continue;
    std::int64_t t1 = now_ns();  // the "callback"
    unexpected += r - 1;
    lat.push_back(t1 - t0);
    if (static_cast<long>(lat.size()) < n) {
      t0 = now_ns();
      check_sys(::kill(::getpid(), kSignal) == 0, "kill");
    }
  }
  ::sigaction(kSignal, &previous, nullptr);
  ::close(epfd);
  ::close(fds[0]);
  ::close(fds[1]);
  raw_signal_fd = -1;
  Sample s = latency_sample(std::move(lat), n);
  s.ok = s.ok && unexpected == 0;
  return s;
}

// ---------------------------------------------------------------- driver

using Runner = Sample (*)(const Options&, long);

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> table{
      {"B7/pidfd", b7_cpp}, {"B7/thread", b7_cpp},  {"B7/spawn", b7_spawn},
      {"B8/cpp", b8_cpp},   {"B8/epoll", b8_epoll},
  };
  return table;
}

long default_n(const std::string& bench) {
  return bench == "B7" ? 2'000 : 5'000;
}

std::string peer_name(const std::string& peer) {
  if (peer == "pidfd" || peer == "thread") return "asyncio-cpp (" + peer + ")";
  if (peer == "cpp") return "asyncio-cpp";
  return peer == "spawn" ? "posix_spawn" : "epoll";
}

void print_sample(const Options& o, const Sample& s) {
  const char* ok = s.ok ? "true" : "false";
  std::string peer = peer_name(o.peer);
  if (o.bench == "B8") {
    std::printf(
        "{\"bench\":\"B8\",\"peer\":\"%s\",\"n\":%ld,\"p50_us\":%.3f,\"p99_us\":%.3f,\"ok\":%s}\n",
        peer.c_str(), s.n, s.p50_us, s.p99_us, ok);
  } else {
    std::printf(
        "{\"bench\":\"B7\",\"peer\":\"%s\",\"n\":%ld,\"inflight\":%ld,\"wall_s\":%.6f,"
        "\"cpu_s\":%.6f,\"children_cpu_s\":%.6f,\"rate\":%.1f,\"ok\":%s}\n",
        peer.c_str(), s.n, o.inflight, s.wall_s, s.cpu_s, s.children_cpu_s, double(s.n) / s.wall_s,
        ok);
  }
  std::fflush(stdout);
}

void print_info() {
#if defined(__clang__)
  const char* compiler = "clang";
#elif defined(__GNUC__)
  const char* compiler = "gcc";
#else
  const char* compiler = "unknown";
#endif
  std::printf("{\"compiler\":\"%s %s\",\"boost\":\"%d.%d.%d\"}\n", compiler, __VERSION__,
              BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
}

Options parse(int argc, char** argv) {
  if (argc < 3) throw std::invalid_argument("usage: bench_unix <B7|B8> <peer> [options]");
  Options o;
  o.bench = argv[1];
  o.peer = argv[2];
  for (int i = 3; i < argc; i += 2) {
    std::string key = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + key);
    const char* v = argv[i + 1];
    if (key == "--n")
      o.n = std::atol(v);
    else if (key == "--reps")
      o.reps = std::atoi(v);
    else if (key == "--warmup-n")
      o.warmup_n = std::atol(v);
    else if (key == "--inflight")
      o.inflight = std::max(std::atol(v), 1L);
    else
      throw std::invalid_argument("unknown option " + key);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "info") {
    print_info();
    return 0;
  }
  try {
    Options o = parse(argc, argv);
    auto it = runners().find(o.bench + "/" + o.peer);
    if (it == runners().end())
      throw std::invalid_argument("unknown benchmark " + o.bench + "/" + o.peer);
    if (o.bench == "B7" && o.peer != "spawn")  // read when the loop starts its first child
      ::setenv("ASYNCIO_CPP_CHILD_WATCHER", o.peer.c_str(), 1);
    long n = o.n > 0 ? o.n : default_n(o.bench);
    long warmup = o.warmup_n >= 0 ? o.warmup_n : std::max(n / 10, 1L);
    if (warmup > 0) it->second(o, warmup);
    int rc = 0;
    for (int r = 0; r < o.reps; ++r) {
      Sample s = it->second(o, n);
      print_sample(o, s);
      if (!s.ok) rc = 1;
    }
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_unix: %s\n", e.what());
    return 2;
  }
}
