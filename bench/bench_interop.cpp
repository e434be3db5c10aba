// Boost.Asio interop benchmarks, asyncio-cpp next to raw Asio coroutines. Same JSON lines as
// bench_core, one per size, with a "size" field (bench/run makes one table per size).
//
//   B16   co_await timer.async_wait(asyncio::use_future) on an expired steady_timer in a task,
//         against co_await timer.async_wait(asio::use_awaitable) in an asio::awaitable.
//         size = awaits per run (run_until_complete / co_spawn + io.run); small sizes repeat
//         runs until --n awaits are done, so every size times about the same work.
//   B16t  the same, --n awaits shared by `size` concurrent tasks (coroutines), each on its own
//         timer.
//   B14   asyncio::async_run(loop, trivial(), asio::use_awaitable) from an asio::awaitable,
//         against co_await asio::co_spawn(ex, trivial(), asio::use_awaitable). Sizes as B16.
//
//   bench_interop <B16|B16t|B14> <cpp|asio> [--n N] [--reps R] [--sizes=a,b,c]
//   bench_interop info      # {"async_run": true|false}: whether B14 was built
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

double now_s() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// The process's CPU time: steadier than the wall time on a shared machine.
double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void print(const char* bench, const char* peer, long size, long n, double wall, double cpu,
           bool ok) {
  std::printf(R"({"bench":"%s","peer":"%s","size":%ld,"n":%ld,"wall_s":%.6f,"cpu_s":%.6f,)"
              R"("rate":%.1f,"ok":%s})"
              "\n",
              bench, peer, size, n, wall, cpu, double(n) / wall, ok ? "true" : "false");
  std::fflush(stdout);
}

// A timer whose expiry has passed: each async_wait completes at once (through the executor).
asio::steady_timer expired_timer(asio::io_context& io) {
  return asio::steady_timer(io, Clock::time_point{});
}

// ---------------------------------------------------------------- B16: use_future

asyncio::Coro<void> wait_expired_cpp(long awaits, long& done) {
  auto timer = expired_timer(asyncio::get_running_loop().io_context());
  for (long i = 0; i < awaits; ++i) {
    co_await timer.async_wait(asyncio::use_future);
    ++done;
  }
}

asyncio::Coro<void> spread_cpp(long tasks, long awaits_each, long& done) {
  std::vector<asyncio::Task<void>> running;
  running.reserve(std::size_t(tasks));
  for (long t = 0; t < tasks; ++t) {
    running.push_back(asyncio::create_task(wait_expired_cpp(awaits_each, done)));
  }
  for (auto& task : running) co_await task;
}

// `runs` times: a run_until_complete of `tasks` tasks sharing `awaits` awaits.
long b16_cpp(asyncio::EventLoop& loop, long runs, long tasks, long awaits) {
  long done = 0;
  for (long r = 0; r < runs; ++r) loop.run_until_complete(spread_cpp(tasks, awaits / tasks, done));
  return done;
}

asio::awaitable<void> wait_expired_asio(long awaits, long& done) {
  auto timer =
      expired_timer(static_cast<asio::io_context&>((co_await asio::this_coro::executor).context()));
  for (long i = 0; i < awaits; ++i) {
    co_await timer.async_wait(asio::use_awaitable);
    ++done;
  }
}

long b16_asio(asio::io_context& io, long runs, long tasks, long awaits) {
  long done = 0;
  for (long r = 0; r < runs; ++r) {
    for (long t = 0; t < tasks; ++t) {
      asio::co_spawn(io, wait_expired_asio(awaits / tasks, done), asio::detached);
    }
    io.run();
    io.restart();
  }
  return done;
}

// ---------------------------------------------------------------- B14: async_run

asio::awaitable<long> trivial_awaitable() {
  co_return 1;
}

long b14_asio(asio::io_context& io, long runs, long calls) {
  long done = 0;
  auto body = [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (long i = 0; i < calls; ++i)
      done += co_await asio::co_spawn(ex, trivial_awaitable(), asio::use_awaitable);
  };
  for (long r = 0; r < runs; ++r) {
    asio::co_spawn(io, body(), asio::detached);
    io.run();
    io.restart();
  }
  return done;
}

#ifdef ASYNCIO_BENCH_HAS_ASYNC_RUN
constexpr bool has_async_run = true;

