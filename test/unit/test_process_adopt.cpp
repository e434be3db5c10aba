// adopt_process: children that Boost.Process v2 launched, adopted as asyncio::Process. Each
// adopted child must pass the checks CPython's test_subprocess.SubprocessMixin makes of children
// asyncio launched itself: wait/returncode, communicate, signals, and exactly one reaper. Tagged
// [subprocess] too, so that CMake runs them again on the threaded child watcher.
#include <asyncio/asyncio.hpp>
#include <asyncio/process_adopt.hpp>
#include <boost/process/v2/stdio.hpp>
#include <catch2/catch.hpp>

#include "child_support.hpp"
#include "child_watcher.hpp"
#include "loop_support.hpp"
#include "signal_support.hpp"
#include "strict_mode.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace bp = boost::process::v2;

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Process;
using test_support::pidfd_of;
using test_support::raises;
using test_support::READY_THEN_BLOCK;
using test_support::reaped_soon;
using test_support::run_async;
using test_support::SignalDisposition;
using test_support::stop_when_ready;

namespace {

// The host's ends of a child's stdio, made the way a host does it for bp::process_stdio.
struct HostPipes {
  explicit HostPipes(asio::io_context& host) : in(host), out(host), err(host) {}
  asio::writable_pipe in;
  asio::readable_pipe out;
  asio::readable_pipe err;
};

std::vector<std::string> sh_args(const std::string& cmd) {
  return {"-c", cmd};
}

// /bin/sh -c cmd, launched by Boost.Process v2's own launcher with pipes on all three streams.
bp::process launch(asio::io_context& host, const std::string& cmd, HostPipes& pipes) {
  return bp::process(host, "/bin/sh", sh_args(cmd),
                     bp::process_stdio{pipes.in, pipes.out, pipes.err});
}

// The same with the child's stdio inherited from us: for children that print nothing.
bp::process launch(asio::io_context& host, const std::string& cmd) {
  return bp::process(host, "/bin/sh", sh_args(cmd));
}

// No process of ours has this pid: waitpid(pid, WNOHANG) would give ECHILD. WNOWAIT, so that
// asking reaps nothing.
bool reaped(int pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
         errno == ECHILD;
}

// Blocks until the child has exited, leaving it a zombie (nobody has reaped it).
void await_exit_unreaped(int pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
}

asyncio::adopted_stdio all_pipes(HostPipes& pipes) {
  asyncio::adopted_stdio io;
  io.stdin_pipe = std::move(pipes.in);
  io.stdout_pipe = std::move(pipes.out);
  io.stderr_pipe = std::move(pipes.err);
  return io;
}

asyncio::adopted_stdio out_and_err(HostPipes& pipes) {
  asyncio::adopted_stdio io;
  io.stdout_pipe = std::move(pipes.out);
  io.stderr_pipe = std::move(pipes.err);
  return io;
}

}  // namespace

// ================================================================ the Process's methods

TEST_CASE("adopt_process wait/returncode: test_subprocess.SubprocessMixin.test_shell",
          "[process_adopt][subprocess]") {
  // The exit status, or -N for signal N, as for a child asyncio launched; waiting again
  // returns at once; the watcher reaped the child and Boost's object no longer holds it.
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asio::io_context host;
    const std::vector<std::pair<std::string, int>> cases = {
        {"exit 0", 0}, {"exit 3", 3}, {"kill -9 $$", -9}, {"kill -15 $$", -15}};
    for (const auto& [cmd, expected] : cases) {
      bp::process child = launch(host, cmd);
      const int boost_pid = child.id();
      Process proc = co_await asyncio::adopt_process(loop, std::move(child));
      CHECK(proc.pid == boost_pid);
      CHECK_FALSE(child.is_open());  // detached: its destructor kills nothing
      const int code = co_await proc.wait();
      CHECK(code == expected);
      CHECK(proc.returncode() == expected);
      const int again = co_await proc.wait();
      CHECK(again == expected);
      CHECK(reaped(proc.pid));
    }
  });
}

TEST_CASE("adopt_process communicate: test_subprocess.SubprocessMixin.test_communicate",
          "[process_adopt][subprocess]") {
  // The host's stdin and stdout pipes become the Process's streams; 300 KB, more than a pipe
  // holds, makes communicate write and read at once (test_subprocess_concurrent_wait too).
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asio::io_context host;
    for (std::size_t size : {std::size_t{9}, std::size_t{300 * 1000}}) {
      std::string data(size, '\0');
      for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>('A' + i % 53);
      HostPipes pipes(host);
      bp::process child = launch(host, "exec cat", pipes);
      asyncio::adopted_stdio io;
      io.stdin_pipe = std::move(pipes.in);
      io.stdout_pipe = std::move(pipes.out);
      Process proc = co_await asyncio::adopt_process(loop, std::move(child), std::move(io));
      REQUIRE(proc.stdin_ != nullptr);
      REQUIRE(proc.stdout_ != nullptr);
      CHECK(proc.stderr_ == nullptr);  // not given: not a stream of ours
      auto [out, err] = co_await proc.communicate(data);
      REQUIRE(out.has_value());
      CHECK(*out == data);
      CHECK_FALSE(err.has_value());
      CHECK(proc.returncode() == 0);
      CHECK(reaped(proc.pid));
    }
  });
}

