// When the loop's io_context has a reactor (docs/04-architecture.md, "Wakeups and the
// self-pipe"): only once something is watched. Until then polling makes no system call, and
// thread-safe wakeups are handlers posted to the loop, not bytes in the self-pipe.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/io_context.hpp>

#include <signal.h>
#include <unistd.h>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace {

bool has_reactor(asyncio::EventLoop& loop) {
  return asio::has_service<asio::detail::reactor>(loop.io_context());
}

}  // namespace

TEST_CASE(
    "loop_reactor_threadsafe_wakeup: test_events.EventLoopTestsMixin.test_call_soon_threadsafe",
    "[loop_reactor]") {
  asyncio::EventLoop loop;
  std::vector<std::string> trace;
  bool reactor = true;
  std::jthread other;
  // The loop blocks in run_one() with nothing ready: only the posted wakeup can end it.
  loop.call_soon([&] {
    trace.push_back("started");
    other = std::jthread([&] {
      loop.call_soon_threadsafe([&] { trace.push_back("from thread 1"); });
      loop.call_soon_threadsafe([&] {
        trace.push_back("from thread 2");
        reactor = has_reactor(loop);
        loop.stop();
      });
    });
  });
  auto safety_net = loop.call_later(30, [&] { loop.stop(); });
  loop.run_forever();
  safety_net.cancel();
  CHECK(trace == std::vector<std::string>{"started", "from thread 1", "from thread 2"});
  // No fd was watched: no reactor, so no epoll_wait. (When run_forever returns with a timer
  // pending, the guest timer that carries it on brings one.)
  CHECK_FALSE(reactor);
}

TEST_CASE("loop_reactor_reader_next_iteration: test_events.EventLoopTestsMixin.test_add_reader",
          "[loop_reactor]") {
  // An fd written in one iteration is seen ready by the next iteration's poll, after the
  // callbacks that iteration already had, as CPython's select() orders them.
  asyncio::EventLoop loop;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::vector<std::string> trace;
  loop.add_reader(fds[0], [&] {
    trace.push_back("reader");
    char byte;
    (void)::read(fds[0], &byte, 1);
    loop.stop();
  });
  CHECK(has_reactor(loop));
  loop.call_soon([&] {
    trace.push_back("write");
    REQUIRE(::write(fds[1], "x", 1) == 1);
    loop.call_soon([&] { trace.push_back("next iteration"); });
  });
  auto safety_net = loop.call_later(30, [&] { loop.stop(); });
  loop.run_forever();
  safety_net.cancel();
  loop.remove_reader(fds[0]);
  CHECK(trace == std::vector<std::string>{"write", "next iteration", "reader"});
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE(
    "loop_reactor_signal_watches_pipe: "
    "test_unix_events.SelectorEventLoopSignalTests.test_add_signal_handler",
    "[loop_reactor]") {
  asyncio::EventLoop loop;
  CHECK_FALSE(has_reactor(loop));
  int delivered = 0;
  loop.add_signal_handler(SIGUSR2, [&] {
    ++delivered;
    loop.stop();
  });
  CHECK(has_reactor(loop));  // the self-pipe is watched from the first signal handler on
  loop.call_soon([] { ::kill(::getpid(), SIGUSR2); });
  auto safety_net = loop.call_later(30, [&] { loop.stop(); });
  loop.run_forever();
  safety_net.cancel();
  loop.remove_signal_handler(SIGUSR2);
  CHECK(delivered == 1);
}

TEST_CASE(
    "loop_reactor_host_waits_for_open_loop: no CPython counterpart: an open loop is a host's "
    "outstanding work (docs/03), without the self-pipe read that used to be it",
    "[loop_reactor]") {
  asio::io_context io;
  asyncio::EventLoop loop(io);
  io.poll();
  CHECK_FALSE(io.stopped());  // work is left: the open loop
  loop.close();
  io.restart();
  io.poll();
  CHECK(io.stopped());  // out of work once the loop is closed
  CHECK_FALSE(has_reactor(loop));
}