asyncio::Coro<long> trivial_coro() {
  co_return 1;
}

// The awaitable runs on the loop's io_context; the loop stops when it has finished.
long b14_cpp(asyncio::EventLoop& loop, long runs, long calls) {
  long done = 0;
  auto body = [&]() -> asio::awaitable<void> {
    for (long i = 0; i < calls; ++i) {
      done += co_await asyncio::async_run(loop, trivial_coro(), asio::use_awaitable);
    }
  };
  for (long r = 0; r < runs; ++r) {
    asio::co_spawn(loop.io_context(), body(), [&loop](std::exception_ptr e) {
      loop.stop();
      if (e) std::rethrow_exception(e);
    });
    loop.run_forever();
  }
  return done;
}
#else
constexpr bool has_async_run = false;

long b14_cpp(asyncio::EventLoop&, long, long) {
  std::fprintf(stderr, "bench_interop: built without asyncio::async_run, B14 cannot run\n");
  std::exit(3);
}
#endif

// ---------------------------------------------------------------- driver

struct Options {
  std::string bench, peer;
  long n = 1000000;
  int reps = 5;
  std::vector<long> sizes{1, 100, 10000, 1000000};
};

std::vector<long> parse_sizes(const std::string& list) {
  std::vector<long> sizes;
  for (std::size_t at = 0; at < list.size();) {
    std::size_t comma = list.find(',', at);
    if (comma == std::string::npos) comma = list.size();
    sizes.push_back(std::atol(list.substr(at, comma - at).c_str()));
    at = comma + 1;
  }
  return sizes;
}

Options parse(int argc, char** argv) {
  Options o{argv[1], argv[2]};
  if (o.bench == "B16t") o.sizes = {1, 2, 4, 8, 16};
  for (int i = 3; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--sizes=", 0) == 0) o.sizes = parse_sizes(key.substr(8));
    if (i + 1 < argc && key == "--n") o.n = std::atol(argv[i + 1]);
    if (i + 1 < argc && key == "--reps") o.reps = std::atoi(argv[i + 1]);
  }
  return o;
}

// Awaits (B16), or round trips (B14), done for one size: the count that must come back.
long run_size(const Options& o, long size, asyncio::EventLoop& loop, asio::io_context& io) {
  bool cpp = o.peer == "cpp";
  if (o.bench == "B16t") {  // size = concurrent tasks, n awaits in all, one run
    long each = o.n / size * size;
    return cpp ? b16_cpp(loop, 1, size, each) : b16_asio(io, 1, size, each);
  }
  long runs = std::max(1L, o.n / size);
  if (o.bench == "B16") return cpp ? b16_cpp(loop, runs, 1, size) : b16_asio(io, runs, 1, size);
  return cpp ? b14_cpp(loop, runs, size) : b14_asio(io, runs, size);
}

long expected(const Options& o, long size) {
  if (o.bench == "B16t") return o.n / size * size;
  return std::max(1L, o.n / size) * size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "info") {
    std::printf(R"({"async_run":%s})"
                "\n",
                has_async_run ? "true" : "false");
    return 0;
  }
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: bench_interop <B16|B16t|B14> <cpp|asio> [--n N] [--reps R] "
                 "[--sizes=a,b,c]\n");
    return 2;
  }
  Options o = parse(argc, argv);
  const char* name = o.peer == "cpp" ? "asyncio-cpp" : "asio";
  asyncio::EventLoop loop;
  asio::io_context io(1);
  bool all_ok = true;
  for (long size : o.sizes) {
    Options warm = o;
    warm.n = std::max(1L, o.n / 10);
    // Unprinted warm-up: a tenth of the work, at most that many awaits per run.
    run_size(warm, o.bench == "B16t" ? size : std::min(size, warm.n), loop, io);
    for (int r = 0; r < o.reps; ++r) {
      double t0 = now_s(), c0 = cpu_s();
      long done = run_size(o, size, loop, io);
      double wall = now_s() - t0, cpu = cpu_s() - c0;
      bool ok = done == expected(o, size);
      all_ok = all_ok && ok;
      print(o.bench.c_str(), name, size, done, wall, cpu, ok);
    }
  }
  return all_ok ? 0 : 1;
}
