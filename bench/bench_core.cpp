// Core-loop benchmarks B1-B4 for asyncio-cpp and its raw C++ peers, and B15, B1 with the
// loop's stats off and on (see docs/06-benchmarks.md).
//
//   bench_core info
//   bench_core <B1|B2|B3|B4> <cpp|asio|epoll> [--n N] [--reps R] [--warmup-n N] [--chains C]
//              [--threads T] [--warmup-pings P] [--idle-us U] [--span S] [--seed X]
//              [--pending K]
//
// B2 --pending K: the N timers run in batches of K pending at once (each batch: K timers,
// half cancelled, run until the rest fired); 0, the default, is one batch of all N.
//   bench_core B15 <stats-off|stats-on> [--n N] [--reps R] [--chains C]
//
// After an unprinted warm-up run, each repetition prints one JSON line. bench/core_py.py
// runs the same workloads on CPython asyncio and uvloop and prints the same lines.
#include <asyncio/events.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/version.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
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

struct Stopwatch {
  std::int64_t wall0 = now_ns();
  std::int64_t cpu0 = cpu_ns();
  double wall() const { return double(now_ns() - wall0) * 1e-9; }
  double cpu() const { return double(cpu_ns() - cpu0) * 1e-9; }
};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// One repetition's figures: times for B1, B2, B4; latency percentiles for B3.
struct Sample {
  long n = 0;
  double wall_s = 0;
  double cpu_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  bool ok = true;
};

Sample finish(const Stopwatch& sw, long n, bool ok) {
  Sample s;
  s.wall_s = sw.wall();
  s.cpu_s = sw.cpu();
  s.n = n;
  s.ok = ok;
  return s;
}

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

struct Options {
  std::string bench;
  std::string peer;
  long n = 0;  // 0: the benchmark's default
  int reps = 5;
  long warmup_n = -1;  // -1: n / 10
  long chains = 1000;
  int threads = 4;
  long warmup_pings = 200;
  long idle_us = 200;
  double span = 0.05;
  std::uint64_t seed = 20240601;
  long pending = 0;  // B2: timers per batch; 0: all n at once
};

// ---------------------------------------------------------------- B1: call_soon chains

struct ChainCount {
  long total;
  long ran = 0;
  long scheduled = 0;
  // Whether one more callback may be scheduled; counts it if so.
  bool take() { return scheduled < total ? (++scheduled, true) : false; }
};

Sample b1_loop(const Options& o, long n, bool stats) {
  asyncio::EventLoop loop;
  loop.set_stats(stats);
  struct State {
    asyncio::EventLoop& loop;
    ChainCount c;
  } s{loop, {n}};
  struct Step {
    State* s;
    void operator()() const {
      if (s->c.take()) s->loop.call_soon(*this);
      if (++s->c.ran == s->c.total) s->loop.stop();
    }
  };
  Stopwatch sw;
  for (long i = 0; i < o.chains && s.c.take(); ++i) loop.call_soon(Step{&s});
  loop.run_forever();
  bool counted = !stats || loop.stats().callbacks == static_cast<std::uint64_t>(n);
  return finish(sw, n, s.c.ran == n && counted);
}

Sample b1_cpp(const Options& o, long n) {
  return b1_loop(o, n, false);
}

// B15: B1's chains with loop.stats() counting, against the same without (docs/06: the cost).
Sample b15_off(const Options& o, long n) {
  return b1_loop(o, n, false);
}
Sample b15_on(const Options& o, long n) {
  return b1_loop(o, n, true);
}

Sample b1_asio(const Options& o, long n) {
  asio::io_context io(1);
  struct State {
    asio::io_context& io;
    ChainCount c;
  } s{io, {n}};
  struct Step {
    State* s;
    void operator()() const {
      if (s->c.take()) asio::post(s->io, *this);
      ++s->c.ran;
    }
  };
  Stopwatch sw;
  for (long i = 0; i < o.chains && s.c.take(); ++i) asio::post(io, Step{&s});
  io.run();
  return finish(sw, n, s.c.ran == n);
}

