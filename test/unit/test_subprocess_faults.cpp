// Fault injection for subprocesses: running out of fds must give a clear OSError and leak
// nothing; a child whose pidfd cannot be opened is still watched (by a thread) and reaped.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "unit/child_support.hpp"
#include "unit/loop_support.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/wait.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "child_watcher.hpp"

namespace {

std::set<int> fds_now() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.' && std::atoi(entry->d_name) != own)
      fds.insert(std::atoi(entry->d_name));
  ::closedir(dir);
  return fds;
}

// Lowers RLIMIT_NOFILE so that no fd above the ones open now can be made; restores it.
class NoMoreFds {
 public:
  NoMoreFds() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit tight = saved_;
    tight.rlim_cur = static_cast<rlim_t>(*fds_now().rbegin() + 1);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  }
  ~NoMoreFds() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  NoMoreFds(const NoMoreFds&) = delete;
  NoMoreFds& operator=(const NoMoreFds&) = delete;

 private:
  rlimit saved_{};
};

// Fills every free fd number below the highest open one, so that a new fd needs a new number.
struct FillFdHoles {
  std::set<int> fillers;
  FillFdHoles() {
    auto open = fds_now();
    for (int fd = 0; fd < *open.rbegin(); ++fd)
      if (!open.count(fd)) {
        int made = ::dup(2);
        REQUIRE(made >= 0);
        fillers.insert(made);
      }
  }
  ~FillFdHoles() {
    for (int fd : fillers) ::close(fd);
  }
};

asyncio::Coro<void> one_iteration() {
  co_await asyncio::sleep(0);
}

}  // namespace

// CPython: test_subprocess.py SubprocessMixin has no EMFILE test; the behaviour asked for is
// subprocess.Popen's: OSError(EMFILE) from the pipe() that failed, and nothing left open.
TEST_CASE("EMFILE while making the child's pipes: OSError, no fd leaked, no child",
          "[subprocess][faults]") {
  if (test_support::sanitized) {
    SUCCEED("skipped under sanitizers");
    return;
  }
  asyncio::EventLoop loop;
  loop.run_until_complete(one_iteration());  // the loop's own fds exist before we count
  FillFdHoles holes;
  auto before = fds_now();
  int error = 0;
  {
    NoMoreFds limit;
    auto attempt = []() -> asyncio::Coro<void> {
      asyncio::SubprocessOptions o;
      o.stdin_ = asyncio::PIPE;
      o.stdout_ = asyncio::PIPE;
      o.stderr_ = asyncio::PIPE;
      co_await asyncio::create_subprocess_exec("true", o);
    };
    try {
      loop.run_until_complete(attempt());
    } catch (const std::system_error& e) {
      error = e.code().value();
    }
  }
  CHECK(error == EMFILE);
  CHECK(fds_now() == before);
}

// A pidfd is one more fd: without one, the watcher must fall back to a waiting thread.
TEST_CASE("pidfd_open fails with EMFILE: the child is still watched and reaped",
          "[subprocess][faults]") {
  if (test_support::sanitized) {
    SUCCEED("skipped under sanitizers");
    return;
  }
  asyncio::EventLoop loop;
  loop.run_until_complete(one_iteration());
  const std::string watcher = asyncio::detail::child_watcher_name(loop);
  INFO("watcher: " << watcher);  // "thread" in the .fallbacks rerun: no pidfd is tried then
  FillFdHoles holes;
  auto before = fds_now();
  long pidfd = 0;
  int pidfd_errno = 0;
  std::optional<asyncio::Process> proc;
  {
    NoMoreFds limit;
    pidfd = ::syscall(SYS_pidfd_open, ::getpid(), 0);  // what the watcher's call will meet
    pidfd_errno = errno;
    auto start = []() -> asyncio::Coro<asyncio::Process> {
      co_return co_await asyncio::create_subprocess_exec("sleep", "3600");  // needs no fd
    };
    proc = loop.run_until_complete(start());
  }
  CHECK(pidfd == -1);
  CHECK(pidfd_errno == EMFILE);
  // The child runs until killed: the threaded fallback's thread waits for it meanwhile.
  CHECK(test_support::await_thread_waiting_for(proc->pid).has_value());
  proc->kill();
  auto wait = [&]() -> asyncio::Coro<int> { co_return co_await proc->wait(); };
  CHECK(loop.run_until_complete(asyncio::wait_for(wait(), 20.0)) == -SIGKILL);
  proc.reset();
  loop.run_until_complete(one_iteration());  // the transport's close is done
  CHECK(fds_now() == before);
}

