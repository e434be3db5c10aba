// Task benchmarks B5 (task churn), B5e (tasks that finish without suspending, eager against
// lazy), B6 (memory per suspended task and per pending timer handle, and heap allocations per
// small call_soon), B13 (ContextVar get and set with ten variables set) and B17 (RSS kept after
// a burst of tasks), for asyncio-cpp and raw Asio coroutines. Same JSON lines as bench_core.
//
//   bench_tasks <B5|B6|B17> <cpp|asio> [--n N] [--reps R] [--warmup-n N]
//   bench_tasks B5e <lazy|eager> [--n N] [--reps R]
//   B5, B5e: [--await gather|each] [--pending K]
//
// B5 and B5e --await: the tasks are gathered (the default) or awaited one by one in creation
// order; --pending K: the N tasks are made in batches of K pending at once (0, the default:
// one batch of N). Raw Asio (co_spawn, detached) has no await: it ignores --await.
//   bench_tasks B13 cpp [--n N] [--reps R]
#include <asyncio/asyncio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

// Every operator new of the process, counted for B6's call_soon figure. A relaxed load and
// store, not an atomic increment: the counted phases run on one thread, and the others pay
// almost nothing for it.
namespace {
std::atomic<std::size_t> news{0};

}  // namespace

void* operator new(std::size_t size) {
  news.store(news.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

namespace asio = boost::asio;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void print(const char* bench, const char* peer, long n, double wall, const std::string& extra,
           bool ok) {
  std::printf(R"({"bench":"%s","peer":"%s","n":%ld,"wall_s":%.6f,%s"ok":%s})"
              "\n",
              bench, peer, n, wall, extra.c_str(), ok ? "true" : "false");
  std::fflush(stdout);
}

// ---------------------------------------------------------------- B5: task churn

asyncio::Coro<void> churn_worker() {
  co_await asyncio::sleep(0);
}

// How a B5/B5e run is shaped: tasks per batch and how the batch is awaited.
struct Shape {
  long pending = 0;   // 0: one batch of all n
  bool each = false;  // await one by one rather than gather
};

long batch_size(const Shape& shape, long n) {
  return shape.pending > 0 && shape.pending < n ? shape.pending : n;
}

template <class T>
asyncio::Coro<long> await_all(std::vector<asyncio::Task<T>>& tasks, bool each) {
  if (!each) {
    auto results = co_await asyncio::gather(tasks);
    co_return static_cast<long>(results.size());
  }
  long done = 0;
  for (auto& t : tasks) {
    co_await t;
    ++done;
  }
  co_return done;
}

asyncio::Coro<long> churn(long n, Shape shape) {
  long size = batch_size(shape, n), done = 0;
  std::vector<asyncio::Task<void>> tasks;
  for (long b = 0; b < std::max(n / size, 1L); ++b) {
    tasks.clear();
    tasks.reserve(size);
    for (long i = 0; i < size; ++i) tasks.push_back(asyncio::create_task(churn_worker()));
    done += co_await await_all(tasks, shape.each);
  }
  co_return done;
}

double b5_cpp(long n, Shape shape, bool& ok) {
  asyncio::EventLoop loop;
  double t0 = now_s();
  ok = loop.run_until_complete(churn(n, shape)) == n;
  return now_s() - t0;
}

asio::awaitable<void> asio_worker(long& done, long n, asio::io_context& io) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);  // sleep(0)
  if (++done == n) io.stop();
}

// Batches of `size` coroutines: the next batch starts when the last one finished.
double b5_asio(long n, Shape shape, bool& ok) {
  asio::io_context io(1);
  long size = batch_size(shape, n), batches = std::max(n / size, 1L), done = 0;
  double t0 = now_s();
  for (long b = 0; b < batches; ++b) {
    long target = done + size;
    asio::post(io, [&] {
      for (long i = 0; i < size; ++i)
        asio::co_spawn(io, asio_worker(done, target, io), asio::detached);
    });
    io.restart();
    io.run();
  }
  ok = done == batches * size;
  return now_s() - t0;
}

// ---------------------------------------------------------------- B17: memory after a burst

long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct RssFigures {
  long before = 0, peak = 0, after = 0;
};

asyncio::Coro<long> burst(long n, long* peak) {
  std::vector<asyncio::Task<void>> tasks;
  tasks.reserve(n);
  for (long i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(churn_worker()));
  *peak = rss_kib();  // all n created and pending
  auto results = co_await asyncio::gather(tasks);
  co_return static_cast<long>(results.size());
}

asyncio::Coro<void> idle_iteration() {
  co_await asyncio::sleep(0.001);  // the loop blocks in epoll: it goes idle once
}

// RSS after start-up and a burst of 1000, at the peak of a burst of n, and after it once the
// loop has gone idle once (a 1 ms sleep): what a server keeps after a spike.
RssFigures b17_cpp(long n, bool& ok) {
  asyncio::EventLoop loop;
  RssFigures rss;
  long ignored = 0;
  loop.run_until_complete(burst(1000, &ignored));
  loop.run_until_complete(idle_iteration());
  rss.before = rss_kib();
  ok = loop.run_until_complete(burst(n, &rss.peak)) == n;
  loop.run_until_complete(idle_iteration());
  rss.after = rss_kib();
  return rss;
}

