// Subprocesses: ports of CPython's Lib/test/test_asyncio/test_subprocess.py (SubprocessMixin,
// run there once per child watcher as here: CMake runs every [subprocess] test again with
// ASYNCIO_CPP_CHILD_WATCHER=thread) and test_events.py's SubprocessTestsMixin (the protocol
// level), and the defects of Boost.Process 1.81 this library must not inherit: fds leaking
// into children, zombies after a failed exec, and deadlocks when forking while other threads
// use an io_context. Pipes and options: test_subprocess_pipes.cpp; launchers and child
// watchers: test_subprocess_launchers.cpp.
#include <asyncio/asyncio.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "child_support.hpp"
#include "signal_support.hpp"
#include "strict_mode.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Process;
using asyncio::SubprocessOptions;
using test_support::HangGuard;
using test_support::impostor_with_pid;
using test_support::InheritablePipe;
using test_support::is_our_child;
using test_support::raises;
using test_support::READY_THEN_BLOCK;
using test_support::run_async;
using test_support::shell;
using test_support::SignalDisposition;
using test_support::stdio;
using test_support::stop_when_ready;
using test_support::zombie_children;

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

// asyncio.sleep(0) as a coroutine, for run_until_complete.
Coro<void> yield_once() {
  co_await asyncio::sleep(0);
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
  SignalDisposition sighup_default(SIGHUP, SIG_DFL);
  run_async([]() -> Coro<void> {
    for (int sig : {SIGKILL, SIGTERM, SIGHUP}) {
      Process proc =
          co_await shell(READY_THEN_BLOCK, stdio(std::nullopt, asyncio::PIPE, std::nullopt));
      const int code = co_await stop_when_ready(proc, sig);
      CHECK(code == -sig);
    }
  });
}

TEST_CASE("test_subprocess.SubprocessTransportTests.test_proc_exited: ESRCH once reaped",
          "[subprocess][pid_reuse]") {
  // After the exit is collected, send_signal/terminate/kill raise ProcessLookupError (ESRCH)
  // and signal nobody, even a process that took the freed pid.
  run_async([]() -> Coro<void> {
    Process proc = co_await shell("exit 6");
    const int code = co_await proc.wait();
    CHECK(code == 6);
    CHECK_FALSE(is_our_child(proc.pid));  // reaped
    CHECK(raises<asyncio::ProcessLookupError>([&] { proc.send_signal(SIGTERM); }));
    CHECK(raises<asyncio::ProcessLookupError>([&] { proc.terminate(); }));
    CHECK(raises<asyncio::ProcessLookupError>([&] { proc.kill(); }));

    const pid_t impostor = impostor_with_pid(proc.pid);
    if (impostor < 0) {
      STRICT_FAIL_OR_WARN(
          "could not reuse the pid through /proc/sys/kernel/ns_last_pid (needs CAP_SYS_ADMIN): "
          "'no signal sent' left unchecked");
      co_return;
    }
    CHECK(raises<asyncio::ProcessLookupError>([&] { proc.send_signal(SIGTERM); }));
    CHECK(raises<asyncio::ProcessLookupError>([&] { proc.terminate(); }));
    CHECK(raises<asyncio::ProcessLookupError>([&] { proc.kill(); }));
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
