// Subprocess launchers (clone3, posix_spawn) and child watchers (pidfd, threaded); pid reuse.
#include <asyncio/asyncio.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "child_support.hpp"
#include "child_watcher.hpp"
#include "linux/spawn.hpp"
#include "strict_mode.hpp"

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Process;
using test_support::impostor_with_pid;
using test_support::is_our_child;
using test_support::raises;
using test_support::READY_THEN_BLOCK;
using test_support::run_async;
using test_support::shell;
using test_support::stdio;
using test_support::zombie_children;

namespace {

bool pidfd_usable() {
  const long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
  if (fd < 0) return false;
  ::close(static_cast<int>(fd));
  return true;
}

}  // namespace

// ================================================================ launchers

// The launcher of a run without ASYNCIO_CPP_SPAWN. clone3 is built for x86-64, not under TSan
// (posix_spawn there by design); it needs Linux 5.5 (close_range: 5.9) and no seccomp filter
// against it. Where it is built but refused, the machine lacks it: strict mode fails.
std::string default_launcher() {
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
  struct utsname name {};
  int major = 0, minor = 0;
  const bool known = ::uname(&name) == 0 && std::sscanf(name.release, "%d.%d", &major, &minor) == 2;
  // clone3 with no arguments is EINVAL where it exists, ENOSYS or EPERM under a filter.
  errno = 0;
  const bool callable = ::syscall(SYS_clone3, nullptr, 0) < 0 && errno == EINVAL;
  if (known && callable && (major > 5 || (major == 5 && minor >= 9))) return "clone3";
  const std::string kernel = name.release;
  STRICT_FAIL_OR_WARN("clone3 is refused here (Linux " << kernel << " or a seccomp filter): "
                                                       << "the launcher is posix_spawn");
  return "posix_spawn";
#else
  return "posix_spawn";
#endif
}

// The child watcher of a run without ASYNCIO_CPP_CHILD_WATCHER: pidfd where pidfd_open works.
std::string default_watcher() {
  if (pidfd_usable()) return "pidfd";
  STRICT_FAIL_OR_WARN("pidfd_open is refused here: the watcher is the threaded one");
  return "thread";
}

TEST_CASE("fallbacks: the launcher and the watcher in use are the ones the environment names",
          "[subprocess]") {
  // ctest's .fallbacks rerun sets ASYNCIO_CPP_SPAWN=posix_spawn and
  // ASYNCIO_CPP_CHILD_WATCHER=thread: this test proves that the rerun used them. Unset, the
  // defaults (clone3, pidfd) must be in use where the machine allows them, and strict mode
  // requires that it does. The launcher's name is read after a launch, since a refused clone3
  // is found out then.
  const char* spawn = std::getenv("ASYNCIO_CPP_SPAWN");
  const char* watcher = std::getenv("ASYNCIO_CPP_CHILD_WATCHER");
  const std::string launcher_expected = spawn ? spawn : default_launcher();
  const std::string watcher_expected = watcher ? watcher : default_watcher();
  EventLoop loop;
  auto child = []() -> Coro<int> {
    Process proc = co_await shell("exit 5");
    co_return co_await proc.wait();
  };
  CHECK(loop.run_until_complete(asyncio::wait_for(child(), 30.0)) == 5);
  CHECK(asyncio::detail::spawn_launcher_name() == launcher_expected);
  CHECK(asyncio::detail::child_watcher_name(loop) == watcher_expected);
}

TEST_CASE("launchers: loops on two threads start 200 children at once, all reaped",
          "[subprocess]") {
  // Each thread's clone3 child runs below that thread's stack pointer: concurrent launches
  // must not meet. Every child exits with its own code, and no zombie of ours is left.
  const auto zombies_before = zombie_children();
  auto launch_all = [](int first) {
    EventLoop loop;
    auto all = [first]() -> Coro<std::vector<int>> {
      std::vector<asyncio::Task<int>> tasks;
      for (int i = 0; i < 100; ++i) {
        auto one = [](int code) -> Coro<int> {
          Process proc = co_await shell("exit " + std::to_string(code));
          co_return co_await proc.wait();
        };
        tasks.push_back(asyncio::create_task(one((first + i) % 256)));
      }
      co_return co_await asyncio::gather(tasks);
    };
    return loop.run_until_complete(asyncio::wait_for(all(), 60.0));
  };
  std::vector<int> from_thread;
  std::thread other([&] { from_thread = launch_all(100); });
  const std::vector<int> here = launch_all(0);
  other.join();
  for (int i = 0; i < 100; ++i) {
    CHECK(here[i] == i % 256);
    CHECK(from_thread[i] == (100 + i) % 256);
  }
  CHECK(zombie_children() == zombies_before);
}

// ================================================================ child watchers

