// The loop's low-level socket coroutines: sock_recv, sock_recv_into, sock_sendall,
// sock_connect, sock_accept (test_sock_lowlevel.BaseSockTestsMixin) and the datagram ones,
// sock_recvfrom, sock_recvfrom_into, sock_sendto (3.11).
#include <catch2/catch.hpp>

#include "conformance/sock_trace.hpp"
#include "loop_support.hpp"
#include "net_support.hpp"
#include "sock_support.hpp"

#include <sys/un.h>

#include <cstdio>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::SockAddr;
using Catch::Matchers::Contains;
using namespace sock_support;
using test_support::run;

namespace {

// test_utils.run_test_server's part: answers one request, then closes the connection.
Coro<void> serve_one_request(EventLoop& loop, int listener) {
  auto [conn, peer] = co_await loop.sock_accept(listener);
  Fd guard(conn);
  std::string request = co_await loop.sock_recv(conn, 1024);
  co_await loop.sock_sendall(conn, "HTTP/1.0 200 OK\r\n\r\n" + request);
}

}  // namespace

TEST_CASE("sock_client_ops: test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_ops", "[sock]") {
  EventLoop loop;
  Fd listener(tcp_listener());
  Fd sock(tcp_socket());
  std::string reply = run(loop, [&]() -> Coro<std::string> {
    auto server = asyncio::create_task(serve_one_request(loop, listener));
    co_await loop.sock_connect(sock, sockname(listener));
    co_await loop.sock_sendall(sock, "GET / HTTP/1.0\r\n\r\n");
    std::string data = co_await loop.sock_recv(sock, 1024);
    std::string rest = co_await recv_all(loop, sock);  // consume what is left, up to EOF
    co_await server;
    co_return data + rest;
  }());
  CHECK(reply == "HTTP/1.0 200 OK\r\n\r\nGET / HTTP/1.0\r\n\r\n");
}

TEST_CASE(
    "sock_recv_into: test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_ops "
    "(_basetest_sock_recv_into)",
    "[sock]") {
  EventLoop loop;
  Fd listener(tcp_listener());
  Fd sock(tcp_socket());
  std::string buffer(1024, '\0');
  std::size_t total = run(loop, [&]() -> Coro<std::size_t> {
    auto server = asyncio::create_task(serve_one_request(loop, listener));
    co_await loop.sock_connect(sock, sockname(listener));
    co_await loop.sock_sendall(sock, "GET / HTTP/1.0\r\n\r\n");
    std::size_t n = 0;
    while (true) {
      std::size_t got = co_await loop.sock_recv_into(sock, std::span(buffer).subspan(n));
      if (got == 0) break;
      n += got;
    }
    co_await server;
    co_return n;
  }());
  CHECK(buffer.substr(0, total) == "HTTP/1.0 200 OK\r\n\r\nGET / HTTP/1.0\r\n\r\n");
}

TEST_CASE("sock_recv_racing: test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_racing",
          "[sock]") {
  // A cancelled sock_recv takes its reader away; the next one reads normally.
  EventLoop loop;
  StreamPair pair;
  bool reader_left = true;
  std::string data = run(loop, [&]() -> Coro<std::string> {
    co_await sock_trace::cancel_once_waiting(loop.sock_recv(pair.a, 1024));
    reader_left = loop.remove_reader(pair.a);
    auto send = asyncio::create_task(loop.sock_sendall(pair.b, "GET / HTTP/1.0\r\n\r\n"));
    std::string got = co_await loop.sock_recv(pair.a, 1024);
    co_await send;
    co_return got;
  }());
  CHECK_FALSE(reader_left);
  CHECK(data == "GET / HTTP/1.0\r\n\r\n");
}

TEST_CASE(
    "sock_recv_into_racing: test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_racing "
    "(_basetest_sock_recv_into_racing)",
    "[sock]") {
  EventLoop loop;
  StreamPair pair;
  std::string buffer(64, '\0');
  bool reader_left = true;
  std::size_t n = run(loop, [&]() -> Coro<std::size_t> {
    co_await sock_trace::cancel_once_waiting(loop.sock_recv_into(pair.a, std::span(buffer)));
    reader_left = loop.remove_reader(pair.a);
    auto send = asyncio::create_task(loop.sock_sendall(pair.b, "ping"));
    std::size_t got = co_await loop.sock_recv_into(pair.a, std::span(buffer));
    co_await send;
    co_return got;
  }());
  CHECK_FALSE(reader_left);
  CHECK(buffer.substr(0, n) == "ping");
}

