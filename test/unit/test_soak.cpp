// The soak test (issue 17): one process, one loop, every hostile load at once for a fixed time
// (full size: 10 minutes), sampling RSS and the fd count as it goes. Both must stay flat.
// CI runs it reduced (about 30 s); `ASYNCIO_CPP_STRESS=full ctest --preset dev -L stress -R soak`
// runs the full size.
//
// Samples are taken at a quiescent point: at each one the churn pauses at a gate, every
// connection and child of the round in flight finishes (the server's side included), and only
// then are the fds counted. The count is then exact, so the test asks for no fd difference at
// all rather than 5%; a leak of one fd per thousand connections would show. The threadsafe flood
// and the signals go on through the pause.
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "unit/child_support.hpp"
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"
#include "unit/tls_support.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <malloc.h>
#endif

#include <algorithm>
#include <any>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// <sanitizer/allocator_interface.h>, which GCC does not ship.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

using asyncio::Coro;
using asyncio::EventLoop;
using test_support::open_fd_count;

namespace {

struct SoakSize {
  double period;        // seconds between samples
  int samples;          // after the one taken before the load starts
  int echo_clients;     // concurrent echo clients, each connecting, echoing and resetting
  int loris;            // concurrent slow-loris writers
  int tls_clients;      // concurrent clients of the TLS server, mostly sending garbage
  int spawners;         // concurrent create_subprocess_exec("/bin/true") loops
  double read_timeout;  // the servers' limit on a line (and on a TLS handshake)
};

SoakSize soak_size() {
  if (test_support::full_size()) return {60, 10, 1000, 100, 20, 4, 2.0};
  return {3, 9, 64, 10, 4, 2, 1.5};
}

constexpr int kFloodThreads = 4;
constexpr int kFloodBatch = 256;  // calls a flood thread posts before it waits for the loop
constexpr int kWarmUp = 1;        // samples before the baseline: lazily made resources appear

// What the loop thread's coroutines share (only the loop's thread touches it).
struct Soak {
  SoakSize size;
  int echo_port = 0;
  int tls_port = 0;
  std::shared_ptr<asyncio::ssl::SSLContext> client_tls;
  std::mt19937 rng{20260117};

  // The gate: open while the churn runs, closed around a sample. `active` counts rounds and
  // server handlers in flight; `idle` is set whenever it drops to zero.
  asyncio::Event running;
  asyncio::Event idle;
  int active = 0;
  bool done = false;
  void enter() {
    if (active++ == 0) idle.clear();
  }
  void leave() {
    if (--active == 0) idle.set();
  }

  std::int64_t served = 0, echoed = 0, mismatched = 0, client_errors = 0;
  std::int64_t loris_dropped = 0, server_timeouts = 0, server_resets = 0;
  std::int64_t tls_rejected = 0, tls_echoed = 0;
  std::int64_t children = 0, child_failures = 0;
  std::int64_t signals = 0, flood_calls = 0;
  int flood_finished = 0;
  asyncio::Event flood_done;
  std::string first_error;
  std::map<std::string, int> handler_messages;  // what reached the loop's exception handler
};
using SoakPtr = std::shared_ptr<Soak>;

// The threadsafe flood: each thread posts a batch of small callables, sends SIGUSR1 to the
// process, and waits for the loop to answer a ping before the next batch, so the ready queue
// stays bounded. Destroyed (stopped and joined) before the loop is.
class Flood {
 public:
  Flood(EventLoop& loop, SoakPtr soak) : loop_(loop), soak_(std::move(soak)) {}
  ~Flood() { join(); }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  void start() {
    for (int t = 0; t < kFloodThreads; ++t) threads_.emplace_back([this] { produce(); });
  }
  void stop() { stop_ = true; }
  void join() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  std::int64_t signals_sent() const { return signals_sent_; }
  int unanswered() const { return unanswered_; }

 private:
  void produce() {
    SoakPtr s = soak_;
    while (!stop_) {
      for (int i = 0; i < kFloodBatch; ++i) loop_.call_soon_threadsafe([s] { ++s->flood_calls; });
      ::kill(::getpid(), SIGUSR1);
      ++signals_sent_;
      if (!test_support::loop_answers(loop_, std::chrono::seconds(30))) {
        ++unanswered_;  // a safety net: the loop stopped answering
        break;
      }
    }
    loop_.call_soon_threadsafe([s] {
      if (++s->flood_finished == kFloodThreads) s->flood_done.set();
    });
  }