TEST_CASE("child watchers: both watchers work in one process", "[subprocess]") {
  // Each loop reads the variable when it is made; the pidfd watcher starts no thread.
  const char* saved = std::getenv("ASYNCIO_CPP_CHILD_WATCHER");
  const std::optional<std::string> restore =
      saved ? std::optional<std::string>(saved) : std::nullopt;
  for (std::string name : {"thread", "pidfd"}) {
    if (name == "pidfd" && !pidfd_usable()) {
      STRICT_FAIL_OR_WARN("pidfd_open is refused here: only the threaded watcher was checked");
      continue;
    }
    ::setenv("ASYNCIO_CPP_CHILD_WATCHER", name.c_str(), 1);
    EventLoop loop;
    auto count_tasks = [] {
      int n = 0;
      DIR* dir = ::opendir("/proc/self/task");
      while (dirent* entry = ::readdir(dir)) n += entry->d_name[0] != '.';
      ::closedir(dir);
      return n;
    };
    const int threads_before = count_tasks();
    int threads_during = 0;
    auto child = [&]() -> Coro<int> {
      Process proc =
          co_await shell(READY_THEN_BLOCK, stdio(std::nullopt, asyncio::PIPE, std::nullopt));
      const std::string line = co_await proc.stdout_->readline();
      CHECK(line == "ready\n");
      threads_during = count_tasks();
      proc.terminate();
      co_return co_await proc.wait();
    };
    CHECK(loop.run_until_complete(asyncio::wait_for(child(), 30.0)) == -SIGTERM);
    CHECK(asyncio::detail::child_watcher_name(loop) == name);
    if (name == "pidfd") CHECK(threads_during <= threads_before);
  }
  if (restore) {
    ::setenv("ASYNCIO_CPP_CHILD_WATCHER", restore->c_str(), 1);
  } else {
    ::unsetenv("ASYNCIO_CPP_CHILD_WATCHER");
  }
}

namespace {
// The threaded watcher's thread waits with WNOWAIT and leaves the reap to the loop: once it has
// handed the exit over (and left waitid for another child or its end), the child must still be
// our zombie, its pid not yet free.
void check_thread_watcher_leaves_reap_to_loop(Process& proc) {
  const std::optional<pid_t> waiter = test_support::await_thread_waiting_for(proc.pid);
  REQUIRE(waiter.has_value());  // the watcher's thread, in waitid(P_PID, pid)
  ::kill(proc.pid, SIGKILL);    // behind the transport's back; the loop does not run
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);  // net
  while (test_support::thread_waiting_for(proc.pid) && is_our_child(proc.pid) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK_FALSE(test_support::thread_waiting_for(proc.pid));  // the exit was handed over
  CHECK(is_our_child(proc.pid));                            // unreaped: no window opened
  CHECK_FALSE(proc.returncode().has_value());
}
}  // namespace

TEST_CASE("child watchers: no signal reaches a pid reaped before the exit is reported",
          "[subprocess][pid_reuse]") {
  // Between a reap and the loop running process_exited, returncode is still None but the pid
  // is free for reuse. CPython's Popen.send_signal polls first (ECHILD there sets returncode)
  // and sends nothing; sending kill(pid) then could hit another process. The threaded watcher
  // opens no such window (it leaves the reap to the loop); the pidfd watcher reaps in its
  // reader, so ours checks in the same batch and once more from call_soon (whichever order
  // epoll gave, one check falls inside), and a process of ours takes the freed pid.
  bool threaded = false;
  bool window_seen = false;
  int impostor_signal = 0;  // what ended the impostor: SIGUSR2 (ours) unless hit before
  bool lookup_error = false;
  run_async([&]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> args = {"3600"};
    Process proc = co_await asyncio::create_subprocess_exec("/bin/sleep", args);
    auto probe = [&] {  // inside the window: reaped, not yet reported
      if (window_seen || is_our_child(proc.pid) || proc.returncode()) return;
      window_seen = true;
      const pid_t impostor = impostor_with_pid(proc.pid);
      if (impostor < 0) return;
      lookup_error = raises<asyncio::ProcessLookupError>([&] { proc.kill(); });
      ::kill(impostor, SIGUSR2);
      int status = 0;
      ::waitpid(impostor, &status, 0);
      impostor_signal = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    };
    threaded = std::string(asyncio::detail::child_watcher_name(loop)) == "thread";
    if (threaded) {
      check_thread_watcher_leaves_reap_to_loop(proc);
    } else {
      const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, proc.pid, 0));
      REQUIRE(pidfd >= 0);
      auto checked = loop.create_future<void>();
      loop.add_reader(pidfd, [&] {
        loop.remove_reader(pidfd);
        probe();
        loop.call_soon([&] {
          probe();
          checked.set_result();
        });
      });
      ::kill(proc.pid, SIGKILL);
      co_await checked;
      ::close(pidfd);
    }
    const int code = co_await proc.wait();
    CHECK(code == -SIGKILL);
  });
  if (threaded) return;
  if (!window_seen) {
    STRICT_FAIL_OR_WARN("the pidfd watcher's reap/report window was not observed: nothing checked");
  } else if (impostor_signal == 0) {
    STRICT_FAIL_OR_WARN(
        "could not reuse the pid through /proc/sys/kernel/ns_last_pid (needs CAP_SYS_ADMIN): "
        "'no signal sent' left unchecked");
  } else {
    CHECK(impostor_signal == SIGUSR2);  // the transport's SIGKILL did not reach it
    CHECK(lookup_error);
  }
}