TEST_CASE("sock_sendall_waits: test_sock_lowlevel.BaseSockTestsMixin.test_huge_content", "[sock]") {
  // More than the socket buffers hold: sock_sendall waits for the reader to make room.
  EventLoop loop;
  StreamPair pair;
  std::string data(4 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < data.size(); i += 4096) data[i] = char('a' + (i / 4096) % 26);
  std::string received = run(loop, [&]() -> Coro<std::string> {
    auto reader = asyncio::create_task(recv_all(loop, pair.b));
    co_await loop.sock_sendall(pair.a, data);
    ::shutdown(pair.a, SHUT_WR);
    co_return co_await reader;
  }());
  CHECK(received == data);
}

TEST_CASE("sock_connect_refused: test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_fail",
          "[sock]") {
  EventLoop loop;
  SockAddr address = closed_tcp_address();
  Fd sock(tcp_socket());
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_connect(sock, address)),
                  asyncio::ConnectionRefusedError);
  CHECK_FALSE(loop.remove_writer(sock));
}

TEST_CASE("sock_accept: test_sock_lowlevel.BaseSockTestsMixin.test_sock_accept", "[sock]") {
  EventLoop loop;
  Fd listener(tcp_listener());
  Fd client(tcp_socket(true));
  SockAddr address = sockname(listener);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(std::uint16_t(address.port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  auto [conn, addr] = loop.run_until_complete(loop.sock_accept(listener));
  Fd accepted(conn);
  CHECK(is_nonblocking(accepted));  // conn.gettimeout() == 0
  CHECK((::fcntl(accepted, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(addr == sockname(client));
}

TEST_CASE("sock_accept_cancel: test_sock_lowlevel.BaseSockTestsMixin.test_cancel_sock_accept",
          "[sock]") {
  // wait_for cancels the accept: its reader goes, and so (once closed) does the listener.
  EventLoop loop;
  Fd listener(tcp_listener());
  SockAddr address = sockname(listener);
  CHECK_THROWS_AS(loop.run_until_complete(asyncio::wait_for(loop.sock_accept(listener), 0.01)),
                  asyncio::TimeoutError);
  CHECK_FALSE(loop.remove_reader(listener));
  listener.reset();
  Fd client(tcp_socket());
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_connect(client, address)),
                  asyncio::ConnectionRefusedError);
}

TEST_CASE(
    "sock_blocking_in_debug: test_base_events.BaseLoopSockSendfileTests."
    "test_blocking_socket (the same check in every sock_* method)",
    "[sock]") {
  EventLoop loop;
  Fd blocking(tcp_socket(true));
  std::string buffer(8, '\0');
  // asyncio checks only in debug mode, as here.
  loop.set_debug(true);
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_recv(blocking, 1)),
                    Contains("must be non-blocking"));
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_recv_into(blocking, std::span(buffer))),
                  std::invalid_argument);
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_sendall(blocking, "x")), std::invalid_argument);
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_accept(blocking)), std::invalid_argument);
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_connect(blocking, closed_tcp_address())),
                  std::invalid_argument);
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_recvfrom(blocking, 1)), std::invalid_argument);
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_sendto(blocking, "x", closed_tcp_address())),
                  std::invalid_argument);
}

// ---------------------------------------------------------------- datagrams

namespace {
// test_utils.run_udp_echo_server: answers each datagram with itself, `count` times.
Coro<void> udp_echo(EventLoop& loop, int sock, int count) {
  for (int i = 0; i < count; ++i) {
    auto [data, from] = co_await loop.sock_recvfrom(sock, 65536);
    co_await loop.sock_sendto(sock, data, from);
  }
}
}  // namespace

