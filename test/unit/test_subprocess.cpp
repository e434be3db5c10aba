// Subprocesses: ports of CPython's Lib/test/test_asyncio/test_subprocess.py (SubprocessMixin,
// run there once per child watcher as here: CMake runs every [subprocess] test again with
// ASYNCIO_CPP_CHILD_WATCHER=thread), test_events.py's SubprocessTestsMixin (the protocol
// level), test_unix_events.py's child watcher behaviour (each watcher reaps only its own
// children), and the defects of Boost.Process 1.81 this library must not inherit: fds leaking
// into children, zombies after a failed exec, and deadlocks when forking while other threads
// use an io_context.
#include <asyncio/asyncio.hpp>
#include <asyncio/subprocess.hpp>
#include <asyncio/unix_events.hpp>
#include <catch2/catch.hpp>

#include "unit/net_support.hpp"

#include "child_support.hpp"
#include "child_watcher.hpp"
#include "linux/spawn.hpp"
#include "loop_support.hpp"
#include "strict_mode.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Process;
using asyncio::SubprocessOptions;

namespace {

// ---------------------------------------------------------------- process-wide probes

// Entries of /proc/self/fd, without the directory's own fd.
std::set<int> open_fds() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != own) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
};

// /proc/<pid>/stat's state and ppid (the fields after the parenthesised command name).
std::optional<ProcStat> proc_stat(pid_t pid) {
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
std::vector<pid_t> zombie_children() {
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
bool is_our_child(pid_t pid) {
  auto stat = proc_stat(pid);
  return stat && stat->ppid == ::getpid();
}

bool pidfd_usable() {
  const long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
  if (fd < 0) return false;
  ::close(static_cast<int>(fd));
  return true;
}

// A process of ours that takes `pid` (reused after a reap), through ns_last_pid: needs
// CAP_SYS_ADMIN; -1 when that is not possible. It waits in pause() until killed.
pid_t impostor_with_pid(pid_t pid) {
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

// asyncio.sleep(0) as a coroutine, for run_until_complete.
Coro<void> yield_once() {
  co_await asyncio::sleep(0);
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

SubprocessOptions stdio(std::optional<int> in, std::optional<int> out, std::optional<int> err) {
  SubprocessOptions options;
  options.stdin_ = in;
  options.stdout_ = out;
  options.stderr_ = err;
  return options;
}

using test_support::errno_of;

// The errno of the std::system_error `f` throws; 0 when it throws nothing.
template <class F>
int errno_thrown(F&& f) {
  try {
    f();
  } catch (...) {
    return errno_of(std::current_exception());
  }
  return 0;
}

// `ls -l /proc/self/fd` output -> the fds ls had open, minus the directory it was listing
// (ls opens /proc/<its pid>/fd itself: that one is not inherited).
std::set<int> fds_in_listing(const std::string& listing) {
  std::set<int> fds;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    const auto arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    const std::string target = line.substr(arrow + 4);
    if (target.rfind("/proc/", 0) == 0 && target.size() > 3 &&
        target.compare(target.size() - 3, 3, "/fd") == 0)
      continue;
    const auto space = line.rfind(' ', arrow - 1);
    fds.insert(std::stoi(line.substr(space + 1, arrow - space - 1)));
  }
  return fds;
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

// Records the SubprocessProtocol callbacks in order.
class SubprocessRecorder : public asyncio::SubprocessProtocol {
 public:
  explicit SubprocessRecorder(EventLoop& loop)
      : exited(loop.create_future<void>()), lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    events.push_back("made");
    transport = std::dynamic_pointer_cast<asyncio::SubprocessTransport>(t);
  }
  void pipe_data_received(int fd, std::string_view data) override {
    output[fd].append(data);
    if (data_waiter && !data_waiter->done()) data_waiter->set_result();
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override {
    events.push_back("pipe_lost " + std::to_string(fd));
    if (exc) pipe_errors.push_back(fd);
  }
  void process_exited() override {
    events.push_back("exited");
    if (auto t = transport.lock()) returncode_at_exit = t->get_returncode();
    if (!exited.done()) exited.set_result();
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("lost");
    error = exc;
    if (!lost.done()) lost.set_result();
  }

  std::vector<std::string> events;
  std::map<int, std::string> output;
  std::vector<int> pipe_errors;
  std::weak_ptr<asyncio::SubprocessTransport> transport;
  std::optional<int> returncode_at_exit;
  std::exception_ptr error;
  std::optional<asyncio::Future<void>> data_waiter;  // set on the next pipe_data_received
  asyncio::Future<void> exited;
  asyncio::Future<void> lost;
};

// The shell lines of a blocked child that first says it is ready.
const char* const READY_THEN_BLOCK = "echo ready; exec sleep 3600";

Coro<Process> shell(std::string cmd, SubprocessOptions options = {}) {
  co_return co_await asyncio::create_subprocess_shell(std::move(cmd), std::move(options));
}

}  // namespace

// ================================================================ exit codes and signals

TEST_CASE("test_subprocess.SubprocessMixin.test_shell: exit codes 0, 3, -9, -15", "[subprocess]") {
  // returncode is the exit status, or -N when signal N ended the child.
  run_async([]() -> Coro<void> {
    const std::vector<std::pair<std::string, int>> cases = {
        {"exit 0", 0}, {"exit 3", 3}, {"kill -9 $$", -9}, {"kill -15 $$", -15}};
    for (const auto& [cmd, expected] : cases) {
      Process proc = co_await shell(cmd);
      CHECK(proc.pid > 0);
      const int code = co_await proc.wait();
      CHECK(code == expected);
      CHECK(proc.returncode() == expected);
      const int again = co_await proc.wait();  // waiting again returns at once
      CHECK(again == expected);
    }
  });
}

TEST_CASE("test_subprocess.SubprocessMixin.test_kill / test_terminate / test_send_signal",
          "[subprocess]") {
  // kill -> -SIGKILL, terminate -> -SIGTERM, send_signal(SIGHUP) -> -SIGHUP (the child
  // has SIGHUP's default action even if we had ignored it: dispositions are reset at exec
  // except SIG_IGN, so restore it first as CPython's test does).
  struct sigaction old {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGHUP, &dfl, &old);
  run_async([]() -> Coro<void> {
    for (int sig : {SIGKILL, SIGTERM, SIGHUP}) {
      Process proc =
          co_await shell(READY_THEN_BLOCK, stdio(std::nullopt, asyncio::PIPE, std::nullopt));
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
      const int code = co_await proc.wait();
      CHECK(code == -sig);
    }
  });
  ::sigaction(SIGHUP, &old, nullptr);
}

TEST_CASE("test_subprocess.SubprocessTransportTests.test_proc_exited: ESRCH once reaped",
          "[subprocess]") {
  // After the exit is collected, send_signal/terminate/kill raise ProcessLookupError (ESRCH)
  // and signal nobody, even a process that took the freed pid.
  run_async([]() -> Coro<void> {
    Process proc = co_await shell("exit 6");
    const int code = co_await proc.wait();
    CHECK(code == 6);
    CHECK_FALSE(is_our_child(proc.pid));  // reaped
    CHECK(errno_thrown([&] { proc.send_signal(SIGTERM); }) == ESRCH);
    CHECK(errno_thrown([&] { proc.terminate(); }) == ESRCH);
    CHECK(errno_thrown([&] { proc.kill(); }) == ESRCH);

    const pid_t impostor = impostor_with_pid(proc.pid);
    if (impostor < 0) {
      STRICT_FAIL_OR_WARN(
          "could not reuse the pid through /proc/sys/kernel/ns_last_pid (needs CAP_SYS_ADMIN): "
          "'no signal sent' left unchecked");
      co_return;
    }
    CHECK(errno_thrown([&] { proc.send_signal(SIGTERM); }) == ESRCH);
    CHECK(errno_thrown([&] { proc.terminate(); }) == ESRCH);
    CHECK(errno_thrown([&] { proc.kill(); }) == ESRCH);
    ::kill(impostor, SIGUSR2);
    int status = 0;
    ::waitpid(impostor, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGUSR2);  // our signal ended it: none of the transport's did
  });
}

TEST_CASE("test_subprocess.SubprocessMixin.test_close_kill_running", "[subprocess]") {
  // transport.close() kills a child that still runs; it is then reaped, and the protocol
  // still hears process_exited and, last, connection_lost.
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> args = {"3600"};
    auto [transport, protocol] = co_await loop.subprocess_exec(
        [&] { return std::make_shared<SubprocessRecorder>(loop); }, "/bin/sleep", args);
    const int pid = transport->get_pid();
    CHECK(is_our_child(pid));
    CHECK_FALSE(transport->get_returncode().has_value());
    transport->close();
    CHECK(transport->is_closing());
    co_await protocol->lost;
    CHECK(transport->get_returncode() == -SIGKILL);
    CHECK(protocol->returncode_at_exit == -SIGKILL);
    CHECK_FALSE(is_our_child(pid));
    CHECK(protocol->events.back() == "lost");
    CHECK(std::count(protocol->events.begin(), protocol->events.end(), "exited") == 1);
  });
}

// ================================================================ the protocol level

TEST_CASE("test_events.SubprocessTestsMixin.test_subprocess_exec / _interactive", "[subprocess]") {
  // Through the pipe transports: write to fd 0, read fd 1; stdin's transport is a
  // WriteTransport. Order is racy between exit and EOF, so only invariants are checked:
  // connection_made first, connection_lost last, one process_exited, every pipe lost once.
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto [transport, protocol] = co_await loop.subprocess_exec(
        [&] { return std::make_shared<SubprocessRecorder>(loop); }, "/bin/cat");
    CHECK(protocol->events.front() == "made");
    auto stdin_pipe =
        std::dynamic_pointer_cast<asyncio::WriteTransport>(transport->get_pipe_transport(0));
    REQUIRE(stdin_pipe != nullptr);
    CHECK(std::dynamic_pointer_cast<asyncio::ReadTransport>(transport->get_pipe_transport(1)));
    CHECK(std::dynamic_pointer_cast<asyncio::ReadTransport>(transport->get_pipe_transport(2)));
    stdin_pipe->write("Python The Winner");
    while (protocol->output[1].size() < 17) {
      protocol->data_waiter = loop.create_future<void>();
      co_await *protocol->data_waiter;
    }
    CHECK(protocol->output[1] == "Python The Winner");  // interactive: echoed before EOF
    stdin_pipe->close();
    co_await protocol->lost;
    CHECK(transport->get_returncode() == 0);
    CHECK(protocol->events.front() == "made");
    CHECK(protocol->events.back() == "lost");
    std::multiset<std::string> middle(protocol->events.begin() + 1, protocol->events.end() - 1);
    CHECK(middle ==
          std::multiset<std::string>{"pipe_lost 0", "pipe_lost 1", "pipe_lost 2", "exited"});
    CHECK(protocol->pipe_errors.empty());
    CHECK(protocol->output.count(2) == 0);  // nothing on stderr
    transport->close();
  });
}