TEST_CASE("adopt_process stderr: test_events.SubprocessTestsMixin.test_subprocess_stderr",
          "[process_adopt][subprocess]") {
  // stdout and stderr apart, read to EOF by communicate(); stdin not given is not a stream.
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asio::io_context host;
    HostPipes pipes(host);
    bp::process child = launch(host, "echo out; echo err >&2; exit 1", pipes);
    Process proc = co_await asyncio::adopt_process(loop, std::move(child), out_and_err(pipes));
    CHECK(proc.stdin_ == nullptr);
    auto [out, err] = co_await proc.communicate();
    CHECK(out == std::optional<std::string>("out\n"));
    CHECK(err == std::optional<std::string>("err\n"));
    CHECK(proc.returncode() == 1);
  });
}

TEST_CASE(
    "adopt_process signals: test_subprocess.SubprocessMixin.test_kill / test_terminate / "
    "test_send_signal / SubprocessTransportTests.test_proc_exited",
    "[process_adopt][subprocess]") {
  // kill -> -SIGKILL, terminate -> -SIGTERM, send_signal(SIGHUP) -> -SIGHUP; once reaped, each
  // raises ProcessLookupError and sends nothing.
  SignalDisposition sighup_default(SIGHUP, SIG_DFL);
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asio::io_context host;
    for (int sig : {SIGKILL, SIGTERM, SIGHUP}) {
      HostPipes pipes(host);
      bp::process child = launch(host, READY_THEN_BLOCK, pipes);
      Process proc = co_await asyncio::adopt_process(loop, std::move(child), all_pipes(pipes));
      const int code = co_await stop_when_ready(proc, sig);
      CHECK(code == -sig);
      CHECK(reaped(proc.pid));
      CHECK(raises<asyncio::ProcessLookupError>([&] { proc.send_signal(SIGTERM); }));
      CHECK(raises<asyncio::ProcessLookupError>([&] { proc.kill(); }));
    }
  });
}

TEST_CASE("adopt_subprocess: test_subprocess.SubprocessMixin.test_subprocess_protocol_events",
          "[process_adopt][subprocess]") {
  // The transport and protocol form: the protocol hears connection_made, the output, the exit
  // and connection_lost last, as with loop.subprocess_exec.
  struct Recorder : asyncio::SubprocessProtocol {
    explicit Recorder(EventLoop& loop) : lost(loop.create_future<void>()) {}
    void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
      events.push_back("made");
    }
    void pipe_data_received(int fd, std::string_view data) override { output[fd] += data; }
    void process_exited() override { events.push_back("exited"); }
    void connection_lost(std::exception_ptr) override {
      events.push_back("lost");
      lost.set_result();
    }
    std::vector<std::string> events;
    std::string output[3];
    asyncio::Future<void> lost;
  };
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asio::io_context host;
    HostPipes pipes(host);
    bp::process child = launch(host, "echo stdout; echo stderr >&2; exit 4", pipes);
    auto [transport, protocol] = co_await asyncio::adopt_subprocess(
        loop, [&] { return std::make_shared<Recorder>(loop); }, std::move(child),
        out_and_err(pipes));
    co_await protocol->lost;
    CHECK(protocol->output[1] == "stdout\n");
    CHECK(protocol->output[2] == "stderr\n");
    CHECK(transport->get_returncode() == 4);
    const std::vector<std::string> expected = {"made", "exited", "lost"};
    CHECK(protocol->events == expected);
  });
}

// ================================================================ hostile cases

TEST_CASE(
    "adopt_process exited before adoption: test_subprocess.SubprocessMixin."
    "test_read_stdout_after_process_exit / test_close_dont_kill_finished",
    "[process_adopt][subprocess]") {
  // A child already a zombie when adopted: its output is still read, its status is the right
  // one (the watcher reaps it), and nothing kills it.
  run_async([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asio::io_context host;
    HostPipes pipes(host);
    bp::process child = launch(host, "echo bye; exit 7", pipes);
    const int pid = child.id();
    await_exit_unreaped(pid);
    CHECK_FALSE(reaped(pid));
    Process proc = co_await asyncio::adopt_process(loop, std::move(child), out_and_err(pipes));
    auto [out, err] = co_await proc.communicate();
    CHECK(out == std::optional<std::string>("bye\n"));
    CHECK(err == std::optional<std::string>(""));
    CHECK(proc.returncode() == 7);
    CHECK(reaped(pid));
  });
}

