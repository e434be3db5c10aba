// Helpers shared by the subprocess tests: what /proc shows of our children and of the threads
// that wait for them (the threaded child watcher's thread sits in waitid(P_PID, pid, ...); the
// pidfd watcher starts none), and running a test body with children under a hang guard.
#pragma once

#include <asyncio/asyncio.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "unit/net_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

// The thread of ours blocked in waitid(P_PID, child, ...), if any. /proc/self/task/TID/syscall
// holds the call's number, then its arguments in hex ("running" while not in a call). Reading
// /proc needs free fds: call it with RLIMIT_NOFILE as usual.
inline std::optional<pid_t> thread_waiting_for(pid_t child) {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return std::nullopt;
  std::optional<pid_t> found;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string path = std::string("/proc/self/task/") + entry->d_name + "/syscall";
    FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) continue;
    long number = -1;
    unsigned long idtype = 0, id = 0;
    const bool parsed = std::fscanf(file, "%ld %lx %lx", &number, &idtype, &id) == 3;
    std::fclose(file);
    if (parsed && number == SYS_waitid && idtype == P_PID &&
        id == static_cast<unsigned long>(child))
      found = static_cast<pid_t>(std::atoi(entry->d_name));
  }
  ::closedir(dir);
  return found;
}

// Waits (10 s at most, a safety net) for a thread to start waiting for `child`: the threaded
// watcher's thread may not have reached waitid yet when the spawn returns.
inline std::optional<pid_t> await_thread_waiting_for(pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<pid_t> waiter;
  while (!(waiter = thread_waiting_for(child)) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return waiter;
}

// The thread is still there (it has not returned, or not yet been collected by the kernel).
inline bool thread_alive(pid_t tid) {
  return ::access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) == 0;
}

// ---------------------------------------------------------------- our children in /proc

struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
};

// /proc/<pid>/stat's state and ppid (the fields after the parenthesised command name).
inline std::optional<ProcStat> proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(paren + 1));
  ProcStat stat;
  rest >> stat.state >> stat.ppid;
  return stat;
}

// Our children that are zombies: exited but not reaped by anyone.
inline std::vector<pid_t> zombie_children() {
  std::vector<pid_t> zombies;
  DIR* dir = ::opendir("/proc");
  REQUIRE(dir != nullptr);
  while (dirent* entry = ::readdir(dir)) {
    const pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    auto stat = proc_stat(pid);
    if (stat && stat->ppid == ::getpid() && stat->state == 'Z') zombies.push_back(pid);
  }
  ::closedir(dir);
  return zombies;
}

// Still our child (running or zombie): the pid has not been reaped.
inline bool is_our_child(pid_t pid) {
  auto stat = proc_stat(pid);
  return stat && stat->ppid == ::getpid();
}

// A process of ours that takes `pid` (reused after a reap), through ns_last_pid: needs
// CAP_SYS_ADMIN; -1 when that is not possible. It waits in pause() until killed.
inline pid_t impostor_with_pid(pid_t pid) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    const std::string last = std::to_string(pid - 1);
    const bool written = ::write(fd, last.data(), last.size()) == static_cast<ssize_t>(last.size());
    ::close(fd);
    if (!written) return -1;
    const pid_t child = ::fork();
    if (child == 0) {
      for (;;) ::pause();
    }
    if (child == pid) return child;
    if (child > 0) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
  }
  return -1;
}

// ---------------------------------------------------------------- running tests