TEST_CASE("test_events.SubprocessTestsMixin.test_subprocess_stderr / _redirect_to_stdout",
          "[subprocess]") {
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    const std::string script = "echo out; echo err >&2";
    {
      std::vector<std::string> args = {"-c", script};
      auto [transport, protocol] = co_await loop.subprocess_exec(
          [&] { return std::make_shared<SubprocessRecorder>(loop); }, "/bin/sh", args);
      co_await protocol->lost;
      CHECK(protocol->output[1] == "out\n");
      CHECK(protocol->output[2] == "err\n");
    }
    {
      auto options = stdio(asyncio::PIPE, asyncio::PIPE, asyncio::STDOUT);
      auto [transport, protocol] = co_await loop.subprocess_shell(
          [&] { return std::make_shared<SubprocessRecorder>(loop); }, script, options);
      CHECK(transport->get_pipe_transport(2) == nullptr);
      co_await protocol->lost;
      CHECK(protocol->output[1] == "out\nerr\n");
      CHECK(protocol->output.count(2) == 0);
    }
  });
}

// ================================================================ streams and options

TEST_CASE("test_subprocess.SubprocessMixin.test_communicate: 300 KB through cat", "[subprocess]") {
  // More than a pipe holds in both directions: communicate must write and read at once.
  run_async([]() -> Coro<void> {
    std::string data(300 * 1000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('A' + i % 53);
    std::vector<std::string> none;
    Process proc = co_await asyncio::create_subprocess_exec(
        "/bin/cat", none, stdio(asyncio::PIPE, asyncio::PIPE, std::nullopt));
    auto [out, err] = co_await proc.communicate(data);
    REQUIRE(out.has_value());
    CHECK(out->size() == data.size());
    CHECK(*out == data);
    CHECK_FALSE(err.has_value());  // stderr is not a pipe
    CHECK(proc.returncode() == 0);
  });
}

TEST_CASE("test_subprocess.SubprocessMixin.test_stdin_stdout / test_read_stdout_after_exit",
          "[subprocess]") {
  // write + drain + close stdin, then read stdout to EOF; output stays readable after exit.
  run_async([]() -> Coro<void> {
    std::vector<std::string> none;
    Process proc = co_await asyncio::create_subprocess_exec(
        "/bin/cat", none, stdio(asyncio::PIPE, asyncio::PIPE, std::nullopt));
    proc.stdin_->write("some data");
    co_await proc.stdin_->drain();
    proc.stdin_->close();
    const int code = co_await proc.wait();
    CHECK(code == 0);
    const std::string data = co_await proc.stdout_->read();
    CHECK(data == "some data");
    CHECK(proc.stdout_->at_eof());
  });
}

TEST_CASE("test_subprocess.SubprocessMixin.test_stdin_broken_pipe", "[subprocess]") {
  // The child exits without reading stdin while the writer still has data buffered:
  // drain() raises BrokenPipeError or ConnectionResetError, and that is all: nothing is
  // logged (the stdin close waiter's error is not "never retrieved", as in CPython).
  test_support::LogCapture logs;
  InheritablePipe go;
  run_async([&]() -> Coro<void> {
    auto options = stdio(asyncio::PIPE, std::nullopt, std::nullopt);
    options.pass_fds = {go.r};
    Process proc = co_await shell("head -c 1 <&" + std::to_string(go.r) + " >/dev/null", options);
    proc.stdin_->write(std::string(4 * 1024 * 1024, 'x'));
    REQUIRE(::write(go.w, "go", 2) == 2);
    int err = 0;
    try {
      co_await proc.stdin_->drain();
    } catch (const std::system_error& e) {
      err = e.code().value();
    }
    CHECK((err == EPIPE || err == ECONNRESET));
    const int code = co_await proc.wait();
    CHECK(code == 0);
  });
  for (const auto& record : logs.records) CHECK(record.text == "");
}

TEST_CASE("test_subprocess.SubprocessMixin.test_communicate_ignore_broken_pipe", "[subprocess]") {
  // communicate() swallows the BrokenPipeError of feeding a child that does not read.
  run_async([]() -> Coro<void> {
    asyncio::get_running_loop().set_exception_handler([](EventLoop&, const auto&) {});
    Process proc = co_await shell("exit 0", stdio(asyncio::PIPE, std::nullopt, std::nullopt));
    auto [out, err] = co_await proc.communicate(std::string(4 * 1024 * 1024, 'x'));
    CHECK_FALSE(out.has_value());
    CHECK_FALSE(err.has_value());
    const int code = co_await proc.wait();
    CHECK(code == 0);
  });
}

TEST_CASE("test_subprocess: drain after the child exited raises ConnectionResetError",
          "[subprocess]") {
  // The stdin pipe was lost without an error (wait_closed returns then): drain() raises
  // ConnectionResetError('Connection lost') from FlowControlMixin._drain_helper; later
  // writes are dropped. (After wait() alone the pipe's loss may still be pending.)
  run_async([]() -> Coro<void> {
    Process proc = co_await shell("exit 0", stdio(asyncio::PIPE, std::nullopt, std::nullopt));
    co_await proc.stdin_->wait_closed();  // returns once the pipe is lost (not closed by us)
    CHECK(proc.stdin_->is_closing());
    int err = 0;
    try {
      co_await proc.stdin_->drain();
    } catch (const std::system_error& e) {
      err = e.code().value();
    }
    CHECK(err == ECONNRESET);
    proc.stdin_->write("dropped");
    const int code = co_await proc.wait();
    CHECK(code == 0);
  });
}

TEST_CASE("test_subprocess: env and cwd", "[subprocess]") {
  // env replaces the whole environment; cwd is where the child starts.
  char dir_template[] = "/tmp/asyncio_cpp_cwd_XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  run_async([&]() -> Coro<void> {
    auto options = stdio(std::nullopt, asyncio::PIPE, std::nullopt);
    options.env = std::map<std::string, std::string>{{"FOO", "bar baz"}};
    options.cwd = dir;
    Process proc = co_await shell("echo \"$FOO|${HOME-unset}\"; pwd -P", options);
    auto [out, err] = co_await proc.communicate();
    CHECK(out == "bar baz|unset\n" + dir + "\n");

    // Unset env: ours is inherited.
    ::setenv("ASYNCIO_CPP_TEST_MARK", "inherited", 1);
    Process proc2 = co_await shell("echo \"$ASYNCIO_CPP_TEST_MARK\"",
                                   stdio(std::nullopt, asyncio::PIPE, std::nullopt));
    auto [out2, err2] = co_await proc2.communicate();
    ::unsetenv("ASYNCIO_CPP_TEST_MARK");
    CHECK(out2 == "inherited\n");
  });
  ::rmdir(dir.c_str());
}