TEST_CASE("adopt_process of no child: an empty or moved-from process object (ValueError)",
          "[process_adopt][subprocess]") {
  // Nothing to adopt: std::invalid_argument (Python's ValueError), raised at the call.
  EventLoop loop;
  asio::io_context host;
  bp::process empty(host);
  CHECK(
      raises<std::invalid_argument>([&] { (void)asyncio::adopt_process(loop, std::move(empty)); }));
  bp::process child = launch(host, "exit 2");
  bp::process mover(std::move(child));
  CHECK(
      raises<std::invalid_argument>([&] { (void)asyncio::adopt_process(loop, std::move(child)); }));
  // The moved-to object is adoptable as usual.
  auto adopt_and_wait = [&]() -> Coro<int> {
    Process proc = co_await asyncio::adopt_process(loop, std::move(mover));
    co_return co_await proc.wait();
  };
  CHECK(test_support::run(loop, adopt_and_wait()) == 2);
}

TEST_CASE(
    "adopt_process of a child already waited for: ChildProcessError, as os.waitpid "
    "(test_unix_events.ChildWatcherTestsMixin's waitpid raises ChildProcessError)",
    "[process_adopt][subprocess]") {
  // Boost.Process reaped it (wait(), or running() seeing the exit), or someone reaped it behind
  // Boost's back, or it was never our child: the pid may name another process by now, so it
  // is not adopted.
  EventLoop loop;
  asio::io_context host;
  bp::process waited = launch(host, "exit 1");
  CHECK(waited.wait() == 1);
  CHECK(raises<asyncio::ChildProcessError>(
      [&] { (void)asyncio::adopt_process(loop, std::move(waited)); }));

  bp::process polled = launch(host, "exit 1");
  await_exit_unreaped(polled.id());
  CHECK_FALSE(polled.running());  // reaps it, as Boost's running() does
  CHECK(raises<asyncio::ChildProcessError>(
      [&] { (void)asyncio::adopt_process(loop, std::move(polled)); }));

  bp::process behind_its_back = launch(host, "exit 1");
  REQUIRE(::waitpid(behind_its_back.id(), nullptr, 0) == behind_its_back.id());
  CHECK(raises<asyncio::ChildProcessError>(
      [&] { (void)asyncio::adopt_process(loop, std::move(behind_its_back)); }));
  CHECK(behind_its_back.is_open());  // a failed adoption takes nothing

  bp::process not_ours(host.get_executor(), ::getppid());  // attached to, not our child
  CHECK(raises<asyncio::ChildProcessError>(
      [&] { (void)asyncio::adopt_process(loop, std::move(not_ours)); }));
}

TEST_CASE("adopt_process on a closed loop: test_events.EventLoopTestsMixin.test_close",
          "[process_adopt][subprocess]") {
  // RuntimeError, and nothing taken: the process object still owns its child, so Boost's
  // destructor kills and reaps it; the pipes given are closed, not leaked.
  int pid = -1;
  {
    asio::io_context host;
    HostPipes pipes(host);
    bp::process child = launch(host, READY_THEN_BLOCK, pipes);
    pid = child.id();
    EventLoop loop;
    loop.close();
    CHECK(raises<asyncio::RuntimeError>(
        [&] { (void)asyncio::adopt_process(loop, std::move(child), all_pipes(pipes)); }));
    CHECK(child.id() == pid);
    CHECK_FALSE(reaped(pid));
  }
  CHECK(reaped(pid));  // ~basic_process: SIGKILL, then waitpid
}

namespace {

// The pids whose parent we are, zombies included.
std::vector<int> our_children() {
  std::vector<int> pids;
  DIR* dir = ::opendir("/proc");
  REQUIRE(dir != nullptr);
  while (dirent* entry = ::readdir(dir)) {
    const int pid = std::atoi(entry->d_name);
    if (pid > 0 && test_support::is_our_child(pid)) pids.push_back(pid);
  }
  ::closedir(dir);
  return pids;
}

// Closes a loop whose pipe task is still pending, muting the report asyncio logs when the
// close destroys it.
void close_quietly(EventLoop& loop) {
  asyncio::set_log_sink([](asyncio::LogLevel, std::string_view) {});
  loop.close();
  asyncio::set_log_sink(nullptr);
}

}  // namespace