  EventLoop& loop_;
  SoakPtr soak_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> signals_sent_{0};
  std::atomic<int> unanswered_{0};
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------- the servers' side

// Echoes lines; a line must arrive whole within read_timeout, so slow-loris peers are dropped.
Coro<void> serve_lines(std::shared_ptr<asyncio::StreamReader> r,
                       std::shared_ptr<asyncio::StreamWriter> w, SoakPtr s) {
  s->enter();
  try {
    for (;;) {
      std::string line = co_await asyncio::wait_for(r->readline(), s->size.read_timeout);
      if (line.empty()) break;
      w->write(line);
      co_await w->drain();
    }
  } catch (const asyncio::TimeoutError&) {
    ++s->server_timeouts;
  } catch (const std::exception&) {
    ++s->server_resets;  // the client reset the connection under us
  }
  w->close();
  try {
    co_await w->wait_closed();
  } catch (const std::exception&) {
  }
  s->leave();
}

// ---------------------------------------------------------------- the clients' rounds

// Closes with SO_LINGER 0: the peer gets an RST, and no TIME_WAIT is left behind.
Coro<void> reset(asyncio::StreamWriter& w) {
  const int fd = std::any_cast<int>(w.get_extra_info("socket"));
  const linger hard{1, 0};
  REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard) == 0);
  w.transport()->abort();
  co_await w.wait_closed();  // our fd is closed once this returns
}

// Connects, echoes one to three lines, resets.
Coro<void> echo_round(SoakPtr s, int id, int i) {
  auto [r, w] = co_await asyncio::open_connection("127.0.0.1", s->echo_port);
  const int lines = 1 + (id + i) % 3;
  for (int k = 0; k < lines; ++k) {
    const std::string msg = "echo " + std::to_string(id) + " " + std::to_string(k) + "\n";
    w->write(msg);
    const std::string back = co_await r->readline();
    ++(back == msg ? s->echoed : s->mismatched);
  }
  co_await reset(*w);
  ++s->served;
}

// Trickles a byte at a time, never a newline, until the server drops the connection.
Coro<void> loris_round(SoakPtr s, int, int) {
  auto [r, w] = co_await asyncio::open_connection("127.0.0.1", s->echo_port);
  const double trickle = s->size.read_timeout / 6;
  bool dropped = false;
  while (!dropped) {
    w->write("x");
    try {
      const std::string got = co_await asyncio::wait_for(r->read(64), trickle);
      if (!got.empty()) ++s->mismatched;  // a line was never finished: nothing to echo
      dropped = got.empty();
    } catch (const asyncio::TimeoutError&) {
    } catch (const std::exception&) {
      dropped = true;  // an RST: the server closed with a byte of ours unread
    }
  }
  w->close();
  try {
    co_await w->wait_closed();
  } catch (const std::exception&) {
  }
  ++s->loris_dropped;
}

// Mostly plain-text garbage at the TLS server (half the time followed by EOF, otherwise left
// to the handshake timeout); every eighth round a real TLS client echoes a line, to show the
// server still serves.
Coro<void> tls_round(SoakPtr s, int id, int i) {
  asyncio::ConnectionOptions options;
  const bool real = (id + i) % 8 == 0;
  if (real) {
    options.ssl = s->client_tls;
    options.server_hostname = "localhost";
  }
  auto [r, w] = co_await asyncio::open_connection("127.0.0.1", s->tls_port, options);
  if (real) {
    const std::string msg = "tls " + std::to_string(id) + "\n";
    w->write(msg);
    ++(co_await r->readline() == msg ? s->tls_echoed : s->mismatched);
  } else {
    std::string junk(1 + s->rng() % 1024, '\0');
    for (char& c : junk) c = static_cast<char>(s->rng());
    w->write(junk);
    if (i % 2 == 0) w->write_eof();
    try {
      co_await r->read();  // to EOF: the server gives up on the handshake and closes
    } catch (const std::exception&) {
    }
    ++s->tls_rejected;
  }
  w->close();
  try {
    co_await w->wait_closed();
  } catch (const std::exception&) {
  }
}

Coro<void> spawn_round(SoakPtr s, int, int) {
  asyncio::Process child = co_await asyncio::create_subprocess_exec("/bin/true");
  ++(co_await child.wait() == 0 ? s->children : s->child_failures);
}

using Round = Coro<void> (*)(SoakPtr, int, int);