// Someone else in the process (a stray waitpid) reaps the child first. asyncio's watchers
// report returncode 255 with a warning; so do both of ours.
TEST_CASE("A child reaped by someone else: returncode 255 and a warning", "[subprocess][faults]") {
  asyncio::EventLoop loop;
  test_support::LogCapture logs;
  int stolen = 0;
  auto body = [&]() -> asyncio::Coro<int> {
    // It runs until killed: the loop cannot have reaped it by the time this resumes.
    auto proc = co_await asyncio::create_subprocess_exec("sleep", "30");
    ::kill(proc.pid, SIGKILL);
    int status = 0;
    // Blocking, before the loop runs again: the loop cannot reap it first.
    stolen = ::waitpid(proc.pid, &status, 0) == proc.pid ? 1 : -1;
    co_return co_await proc.wait();
  };
  int code = loop.run_until_complete(asyncio::wait_for(body(), 20.0));
  CHECK(stolen == 1);
  CHECK(code == 255);
  bool warned = std::any_of(logs.records.begin(), logs.records.end(), [](const auto& r) {
    return r.level == asyncio::LogLevel::warning &&
           r.text.find("will report returncode 255") != std::string::npos;
  });
  CHECK(warned);
}

namespace {
// The fds a child started by system() (fork + exec, not our launcher) can see.
std::set<std::string> fds_a_shell_inherits() {
  std::string out = "/tmp/asyncio-cpp-fds-" + std::to_string(::getpid());
  std::string cmd = "ls /proc/$$/fd > " + out + "; :";  // ':' keeps sh from exec'ing ls
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::set<std::string> fds;
  if (FILE* f = std::fopen(out.c_str(), "r")) {
    char name[32];
    while (std::fscanf(f, "%31s", name) == 1) fds.insert(name);
    std::fclose(f);
  }
  ::unlink(out.c_str());
  return fds;
}
}  // namespace

TEST_CASE(
    "Every fd the library opens is close-on-exec: a shell started by system() while "
    "loops, servers, connections, signal handlers and children are open inherits none",
    "[subprocess][faults]") {
#if defined(__SANITIZE_THREAD__)
  SUCCEED("skipped under TSan: system() forks a process whose executor threads are running");
  return;
#endif
  std::set<std::string> before = fds_a_shell_inherits();
  asyncio::EventLoop loop;
  asyncio::EventLoop second;  // a loop that is not running
  std::set<std::string> during;
  auto body = [&]() -> asyncio::Coro<void> {
    auto& l = asyncio::get_running_loop();
    l.add_signal_handler(SIGUSR1, [] {});
    auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
    auto server = co_await l.create_server(factory, "127.0.0.1", 0);
    int port = server->addresses().at(0).port;
    std::string path = "/tmp/asyncio-cpp-cloexec-" + std::to_string(::getpid());
    auto unix_server = co_await l.create_unix_server(factory, path);
    auto [transport, protocol] = co_await l.create_connection(factory, "127.0.0.1", port);
    asyncio::SubprocessOptions options;
    options.stdin_ = asyncio::PIPE;
    options.stdout_ = asyncio::PIPE;
    auto proc =
        co_await asyncio::create_subprocess_exec("cat", std::vector<std::string>{}, options);
    auto names = co_await l.getaddrinfo("localhost", "80");  // starts the executor's threads
    during = fds_a_shell_inherits();
    proc.kill();
    co_await proc.wait();
    transport->close();
    server->close();
    unix_server->close();
    ::unlink(path.c_str());
    l.remove_signal_handler(SIGUSR1);
  };
  loop.run_until_complete(asyncio::wait_for(body(), 20.0));
  CHECK(during == before);  // nothing the library opened reached the shell
}