TEST_CASE(
    "adopt_process abandoned: a Coro never awaited still leaves no zombie and no fd "
    "(test_subprocess.SubprocessMixin.test_cancel_make_subprocess_transport_exec)",
    "[process_adopt][subprocess]") {
  // The child and the pipes are taken at the call: unawaited, the watcher still reaps the
  // child, and the pipes close, whether the loop runs on or closes at once.
  for (bool close_at_once : {false, true}) {
    const int fds_before = test_support::open_fd_count();
    int pidfd = -1;
    {
      EventLoop loop;
      asio::io_context host;
      HostPipes pipes(host);
      bp::process child = launch(host, close_at_once ? READY_THEN_BLOCK : "exit 0", pipes);
      const int pid = child.id();
      pidfd = pidfd_of(pid);
      {
        Coro<Process> never_awaited =
            asyncio::adopt_process(loop, std::move(child), all_pipes(pipes));
      }
      if (!close_at_once) CHECK(test_support::run_until(loop, [&] { return reaped(pid); }));
      close_quietly(loop);
    }
    CHECK(reaped_soon(pidfd));
    CHECK(test_support::open_fd_count() == fds_before);
  }
}

TEST_CASE(
    "subprocess_exec's pipes, loop closed before they connect: no fd leaked "
    "(test_subprocess.SubprocessMixin.test_cancel_make_subprocess_transport_exec)",
    "[process_adopt][subprocess]") {
  // The transport that adoption shares with the library's own children closes the pipe ends
  // its pipe task never took over, for a child the loop launched as for an adopted one.
  const int fds_before = test_support::open_fd_count();
  const std::vector<int> children_before = our_children();
  int pidfd = -1;
  {
    EventLoop loop;
    auto spawn = [&]() -> Coro<void> {
      Process proc = co_await asyncio::create_subprocess_shell(
          READY_THEN_BLOCK, test_support::stdio(asyncio::PIPE, asyncio::PIPE, asyncio::PIPE));
    };
    auto task = loop.create_task(spawn());
    test_support::run_once(loop);  // the spawn runs; its pipe task is only scheduled
    std::vector<int> children = our_children();
    std::erase_if(children, [&](int pid) { return std::ranges::count(children_before, pid) > 0; });
    REQUIRE(children.size() == 1);
    pidfd = pidfd_of(children.front());
    close_quietly(loop);
  }
  CHECK(reaped_soon(pidfd));
  CHECK(test_support::open_fd_count() == fds_before);
}

TEST_CASE(
    "adopt_process, loop closed while the child runs: test_subprocess.SubprocessMixin."
    "test_close_kill_running (Close running child process: kill)",
    "[process_adopt][subprocess]") {
  // As for a child the loop launched: killed at close, then reaped by the reaper thread.
  int pidfd = -1;
  {
    asio::io_context host;
    EventLoop loop;
    bp::process child = launch(host, "exec sleep 3600");
    pidfd = pidfd_of(child.id());
    auto adopt = [&]() -> Coro<Process> {
      co_return co_await asyncio::adopt_process(loop, std::move(child));
    };
    Process proc = test_support::run(loop, adopt());
    CHECK_FALSE(proc.returncode().has_value());
    loop.close();
  }
  CHECK(reaped_soon(pidfd));
}

// ================================================================ both child watchers

TEST_CASE(
    "adopt_process on both child watchers: test_subprocess's SubprocessThreadedWatcherTests "
    "and SubprocessPidfdWatcherTests",
    "[process_adopt][subprocess]") {
  // The same adoption under each watcher, in one process: the watcher reads the variable when
  // the loop makes it.
  const char* saved = std::getenv("ASYNCIO_CPP_CHILD_WATCHER");
  const std::optional<std::string> restore =
      saved ? std::optional<std::string>(saved) : std::nullopt;
  for (std::string name : {"thread", "pidfd"}) {
    if (name == "pidfd" && !asyncio::detail::can_use_pidfd()) {
      STRICT_FAIL_OR_WARN("pidfd_open is refused here: only the threaded watcher was checked");
      continue;
    }
    ::setenv("ASYNCIO_CPP_CHILD_WATCHER", name.c_str(), 1);
    EventLoop loop;
    asio::io_context host;
    auto body = [&]() -> Coro<int> {
      HostPipes pipes(host);
      bp::process child = launch(host, "read line; echo \"got $line\"; exit 9", pipes);
      Process proc = co_await asyncio::adopt_process(loop, std::move(child), all_pipes(pipes));
      auto [out, err] = co_await proc.communicate("hello\n");
      CHECK(out == std::optional<std::string>("got hello\n"));
      CHECK(reaped(proc.pid));
      co_return *proc.returncode();
    };
    CHECK(test_support::run(loop, body()) == 9);
    CHECK(asyncio::detail::child_watcher_name(loop) == name);
  }
  if (restore) {
    ::setenv("ASYNCIO_CPP_CHILD_WATCHER", restore->c_str(), 1);
  } else {
    ::unsetenv("ASYNCIO_CPP_CHILD_WATCHER");
  }
}