TEST_CASE("child watchers: a watcher reaps only its own children", "[subprocess]") {
  // PidfdChildWatcher / ThreadedChildWatcher wait for their pids only (unlike the old
  // SafeChildWatcher's waitpid(-1)): a child spawned behind the loop's back stays ours to wait.
  pid_t own = 0;
  const char* argv[] = {"/bin/sh", "-c", "exit 9", nullptr};
  REQUIRE(::posix_spawn(&own, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  run_async([]() -> Coro<void> {
    for (int i = 0; i < 3; ++i) {
      Process proc = co_await shell("exit 1");
      const int code = co_await proc.wait();
      CHECK(code == 1);
    }
  });
  int status = 0;
  CHECK(::waitpid(own, &status, 0) == own);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 9);
}

TEST_CASE(
    "exit_while_closing: test_unix_events.ThreadedChildWatcher (a child exits after its loop "
    "closed, before the watcher did)",
    "[subprocess]") {
  // The loop no longer takes calls, so the waiting thread cannot hand the exit over. The
  // refused handle used to destroy the callback (a transport) on that thread, racing the
  // loop's thread (TSan in CI). Now the watcher's close() destroys it and reaps, on the
  // closing thread.
  std::vector<std::string> warnings;
  std::mutex warnings_mutex;
  asyncio::set_log_sink([&](asyncio::LogLevel, std::string_view text) {
    std::lock_guard lock(warnings_mutex);
    warnings.emplace_back(text);
  });
  auto loop = std::make_unique<EventLoop>();
  auto watcher = asyncio::detail::make_threaded_child_watcher(*loop);
  pid_t pid = 0;
  const char* argv[] = {"/bin/sleep", "3600", nullptr};
  REQUIRE(::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  std::thread::id freed_on;
  std::weak_ptr<int> watch;
  {
    std::shared_ptr<int> owned(new int(0), [&freed_on](int* p) {
      freed_on = std::this_thread::get_id();
      delete p;
    });
    watch = owned;
    watcher->add_child_handler(pid, [owned](int, int) { FAIL("ran on a closed loop"); });
  }
  const std::uint64_t before = asyncio::detail::threaded_watcher_exits_left_to_close();
  // What the loop's close() does to its own watcher first; the exit lands before the watcher's
  // close(), as it can between the loop's inbox closing and the watcher closing.
  watcher->stop_handing_over();
  loop->close();
  ::kill(pid, SIGKILL);
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);  // safety net
  while (asyncio::detail::threaded_watcher_exits_left_to_close() == before &&
         std::chrono::steady_clock::now() < limit)
    std::this_thread::yield();
  REQUIRE(asyncio::detail::threaded_watcher_exits_left_to_close() == before + 1);
  CHECK_FALSE(watch.expired());  // still the watcher's
  siginfo_t info{};
  CHECK(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0);
  CHECK(info.si_pid == pid);  // exited, and not reaped: the pid cannot be reused yet
  watcher->close();
  CHECK(watch.expired());
  CHECK(freed_on == std::this_thread::get_id());
  CHECK(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG) == -1);
  CHECK(errno == ECHILD);  // reaped by close()
  asyncio::set_log_sink(nullptr);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "Loop that handles pid " + std::to_string(pid) + " is closed; its exit goes unreported");
}

TEST_CASE(
    "child watchers: close() drops the callbacks at once (test_unix_events."
    "ChildWatcherTestsMixin.test_close)",
    "[subprocess]") {
  // What a callback owns (a transport's pipes) is freed on the closing thread, at close, not
  // when the child exits later; the threaded watcher once freed it on its waiting thread.
  asyncio::set_log_sink([](asyncio::LogLevel, std::string_view) {});  // "its exit goes unreported"
  for (const char* name : {"pidfd", "thread"}) {
    if (std::string(name) == "pidfd" && !pidfd_usable()) continue;
    EventLoop loop;
    auto watcher = std::string(name) == "pidfd"
                       ? asyncio::detail::make_pidfd_child_watcher(loop)
                       : asyncio::detail::make_threaded_child_watcher(loop);
    pid_t pid = 0;
    const char* argv[] = {"/bin/sleep", "3600", nullptr};
    REQUIRE(::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
    const int pidfd = test_support::pidfd_of(pid);
    auto owned = std::make_shared<int>(0);
    bool ran = false;
    watcher->add_child_handler(pid, [owned, &ran](int, int) { ran = true; });
    CHECK(owned.use_count() == 2);
    watcher->close();
    CHECK(owned.use_count() == 1);  // dropped now, the child still running
    ::kill(pid, SIGKILL);
    CHECK(test_support::reaped_soon(pidfd));  // by a reaper thread: no zombie
    CHECK_FALSE(ran);
  }
  asyncio::set_log_sink(nullptr);
}