TEST_CASE("test_subprocess: a missing cwd raises FileNotFoundError", "[subprocess]") {
  run_async([]() -> Coro<void> {
    SubprocessOptions options;
    options.cwd = "/nonexistent/asyncio-cpp";
    int err = 0;
    std::string what;
    try {
      co_await shell("exit 0", options);
    } catch (const std::system_error& e) {
      err = e.code().value();
      what = e.what();
    }
    CHECK(err == ENOENT);
    // clone3's child says which step failed; posix_spawn reports only the errno.
    if (std::string(asyncio::detail::spawn_launcher_name()) == "clone3")
      CHECK(what.find("/nonexistent/asyncio-cpp") != std::string::npos);
  });
}

TEST_CASE("test_subprocess: stderr=STDOUT", "[subprocess]") {
  run_async([]() -> Coro<void> {
    Process proc = co_await shell("echo out; echo err >&2; echo out2",
                                  stdio(std::nullopt, asyncio::PIPE, asyncio::STDOUT));
    CHECK(proc.stderr_ == nullptr);
    auto [out, err] = co_await proc.communicate();
    CHECK(out == "out\nerr\nout2\n");
    CHECK_FALSE(err.has_value());
  });
}

TEST_CASE("test_subprocess.SubprocessMixin.test_devnull_input / _output / _error", "[subprocess]") {
  run_async([]() -> Coro<void> {
    {  // stdin from /dev/null: cat sees EOF at once
      std::vector<std::string> none;
      Process proc = co_await asyncio::create_subprocess_exec(
          "/bin/cat", none, stdio(asyncio::DEVNULL, asyncio::PIPE, std::nullopt));
      CHECK(proc.stdin_ == nullptr);
      auto [out, err] = co_await proc.communicate();
      CHECK(out == "");
      CHECK(proc.returncode() == 0);
    }
    {  // stdout to /dev/null
      Process proc = co_await shell("t=$(readlink /proc/$$/fd/1); echo \"$t\" >&2",
                                    stdio(std::nullopt, asyncio::DEVNULL, asyncio::PIPE));
      CHECK(proc.stdout_ == nullptr);
      auto [out, err] = co_await proc.communicate();
      CHECK_FALSE(out.has_value());
      CHECK(err == "/dev/null\n");
    }
    {  // stderr to /dev/null
      Process proc = co_await shell("readlink /proc/$$/fd/2",
                                    stdio(std::nullopt, asyncio::PIPE, asyncio::DEVNULL));
      CHECK(proc.stderr_ == nullptr);
      auto [out, err] = co_await proc.communicate();
      CHECK(out == "/dev/null\n");
    }
  });
}