TEST_CASE("sock_recvfrom: test_sock_lowlevel.BaseSockTestsMixin.test_recvfrom", "[sock]") {
  EventLoop loop;
  Fd server(bound_socket(SOCK_DGRAM));
  Fd sock(bound_socket(SOCK_DGRAM));
  SockAddr server_address = sockname(server);
  std::string data(4096, '\x01');
  auto [sent, received, from] =
      run(loop, [&]() -> Coro<std::tuple<std::size_t, std::string, SockAddr>> {
        auto echo = asyncio::create_task(udp_echo(loop, server, 1));
        std::size_t n = co_await loop.sock_sendto(sock, data, server_address);
        auto [got, sender] = co_await loop.sock_recvfrom(sock, 4096);
        co_await echo;
        co_return std::tuple(n, got, sender);
      }());
  CHECK(sent == 4096);
  CHECK(received == data);
  CHECK(from == server_address);
}

TEST_CASE("sock_recvfrom_into: test_sock_lowlevel.BaseSockTestsMixin.test_recvfrom_into",
          "[sock]") {
  EventLoop loop;
  Fd server(bound_socket(SOCK_DGRAM));
  Fd sock(bound_socket(SOCK_DGRAM));
  SockAddr server_address = sockname(server);
  std::string data(4096, '\x01');
  std::string small(4096, '\0');
  std::string big(8192, '\0');
  auto [whole, part] = run(loop, [&]() -> Coro<std::pair<std::size_t, std::size_t>> {
    auto echo = asyncio::create_task(udp_echo(loop, server, 2));
    co_await loop.sock_sendto(sock, data, server_address);
    auto [n1, from1] = co_await loop.sock_recvfrom_into(sock, std::span(small));
    CHECK(from1 == server_address);
    co_await loop.sock_sendto(sock, data, server_address);
    auto [n2, from2] = co_await loop.sock_recvfrom_into(sock, std::span(big), 4096);
    CHECK(from2 == server_address);
    co_await echo;
    co_return std::pair(n1, n2);
  }());
  CHECK(whole == 4096);
  CHECK(small == data);
  CHECK(part == 4096);
  CHECK(big.substr(0, 4096) == data);
  CHECK(big.substr(4096) == std::string(4096, '\0'));  // nbytes bounded the read
}

TEST_CASE("sock_recvfrom_into_nbytes: test_socket.BufferIOTest.testRecvFromIntoSmallBuffer",
          "[sock]") {
  // socket.recvfrom_into's own check, which asyncio's method meets first.
  EventLoop loop;
  Fd sock(bound_socket(SOCK_DGRAM));
  std::string buffer(16, '\0');
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_recvfrom_into(sock, std::span(buffer), 17)),
                    "nbytes is greater than the length of the buffer");
  CHECK_FALSE(loop.remove_reader(sock));
}

TEST_CASE("sock_sendto_blocking: test_sock_lowlevel.BaseSockTestsMixin.test_sendto_blocking",
          "[sock]") {
  // The receiver's queue is full, so sendto(2) says EAGAIN: sock_sendto waits for room (a
  // writer), then sends; CPython fakes the EAGAIN with a mock, here a real queue fills up.
  char dir[] = "/tmp/asyncio_cpp_dgram_XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/receiver";
  SockAddr receiver_address{AF_UNIX, path, 0};
  Fd receiver(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  Fd sender(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path.c_str());
  REQUIRE(::bind(receiver, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
  REQUIRE(::connect(sender, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
  int queued = 0;
  while (::send(sender, "q", 1, 0) == 1) ++queued;
  REQUIRE(errno == EAGAIN);

  EventLoop loop;
  bool waited = false;
  std::string last;
  std::size_t sent = run(loop, [&]() -> Coro<std::size_t> {
    auto sending = asyncio::create_task(loop.sock_sendto(sender, "last", receiver_address));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    waited = !sending.done();
    char byte;
    for (int i = 0; i < queued; ++i) (void)::recv(receiver, &byte, 1, 0);
    std::size_t n = co_await sending;
    auto [data, from] = co_await loop.sock_recvfrom(receiver, 16);
    last = data;
    co_return n;
  }());
  ::unlink(path.c_str());
  ::rmdir(dir);
  CHECK(waited);
  CHECK(sent == 4);
  CHECK(last == "last");
  CHECK_FALSE(loop.remove_writer(sender));
}
