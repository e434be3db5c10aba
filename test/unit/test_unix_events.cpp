// Signals through the self-pipe: CPython's test_unix_events.SelectorEventLoopSignalTests,
// and what this project adds (several loops owning different signals, errno); the signal storm is
// in test_stress.cpp.
#include "unit/loop_support.hpp"

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <thread>
#include <vector>

namespace {

bool is_default(int sig) {
  struct sigaction action {};
  ::sigaction(sig, nullptr, &action);
  return action.sa_handler == SIG_DFL;
}

}  // namespace

using test_support::run_until;

TEST_CASE("test_unix_events.SelectorEventLoopSignalTests.test_add_signal_handler") {
  // The handler runs as a loop callback with its bound arguments; adding again replaces it.
  asyncio::EventLoop loop;
  std::vector<int> seen;
  loop.add_signal_handler(
      SIGUSR1, [&](int tag) { seen.push_back(tag); }, 1);
  ::raise(SIGUSR1);
  CHECK(run_until(loop, [&] { return seen.size() == 1; }));
  loop.add_signal_handler(
      SIGUSR1, [&](int tag) { seen.push_back(tag); }, 2);
  ::raise(SIGUSR1);
  CHECK(run_until(loop, [&] { return seen.size() == 2; }));
  CHECK(seen == std::vector<int>{1, 2});
  CHECK(loop.remove_signal_handler(SIGUSR1));
}

TEST_CASE("test_unix_events.SelectorEventLoopSignalTests.test_check_signal") {
  // Outside 1..NSIG-1: ValueError (std::invalid_argument), for add and remove alike.
  asyncio::EventLoop loop;
  for (int sig : {0, -1, NSIG}) {
    CHECK_THROWS_AS(loop.add_signal_handler(sig, [] {}), std::invalid_argument);
    CHECK_THROWS_AS(loop.remove_signal_handler(sig), std::invalid_argument);
  }
}

TEST_CASE("test_unix_events.SelectorEventLoopSignalTests.test_add_signal_handler_install_error") {
  // SIGKILL and SIGSTOP cannot be caught: RuntimeError "sig N cannot be caught".
  asyncio::EventLoop loop;
  CHECK_THROWS_WITH(loop.add_signal_handler(SIGKILL, [] {}), "sig 9 cannot be caught");
  CHECK_THROWS_WITH(loop.add_signal_handler(SIGSTOP, [] {}), "sig 19 cannot be caught");
  CHECK_FALSE(loop.remove_signal_handler(SIGKILL));
}

TEST_CASE("test_unix_events.SelectorEventLoopSignalTests.test_remove_signal_handler") {
  // Removing restores SIG_DFL (SIGINT included); removing twice returns false.
  asyncio::EventLoop loop;
  for (int sig : {SIGUSR2, SIGINT}) {
    loop.add_signal_handler(sig, [] {});
    CHECK_FALSE(is_default(sig));
    CHECK(loop.remove_signal_handler(sig));
    CHECK(is_default(sig));
    CHECK_FALSE(loop.remove_signal_handler(sig));
  }
}

TEST_CASE("test_unix_events.SelectorEventLoopSignalTests.test_close") {
  // close() removes every handler; a closed loop refuses new ones.
  asyncio::EventLoop loop;
  loop.add_signal_handler(SIGUSR1, [] {});
  loop.add_signal_handler(SIGUSR2, [] {});
  loop.close();
  CHECK(is_default(SIGUSR1));
  CHECK(is_default(SIGUSR2));
  CHECK_THROWS_WITH(loop.add_signal_handler(SIGUSR1, [] {}), "Event loop is closed");
  CHECK_FALSE(loop.remove_signal_handler(SIGUSR1));
}

TEST_CASE("signals: several loops each own different signals") {
  // Beyond CPython: a process-wide table routes each signal to the loop that owns it.
  asyncio::EventLoop a, b;
  int in_a = 0, in_b = 0;
  a.add_signal_handler(SIGUSR1, [&] { ++in_a; });
  b.add_signal_handler(SIGUSR2, [&] { ++in_b; });
  CHECK_THROWS_WITH(b.add_signal_handler(SIGUSR1, [] {}),
                    "sig 10 is handled by another event loop");
  CHECK_FALSE(b.remove_signal_handler(SIGUSR1));  // not b's to remove
  ::raise(SIGUSR1);
  ::raise(SIGUSR2);
  CHECK(run_until(a, [&] { return in_a == 1; }));
  CHECK(run_until(b, [&] { return in_b == 1; }));
  CHECK(a.remove_signal_handler(SIGUSR1));
  b.add_signal_handler(SIGUSR1, [&] { ++in_b; });  // free again once a gave it up
  ::raise(SIGUSR1);
  CHECK(run_until(b, [&] { return in_b == 2; }));
  CHECK(in_a == 1);
}

TEST_CASE("signals: the handler leaves errno as it found it, even on a full pipe") {
  asyncio::EventLoop loop;
  loop.add_signal_handler(SIGUSR1, [] {});
  for (int i = 0; i < 70000; ++i) ::raise(SIGUSR1);  // more bytes than the pipe holds
  errno = EDOM;
  ::raise(SIGUSR1);  // the handler's write fails with EAGAIN
  CHECK(errno == EDOM);
  loop.close();
}