// Runs `round` over and over while the gate is open, until the soak is done.
Coro<void> churn(SoakPtr s, Round round, int id) {
  for (int i = 0;; ++i) {
    co_await s->running.wait();
    if (s->done) break;
    s->enter();
    try {
      co_await round(s, id, i);
    } catch (const std::exception& e) {
      if (s->client_errors++ == 0) s->first_error = e.what();
    }
    s->leave();
  }
}

// ---------------------------------------------------------------- samples

struct Sample {
  double t;
  long rss_raw_kib;  // as the allocator left it
  long rss_kib;      // once it gave back what it keeps for reuse
  long heap_kib;
  int fds;       // at the quiescent point
  int fds_busy;  // just before the churn paused
  std::int64_t served, loris, tls, children, flood, signals;
};

long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// Before each sample, gives back to the kernel the free chunks glibc keeps for reuse
// (malloc_trim). Otherwise the RSS creeps up long after the heap in use is flat, as fragmented
// free space gets touched (seen: +18% over 25 s at a flat heap, with ~10 MiB held); that is not a
// leak. Under ASan and TSan the RSS is printed but not judged: it is mostly the sanitizer's own
// memory (shadow, ASan's quarantine, the stack depot that keeps every distinct allocation stack),
// which grows with what it has seen (seen under ASan: 114 -> 138 MiB over 25 s, even with the
// quarantine purged at each sample, while the heap in use stayed at 7.36 MiB +- 0.3%). There the
// fds, the heap in use (the sanitizer's count of live bytes) and LeakSanitizer judge.
constexpr bool kRssJudged = !test_support::sanitized;

// The library's own pools are such a cache too: they keep what the last burst freed until the
// loop goes idle, so what they hold at a sample follows the load, not a leak.
void release_free_memory() {
  asyncio::detail::trim_frame_pool(0);
  asyncio::detail::trim_handle_pool(0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  ::malloc_trim(0);
#endif
}

// The heap in use: what the program holds, without what the allocator keeps for reuse (glibc's
// free chunks, ASan's quarantine), so a leak shows here before it shows in the RSS.
long heap_kib() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return long(__sanitizer_get_current_allocated_bytes() / 1024);
#else
  const struct mallinfo2 info = ::mallinfo2();
  return long((info.uordblks + info.hblkhd) / 1024);
#endif
}

void print(const Sample& x) {
  std::printf("soak %7.1f %9ld %9ld %9ld %6d %6d %10lld %7lld %7lld %8lld %12lld %9lld\n", x.t,
              x.rss_raw_kib, x.rss_kib, x.heap_kib, x.fds, x.fds_busy, (long long)x.served,
              (long long)x.loris, (long long)x.tls, (long long)x.children, (long long)x.flood,
              (long long)x.signals);
  std::fflush(stdout);
}

// Closes the gate and waits until nothing is in flight; false if that took over a minute.
Coro<bool> quiesce(Soak& s) {
  s.running.clear();
  if (s.active == 0) co_return true;
  try {
    co_await asyncio::wait_for(s.idle.wait(), 60.0);
  } catch (const asyncio::TimeoutError&) {
    co_return false;
  }
  co_return true;
}

