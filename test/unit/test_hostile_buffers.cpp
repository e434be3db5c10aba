// Issue 17, part two: bounds a hostile peer relies on (the StreamReader's memory, the write
// buffer after a burst), a guest timer at -inf, and signals arriving on a full self-pipe. Each
// test failed on the code before the fix.
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include "loop_impl.hpp"
#include "unix_pipes.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>

using asyncio::Coro;
using asyncio::EventLoop;
using test_support::run;
using test_support::run_until;
using test_support::SocketPair;

namespace {

int local_port(int fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
  return ntohs(sin.sin_port);
}

// The most a reader with `limit` held while a client sent it 8 MiB it never read.
std::size_t reader_high_water(std::size_t limit) {
  EventLoop loop;
  std::shared_ptr<asyncio::StreamReader> served;
  asyncio::Future<void> release(loop);
  auto handler = [&](std::shared_ptr<asyncio::StreamReader> r,
                     std::shared_ptr<asyncio::StreamWriter>) -> Coro<void> {
    served = r;
    co_await release;
  };
  asyncio::ServerOptions options;
  options.limit = limit;
  auto server = run(loop, asyncio::start_server(handler, "127.0.0.1", 0, options));
  auto [reader, writer] =
      run(loop, asyncio::open_connection("127.0.0.1", local_port(server->sockets().at(0))));
  writer->write(std::string(8 << 20, 'x'));
  std::size_t high = 0;
  int after_pause = 0;
  // Sampled between loop iterations: right after each read, before the reader is drained.
  REQUIRE(run_until(loop, [&] {
    if (!served) return false;
    high = std::max(high, served->buffered());
    if (served->buffered() > 2 * limit) ++after_pause;
    return after_pause > 50;
  }));
  release.set_result();
  writer->close();
  server->close();
  run(loop, server->wait_closed());
  return high;
}

}  // namespace

// ---------------------------------------------------------------- 8. StreamReader memory

TEST_CASE(
    "test_streams.StreamTests: the reader holds at most 2 x limit + 256 KiB "
    "(issue 17, no CPython test)",
    "[hostile]") {
  // docs/07-security.md's bound. Before the fix a read took the buffer's whole free tail:
  // 512 KiB held at limit 64 KiB, 4 MiB at limit 1 MiB.
  for (std::size_t limit : {std::size_t(64) << 10, std::size_t(1) << 20}) {
    const std::size_t high = reader_high_water(limit);
    INFO("limit " << limit << ", high-water mark " << high);
    CHECK(high > 2 * limit);  // it did fill up to the pause
    CHECK(high <= 2 * limit + (256 << 10));
  }
}

// ---------------------------------------------------------------- 9. write buffer capacity

TEST_CASE(
    "selector_events: the write buffer gives back a burst's memory (issue 17, no CPython "
    "test)",
    "[hostile]") {
  // Before the fix the buffer kept its peak capacity for the connection's life.
  asyncio::detail::ByteBuffer buffer;
  buffer.append(std::string(8 << 20, 'x'));
  buffer.consume((8 << 20) - 1000);
  buffer.release_spare(16 << 10, 64 << 10);
  CHECK(buffer.view() == std::string(1000, 'x'));
  CHECK(buffer.capacity() < (64 << 10));
  buffer.append(std::string(200 << 10, 'y'));
  buffer.consume(buffer.size());
  buffer.release_spare(16 << 10, 64 << 10);  // what flow control reaches: kept for reuse
  CHECK(buffer.capacity() >= (200 << 10));
}

TEST_CASE(
    "selector_events: a socket transport's buffer after a 32 MiB burst (issue 17, no "
    "CPython test)",
    "[hostile]") {
  if (test_support::sanitized) return;  // their allocators keep freed memory in quarantine
  EventLoop loop;
  SocketPair pair;
  const int fd = std::exchange(pair.a, -1);
  ::fcntl(pair.b, F_SETFL, O_NONBLOCK);
  auto [transport, protocol] = run(
      loop, loop.connect_accepted_socket([] { return std::make_shared<asyncio::Protocol>(); }, fd));
  const auto before = ::mallinfo2().uordblks;
  transport->write(std::string(32 << 20, 'x'));
  std::size_t received = 0;
  char sink[1 << 16];
  REQUIRE(run_until(loop, [&] {
    ssize_t n;
    while ((n = ::read(pair.b, sink, sizeof sink)) > 0) received += std::size_t(n);
    return transport->get_write_buffer_size() == 0;
  }));
  const auto after = ::mallinfo2().uordblks;
  CHECK(after < before + (4 << 20));
  transport->close();
  test_support::spin(loop, 2);
}

// ---------------------------------------------------------------- 10. guest timer at -inf

TEST_CASE("embedding: a guest's timer at -inf is due now (issue 17, no CPython test)",
          "[hostile]") {
  // arm_guest_timer cast -inf to an integer duration: undefined (UBSan's float-cast-overflow).
  boost::asio::io_context io;
  EventLoop loop(io);
  bool ran = false;
  loop.call_soon([&] {
    loop.call_at(-std::numeric_limits<double>::infinity(), [&] {
      ran = true;
      io.stop();
    });
  });
  io.run_for(std::chrono::seconds(10));  // a safety net: the timer stops it at once
  CHECK(ran);
}

// ---------------------------------------------------------------- 11. a full self-pipe

TEST_CASE(
    "test_unix_events.SelectorEventLoopSignalTests: a signal on a full self-pipe "
    "(issue 17, beyond CPython)",
    "[hostile]") {
  // The byte a signal writes is dropped when the pipe is full; before the fix its handler never
  // ran. Now each signal counts its deliveries, and the byte is only a wakeup.
  EventLoop loop;
  int usr1 = 0;
  int term = 0;
  loop.add_signal_handler(SIGUSR1, [&] { ++usr1; });
  loop.add_signal_handler(SIGTERM, [&] { ++term; });
  const int wfd = asyncio::detail::LoopAccess::impl(loop).self_pipe.write_fd();
  const std::uint8_t stray = 200;  // past NSIG: no signal's count (the fuzzer found this)
  REQUIRE(::write(wfd, &stray, 1) == 1);
  const std::uint8_t usr1_byte = SIGUSR1;
  while (::write(wfd, &usr1_byte, 1) == 1) {
  }  // full of SIGUSR1 bytes nobody raised
  REQUIRE(errno == EAGAIN);
  ::raise(SIGUSR1);
  ::raise(SIGUSR1);
  ::raise(SIGTERM);  // its byte is dropped
  REQUIRE(run_until(loop, [&] { return term == 1 && usr1 == 2; }));
  test_support::spin(loop, 3);
  CHECK(term == 1);
  CHECK(usr1 == 2);  // the stray bytes count for nothing, the raised signals once each
  loop.remove_signal_handler(SIGUSR1);
  loop.remove_signal_handler(SIGTERM);
}