TEST_CASE("test_subprocess: DEVNULL on several slots around a pipe, and stderr=STDOUT after it",
          "[subprocess]") {
  // The child opens /dev/null once and dup2s it; the pipe between must survive that.
  run_async([]() -> Coro<void> {
    Process proc = co_await shell("readlink /proc/$$/fd/0 /proc/$$/fd/2",
                                  stdio(asyncio::DEVNULL, asyncio::PIPE, asyncio::DEVNULL));
    auto [out, err] = co_await proc.communicate();
    CHECK(out == "/dev/null\n/dev/null\n");
    CHECK(proc.returncode() == 0);
  });
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  run_async([&]() -> Coro<void> {
    auto options = stdio(asyncio::PIPE, asyncio::DEVNULL, asyncio::STDOUT);
    options.pass_fds = {fds[1]};
    // $$ is the shell; a plain `readlink ... >&N` may be exec'd in its place, fd 1 and all.
    const std::string report =
        "t=$(readlink /proc/$$/fd/1 /proc/$$/fd/2); echo \"$t\" >&" + std::to_string(fds[1]);
    Process proc = co_await shell(report, options);
    co_await proc.communicate();
    CHECK(proc.returncode() == 0);
  });
  ::close(fds[1]);
  char buf[64] = {};
  CHECK(::read(fds[0], buf, sizeof buf) == 20);
  CHECK(std::string(buf) == "/dev/null\n/dev/null\n");
  ::close(fds[0]);
}

