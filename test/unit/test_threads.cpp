// Ports of CPython's test_asyncio/test_threads.py (to_thread), the executor tests of
// test_events.py/test_base_events.py, RunCoroutineThreadsafeTests of test_tasks.py and the
// wrap_future tests of test_futures.py. Catch2 assertions stay on the main thread: worker
// threads only return values or set atomics.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

using asyncio::CancelledError;
using asyncio::ConcurrentFuture;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;
using asyncio::ThreadPoolExecutor;
using Catch::Matchers::Contains;
using namespace test_support;

namespace {
using test_support::Signal;

// test_events' run(arg): the argument and the thread that ran it.
std::pair<std::string, std::thread::id> run_here(std::string arg) {
  return {std::move(arg), std::this_thread::get_id()};
}

template <class T>
Coro<T> await_future(Future<T> fut) {
  co_return co_await fut;
}

// An executor of its own kind: one thread per work item, joined on shutdown.
class ThreadPerTaskExecutor final : public asyncio::Executor {
 public:
  ~ThreadPerTaskExecutor() override { shutdown(true); }
  void submit(std::function<void()> work) override {
    std::lock_guard lock(mutex_);
    ++submitted;
    threads_.emplace_back(std::move(work));
  }
  void shutdown(bool) override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  std::atomic<int> submitted{0};

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// Worker threads meet here; each reports whether all `expected` arrived (safety net: 10 s).
class Rendezvous {
 public:
  explicit Rendezvous(std::size_t expected) : expected_(expected) {}
  bool arrive_and_wait() {
    std::unique_lock lock(mutex_);
    if (++arrived_ == expected_) all_.notify_all();
    return all_.wait_for(lock, std::chrono::seconds(10), [this] { return arrived_ >= expected_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_;
  std::size_t expected_;
  std::size_t arrived_ = 0;
};

}  // namespace

// ---------------------------------------------------------------- to_thread

TEST_CASE("test_threads.ToThreadTests.test_to_thread", "[threads]") {
  // to_thread runs the function in another thread and gives its result.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    std::vector<int> values{40, 2};
    int result = co_await asyncio::to_thread(
        [](const std::vector<int>& v) { return std::accumulate(v.begin(), v.end(), 0); }, values);
    CHECK(result == 42);
    auto [arg, id] = co_await asyncio::to_thread(run_here, std::string("yo"));
    CHECK(arg == "yo");
    CHECK(id != std::this_thread::get_id());
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_threads.ToThreadTests.test_to_thread_exception", "[threads]") {
  // The function's exception is raised where to_thread is awaited.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    co_await asyncio::to_thread([] { throw std::runtime_error("test"); });
  };
  CHECK_THROWS_MATCHES(loop.run_until_complete(main_coro()), std::runtime_error,
                       Catch::Matchers::Message("test"));
}

TEST_CASE("test_threads.ToThreadTests.test_to_thread_once", "[threads]") {
  // Also test_to_thread_concurrent: each call runs the function exactly once.
  EventLoop loop;
  std::atomic<int> calls{0};
  auto func = [&calls] { ++calls; };
  auto main_coro = [&]() -> Coro<void> {
    co_await asyncio::to_thread(func);
    CHECK(calls == 1);
    std::vector<Future<void>> futs;
    for (int i = 0; i < 10; ++i) futs.push_back(asyncio::to_thread(func));
    co_await asyncio::gather(futs);
    CHECK(calls == 11);
  };
  loop.run_until_complete(main_coro());
}

TEST_CASE("test_threads.ToThreadTests.test_to_thread_args_kwargs", "[threads]") {
  // The arguments are bound by value and passed through.
  EventLoop loop;
  auto main_coro = []() -> Coro<void> {
    std::string text = "test";
    auto fut = asyncio::to_thread(
        [](const std::string& s, bool something) { return s + (something ? "+" : "-"); }, text,
        true);
    text = "changed";  // bound by value: the thread sees the original
    std::string result = co_await fut;
    CHECK(result == "test+");
  };
  loop.run_until_complete(main_coro());
}

// ---------------------------------------------------------------- run_in_executor

TEST_CASE("test_events.EventLoopTestsMixin.test_run_in_executor", "[threads]") {
  // run_in_executor(nullptr, ...) uses the default pool, in another thread.
  EventLoop loop;
  Future<std::pair<std::string, std::thread::id>> f2 =
      loop.run_in_executor(nullptr, run_here, std::string("yo"));
  auto [res, thread_id] = loop.run_until_complete(f2);
  CHECK(res == "yo");
  CHECK(thread_id != std::this_thread::get_id());
}

TEST_CASE("test_events.EventLoopTestsMixin.test_run_in_executor: custom executors", "[threads]") {
  // A ThreadPoolExecutor(1) runs everything on its one thread; an Executor of one's own
  // gets the work through submit().
  EventLoop loop;
  ThreadPoolExecutor pool(1);
  auto a = loop.run_until_complete(loop.run_in_executor(&pool, run_here, std::string("a")));
  auto b = loop.run_until_complete(loop.run_in_executor(&pool, run_here, std::string("b")));
  CHECK(a.first == "a");
  CHECK(b.first == "b");
  CHECK(a.second == b.second);
  CHECK(a.second != std::this_thread::get_id());

  ThreadPerTaskExecutor own;
  auto fut = loop.run_in_executor(
      &own, [](int x) { return x * 2; }, 21);
  CHECK(loop.run_until_complete(fut) == 42);
  auto failing = loop.run_in_executor(&own, [] { throw std::invalid_argument("bad"); });
  CHECK_THROWS_AS(loop.run_until_complete(failing), std::invalid_argument);
  CHECK(own.submitted == 2);
  own.shutdown(true);
  pool.shutdown(true);
}

TEST_CASE("test_base_events.BaseEventLoopTests.test_set_default_executor", "[threads]") {
  // The default executor can be replaced; run_in_executor(nullptr) and to_thread use it.
  EventLoop loop;
  auto own = std::make_shared<ThreadPerTaskExecutor>();
  loop.set_default_executor(own);
  CHECK(&loop.default_executor() == own.get());
  CHECK(loop.run_until_complete(loop.run_in_executor(nullptr, [] { return 1; })) == 1);
  auto main_coro = []() -> Coro<int> { co_return co_await asyncio::to_thread([] { return 2; }); };
  CHECK(loop.run_until_complete(main_coro()) == 2);
  CHECK(own->submitted == 2);
  loop.close();
}

TEST_CASE("concurrent.futures.ThreadPoolExecutor: default max_workers", "[threads]") {
  // The default pool is sized as Python's: min(32, cores + 4), and really runs that many
  // jobs at once (they all meet before any of them returns).
  std::size_t expected = std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4);
  CHECK(ThreadPoolExecutor().max_workers() == expected);
  CHECK(ThreadPoolExecutor(3).max_workers() == 3);