// ---------------------------------------------------------------- B2: timers, half cancelled

// splitmix64: tiny, and easy to reproduce bit for bit in core_py.py.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
};

// The same delays and the same cancelled half, in the same order, for every peer.
struct TimerPlan {
  std::vector<double> delays;
  std::vector<std::uint32_t> cancel_order;
  std::vector<char> cancelled;
  long expected = 0;  // timers that must fire
};

TimerPlan make_plan(long n, double span, std::uint64_t seed) {
  SplitMix64 rng{seed};
  TimerPlan p;
  p.delays.resize(n);
  for (double& d : p.delays) d = rng.unit() * span;
  std::vector<std::uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  for (long i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.next() % std::uint64_t(i + 1)]);
  perm.resize(n / 2);
  p.cancelled.assign(n, 0);
  for (std::uint32_t i : perm) p.cancelled[i] = 1;
  p.cancel_order = std::move(perm);
  p.expected = n - n / 2;
  return p;
}

struct FireCount {
  const TimerPlan& plan;
  long fired = 0;
  long wrong = 0;  // cancelled timers that fired anyway
  void fire(std::uint32_t i) {
    ++fired;
    wrong += plan.cancelled[i];
  }
  bool ok() const { return fired == plan.expected && wrong == 0; }
};

// B2 --pending: how many batches of how many timers make up a run of n.
struct Batches {
  long count;
  long size;
};
Batches batches_of(const Options& o, long n) {
  long size = o.pending > 0 && o.pending < n ? o.pending : n;
  return {std::max(n / size, 1L), size};
}

// One batch: all of the plan's timers pending at once, half cancelled, run until the rest fired.
// The caller owns `handles`, so that the last batch's go after the timing, as before batches.
bool b2_cpp_batch(asyncio::EventLoop& loop, const TimerPlan& plan,
                  std::vector<asyncio::TimerHandle>& handles) {
  FireCount fc{plan};
  auto on_fire = [&fc, &loop](std::uint32_t i) {
    fc.fire(i);
    if (fc.fired == fc.plan.expected) loop.stop();
  };
  auto n = static_cast<long>(plan.delays.size());
  handles.clear();
  handles.reserve(n);
  for (long i = 0; i < n; ++i) {
    handles.push_back(loop.call_later(plan.delays[i], on_fire, std::uint32_t(i)));
  }
  for (std::uint32_t i : plan.cancel_order) handles[i].cancel();
  loop.run_forever();
  return fc.ok();
}

Sample b2_cpp(const Options& o, long n) {
  Batches b = batches_of(o, n);
  TimerPlan plan = make_plan(b.size, o.span, o.seed);
  asyncio::EventLoop loop;
  std::vector<asyncio::TimerHandle> handles;
  bool ok = true;
  Stopwatch sw;
  for (long i = 0; i < b.count; ++i) ok = b2_cpp_batch(loop, plan, handles) && ok;
  return finish(sw, b.count * b.size, ok);
}

bool b2_asio_batch(asio::io_context& io, const TimerPlan& plan,
                   std::vector<asio::steady_timer>& timers) {
  FireCount fc{plan};
  auto n = static_cast<long>(plan.delays.size());
  timers.clear();
  timers.reserve(n);
  for (long i = 0; i < n; ++i) {
    std::chrono::duration<double> delay(plan.delays[i]);
    timers.emplace_back(io, std::chrono::duration_cast<Clock::duration>(delay));
    timers.back().async_wait([&fc, i = std::uint32_t(i)](boost::system::error_code ec) {
      if (!ec) fc.fire(i);
    });
  }
  for (std::uint32_t i : plan.cancel_order) timers[i].cancel();
  io.restart();
  io.run();  // returns once the last timer fired
  return fc.ok();
}

Sample b2_asio(const Options& o, long n) {
  Batches b = batches_of(o, n);
  TimerPlan plan = make_plan(b.size, o.span, o.seed);
  asio::io_context io(1);
  std::vector<asio::steady_timer> timers;
  bool ok = true;
  Stopwatch sw;
  for (long i = 0; i < b.count; ++i) ok = b2_asio_batch(io, plan, timers) && ok;
  return finish(sw, b.count * b.size, ok);
}