TEST_CASE("test_subprocess: pass_fds keeps a close-on-exec fd open in the child", "[subprocess]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  run_async([&]() -> Coro<void> {
    SubprocessOptions options;
    options.pass_fds = {fds[1]};
    Process proc = co_await shell("echo passed >&" + std::to_string(fds[1]), options);
    const int code = co_await proc.wait();
    CHECK(code == 0);
  });
  ::close(fds[1]);
  char buf[64] = {};
  CHECK(::read(fds[0], buf, sizeof buf) == 7);
  CHECK(std::string(buf) == "passed\n");
  ::close(fds[0]);
  CHECK(::fcntl(fds[0], F_GETFD) == -1);
}

TEST_CASE("test_subprocess.SubprocessMixin.test_start_new_session", "[subprocess]") {
  // start_new_session: setsid() in the child, so getsid(pid) == pid while it runs.
  run_async([]() -> Coro<void> {
    for (bool new_session : {true, false}) {
      auto options = stdio(std::nullopt, asyncio::PIPE, std::nullopt);
      options.start_new_session = new_session;
      Process proc = co_await shell(READY_THEN_BLOCK, options);
      const std::string line = co_await proc.stdout_->readline();
      CHECK(line == "ready\n");
      if (new_session) {
        CHECK(::getsid(proc.pid) == proc.pid);
        CHECK(::getpgid(proc.pid) == proc.pid);
      } else {
        CHECK(::getsid(proc.pid) == ::getsid(0));
      }
      proc.kill();
      const int code = co_await proc.wait();
      CHECK(code == -SIGKILL);
    }
  });
}