asio::awaitable<void> posts_once(long& done) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  ++done;
}

void asio_burst(asio::io_context& io, long n, long& done, long* peak) {
  for (long i = 0; i < n; ++i) asio::co_spawn(io, posts_once(done), asio::detached);
  if (peak != nullptr) *peak = rss_kib();
  io.restart();
  io.run();
}

void asio_idle_iteration(asio::io_context& io) {
  asio::steady_timer timer(io, std::chrono::milliseconds(1));
  timer.async_wait([](boost::system::error_code) {});
  io.restart();
  io.run();
}

RssFigures b17_asio(long n, bool& ok) {
  asio::io_context io(1);
  RssFigures rss;
  long done = 0;
  asio_burst(io, 1000, done, nullptr);
  asio_idle_iteration(io);
  rss.before = rss_kib();
  done = 0;
  asio_burst(io, n, done, &rss.peak);
  ok = done == n;
  asio_idle_iteration(io);
  rss.after = rss_kib();
  return rss;
}

void print_b17(const char* peer, long n, const RssFigures& rss, bool ok) {
  std::printf(R"({"bench":"B17","peer":"%s","n":%ld,"rss_before_kib":%ld,"rss_peak_kib":%ld,)"
              R"("rss_after_kib":%ld,"after_over_before":%.3f,"ok":%s})"
              "\n",
              peer, n, rss.before, rss.peak, rss.after, double(rss.after) / double(rss.before),
              ok ? "true" : "false");
  std::fflush(stdout);
}

// ---------------------------------------------------------------- B5e: eager tasks

asyncio::Coro<long> instant(long i) {
  co_return i;
}

asyncio::Coro<long> instant_churn(long n, Shape shape) {
  long size = batch_size(shape, n), done = 0;
  std::vector<asyncio::Task<long>> tasks;
  for (long b = 0; b < std::max(n / size, 1L); ++b) {
    tasks.clear();
    tasks.reserve(size);
    for (long i = 0; i < size; ++i) tasks.push_back(asyncio::create_task(instant(i)));
    done += co_await await_all(tasks, shape.each);
  }
  co_return done;
}

double b5e_cpp(long n, bool eager, Shape shape, bool& ok) {
  asyncio::EventLoop loop;
  if (eager) loop.set_task_factory(asyncio::eager_task_factory);
  double t0 = now_s();
  ok = loop.run_until_complete(instant_churn(n, shape)) == n;
  return now_s() - t0;
}

// ---------------------------------------------------------------- B13: context variables

// ns per get() and per set() of one of ten variables set in the current context.
std::string b13_cpp(long n, bool& ok) {
  std::vector<std::unique_ptr<asyncio::ContextVar<long>>> vars;
  for (int i = 0; i < 10; ++i) {
    vars.push_back(std::make_unique<asyncio::ContextVar<long>>("v" + std::to_string(i)));
  }
  return asyncio::copy_context().run([&] {
    for (auto& v : vars) (void)v->set(1);
    asyncio::ContextVar<long>& v = *vars[5];
    long sum = 0;
    double t0 = now_s();
    for (long i = 0; i < n; ++i) sum += v.get();
    double t1 = now_s();
    for (long i = 0; i < n; ++i) (void)v.set(i);
    double t2 = now_s();
    ok = sum == n && v.get() == n - 1;
    char buf[128];
    std::snprintf(buf, sizeof buf, R"("get_ns":%.2f,"set_ns":%.2f,)", (t1 - t0) * 1e9 / double(n),
                  (t2 - t1) * 1e9 / double(n));
    return std::string(buf);
  });
}

// ---------------------------------------------------------------- B6: memory

asyncio::Coro<void> parked(asyncio::Future<void> never) {
  co_await never;
}

// operator new calls per call_soon of a small callable (three pointers), once the loop's
// handle pool and ready queue have grown to the batch size: the hot path allocates nothing.
double allocations_per_call_soon(asyncio::EventLoop& loop, long n) {
  long ran = 0;
  long* counter = &ran;
  auto batch = [&] {
    for (long i = 0; i < n; ++i) loop.call_soon([counter, &loop, &ran] { ++*counter; });
    loop.call_soon([&loop] { loop.stop(); });
  };
  batch();
  loop.run_forever();  // warm-up: the pool and the queue grow here
  std::size_t before = news.load();
  batch();
  std::size_t scheduled = news.load() - before;
  loop.run_forever();
  return double(scheduled) / double(n);
}

