// Objects the loop hands out, used after the loop is closed or destroyed, or dropped unfinished
// when it closes (docs/04-architecture.md, "Ownership"). CPython keeps a closed loop object
// alive for as long as anything refers to it; here the loop may be gone, so each object must
// raise RuntimeError("Event loop is closed") or do nothing, never touch freed memory. Run
// under the asan-ubsan preset these would report a use-after-free on the old code.
#include <catch2/catch.hpp>

#include "unit/loop_support.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using asyncio::EventLoop;
using asyncio::Future;

namespace {

void check_closed_error(const std::function<void()>& fn) {
  try {
    fn();
    FAIL("no RuntimeError");
  } catch (const asyncio::RuntimeError& e) {
    CHECK(std::string(e.what()) == "Event loop is closed");
  }
}

}  // namespace

TEST_CASE("future_loop_destroyed: test_futures.BaseFutureTests (call_soon on a closed loop)",
          "[lifetimes]") {
  // asyncio: set_result() marks the future done, then call_soon() of its callbacks raises.
  std::optional<EventLoop> loop(std::in_place);
  Future<int> quiet(*loop);
  Future<int> heard(*loop);
  heard.add_done_callback([](Future<int>) {});
  loop.reset();
  quiet.set_result(1);  // no callback to schedule: nothing needs the loop
  CHECK(quiet.result() == 1);
  check_closed_error([&] { heard.set_result(2); });
  CHECK(heard.done());
  check_closed_error([&] { quiet.add_done_callback([](Future<int>) {}); });
  check_closed_error([&] { (void)quiet.get_loop(); });
  Future<int> pending = heard;
  CHECK(pending.result() == 2);
}

TEST_CASE("future_loop_closed: test_futures.BaseFutureTests (call_soon on a closed loop)",
          "[lifetimes]") {
  EventLoop loop;
  Future<void> fut(loop);
  fut.add_done_callback([](Future<void>) {});
  loop.close();
  check_closed_error([&] { fut.cancel(); });
  CHECK(fut.cancelled());
}

TEST_CASE("executor_outlives_loop: test_events.EventLoopTestsMixin.test_run_in_executor",
          "[lifetimes][threads]") {
  // A user executor outlives the loop whose work it runs: the result is dropped.
  asyncio::ThreadPoolExecutor pool(1);
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  std::atomic<bool> ran{false};
  {
    EventLoop loop;
    auto fut = loop.run_in_executor(&pool, [opened, &ran] {
      opened.wait();
      ran = true;
      return 7;
    });
    CHECK_FALSE(fut.done());
  }
  gate.set_value();
  pool.shutdown(true);
  CHECK(ran);
}

TEST_CASE("wrap_future_outlives_loop: test_futures.BaseFutureTests.test_wrap_future",
          "[lifetimes][threads]") {
  asyncio::ConcurrentFuture<int> cf;
  {
    EventLoop loop;
    auto wrap = [](asyncio::ConcurrentFuture<int> c) -> asyncio::Coro<bool> {
      co_return asyncio::wrap_future(c).done();
    };
    CHECK_FALSE(loop.run_until_complete(wrap(cf)));
  }
  std::thread([&] { cf.set_result(5); }).join();  // reaches a destroyed loop: dropped
  CHECK(cf.get() == 5);
}

TEST_CASE("threadsafe_coro_unstarted_at_close: test_tasks.RunCoroutineThreadsafeTests",
          "[lifetimes][threads]") {
  // The start call is still in the loop's inbox when the loop closes: the caller's future
  // ends cancelled instead of pending forever.
  EventLoop loop;
  auto never = []() -> asyncio::Coro<int> { co_return 1; };
  asyncio::ConcurrentFuture<int> cf;
  std::thread([&] { cf = asyncio::run_coroutine_threadsafe(never(), loop); }).join();
  loop.close();
  CHECK(cf.cancelled());
  CHECK_THROWS_AS(cf.get(), asyncio::CancelledError);
}

TEST_CASE("threadsafe_task_pending_at_close: test_tasks.RunCoroutineThreadsafeTests",
          "[lifetimes][threads]") {
  // The task is running and waits forever when the loop closes: close() destroys it, and the
  // caller's future ends cancelled. The future and the task held each other: no leak either.
  EventLoop loop;
  auto forever = [](EventLoop& l) -> asyncio::Coro<int> {
    co_await Future<void>(l);
    co_return 1;
  };
  asyncio::ConcurrentFuture<int> cf;
  std::thread([&] { cf = asyncio::run_coroutine_threadsafe(forever(loop), loop); }).join();
  test_support::run_once(loop);
  test_support::run_once(loop);
  CHECK(asyncio::all_tasks(loop).size() == 1);
  CHECK_FALSE(cf.done());
  asyncio::set_log_sink([](asyncio::LogLevel, std::string_view) {});
  loop.close();
  asyncio::set_log_sink(nullptr);
  CHECK(cf.cancelled());
  CHECK(cf.cancel() == false);  // its hook would reach a closed loop: nothing happens
}