TEST_CASE("test_subprocess: process_group", "[subprocess]") {
  // process_group=0: the child leads a new group in our session; N joins group N.
  run_async([]() -> Coro<void> {
    auto options = stdio(std::nullopt, asyncio::PIPE, std::nullopt);
    options.process_group = 0;
    Process leader = co_await shell(READY_THEN_BLOCK, options);
    const std::string leader_line = co_await leader.stdout_->readline();
    CHECK(leader_line == "ready\n");
    CHECK(::getpgid(leader.pid) == leader.pid);
    CHECK(::getsid(leader.pid) == ::getsid(0));

    options.process_group = leader.pid;
    Process member = co_await shell(READY_THEN_BLOCK, options);
    const std::string member_line = co_await member.stdout_->readline();
    CHECK(member_line == "ready\n");
    CHECK(::getpgid(member.pid) == leader.pid);
    member.kill();
    leader.kill();
    const int member_code = co_await member.wait();
    CHECK(member_code == -SIGKILL);
    const int leader_code = co_await leader.wait();
    CHECK(leader_code == -SIGKILL);
  });
}

TEST_CASE("test_subprocess: a bare program name is searched in PATH", "[subprocess]") {
  // create_subprocess_exec("true") runs PATH's true, as os.execvp does.
  run_async([]() -> Coro<void> {
    Process proc = co_await asyncio::create_subprocess_exec("true");
    const int code = co_await proc.wait();
    CHECK(code == 0);
  });
}

TEST_CASE("test_subprocess.test_restore_signals: SIGPIPE is not ignored in the child",
          "[subprocess]") {
  // restore_signals=True: the parent ignores SIGPIPE and SIGXFSZ (as Python does; this
  // library ignores SIGPIPE too), the child gets them back at SIG_DFL; its signal mask is
  // the caller's. SIGPIPE stays ignored afterwards: the library expects that once set.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_xfsz {};
  ::sigaction(SIGPIPE, &ignore, nullptr);
  ::sigaction(SIGXFSZ, &ignore, &old_xfsz);
  run_async([]() -> Coro<void> {
    sigset_t ours;
    ::pthread_sigmask(SIG_SETMASK, nullptr, &ours);
    std::vector<std::string> args = {"/proc/self/status"};
    Process proc = co_await asyncio::create_subprocess_exec(
        "/bin/cat", args, stdio(std::nullopt, asyncio::PIPE, std::nullopt));
    auto [out, err] = co_await proc.communicate();
    REQUIRE(out.has_value());
    auto field = [&](const std::string& name) -> unsigned long long {
      const auto at = out->find("\n" + name + ":");
      REQUIRE(at != std::string::npos);
      return std::stoull(out->substr(at + name.size() + 2), nullptr, 16);
    };
    CHECK((field("SigIgn") & (1ULL << (SIGPIPE - 1))) == 0);
    CHECK((field("SigIgn") & (1ULL << (SIGXFSZ - 1))) == 0);
    bool our_mask_empty = true;
    for (int sig = 1; sig < NSIG; ++sig) our_mask_empty &= sigismember(&ours, sig) != 1;
    if (our_mask_empty) CHECK(field("SigBlk") == 0);
  });
  ::sigaction(SIGXFSZ, &old_xfsz, nullptr);
}

// ================================================================ Boost.Process 1.81 defects

TEST_CASE("subprocess: the child sees only 0, 1, 2 and what it asked for", "[subprocess]") {
  // CPython's close_fds=True. The parent holds inheritable fds (plain ::pipe(), one of them
  // moved high up); none may reach the child. ls opens the directory it lists: that fd, whose
  // target is /proc/<pid>/fd, is discounted.
  InheritablePipe low;
  const int high = ::fcntl(low.w, F_DUPFD, 1000);
  REQUIRE(high >= 1000);
  REQUIRE((::fcntl(high, F_GETFD) & FD_CLOEXEC) == 0);
  run_async([&]() -> Coro<void> {
    const std::string cmd = "exec ls -l /proc/self/fd";
    {
      Process proc = co_await shell(cmd, stdio(std::nullopt, asyncio::PIPE, std::nullopt));
      auto [out, err] = co_await proc.communicate();
      REQUIRE(out.has_value());
      INFO(*out);
      CHECK(fds_in_listing(*out) == std::set<int>{0, 1, 2});
    }
    {  // every stdio a pipe: the parent's ends do not leak either
      Process proc = co_await shell(cmd, stdio(asyncio::PIPE, asyncio::PIPE, asyncio::PIPE));
      auto [out, err] = co_await proc.communicate();
      REQUIRE(out.has_value());
      CHECK(fds_in_listing(*out) == std::set<int>{0, 1, 2});
      CHECK(err == "");
    }
    {  // pass_fds: exactly the fd asked for is added
      auto options = stdio(std::nullopt, asyncio::PIPE, std::nullopt);
      options.pass_fds = {low.r};
      Process proc = co_await shell(cmd, options);
      auto [out, err] = co_await proc.communicate();
      REQUIRE(out.has_value());
      CHECK(fds_in_listing(*out) == std::set<int>{0, 1, 2, low.r});
    }
  });
  ::close(high);
}

