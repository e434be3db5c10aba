// create_server over several hosts and with keep_alive, the empty host against an absent
// one, and create_connection's errors once every address failed (all_errors).
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <catch2/catch.hpp>

#include "server_impl.hpp"
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <initializer_list>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using Catch::Matchers::StartsWith;
using test_support::closed_port;
using test_support::open_fd_count;
using test_support::raw_connect;
using test_support::run;

namespace {

auto protocol_factory() {
  return [] { return std::make_shared<asyncio::Protocol>(); };
}

std::set<std::string> hosts_of(const asyncio::Server& server) {
  std::set<std::string> hosts;
  for (const asyncio::SockAddr& addr : server.addresses()) hosts.insert(addr.host);
  return hosts;
}

asyncio::AddrInfo stream_info(int family, std::string host, int port) {
  return {family, SOCK_STREAM, 0, "", asyncio::SockAddr{family, std::move(host), port}};
}

// What getaddrinfo would give for `hosts` (IPv6 where the host has a ':'), all on `port`.
std::vector<asyncio::AddrInfo> stream_infos(std::initializer_list<std::string> hosts, int port) {
  std::vector<asyncio::AddrInfo> infos;
  for (const std::string& host : hosts)
    infos.push_back(
        stream_info(host.find(':') == std::string::npos ? AF_INET : AF_INET6, host, port));
  return infos;
}

bool keepalive_on(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) == 0);
  return on != 0;
}

// What a coroutine throws, caught as std::exception_ptr.
template <class T>
std::exception_ptr failure_of(EventLoop& loop, Coro<T> body) {
  try {
    run(loop, std::move(body));
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

template <class E>
const E* as(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const E& e) {
    return &e;  // exception_ptr keeps the object alive
  } catch (...) {
    return nullptr;
  }
}

// The exception `exc` holds, which must be an E (it lives as long as exc does).
template <class E>
const E& require_as(const std::exception_ptr& exc) {
  const E* e = as<E>(exc);
  REQUIRE(e != nullptr);
  return *e;
}

// A loop and a loopback port where every connection is refused.
struct RefusedPort {
  RefusedPort() { test_support::make_reactor(loop); }  // before the tests count fds
  EventLoop loop;
  int port = closed_port();
};

void close_server(EventLoop& loop, asyncio::Server& server) {
  server.close();
  run(loop, server.wait_closed());
}

}  // namespace

// ---------------------------------------------------------------- several hosts

TEST_CASE(
    "multiple_hosts_ipv4: test_events.EventLoopTestsMixin.test_create_server_multiple_hosts_ipv4",
    "[server]") {
  EventLoop loop;
  std::vector<std::string> hosts{"127.0.0.1", "127.0.0.2", "127.0.0.1"};
  auto server = run(loop, loop.create_server(protocol_factory(), hosts, 0));
  CHECK(server->sockets().size() == 2);
  CHECK(hosts_of(*server) == std::set<std::string>{"127.0.0.1", "127.0.0.2"});
  CHECK(server->is_serving());
  int fd = raw_connect(server->addresses().at(0).port);  // each socket listens
  ::close(fd);
  close_server(loop, *server);
  CHECK(server->sockets().empty());
}

TEST_CASE(
    "multiple_hosts_ipv6: test_events.EventLoopTestsMixin.test_create_server_multiple_hosts_ipv6",
    "[server]") {
  EventLoop loop;
  // 192.0.2.1 (TEST-NET-1) is no local address: bind() fails with EADDRNOTAVAIL.
  auto server = run(loop, loop.create_server(protocol_factory(), {"127.0.0.1", "192.0.2.1"}, 0));
  CHECK(hosts_of(*server) == std::set<std::string>{"127.0.0.1"});
  close_server(loop, *server);

  int before = open_fd_count();
  auto none = failure_of(loop, loop.create_server(protocol_factory(), {"192.0.2.1"}, 0));
  const auto& error = require_as<asyncio::OSError>(none);
  CHECK_FALSE(error.has_errno());
  CHECK(std::string(error.what()) == "could not bind on any address out of [('192.0.2.1', 0)]");
  CHECK(open_fd_count() == before);
}

TEST_CASE("bind_error_closes: base_events.create_server (no CPython test)", "[server]") {
  EventLoop loop;
  auto taken = run(loop, loop.create_server(protocol_factory(), "127.0.0.1", 0));
  int port = taken->addresses().at(0).port;
  asyncio::ServerOptions options;
  options.reuse_address = false;
  int before = open_fd_count();
  auto busy = failure_of(
      loop, loop.create_server(protocol_factory(), {"127.0.0.2", "127.0.0.1"}, port, options));
  const auto& error = require_as<asyncio::OSError>(busy);
  CHECK(error.code().value() == EADDRINUSE);
  CHECK(std::string(error.what()) ==
        "[Errno 98] error while attempting to bind on address "
        "('127.0.0.1', " +
            std::to_string(port) + "): [errno 98] address already in use");
  CHECK(open_fd_count() == before);  // 127.0.0.2's socket was closed too
  close_server(loop, *taken);
}