// ---------------------------------------------------------------- B3: ping-pong latency

// What the consumer hands back: its timestamp, then the flag the producer spins on.
struct Pong {
  std::int64_t t1 = 0;
  std::atomic<bool> done{false};
  void record() {
    t1 = now_ns();
    done.store(true, std::memory_order_release);
  }
};

// The producer: idles so that the consumer falls asleep, then pings and waits for the pong.
template <class Ping>
std::vector<std::int64_t> run_pings(const Options& o, long pings, Pong& pong, Ping&& ping) {
  std::vector<std::int64_t> lat;
  lat.reserve(pings);
  for (long i = 0; i < o.warmup_pings + pings; ++i) {
    std::int64_t idle_end = now_ns() + o.idle_us * 1000;
    while (now_ns() < idle_end) cpu_relax();
    pong.done.store(false, std::memory_order_relaxed);
    std::int64_t t0 = now_ns();
    ping();
    while (!pong.done.load(std::memory_order_acquire)) cpu_relax();
    if (i >= o.warmup_pings) lat.push_back(pong.t1 - t0);
  }
  return lat;
}

Sample b3_cpp(const Options& o, long pings) {
  asyncio::EventLoop loop;
  Pong pong;
  auto on_ping = [&pong] { pong.record(); };
  std::vector<std::int64_t> lat;
  std::thread producer([&] {
    lat = run_pings(o, pings, pong, [&] { loop.call_soon_threadsafe(on_ping); });
    loop.call_soon_threadsafe([&loop] { loop.stop(); });
  });
  loop.run_forever();
  producer.join();
  return latency_sample(std::move(lat), pings);
}

void check_sys(bool ok, const char* what) {
  if (!ok) throw std::system_error(errno, std::system_category(), what);
}

// Blocks in epoll_wait on the pipe; byte 0 is a ping, byte 1 asks it to quit.
void epoll_consumer(int epfd, int read_fd, Pong& pong) {
  for (;;) {
    epoll_event ev{};
    if (epoll_wait(epfd, &ev, 1, -1) != 1) continue;  // EINTR
    char byte = 0;
    if (read(read_fd, &byte, 1) != 1) continue;
    if (byte != 0) return;
    pong.record();
  }
}

Sample b3_epoll(const Options& o, long pings) {
  int fds[2];
  check_sys(pipe2(fds, O_CLOEXEC) == 0, "pipe2");
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  check_sys(epfd >= 0, "epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fds[0];
  check_sys(epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev) == 0, "epoll_ctl");
  auto send = [fd = fds[1]](char byte) { check_sys(write(fd, &byte, 1) == 1, "write"); };
  Pong pong;
  std::thread consumer(epoll_consumer, epfd, fds[0], std::ref(pong));
  std::vector<std::int64_t> lat = run_pings(o, pings, pong, [&] { send(0); });
  send(1);
  consumer.join();
  close(epfd);
  close(fds[0]);
  close(fds[1]);
  return latency_sample(std::move(lat), pings);
}

// ---------------------------------------------------------------- B4: thread-safe flood

// Starts `threads` producers that call post() n times between them, all at once on go.
class Producers {
 public:
  Producers(int threads, long n, std::function<void()> post) : post_(std::move(post)) {
    for (int t = 0; t < threads; ++t) {
      long count = n / threads + (t < n % threads ? 1 : 0);
      threads_.emplace_back([this, count] {
        while (!go_.load(std::memory_order_acquire)) cpu_relax();
        for (long i = 0; i < count; ++i) post_();
      });
    }
  }
  ~Producers() {
    go();
    for (auto& t : threads_) t.join();
  }
  void go() { go_.store(true, std::memory_order_release); }

 private:
  std::function<void()> post_;
  std::atomic<bool> go_{false};
  std::vector<std::thread> threads_;
};