TEST_CASE("subprocess: a missing program raises ENOENT and leaves no zombie or fd",
          "[subprocess]") {
  // FileNotFoundError, as subprocess.Popen raises it; the failed child is reaped before the
  // error reaches us and every pipe made for it is closed (CPython's test_popen_error_*).
  const auto zombies_before = zombie_children();
  run_async([&]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    co_await asyncio::sleep(0);  // the loop's own fds exist now
    const std::set<int> fds_before = open_fds();
    for (auto options : {SubprocessOptions{}, stdio(asyncio::PIPE, asyncio::PIPE, asyncio::PIPE)}) {
      int err = 0;
      try {
        std::vector<std::string> none;
        co_await asyncio::create_subprocess_exec("/nonexistent/asyncio-cpp-program", none, options);
      } catch (const std::system_error& e) {
        err = e.code().value();
      }
      CHECK(err == ENOENT);
      CHECK(zombie_children() == zombies_before);
      CHECK(open_fds() == fds_before);
    }
    {  // the protocol level, and a bare name not found in PATH
      int err = 0;
      try {
        co_await loop.subprocess_exec([&] { return std::make_shared<SubprocessRecorder>(loop); },
                                      "asyncio-cpp-no-such-program");
      } catch (const std::system_error& e) {
        err = e.code().value();
      }
      CHECK(err == ENOENT);
      CHECK(zombie_children() == zombies_before);
      CHECK(open_fds() == fds_before);
    }
  });
  CHECK(zombie_children() == zombies_before);
}