Coro<void> soak_body(EventLoop& loop, SoakPtr s, Flood& flood, std::vector<Sample>& samples) {
  auto handler = [s](std::shared_ptr<asyncio::StreamReader> r,
                     std::shared_ptr<asyncio::StreamWriter> w) {
    return serve_lines(std::move(r), std::move(w), s);
  };
  asyncio::ServerOptions plain;
  plain.backlog = 2048;
  auto echo_server = co_await asyncio::start_server(handler, "127.0.0.1", 0, plain);
  asyncio::ServerOptions tls = plain;
  tls.ssl = test_support::server_context();
  tls.ssl_handshake_timeout = s->size.read_timeout;
  auto tls_server = co_await asyncio::start_server(handler, "127.0.0.1", 0, tls);
  s->echo_port = echo_server->addresses().at(0).port;
  s->tls_port = tls_server->addresses().at(0).port;
  s->client_tls = test_support::client_context();

  std::vector<asyncio::Task<void>> workers;
  auto add = [&](int n, Round round) {
    for (int id = 0; id < n; ++id) workers.push_back(asyncio::create_task(churn(s, round, id)));
  };
  add(s->size.echo_clients, echo_round);
  add(s->size.loris, loris_round);
  add(s->size.tls_clients, tls_round);
  add(s->size.spawners, spawn_round);

  std::printf(
      "soak    t(s)  raw(KiB)  rss(KiB) heap(KiB)    fds   busy     served   loris     tls children"
      "   threadsafe   signals\n");
  const double start = loop.time();
  for (int k = 0; k <= s->size.samples; ++k) {
    if (k > 0) co_await asyncio::sleep(std::max(0.0, start + k * s->size.period - loop.time()));
    const int busy = open_fd_count();
    if (!co_await quiesce(*s))
      throw std::runtime_error("still in flight a minute after the gate closed: " +
                               std::to_string(s->active));
    const long raw = rss_kib();
    release_free_memory();
    samples.push_back({loop.time() - start, raw, rss_kib(), heap_kib(), open_fd_count(), busy,
                       s->served, s->loris_dropped, s->tls_rejected + s->tls_echoed, s->children,
                       s->flood_calls, s->signals});
    print(samples.back());
    if (k == 0) flood.start();  // the first sample is taken before any load
    if (k < s->size.samples) s->running.set();
  }

  s->done = true;
  s->running.set();
  for (auto& w : workers) co_await w;
  flood.stop();
  co_await asyncio::wait_for(s->flood_done.wait(), 60.0);
  flood.join();
  for (auto* server : {&echo_server, &tls_server}) {
    (*server)->close();
    co_await (*server)->wait_closed();
  }
}

}  // namespace

TEST_CASE("soak.hostile_mix (no CPython counterpart: issue 17)", "[stress][tls]") {
  const SoakSize size = soak_size();
  test_support::NoFileLimit limit;
  limit.raise_soft_to(4096);  // full size: two fds per connection, over 2000 at once
  const int fds_before_loop = open_fd_count();
  const auto zombies_before = test_support::zombie_children();
  std::vector<Sample> samples;
  auto s = std::make_shared<Soak>();
  s->size = size;
  std::int64_t signals_sent = 0;
  int unanswered = 0;
  {
    EventLoop loop;
    loop.set_exception_handler(
        [s](EventLoop&, const asyncio::ExceptionContext& c) { ++s->handler_messages[c.message]; });
    loop.add_signal_handler(SIGUSR1, [s] { ++s->signals; });
    Flood flood(loop, s);  // joined before the loop closes, on every path
    const double limit_s = size.period * (size.samples + 1) + 120;
    test_support::HangGuard hang(std::chrono::seconds(int(limit_s) + 60));
    test_support::run(loop, soak_body(loop, s, flood, samples), limit_s);
    flood.join();
    signals_sent = flood.signals_sent();
    unanswered = flood.unanswered();
    loop.remove_signal_handler(SIGUSR1);
  }

  INFO("first client error: " << s->first_error);
  CHECK(s->client_errors == 0);
  CHECK(s->mismatched == 0);
  CHECK(s->child_failures == 0);
  CHECK(unanswered == 0);
  for (const auto& [message, count] : s->handler_messages)
    std::printf("soak: exception handler: %d x %s\n", count, message.c_str());
  // Work did happen, in every period: the test can fail.
  REQUIRE(samples.size() == std::size_t(size.samples) + 1);
  for (int k = 1; k <= size.samples; ++k) {
    INFO("period " << k);
    CHECK(samples[k].served > samples[k - 1].served);
    CHECK(samples[k].children > samples[k - 1].children);
    CHECK(samples[k].flood > samples[k - 1].flood);
  }
  CHECK(s->echoed > s->served);  // one to three lines each
  CHECK(s->loris_dropped > 0);
  CHECK(s->server_timeouts >= s->loris_dropped);  // dropped by the read timeout, not by chance
  CHECK(s->tls_rejected > 0);
  CHECK(s->tls_echoed > 0);
  CHECK(s->signals > 0);
  CHECK(s->signals <= signals_sent);  // signals coalesce; none is invented

  // Flat: the last sample against the first after warm-up.
  const Sample& first = samples[kWarmUp];
  const Sample& last = samples.back();
  CHECK(last.fds == first.fds);
  if (kRssJudged)
    CHECK(std::abs(double(last.rss_kib - first.rss_kib)) <= 0.05 * double(first.rss_kib));
  CHECK(std::abs(double(last.heap_kib - first.heap_kib)) <= 0.05 * double(first.heap_kib));
  // And everything is closed and reaped.
  CHECK(open_fd_count() == fds_before_loop);
  CHECK(test_support::zombie_children() == zombies_before);
}
