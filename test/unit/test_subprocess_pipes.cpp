// Subprocesses' pipes and options: SubprocessMixin's stdin/stdout, DEVNULL, env, cwd, sessions.
#include <asyncio/asyncio.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "child_support.hpp"
#include "linux/spawn.hpp"
#include "loop_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Process;
using asyncio::SubprocessOptions;
using test_support::InheritablePipe;
using test_support::READY_THEN_BLOCK;
using test_support::run_async;
using test_support::shell;
using test_support::stdio;

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

TEST_CASE("subprocess_module_names: test_subprocess.SubprocessMixin.test_stdout_stderr_pipe",
          "[subprocess]") {
  // A port spells them asyncio.subprocess.PIPE, asyncio.subprocess.Process, ...
  run_async([]() -> Coro<void> {
    SubprocessOptions options;
    options.stdout_ = asyncio::subprocess::PIPE;
    options.stderr_ = asyncio::subprocess::STDOUT;
    options.stdin_ = asyncio::subprocess::DEVNULL;
    asyncio::subprocess::Process proc =
        co_await asyncio::subprocess::create_subprocess_shell("echo out; echo err >&2", options);
    auto [out, err] = co_await proc.communicate();
    CHECK(out == std::optional<std::string>("out\nerr\n"));
    CHECK_FALSE(err.has_value());
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
    std::string lost;
    try {
      co_await proc.stdin_->drain();
    } catch (const asyncio::ConnectionResetError& e) {
      lost = e.what();
    }
    CHECK(lost == "Connection lost");
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
  // restore_signals=True: a parent that ignores SIGPIPE and SIGXFSZ (as Python does), has a
  // child that gets them back at SIG_DFL; its signal mask is the caller's. SIGPIPE stays
  // ignored afterwards, as a Python program's does.
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