// Aborts the test program if a test hangs where no loop timer can reach (a deadlock in
// the loop thread itself); ctest would otherwise only report a timeout.
class HangGuard {
 public:
  explicit HangGuard(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
          std::fprintf(stderr, "HangGuard: the test is stuck (deadlock?)\n");
          std::abort();
        }) {}
  ~HangGuard() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  HangGuard(const HangGuard&) = delete;
  HangGuard& operator=(const HangGuard&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// asyncio.run(asyncio.wait_for(body(), limit)): a hang fails with TimeoutError.
template <class F>
auto run_async(F&& body, double limit = 30.0) {
  HangGuard guard(std::chrono::seconds(static_cast<int>(limit) + 30));
  return asyncio::run(asyncio::wait_for(body(), limit));
}

inline asyncio::SubprocessOptions stdio(std::optional<int> in, std::optional<int> out,
                                        std::optional<int> err) {
  asyncio::SubprocessOptions options;
  options.stdin_ = in;
  options.stdout_ = out;
  options.stderr_ = err;
  return options;
}

// Whether `f` throws an E (Python's assertRaises(E, f)); anything else propagates.
template <class E, class F>
bool raises(F&& f) {
  try {
    f();
  } catch (const E&) {
    return true;
  }
  return false;
}

// A pipe with both ends inheritable, as ::pipe() makes them: what Boost.Process leaked.
struct InheritablePipe {
  InheritablePipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~InheritablePipe() {
    ::close(r);
    ::close(w);
  }
  InheritablePipe(const InheritablePipe&) = delete;
  InheritablePipe& operator=(const InheritablePipe&) = delete;
  int r;
  int w;
};

// The shell lines of a blocked child that first says it is ready.
inline constexpr const char* READY_THEN_BLOCK = "echo ready; exec sleep 3600";

inline asyncio::Coro<asyncio::Process> shell(std::string cmd,
                                             asyncio::SubprocessOptions options = {}) {
  co_return co_await asyncio::create_subprocess_shell(std::move(cmd), std::move(options));
}

// A pidfd for our child `pid`: it names that child even after its pid is reused (pid_max may
// be 32768, and other tests start thousands of children meanwhile).
inline int pidfd_of(pid_t pid) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(pidfd >= 0);
  return pidfd;
}

// Polls a pidfd (then closes it) until its process is no child of ours any more: waitid gives
// ECHILD once it is reaped, by a reaper thread that runs outside any loop. 10 s is a safety net.
inline bool reaped_soon(int pidfd) {
  bool gone = false;
  for (int i = 0; i < 1000 && !gone; ++i) {
    siginfo_t info{};
    gone = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
           errno == ECHILD;
    if (!gone) ::usleep(10'000);
  }
  ::close(pidfd);
  return gone;
}

// Reads a READY_THEN_BLOCK child's "ready" line, stops the still running child the way
// test_kill / test_terminate / test_send_signal do (kill() for SIGKILL, terminate() for
// SIGTERM, send_signal(sig) otherwise) and returns what wait() gives.
inline asyncio::Coro<int> stop_when_ready(asyncio::Process& proc, int sig) {
  const std::string line = co_await proc.stdout_->readline();  // the child is blocked now
  CHECK(line == "ready\n");
  CHECK_FALSE(proc.returncode().has_value());
  if (sig == SIGKILL) {
    proc.kill();
  } else if (sig == SIGTERM) {
    proc.terminate();
  } else {
    proc.send_signal(sig);
  }
  co_return co_await proc.wait();
}

// Holds its subprocess transport, as Holding does a connection's.
struct HoldingProcess : asyncio::SubprocessProtocol {
  std::shared_ptr<asyncio::BaseTransport> transport;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override { transport = t; }
};

// Forks; the child runs `body` (SIGALRM kills it after 10 s if it hangs, a safety net), reports
// what it returns, or the exception it raised, through a pipe and leaves with _exit, as os._exit
// in CPython's TestFork. Blocks the caller until the child exits, and checks it exited cleanly.
inline std::string in_forked_child(const std::function<std::string()>& body) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(10);
    std::string report;
    try {
      report = body();
    } catch (...) {
      report = "ERROR: " + asyncio::describe_exception(std::current_exception());
    }
    for (std::size_t done = 0; done < report.size();) {
      ssize_t n = ::write(fds[1], report.data() + done, report.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char chunk[256];
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0)
    report.append(chunk, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return report;
}

}  // namespace test_support