  EventLoop loop;
  auto* pool = dynamic_cast<ThreadPoolExecutor*>(&loop.default_executor());
  REQUIRE(pool != nullptr);
  CHECK(pool->max_workers() == expected);
  Rendezvous meeting(expected);
  auto main_coro = [&]() -> Coro<std::vector<bool>> {
    std::vector<Future<bool>> futs;
    for (std::size_t i = 0; i < expected; ++i) {
      futs.push_back(asyncio::to_thread([&meeting] { return meeting.arrive_and_wait(); }));
    }
    co_return co_await asyncio::gather(futs);
  };
  std::vector<bool> all_met = loop.run_until_complete(main_coro());
  CHECK(all_met == std::vector<bool>(expected, true));
  loop.run_until_complete(loop.shutdown_default_executor());
}

TEST_CASE("test_concurrent_futures.ThreadPoolShutdownTest.test_run_after_shutdown", "[threads]") {
  // A pool shut down refuses work; so does a closed loop.
  ThreadPoolExecutor pool(2);
  pool.submit([] {});
  pool.shutdown(true);
  CHECK_THROWS_WITH(pool.submit([] {}), Contains("cannot schedule new futures after shutdown"));

  EventLoop loop;
  loop.close();
  CHECK_THROWS_WITH(loop.run_in_executor(nullptr, [] {}), "Event loop is closed");
}

namespace {
// A ThreadPoolExecutor that opens `gate` when it is shut down: its work can end only then.
class GateOnShutdown final : public asyncio::Executor {
 public:
  explicit GateOnShutdown(std::shared_ptr<std::atomic<bool>> gate) : gate_(std::move(gate)) {}
  void submit(std::function<void()> work) override { pool_.submit(std::move(work)); }
  void shutdown(bool wait) override {
    if (!waited) waited = wait;  // loop.close() shuts it down again, with wait=False
    gate_->store(true);
    pool_.shutdown(wait);
  }
  std::optional<bool> waited;  // the first shutdown's argument