namespace {

// Runs `body` in a forked child and returns its wait status: a crash or std::terminate in
// the child shows as a signal, and the parent's state is untouched by anything it does.
template <class Body>
int in_child(Body body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

TEST_CASE("fork_child_closes_loop: test_unix_events.TestFork (gh-99331)", "[lifetimes]") {
  // The child destroys its copy of the loop; the parent's reader, signal handler and
  // thread-safe wakeup must all keep working (the child shares the parent's epoll).
  auto loop = std::make_unique<EventLoop>();
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  int readable = 0, signalled = 0, woken = 0;
  loop->add_reader(p[0], [&] {
    char c;
    while (::read(p[0], &c, 1) == 1) ++readable;
  });
  loop->add_signal_handler(SIGUSR1, [&] { ++signalled; });
  test_support::run_once(*loop);  // every wait is armed in the shared epoll
  int status = in_child([&] {
    loop.reset();
    return 0;
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(::write(p[1], "x", 1) == 1);
  CHECK(test_support::run_until(*loop, [&] { return readable == 1; }));
  ::kill(::getpid(), SIGUSR1);
  CHECK(test_support::run_until(*loop, [&] { return signalled == 1; }));
  std::thread([&] { loop->call_soon_threadsafe([&] { ++woken; }); }).join();
  CHECK(test_support::run_until(*loop, [&] { return woken == 1; }));
  loop->remove_reader(p[0]);
  loop->remove_signal_handler(SIGUSR1);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("close_without_threads: test_unix_events (no thread for the reaper)",
          "[lifetimes][subprocess]") {
  // close() hands running children to a reaper thread. With RLIMIT_NPROC reached no thread
  // can start: close() must still return (it is noexcept: a throw there is std::terminate).
  if (::geteuid() != 0) {
    WARN("needs root to drop to an unprivileged user: nothing checked");
    return;
  }
  int status = in_child([] {
    EventLoop loop;
    int keep[2];  // each child blocks reading this pipe until this process is gone
    if (::pipe2(keep, O_CLOEXEC) != 0) return 2;
    auto start = [&]() -> asyncio::Coro<void> {
      asyncio::SubprocessOptions options;
      options.stdin_ = keep[0];
      for (int i = 0; i < 3; ++i)
        co_await asyncio::create_subprocess_exec("cat", std::vector<std::string>{}, options);
    };
    loop.run_until_complete(start());
    // root ignores RLIMIT_NPROC; nobody, now at one process, cannot start a thread.
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 3;
    rlimit one{1, 1};
    if (::setrlimit(RLIMIT_NPROC, &one) != 0) return 4;
    std::thread probe;
    try {
      probe = std::thread([] {});
      probe.join();
      return 5;  // the limit did not hold: nothing would be tested
    } catch (const std::system_error&) {
    }
    asyncio::set_log_sink([](asyncio::LogLevel, std::string_view) {});
    loop.close();
    return 0;
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE(
    "threadsafe_callable_dies_on_loop: test_events.EventLoopTestsMixin.test_call_soon_threadsafe",
    "[lifetimes][threads]") {
  // Another thread keeps the Handle call_soon_threadsafe gave it and drops it only after the
  // loop ran the callback. What the callback captured (here a witness; in the library a
  // transport or a future) must still be destroyed on the loop's thread, where it is used.
  struct Witness {
    explicit Witness(std::thread::id* where) : died_on(where) {}
    Witness(const Witness&) = delete;
    Witness& operator=(const Witness&) = delete;
    ~Witness() { *died_on = std::this_thread::get_id(); }
    std::thread::id* died_on;
  };
  EventLoop loop;
  std::thread::id died_on;
  std::promise<void> ran, drop;
  std::thread other([&] {
    asyncio::Handle h = loop.call_soon_threadsafe(
        [witness = std::make_shared<Witness>(&died_on), &ran] { ran.set_value(); });
    drop.get_future().wait();  // the loop has run the callback and let go of it
  });
  std::future<void> has_run = ran.get_future();
  CHECK(test_support::run_until(loop, [&] {
    return has_run.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));
  test_support::run_once(loop);  // the batch that ran it is over
  drop.set_value();
  other.join();
  CHECK(died_on == std::this_thread::get_id());
}