Sample b4_cpp(const Options& o, long n) {
  asyncio::EventLoop loop;
  long count = 0;
  auto on_call = [&count, &loop, n] {
    if (++count == n) loop.stop();
  };
  Producers producers(o.threads, n, [&] { loop.call_soon_threadsafe(on_call); });
  Stopwatch sw;
  producers.go();
  loop.run_forever();
  return finish(sw, n, count == n);
}

Sample b4_asio(const Options& o, long n) {
  asio::io_context io(1);
  auto guard = asio::make_work_guard(io);
  long count = 0;
  auto on_call = [&count, &io, n] {
    if (++count == n) io.stop();
  };
  Producers producers(o.threads, n, [&] { asio::post(io, on_call); });
  Stopwatch sw;
  producers.go();
  io.run();
  return finish(sw, n, count == n);
}

// ---------------------------------------------------------------- driver

using Runner = Sample (*)(const Options&, long);

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> table{
      {"B1/cpp", b1_cpp},       {"B1/asio", b1_asio}, {"B2/cpp", b2_cpp},
      {"B2/asio", b2_asio},     {"B3/cpp", b3_cpp},   {"B3/epoll", b3_epoll},
      {"B4/cpp", b4_cpp},       {"B4/asio", b4_asio}, {"B15/stats-off", b15_off},
      {"B15/stats-on", b15_on},
  };
  return table;
}

long default_n(const std::string& bench) {
  if (bench == "B2") return 200'000;
  if (bench == "B3") return 3'000;
  return 1'000'000;
}

const char* peer_name(const std::string& peer) {
  if (peer == "stats-off") return "asyncio-cpp (stats off)";
  if (peer == "stats-on") return "asyncio-cpp (stats on)";
  return peer == "cpp" ? "asyncio-cpp" : peer == "asio" ? "asio" : "epoll";
}

void print_sample(const Options& o, const Sample& s) {
  const char* ok = s.ok ? "true" : "false";
  if (o.bench == "B3") {
    std::printf(
        "{\"bench\":\"B3\",\"peer\":\"%s\",\"n\":%ld,\"p50_us\":%.3f,\"p99_us\":%.3f,\"ok\":%s}\n",
        peer_name(o.peer), s.n, s.p50_us, s.p99_us, ok);
  } else {
    std::printf(
        "{\"bench\":\"%s\",\"peer\":\"%s\",\"n\":%ld,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
        "\"rate\":%.1f,\"ok\":%s}\n",
        o.bench.c_str(), peer_name(o.peer), s.n, s.wall_s, s.cpu_s, double(s.n) / s.wall_s, ok);
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
#ifdef NDEBUG
  const char* asserts = "off";
#else
  const char* asserts = "on";
#endif
  std::printf("{\"compiler\":\"%s %s\",\"boost\":\"%d.%d.%d\",\"asserts\":\"%s\"}\n", compiler,
              __VERSION__, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
              asserts);
}

Options parse(int argc, char** argv) {
  if (argc < 3)
    throw std::invalid_argument(
        "usage: bench_core <B1..B4|B15> <cpp|asio|epoll|stats-off|stats-on> [options]");
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
    else if (key == "--chains")
      o.chains = std::atol(v);
    else if (key == "--threads")
      o.threads = std::atoi(v);
    else if (key == "--warmup-pings")
      o.warmup_pings = std::atol(v);
    else if (key == "--idle-us")
      o.idle_us = std::atol(v);
    else if (key == "--span")
      o.span = std::atof(v);
    else if (key == "--seed")
      o.seed = std::strtoull(v, nullptr, 10);
    else if (key == "--pending")
      o.pending = std::atol(v);
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
    long n = o.n > 0 ? o.n : default_n(o.bench);
    long warmup = o.warmup_n >= 0 ? o.warmup_n : std::max(n / 10, 1L);
    if (o.bench != "B3" && warmup > 0) it->second(o, warmup);  // B3 warms up with its own pings
    int rc = 0;
    for (int r = 0; r < o.reps; ++r) {
      Sample s = it->second(o, n);
      print_sample(o, s);
      if (!s.ok) rc = 1;
    }
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_core: %s\n", e.what());
    return 2;
  }
}