 private:
  std::shared_ptr<std::atomic<bool>> gate_;
  ThreadPoolExecutor pool_{1};
};
}  // namespace

TEST_CASE("test_runners.RunTests: asyncio.run shuts the default executor down", "[threads]") {
  // run() waits for the default executor's threads: work started in main, which only the
  // executor's shutdown (after main has returned) lets finish, has finished when run()
  // returns, though main never awaited it. Had run() not shut the executor down, the gate
  // would open only below, after run() returned.
  auto gate = std::make_shared<std::atomic<bool>>(false);
  auto executor = std::make_shared<GateOnShutdown>(gate);
  std::atomic<bool> finished{false};
  auto main_coro = [&]() -> Coro<void> {
    asyncio::get_running_loop().set_default_executor(executor);
    // Not awaited on purpose: asyncio.run must wait for it at shutdown.
    (void)asyncio::get_running_loop().run_in_executor(nullptr, [gate, &finished] {
      while (!gate->load()) std::this_thread::yield();
      finished = true;
    });
    co_return;
  };
  asyncio::run(main_coro());
  const bool finished_by_return = finished;
  const std::optional<bool> waited = executor->waited;
  gate->store(true);  // lets the work end if run() did not
  executor->shutdown(true);
  CHECK(finished_by_return);
  CHECK(waited == std::optional<bool>(true));  // shutdown(wait=True)
}

// ---------------------------------------------------------------- run_coroutine_threadsafe

namespace {
struct AddOptions {
  bool fail = false;
  bool cancel = false;
};

// RunCoroutineThreadsafeTests.add: after a short sleep, a + b (or fail, or cancel itself).
Coro<int> add(int a, int b, AddOptions options, asyncio::TaskRef* seen) {
  if (seen != nullptr) *seen = asyncio::current_task();
  co_await asyncio::sleep(0.002);
  if (options.fail) throw std::runtime_error("Fail!");
  if (options.cancel) {
    asyncio::current_task().cancel();
    co_await asyncio::sleep(0);
  }
  co_return a + b;
}

// RunCoroutineThreadsafeTests.target, run in an executor thread: submits add() to the loop
// and waits for it; with a timeout it cancels the future if still pending.
int target(EventLoop& loop, AddOptions options, std::optional<double> timeout,
           asyncio::TaskRef* seen) {
  ConcurrentFuture<int> future = asyncio::run_coroutine_threadsafe(add(1, 2, options, seen), loop);
  try {
    int result = future.result(timeout);
    return result;
  } catch (...) {
    if (!future.done()) future.cancel();
    throw;
  }
}
}  // namespace

TEST_CASE("test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe", "[threads]") {
  // A coroutine submitted from another thread runs on the loop; get() gives its result.
  EventLoop loop;
  auto fut =
      loop.run_in_executor(nullptr, [&loop] { return target(loop, {}, std::nullopt, nullptr); });
  CHECK(loop.run_until_complete(fut) == 3);

  // wait_for() from the other thread: false while pending, true once done. The coroutine
  // waits for a gate that this thread opens only after its first wait_for(), so the loop
  // cannot finish it first (it did once under a sanitizer in CI).
  asyncio::Event gate;
  auto gated = [](asyncio::Event& g) -> Coro<int> {
    co_await g.wait();
    co_return 5;
  };
  auto waited = loop.run_in_executor(nullptr, [&loop, &gate, gated] {
    ConcurrentFuture<int> cf = asyncio::run_coroutine_threadsafe(gated(gate), loop);
    bool early = cf.wait_for(0.0);
    loop.call_soon_threadsafe([&gate] { gate.set(); });
    bool late = cf.wait_for(10.0);
    return std::tuple<bool, bool, int>{early, late, cf.get()};
  });
  auto [early, late, value] = loop.run_until_complete(waited);
  CHECK_FALSE(early);
  CHECK(late);
  CHECK(value == 5);
}

TEST_CASE("test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe_with_exception",
          "[threads]") {
  // The coroutine's exception comes out of get() in the other thread.
  EventLoop loop;
  auto fut = loop.run_in_executor(
      nullptr, [&loop] { return target(loop, {.fail = true}, std::nullopt, nullptr); });
  CHECK_THROWS_MATCHES(loop.run_until_complete(fut), std::runtime_error,
                       Catch::Matchers::Message("Fail!"));
}

namespace {
// Steps the loop until it has no pending task left (at most `limit` iterations).
// Until every other task is done: a cancellation posted from the executor thread may arrive
// some iterations later on a loaded machine. The deadline is only a safety net.
Coro<void> settle() {
  EventLoop& loop = asyncio::get_running_loop();
  const double deadline = loop.time() + 10.0;
  while (asyncio::all_tasks().size() > 1 && loop.time() < deadline) co_await asyncio::sleep(0);
}

}  // namespace

TEST_CASE("test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe_with_timeout",
          "[threads]") {
  // result(0) times out; the thread cancels the future, and no task is left pending.
  EventLoop loop;
  auto fut = loop.run_in_executor(nullptr, [&loop] { return target(loop, {}, 0.0, nullptr); });
  CHECK_THROWS_AS(loop.run_until_complete(fut), asyncio::TimeoutError);
  loop.run_until_complete(settle());
  CHECK(asyncio::all_tasks(loop).empty());
}

TEST_CASE("test_tasks.RunCoroutineThreadsafeTests: cancel() cancels the running task",
          "[threads]") {
  // Cancelling the thread-safe future from another thread cancels the task: the coroutine
  // sees CancelledError at its await.
  EventLoop loop;
  Signal started;
  bool saw_cancel = false;
  asyncio::TaskRef seen;
  auto blocker = [&]() -> Coro<int> {
    seen = asyncio::current_task();
    started.set();
    try {
      co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
      saw_cancel = true;
      throw;
    }
    co_return 1;
  };
  auto fut = loop.run_in_executor(nullptr, [&] {
    ConcurrentFuture<int> cf = asyncio::run_coroutine_threadsafe(blocker(), loop);
    bool ok = started.wait();
    bool cancelled = cf.cancel();
    return ok && cancelled && cf.cancelled();
  });
  double t0 = loop.time();
  CHECK(loop.run_until_complete(fut));
  loop.run_until_complete(settle());
  CHECK(loop.time() - t0 < 5.0);
  REQUIRE(seen);
  CHECK(seen.cancelled());
  CHECK(saw_cancel);
}

TEST_CASE("test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe_task_cancelled",
          "[threads]") {
  // A task that ends cancelled makes get() raise CancelledError in the other thread.
  EventLoop loop;
  std::atomic<bool> got_cancelled{false};
  auto fut = loop.run_in_executor(nullptr, [&loop, &got_cancelled] {
    ConcurrentFuture<int> cf =
        asyncio::run_coroutine_threadsafe(add(1, 2, {.cancel = true}, nullptr), loop);
    try {
      cf.get();
    } catch (const CancelledError&) {
      got_cancelled = true;
    }
    return cf.cancelled();
  });
  CHECK(loop.run_until_complete(fut));
  CHECK(got_cancelled);
}

// ---------------------------------------------------------------- wrap_future

TEST_CASE("test_futures.BaseFutureTests.test_wrap_future", "[threads]") {
  // Also test_wrap_future_use_running_loop: an asyncio future on the running loop that
  // follows a thread-safe future completed by another thread.
  EventLoop loop;
  ThreadPoolExecutor ex(1);
  ConcurrentFuture<std::pair<std::string, std::thread::id>> f1;
  ex.submit([f1]() mutable { f1.set_result(run_here("oi")); });
  auto main_coro = [&]() -> Coro<std::pair<std::string, std::thread::id>> {
    auto f2 = asyncio::wrap_future(f1);
    CHECK(&f2.get_loop() == &loop);
    co_return co_await f2;
  };
  auto [res, ident] = loop.run_until_complete(main_coro());
  CHECK(res == "oi");
  CHECK(ident != std::this_thread::get_id());
  ex.shutdown(true);
}

TEST_CASE("test_futures.BaseFutureTests.test_wrap_future_cancel", "[threads]") {
  // Cancelling the wrapper cancels the pending thread-safe future.
  EventLoop loop;
  ConcurrentFuture<int> f1;
  auto make = [&]() -> Coro<Future<int>> { co_return asyncio::wrap_future(f1); };
  Future<int> f2 = loop.run_until_complete(make());
  f2.cancel();
  run_once(loop);
  run_once(loop);
  CHECK(f1.cancelled());
  CHECK(f2.cancelled());
}

TEST_CASE("test_futures.BaseFutureTests.test_wrap_future_cancel2", "[threads]") {
  // Cancelling the wrapper of a done thread-safe future leaves that future's result alone.
  EventLoop loop;
  ConcurrentFuture<int> f1;
  auto make = [&]() -> Coro<Future<int>> { co_return asyncio::wrap_future(f1); };
  Future<int> f2 = loop.run_until_complete(make());
  f1.set_result(42);
  f2.cancel();
  run_once(loop);
  run_once(loop);
  CHECK_FALSE(f1.cancelled());
  CHECK(f1.get() == 42);
  CHECK(f2.cancelled());
}