TEST_CASE("subprocess: exec errors other than ENOENT reach us, no zombie either", "[subprocess]") {
  // As subprocess.Popen: a file without execute permission or a directory -> PermissionError
  // (EACCES); an executable that is no program and has no #! -> OSError(ENOEXEC), not a shell.
  char dir_template[] = "/tmp/asyncio_cpp_exec_XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string garbage = dir + "/garbage";
  const std::string no_x = dir + "/no_x";
  {
    std::ofstream(garbage) << "not a program\n";
    std::ofstream(no_x) << "#!/bin/sh\nexit 0\n";
  }
  REQUIRE(::chmod(garbage.c_str(), 0755) == 0);
  REQUIRE(::chmod(no_x.c_str(), 0644) == 0);
  const auto zombies_before = zombie_children();
  run_async([&]() -> Coro<void> {
    const std::vector<std::pair<std::string, int>> cases = {
        {garbage, ENOEXEC}, {no_x, EACCES}, {dir, EACCES}};
    for (const auto& [program, expected] : cases) {
      int err = 0;
      try {
        co_await asyncio::create_subprocess_exec(program);
      } catch (const std::system_error& e) {
        err = e.code().value();
      }
      INFO(program);
      CHECK(err == expected);
      CHECK(zombie_children() == zombies_before);
    }
  });
  ::unlink(garbage.c_str());
  ::unlink(no_x.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("subprocess: no deadlock spawning while other threads drive io_contexts",
          "[subprocess]") {
  // Boost.Process 1.81 forks around io_context::notify_fork and could hang when another
  // thread was inside an io_context. Here one thread runs a second io_context that keeps
  // posting to itself, another floods our loop with call_soon_threadsafe, a third posts to
  // our loop's io_context; 50 children must all start and finish.
  const auto zombies_before = zombie_children();
  boost::asio::io_context other;
  std::atomic<bool> stop{false};
  std::atomic<long> other_rounds{0};
  std::function<void()> spin = [&] {
    ++other_rounds;
    if (!stop) boost::asio::post(other, spin);
  };
  boost::asio::post(other, spin);
  std::thread other_runner([&] { other.run(); });

  std::atomic<long> sent{0};
  std::atomic<long> ran{0};
  std::atomic<long> posted{0};
  std::atomic<long> handled{0};
  EventLoop loop;
  std::thread flooder([&] {
    while (!stop) {
      if (sent - ran > 1000) {
        std::this_thread::yield();
        continue;
      }
      ++sent;
      loop.call_soon_threadsafe([&ran] { ++ran; });
    }
  });
  std::thread poster([&] {
    while (!stop) {
      if (posted - handled > 1000) {
        std::this_thread::yield();
        continue;
      }
      ++posted;
      boost::asio::post(loop.io_context(), [&handled] { ++handled; });
    }
  });

  std::vector<int> codes;
  {
    HangGuard guard(std::chrono::seconds(90));
    auto spawn_all = [&]() -> Coro<void> {
      std::vector<asyncio::Task<int>> tasks;
      for (int i = 0; i < 50; ++i) {
        tasks.push_back(loop.create_task([](int n) -> Coro<int> {
          Process proc = co_await shell("exit " + std::to_string(n % 7));
          co_return co_await proc.wait();
        }(i)));
      }
      codes = co_await asyncio::gather(tasks);
    };
    loop.run_until_complete(asyncio::wait_for(spawn_all(), 60.0));
  }
  stop = true;
  flooder.join();
  poster.join();
  other_runner.join();
  loop.run_until_complete(yield_once());
  REQUIRE(codes.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(codes[i] == i % 7);
  CHECK(other_rounds > 0);
  CHECK(ran > 0);
  CHECK(zombie_children() == zombies_before);
}

TEST_CASE("subprocess: 1000 children, 50 at a time, all reaped, no fd left",
          "[subprocess][stress]") {
  // Every child is reaped (no zombie of ours in /proc) and every pipe/pidfd closed: the
  // fd table is back to where it started, inside the loop and after it is closed.
  const std::set<int> fds_before_loop = open_fds();
  const auto zombies_before = zombie_children();
  {
    EventLoop loop;
    auto warm_up = []() -> Coro<void> {
      Process proc = co_await asyncio::create_subprocess_exec("/bin/true");
      const int code = co_await proc.wait();
      CHECK(code == 0);
    };
    loop.run_until_complete(warm_up());  // lazily made watcher resources exist now
    const std::set<int> fds_before = open_fds();
    asyncio::Semaphore slots(50);
    int max_running = 0;
    int running = 0;
    auto one = [&]() -> Coro<int> {
      auto slot = co_await slots;
      max_running = std::max(max_running, ++running);
      Process proc = co_await asyncio::create_subprocess_exec("/bin/true");
      const int code = co_await proc.wait();
      --running;
      co_return code;
    };
    auto all = [&]() -> Coro<std::vector<int>> {
      std::vector<asyncio::Task<int>> tasks;
      for (int i = 0; i < 1000; ++i) tasks.push_back(loop.create_task(one()));
      co_return co_await asyncio::gather(tasks);
    };
    HangGuard guard(std::chrono::seconds(110));
    const std::vector<int> codes = loop.run_until_complete(asyncio::wait_for(all(), 100.0));
    CHECK(codes == std::vector<int>(1000, 0));
    CHECK(max_running == 50);
    CHECK(zombie_children() == zombies_before);
    CHECK(open_fds() == fds_before);
  }
  CHECK(open_fds() == fds_before_loop);
}

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
// handed the exit over and ended, the child must still be our zombie, its pid not yet free.
void check_thread_watcher_leaves_reap_to_loop(Process& proc) {
  const std::optional<pid_t> waiter = test_support::await_thread_waiting_for(proc.pid);
  REQUIRE(waiter.has_value());  // the watcher's thread, in waitid(P_PID, pid)
  ::kill(proc.pid, SIGKILL);    // behind the transport's back; the loop does not run
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);  // net
  while (test_support::thread_alive(*waiter) && is_our_child(proc.pid) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK_FALSE(test_support::thread_alive(*waiter));  // the exit was handed over
  CHECK(is_our_child(proc.pid));                     // unreaped: no window opened
  CHECK_FALSE(proc.returncode().has_value());
}
}  // namespace

TEST_CASE("child watchers: no signal reaches a pid reaped before the exit is reported",
          "[subprocess]") {
  // Between a reap and the loop running process_exited, returncode is still None but the pid
  // is free for reuse. CPython's Popen.send_signal polls first (ECHILD there sets returncode)
  // and sends nothing; sending kill(pid) then could hit another process. The threaded watcher
  // opens no such window (it leaves the reap to the loop); the pidfd watcher reaps in its
  // reader, so ours checks in the same batch and once more from call_soon (whichever order
  // epoll gave, one check falls inside), and a process of ours takes the freed pid.
  bool threaded = false;
  bool window_seen = false;
  int impostor_signal = 0;  // what ended the impostor: SIGUSR2 (ours) unless hit before
  int error = 0;
  run_async([&]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> args = {"3600"};
    Process proc = co_await asyncio::create_subprocess_exec("/bin/sleep", args);
    auto probe = [&] {  // inside the window: reaped, not yet reported
      if (window_seen || is_our_child(proc.pid) || proc.returncode()) return;
      window_seen = true;
      const pid_t impostor = impostor_with_pid(proc.pid);
      if (impostor < 0) return;
      error = errno_thrown([&] { proc.kill(); });
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
    CHECK(error == ESRCH);
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

TEST_CASE("test_subprocess.SubprocessMixin.test_cancel_process_wait", "[subprocess]") {
  // Cancelling wait() does not touch the child: it runs on until killed.
  run_async([]() -> Coro<void> {
    Process proc = co_await shell("exec sleep 3600");
    auto waiter = asyncio::create_task(proc.wait());
    co_await asyncio::sleep(0);
    waiter.cancel();
    bool cancelled = false;
    try {
      co_await waiter;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK_FALSE(proc.returncode().has_value());
    CHECK(::kill(proc.pid, 0) == 0);
    proc.kill();
    const int code = co_await proc.wait();
    CHECK(code == -SIGKILL);
  });
}