TEST_CASE("keep_alive: base_events.create_server keep_alive (3.13, no CPython test)", "[server]") {
  EventLoop loop;
  auto plain = run(loop, loop.create_server(protocol_factory(), "127.0.0.1", 0));
  CHECK_FALSE(keepalive_on(plain->sockets().at(0)));
  asyncio::ServerOptions options;
  options.keep_alive = true;
  auto kept =
      run(loop, loop.create_server(protocol_factory(), {"127.0.0.1", "127.0.0.2"}, 0, options));
  REQUIRE(kept->sockets().size() == 2);
  for (int fd : kept->sockets()) CHECK(keepalive_on(fd));
  close_server(loop, *plain);
  close_server(loop, *kept);
}

// ---------------------------------------------------------------- "" against no host

TEST_CASE("empty_host_unresolved: socket.getaddrinfo empty host (no CPython test)", "[server]") {
  EventLoop loop;
  auto resolved = failure_of(loop, loop.getaddrinfo("", "80"));
  const auto& gai = require_as<asyncio::gaierror>(resolved);
  CHECK(gai.code().value() == EAI_NONAME);
  CHECK(std::string(gai.what()) == "[Errno -2] Name or service not known");

  auto connected = failure_of(loop, loop.create_connection(protocol_factory(), "", 80));
  CHECK(as<asyncio::gaierror>(connected) != nullptr);
  auto opened = failure_of(loop, asyncio::open_connection("", 80));
  CHECK(as<asyncio::gaierror>(opened) != nullptr);
}

TEST_CASE(
    "server_empty_host: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_server_empty_host",
    "[server]") {
  EventLoop loop;
  auto empty = run(loop, loop.create_server(protocol_factory(), "", 0));
  auto absent = run(loop, loop.create_server(protocol_factory(), std::nullopt, 0));
  CHECK(hosts_of(*empty) == hosts_of(*absent));
  CHECK(hosts_of(*empty).count("0.0.0.0") == 1);
  close_server(loop, *empty);
  close_server(loop, *absent);
}