// Bytes per task suspended on a future, and per pending call_later handle.
std::string b6_cpp(long n, bool& ok) {
  asyncio::EventLoop loop;
  asyncio::Future<void> never(loop);
  std::vector<asyncio::Task<void>> tasks;
  tasks.reserve(n);
  std::vector<asyncio::TimerHandle> timers;
  timers.reserve(n);
  loop.run_until_complete([]() -> asyncio::Coro<void> { co_return; }());  // warm up
  // Emptied pools: blocks an earlier repetition left pooled would hide this one's tasks and
  // handles (the pools keep a whole burst until a loop goes idle).
  asyncio::detail::trim_frame_pool(0);
  asyncio::detail::trim_handle_pool(0);
  std::size_t before = heap_in_use();
  for (long i = 0; i < n; ++i) timers.push_back(loop.call_later(3600, [] {}));
  std::size_t after_timers = heap_in_use();
  for (long i = 0; i < n; ++i) tasks.push_back(loop.create_task(parked(never)));
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();  // every task is now suspended on `never`
  std::size_t after_tasks = heap_in_use();
  ok = !tasks.back().done();
  double per_handle = double(after_timers - before) / double(n);
  double per_task = double(after_tasks - after_timers) / double(n);
  for (auto& t : tasks) t.cancel();
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
  // A batch of at most 50,000, as before: the handle pool now keeps every handle its thread
  // allocated until the loop goes idle (lib/block_pool.hpp), so larger batches allocate
  // nothing either once warmed up.
  double per_call_soon = allocations_per_call_soon(loop, std::min(n, 50'000L));
  char buf[160];
  std::snprintf(buf, sizeof buf,
                R"("bytes_per_task":%.1f,"bytes_per_handle":%.1f,"allocs_per_call_soon":%.4f,)",
                per_task, per_handle, per_call_soon);
  return buf;
}

std::string b6_asio(long n, bool& ok) {
  asio::io_context io(1);
  std::size_t before = heap_in_use();
  long started = 0;
  for (long i = 0; i < n; ++i) {
    asio::co_spawn(
        io,
        [&started]() -> asio::awaitable<void> {
          ++started;
          asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
          co_await t.async_wait(asio::use_awaitable);
        },
        asio::detached);
  }
  io.poll();  // each coroutine is now suspended on its timer
  std::size_t after = heap_in_use();
  ok = started == n;
  char buf[128];
  std::snprintf(buf, sizeof buf, R"("bytes_per_task":%.1f,)", double(after - before) / double(n));
  io.stop();
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(
        stderr,
        "usage: bench_tasks <B5|B5e|B6|B13|B17> <cpp|asio|lazy|eager> [--n N] [--reps R]\n");
    return 2;
  }
  std::string bench = argv[1], peer = argv[2];
  long n = bench == "B13" ? 10000000 : bench == "B6" ? 100000 : bench == "B17" ? 1000000 : 200000;
  int reps = 5;
  long warmup = -1;  // -1: a tenth of n
  Shape shape;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--pending") shape.pending = std::atol(argv[i + 1]);
    if (key == "--await") shape.each = std::string(argv[i + 1]) == "each";
    if (key == "--n") n = std::atol(argv[i + 1]);
    if (key == "--reps") reps = std::atoi(argv[i + 1]);
    if (key == "--warmup-n") warmup = std::atol(argv[i + 1]);
  }
  if (warmup < 0) warmup = n / 10;
  const char* name = peer == "cpp" ? "asyncio-cpp" : "asio";
  bool ok = true;
  if (bench == "B5e") {
    bool eager = peer == "eager";
    const char* label = eager ? "asyncio-cpp (eager)" : "asyncio-cpp (lazy)";
    if (warmup > 0) b5e_cpp(warmup, eager, shape, ok);
    for (int r = 0; r < reps; ++r) {
      double wall = b5e_cpp(n, eager, shape, ok);
      char extra[64];
      std::snprintf(extra, sizeof extra, R"("rate":%.1f,)", double(n) / wall);
      print("B5e", label, n, wall, extra, ok);
    }
  } else if (bench == "B17") {  // one burst per process: its own small warm-up, no repetitions
    RssFigures rss = peer == "cpp" ? b17_cpp(n, ok) : b17_asio(n, ok);
    print_b17(name, n, rss, ok);
  } else if (bench == "B13") {
    if (warmup > 0) b13_cpp(warmup, ok);
    for (int r = 0; r < reps; ++r) {
      double t0 = now_s();
      std::string extra = b13_cpp(n, ok);
      print("B13", name, n, now_s() - t0, extra, ok);
    }
  } else if (bench == "B5") {
    if (warmup > 0) peer == "cpp" ? b5_cpp(warmup, shape, ok) : b5_asio(warmup, shape, ok);
    for (int r = 0; r < reps; ++r) {
      double wall = peer == "cpp" ? b5_cpp(n, shape, ok) : b5_asio(n, shape, ok);
      char extra[64];
      std::snprintf(extra, sizeof extra, R"("rate":%.1f,)", double(n) / wall);
      print("B5", name, n, wall, extra, ok);
    }
  } else {
    for (int r = 0; r < reps; ++r) {
      double t0 = now_s();
      std::string extra = peer == "cpp" ? b6_cpp(n, ok) : b6_asio(n, ok);
      print("B6", name, n, now_s() - t0, extra, ok);
    }
  }
  return ok ? 0 : 1;
}
