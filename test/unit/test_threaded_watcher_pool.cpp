// The threaded child watcher's waiting threads are reused (lib/linux/threaded_child_watcher.cpp):
// a waiter that handed its child over takes the next one, every child still gets a waiter of
// its own at once, and a forked process starts without the parent's waiters.
#include <asyncio/asyncio.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "child_support.hpp"
#include "child_watcher.hpp"
#include "env_override.hpp"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using asyncio::Coro;
using asyncio::Process;
using test_support::run_async;
using test_support::stdio;

namespace {

// Sets ASYNCIO_CPP_CHILD_WATCHER=thread for the loops made in its scope.
struct ThreadedWatcher : test_support::EnvOverride {
  ThreadedWatcher() : EnvOverride("ASYNCIO_CPP_CHILD_WATCHER", "thread") {}
};

// The system call thread `tid` of ours is blocked in (-1: running or gone).
long syscall_of(pid_t tid) {
  const std::string path = "/proc/self/task/" + std::to_string(tid) + "/syscall";
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return -1;
  long number = -1;
  if (std::fscanf(file, "%ld", &number) != 1) number = -1;
  std::fclose(file);
  return number;
}

// Waits (10 s at most, a safety net) until thread `tid` sleeps on a futex: parked in the pool.
bool parks(pid_t tid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (syscall_of(tid) != SYS_futex && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return syscall_of(tid) == SYS_futex;
}

// Our threads' ids.
std::vector<pid_t> our_threads() {
  std::vector<pid_t> tids;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return tids;
  while (dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') tids.push_back(static_cast<pid_t>(std::atoi(entry->d_name)));
  ::closedir(dir);
  return tids;
}

// A child that exits once its stdin is closed.
Coro<Process> waiting_for_eof() {
  co_return co_await asyncio::create_subprocess_exec(
      "/bin/cat", stdio(asyncio::PIPE, asyncio::DEVNULL, std::nullopt));
}

}  // namespace

// test_subprocess.SubprocessThreadedWatcherTests (3.11/3.12) runs the subprocess tests with a
// thread per child; here 12 children are in flight and each exit is awaited before the next
// child is let go, newest first: a child whose waiter queued behind a busy one would hang.
TEST_CASE("threaded watcher: 12 children in flight, released newest first, each reported",
          "[subprocess][thread_pool]") {
  ThreadedWatcher use_threads;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<std::unique_ptr<Process>> children;
    for (int i = 0; i < 12; ++i) {
      Process proc = co_await waiting_for_eof();
      children.push_back(std::make_unique<Process>(std::move(proc)));
    }
    CHECK(std::string(asyncio::detail::child_watcher_name(asyncio::get_running_loop())) ==
          "thread");
    std::vector<int> codes;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      (*it)->stdin_->close();
      int rc = co_await (*it)->wait();
      codes.push_back(rc);
    }
    co_return codes;
  };
  const std::vector<int> codes = run_async(body);
  CHECK(codes == std::vector<int>(12, 0));
}

// The same CPython tests, one child after another: once the first child's waiter is parked,
// the second child's waiter is a thread that was already there (not a new thread per child).
TEST_CASE("threaded watcher: a parked waiter takes the next child", "[subprocess][thread_pool]") {
  ThreadedWatcher use_threads;
  auto body = []() -> Coro<bool> {
    Process first = co_await waiting_for_eof();
    const std::optional<pid_t> waiter = test_support::await_thread_waiting_for(first.pid);
    REQUIRE(waiter.has_value());
    first.stdin_->close();
    const int rc = co_await first.wait();
    CHECK(rc == 0);
    REQUIRE(parks(*waiter));
    const std::vector<pid_t> before = our_threads();
    Process second = co_await waiting_for_eof();
    const std::optional<pid_t> next = test_support::await_thread_waiting_for(second.pid);
    second.stdin_->close();
    const int rc2 = co_await second.wait();
    CHECK(rc2 == 0);
    co_return next.has_value() && std::find(before.begin(), before.end(), *next) != before.end();
  };
  CHECK(run_async(body));
}

// test_unix_events.TestFork.test_fork_asyncio_subprocess: a forked child runs a subprocess with
// a loop of its own. Here the parent has a parked waiter when it forks; the child has none of
// the parent's threads and must start its own waiter (else its wait() hangs until SIGALRM).
TEST_CASE("threaded watcher: a forked process waits for its children with its own threads",
          "[subprocess][thread_pool]") {
  ThreadedWatcher use_threads;
  auto once = []() -> Coro<int> {
    Process proc = co_await waiting_for_eof();
    proc.stdin_->close();
    co_return co_await proc.wait();
  };
  REQUIRE(run_async(once) == 0);  // leaves a parked waiter behind
#if defined(__SANITIZE_THREAD__)
  // TSan kills a child that starts a thread after a multi-threaded process forked it.
  SUCCEED("the forked child's part needs threads after fork: not under TSan");
  return;
#endif
  const std::string report = test_support::in_forked_child(
      [&] { return "rc=" + std::to_string(asyncio::run(asyncio::wait_for(once(), 8.0))); });
  CHECK(report == "rc=0");
}
