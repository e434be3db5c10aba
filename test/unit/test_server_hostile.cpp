// Hostile peers: endless lines and huge reads (test_streams.py's limits), slow loris, a UDP flood.
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <catch2/catch.hpp>

#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <any>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using test_support::raw_connect;
using test_support::run;
using test_support::spin;

namespace {

constexpr std::size_t KiB = 1024;

}  // namespace

// ---------------------------------------------------------------- hostile peers (streams)

TEST_CASE(
    "test_streams.StreamTests.test_readline_limit / test_readuntil_limit_found_sep against an "
    "endless line: the buffer stays bounded while reading is paused",
    "[net]") {
  EventLoop loop;
  constexpr std::size_t limit = 1024;
  auto body = [&]() -> Coro<void> {
    // The peer: writes 'x' without a newline until the connection goes.
    auto endless = [](std::shared_ptr<asyncio::StreamReader>,
                      std::shared_ptr<asyncio::StreamWriter> w) -> Coro<void> {
      const std::string chunk(64 * KiB, 'x');
      try {
        while (true) {
          w->write(chunk);
          co_await w->drain();
        }
      } catch (const std::exception&) {
      }
      w->close();
    };
    auto server = co_await asyncio::start_server(endless, "127.0.0.1", 0);
    int port = server->addresses().at(0).port;
    asyncio::ConnectionOptions copts;
    copts.limit = limit;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port, copts);
    CHECK(reader->limit() == limit);
    auto rt = std::dynamic_pointer_cast<asyncio::ReadTransport>(writer->transport());
    REQUIRE(rt);

    std::optional<std::size_t> consumed;
    try {
      co_await reader->readuntil("\n");
    } catch (const asyncio::LimitOverrunError& e) {
      consumed = e.consumed;
    }
    REQUIRE(consumed);
    CHECK(*consumed > limit);
    // Nobody reads now: the reader pauses its transport past 2 * limit.
    for (int i = 0; i < 10000 && rt->is_reading(); ++i) co_await asyncio::sleep(0);
    CHECK_FALSE(rt->is_reading());
    std::size_t held = reader->buffered();
    CHECK(held > 2 * limit);
    CHECK(held <= 2 * limit + 256 * KiB);
    for (int i = 0; i < 20; ++i) co_await asyncio::sleep(0);
    CHECK(reader->buffered() == held);  // paused: it does not grow

    bool overrun = false;
    try {
      co_await reader->readuntil("\n");  // still too long, the buffer is left as it was
    } catch (const asyncio::LimitOverrunError&) {
      overrun = true;
    }
    CHECK(overrun);
    CHECK(reader->buffered() == held);
    bool value_error = false;
    try {
      co_await reader->readline();  // ValueError, and the line so far is dropped
    } catch (const std::invalid_argument&) {
      value_error = true;
    }
    CHECK(value_error);
    CHECK(reader->buffered() < held);
    CHECK(rt->is_reading());  // drained below the limit: reading resumes
    writer->close();
    co_await writer->wait_closed();
    server->close();
    co_await server->wait_closed();
  };
  run(loop, body());
}

TEST_CASE("test_streams.StreamTests.test_readexactly_eof: a huge readexactly, a tiny payload",
          "[net]") {
  EventLoop loop;
  auto body = []() -> Coro<void> {
    auto tiny = [](std::shared_ptr<asyncio::StreamReader>,
                   std::shared_ptr<asyncio::StreamWriter> w) -> Coro<void> {
      w->write("abc");
      w->close();
      co_await w->wait_closed();
    };
    auto server = co_await asyncio::start_server(tiny, "127.0.0.1", 0);
    int port = server->addresses().at(0).port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    constexpr std::ptrdiff_t huge = std::ptrdiff_t(1) << 40;
    std::optional<asyncio::IncompleteReadError> error;
    try {
      co_await reader->readexactly(huge);
    } catch (const asyncio::IncompleteReadError& e) {
      error = e;
    }
    REQUIRE(error);
    CHECK(error->partial == "abc");
    CHECK(error->expected == std::optional<std::size_t>(std::size_t(huge)));
    CHECK(reader->at_eof());
    writer->close();
    co_await writer->wait_closed();
    server->close();
    co_await server->wait_closed();
  };
  run(loop, body());
}

// ---------------------------------------------------------------- hostile peers

TEST_CASE(
    "Slow-loris peers: 200 connections that trickle a line without ending it do not stop "
    "the server from answering a normal client",
    "[net][hostile]") {
  EventLoop loop;
  auto handler = [](std::shared_ptr<asyncio::StreamReader> reader,
                    std::shared_ptr<asyncio::StreamWriter> writer) -> Coro<void> {
    std::string line = co_await reader->readline();
    writer->write(line);
    co_await writer->drain();
    writer->close();
  };
  auto server = run(loop, asyncio::start_server(handler, "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  std::vector<int> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(raw_connect(port));
    REQUIRE(::send(slow.back(), "GET / HT", 8, MSG_NOSIGNAL) == 8);  // and never the rest
    spin(loop);  // accepted as they come: the listen backlog is 100
  }
  spin(loop, 5);
  for (int fd : slow) REQUIRE(::send(fd, "T", 1, MSG_NOSIGNAL) == 1);  // a byte now and then
  auto client = [&]() -> Coro<std::string> {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer->write("hello\n");
    std::string answer = co_await reader->readline();
    writer->close();
    co_return answer;
  };
  CHECK(run(loop, client(), 10.0) == "hello\n");
  for (int fd : slow) ::close(fd);
  server->close();
  run(loop, server->wait_closed());
}

namespace {
class CountingDatagrams : public asyncio::DatagramProtocol {
 public:
  void datagram_received(std::string_view data, const asyncio::SockAddr&) override {
    ++received;
    bytes += data.size();
  }
  long received = 0;
  long bytes = 0;
};
}  // namespace

TEST_CASE(
    "A UDP flood: 20000 datagrams from a raw socket reach datagram_received or are dropped "
    "by the kernel, and timers keep firing meanwhile",
    "[net][hostile]") {
  EventLoop loop;
  auto counter = std::make_shared<CountingDatagrams>();
  asyncio::DatagramOptions options;
  options.local_addr = asyncio::HostPort{"127.0.0.1", 0};
  auto [endpoint, proto] = loop.run_until_complete(
      loop.create_datagram_endpoint([counter] { return counter; }, options));
  auto addr = std::any_cast<asyncio::SockAddr>(endpoint->get_extra_info("sockname"));
  int sender = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<uint16_t>(addr.port));
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    if (ticks < 5) loop.call_later(0.001, tick);
  };
  loop.call_later(0.001, tick);
  char payload[512] = {};
  long sent = 0;
  for (int burst = 0; burst < 200; ++burst) {
    for (int i = 0; i < 100; ++i)
      if (::sendto(sender, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof to) == static_cast<ssize_t>(sizeof payload))
        ++sent;
    test_support::run_once(loop);
  }
  while (ticks < 5) test_support::run_once(loop);  // the timer chain finished
  spin(loop, 5);
  CHECK(sent > 0);
  CHECK(counter->received > 0);
  CHECK(counter->received <= sent);
  CHECK(counter->bytes == counter->received * static_cast<long>(sizeof payload));
  CHECK(ticks == 5);
  ::close(sender);
  endpoint->close();
  spin(loop, 2);
}