TEST_CASE("connection_no_host: base_events.create_connection host None (no CPython test)",
          "[server]") {
  EventLoop loop;
  auto server = run(loop, loop.create_server(protocol_factory(), "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  auto [transport, protocol] =
      run(loop, loop.create_connection(protocol_factory(), std::nullopt, port));
  auto peer = std::any_cast<asyncio::SockAddr>(transport->get_extra_info("peername"));
  CHECK(peer.host == "127.0.0.1");
  CHECK(peer.port == port);
  transport->close();
  close_server(loop, *server);
}

TEST_CASE(
    "host_port_sock: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_host_port_sock",
    "[server]") {
  EventLoop loop;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  asyncio::ConnectionOptions with_sock;
  with_sock.sock = fd;
  asyncio::ServerOptions serve_sock;
  serve_sock.sock = fd;
  auto both = [](const std::exception_ptr& exc) {
    const auto* e = as<std::invalid_argument>(exc);
    return e ? std::string(e->what()) : "<other>";
  };
  const std::string host_and_sock = "host/port and sock can not be specified at the same time";
  CHECK(both(failure_of(loop, loop.create_connection(protocol_factory(), "", 0, with_sock))) ==
        host_and_sock);
  CHECK(both(failure_of(loop, loop.create_connection(protocol_factory(), std::nullopt, 80,
                                                     with_sock))) == host_and_sock);
  CHECK(both(failure_of(loop, loop.create_connection(protocol_factory()))) ==
        "host and port was not specified and no sock specified");
  CHECK(both(failure_of(loop, loop.create_server(protocol_factory(), "0.0.0.0", 0, serve_sock))) ==
        host_and_sock);
  CHECK(both(failure_of(loop, loop.create_server(protocol_factory(), "", 0, serve_sock))) ==
        host_and_sock);
  CHECK(both(failure_of(loop, loop.create_server(protocol_factory()))) ==
        "Neither host/port nor sock were specified");
  CHECK(test_support::fd_is_open(fd));  // a refused socket stays the caller's
  ::close(fd);
}

// ---------------------------------------------------------------- every address failed

TEST_CASE_METHOD(
    RefusedPort,
    "multiple_errors: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_multiple_errors",
    "[server]") {
  auto infos = stream_infos({"127.0.0.1", "127.0.0.2"}, port);
  int before = open_fd_count();
  auto exc = failure_of(loop, asyncio::detail::connect_in_turn(loop, infos, std::nullopt, false));
  const auto& error = require_as<asyncio::OSError>(exc);
  CHECK(typeid(error) == typeid(asyncio::OSError));
  CHECK_FALSE(error.has_errno());
  std::string p = std::to_string(port);
  CHECK(std::string(error.what()) ==
        "Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', " + p +
            "), [Errno 111] Connect call failed ('127.0.0.2', " + p + ")");
  CHECK(open_fd_count() == before);

  SECTION("with all_errors, an ExceptionGroup of both") {
    auto group =
        failure_of(loop, asyncio::detail::connect_in_turn(loop, infos, std::nullopt, true));
    const auto& eg = require_as<asyncio::ExceptionGroup>(group);
    CHECK(std::string(eg.what()) == "create_connection failed (2 sub-exceptions)");
    REQUIRE(eg.exceptions.size() == 2);
    for (const auto& sub : eg.exceptions) CHECK(as<asyncio::ConnectionRefusedError>(sub));
  }
}

TEST_CASE_METHOD(
    RefusedPort,
    "multiple_errors_same: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_multiple_errors",
    "[server]") {
  auto infos = stream_infos({"127.0.0.1", "127.0.0.1"}, port);
  auto exc = failure_of(loop, asyncio::detail::connect_in_turn(loop, infos, std::nullopt, false));
  const auto& refused = require_as<asyncio::ConnectionRefusedError>(exc);
  CHECK(refused.code().value() == ECONNREFUSED);
  CHECK(std::string(refused.what()) ==
        "[Errno 111] Connect call failed ('127.0.0.1', " + std::to_string(port) + ")");
}

TEST_CASE_METHOD(
    RefusedPort,
    "all_errors_one: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_connect_err",
    "[server]") {
  auto plain = failure_of(loop, loop.create_connection(protocol_factory(), "127.0.0.1", port));
  CHECK(as<asyncio::ConnectionRefusedError>(plain) != nullptr);
  asyncio::ConnectionOptions options;
  options.all_errors = true;
  auto grouped =
      failure_of(loop, loop.create_connection(protocol_factory(), "127.0.0.1", port, options));
  const auto& eg = require_as<asyncio::ExceptionGroup>(grouped);
  CHECK(std::string(eg.what()) == "create_connection failed (1 sub-exception)");
  REQUIRE(eg.exceptions.size() == 1);
  CHECK(as<asyncio::ConnectionRefusedError>(eg.exceptions[0]) != nullptr);
}

TEST_CASE_METHOD(
    RefusedPort,
    "multiple_errors_local_addr: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_multiple_errors_local_"
    "addr",
    "[server]") {
  // 127.0.0.1's attempt finds no local address of its family; ::1's binds, then is refused.
  auto infos = stream_infos({"127.0.0.1", "::1"}, port);
  auto locals = stream_infos({"::1"}, 0);
  int before = open_fd_count();
  auto exc = failure_of(loop, asyncio::detail::connect_in_turn(loop, infos, locals, false));
  const auto& error = require_as<asyncio::OSError>(exc);
  CHECK_FALSE(error.has_errno());
  CHECK_THAT(error.what(),
             StartsWith("Multiple exceptions: no matching local address with "
                        "family=<AddressFamily.AF_INET: 2> found, [Errno 111] Connect call "
                        "failed ('::1', "));
  CHECK(open_fd_count() == before);

  auto group = failure_of(loop, asyncio::detail::connect_in_turn(loop, infos, locals, true));
  const auto& eg = require_as<asyncio::ExceptionGroup>(group);
  REQUIRE(eg.exceptions.size() == 2);
  CHECK(as<asyncio::OSError>(eg.exceptions[0]) != nullptr);
  CHECK(as<asyncio::ConnectionRefusedError>(eg.exceptions[1]) != nullptr);
}

TEST_CASE_METHOD(RefusedPort,
                 "happy_eyeballs_errors: "
                 "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_multiple",
                 "[server]") {
  auto infos = stream_infos({"127.0.0.1", "127.0.0.2"}, port);
  asyncio::ConnectionOptions options;
  options.all_errors = true;
  auto group = failure_of(loop, asyncio::detail::race_connections(loop, infos, 0.25, options));
  const auto& eg = require_as<asyncio::ExceptionGroup>(group);
  REQUIRE(eg.exceptions.size() == 2);
  CHECK_THAT(as<asyncio::OSError>(eg.exceptions[0])->what(), Catch::Contains("127.0.0.1"));
  CHECK_THAT(as<asyncio::OSError>(eg.exceptions[1])->what(), Catch::Contains("127.0.0.2"));

  options.all_errors = false;
  auto multiple = failure_of(loop, asyncio::detail::race_connections(loop, infos, 0.25, options));
  CHECK_THAT(as<asyncio::OSError>(multiple)->what(), StartsWith("Multiple exceptions: "));
}
