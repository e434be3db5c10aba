// asyncio.Server: ports of CPython's Lib/test/test_asyncio/test_server.py (wait_closed,
// close_clients, abort_clients, serve_forever), base_events' accept loop under EMFILE
// (test_base_events / test_selector_events test_accept_connection_exception) and happy eyeballs.
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <catch2/catch.hpp>

#include "server_impl.hpp"
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using Catch::Matchers::Contains;
using test_support::errno_of;
using test_support::fd_is_open;
using test_support::NoFileLimit;
using test_support::open_fd_count;
using test_support::raw_connect;
using test_support::run;
using test_support::spin;
using test_support::wait;

namespace {

// The server side of each accepted connection.
class ServerSide : public asyncio::Protocol {
 public:
  explicit ServerSide(EventLoop& loop)
      : made(loop.create_future<void>()), lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    made.set_result();
  }
  void data_received(std::string_view d) override { data.append(d); }
  void connection_lost(std::exception_ptr e) override {
    exc = e;
    lost.set_result();
  }
  std::shared_ptr<asyncio::Transport> transport;
  std::string data;
  std::exception_ptr exc;
  asyncio::Future<void> made;
  asyncio::Future<void> lost;
};

// A server whose accepted protocols the test can see.
struct Served {
  std::shared_ptr<asyncio::Server> server;
  std::vector<std::shared_ptr<ServerSide>> sides;
  int port = 0;
  std::size_t want = 0;  // resolve `enough` once this many were accepted
  std::optional<asyncio::Future<void>> enough;
};

std::unique_ptr<Served> serve(EventLoop& loop, asyncio::ServerOptions opts = {}) {
  auto s = std::make_unique<Served>();
  Served* raw = s.get();
  s->server = loop.run_until_complete(loop.create_server(
      [&loop, raw] {
        raw->sides.push_back(std::make_shared<ServerSide>(loop));
        if (raw->enough && raw->sides.size() >= raw->want && !raw->enough->done())
          raw->enough->set_result();
        return raw->sides.back();
      },
      "127.0.0.1", 0, opts));
  s->port = s->server->addresses().at(0).port;
  return s;
}

void wait_accepted(EventLoop& loop, Served& s, std::size_t n) {
  if (s.sides.size() < n) {
    s.want = n;
    s.enough = loop.create_future<void>();
    wait(loop, *s.enough);
  }
  REQUIRE(s.sides.size() == n);
  for (auto& side : s.sides) wait(loop, side->made);
}

}  // namespace

// ---------------------------------------------------------------- Server

TEST_CASE("test_server.TestServer2.test_wait_closed_basic: only once every client is gone",
          "[net]") {
  EventLoop loop;
  auto s = serve(loop);
  int c1 = raw_connect(s->port);
  int c2 = raw_connect(s->port);
  wait_accepted(loop, *s, 2);
  CHECK(s->server->is_serving());

  auto waiting = loop.create_task(s->server->wait_closed());
  spin(loop, 3);
  CHECK_FALSE(waiting.done());  // not closed yet

  s->server->close();
  CHECK_FALSE(s->server->is_serving());
  spin(loop, 3);
  CHECK_FALSE(waiting.done());  // closed, but two clients are still connected

  ::close(c1);  // EOF: the first server transport closes
  wait(loop, s->sides[0]->lost);
  spin(loop, 3);
  CHECK_FALSE(waiting.done());

  ::close(c2);
  wait(loop, s->sides[1]->lost);
  wait(loop, asyncio::Future<void>(waiting));
  CHECK(waiting.done());
  // Closed and empty: wait_closed returns at once from now on.
  run(loop, s->server->wait_closed());
}

TEST_CASE("test_server.TestServer2.test_close_clients (3.13): close_clients flushes, then closes",
          "[net]") {
  EventLoop loop;
  auto s = serve(loop);
  int c1 = raw_connect(s->port);
  wait_accepted(loop, *s, 1);
  // Buffered data is flushed before the close, as transport.close() does.
  s->sides[0]->transport->write("bye");
  s->server->close();
  s->server->close_clients();
  CHECK(s->sides[0]->transport->is_closing());
  run(loop, s->server->wait_closed());
  CHECK(s->sides[0]->lost.done());
  CHECK(s->sides[0]->exc == nullptr);
  char buf[16];
  ssize_t n = ::recv(c1, buf, sizeof buf, 0);
  CHECK(std::string(buf, n > 0 ? std::size_t(n) : 0) == "bye");
  CHECK(::recv(c1, buf, sizeof buf, 0) == 0);  // then EOF
  ::close(c1);
}

TEST_CASE("test_server.TestServer2.test_abort_clients (3.13): abort_clients drops the connections",
          "[net]") {
  EventLoop loop;
  auto s = serve(loop);
  int c1 = raw_connect(s->port);
  int c2 = raw_connect(s->port);
  wait_accepted(loop, *s, 2);
  s->server->close();
  s->server->abort_clients();
  for (auto& side : s->sides) CHECK(side->transport->is_closing());
  run(loop, s->server->wait_closed());
  for (auto& side : s->sides) {
    CHECK(side->lost.done());
    CHECK(side->exc == nullptr);
  }
  ::close(c1);
  ::close(c2);
}

TEST_CASE("server_close_sockets: test_server.BaseStartServer.test_start_server_1", "[net]") {
  EventLoop loop;
  auto s = serve(loop);
  std::vector<int> fds = s->server->sockets();
  REQUIRE(fds.size() == 1);
  CHECK(fd_is_open(fds[0]));
  CHECK(s->server->addresses().at(0).repr() == "('127.0.0.1', " + std::to_string(s->port) + ")");
  s->server->close();
  CHECK_FALSE(fd_is_open(fds[0]));
  CHECK(s->server->sockets().empty());
  CHECK(s->server->addresses().empty());
  CHECK_FALSE(s->server->is_serving());
  run(loop, s->server->wait_closed());
  // Nothing listens there any more.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<uint16_t>(s->port));
  CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == -1);
  CHECK(errno == ECONNREFUSED);
  ::close(fd);
}

TEST_CASE("serve_forever_twice_cancel: test_server.BaseStartServer.test_start_server_1", "[net]") {
  EventLoop loop;
  asyncio::ServerOptions opts;
  opts.start_serving = false;
  auto s = serve(loop, opts);
  CHECK_FALSE(s->server->is_serving());
  auto forever = loop.create_task(s->server->serve_forever());
  spin(loop, 2);
  CHECK(s->server->is_serving());
  CHECK_FALSE(forever.done());
  try {
    loop.run_until_complete(s->server->serve_forever());
    FAIL("serve_forever twice did not throw");
  } catch (const asyncio::RuntimeError& e) {
    CHECK(std::string(e.what()) == "server is already being awaited on serve_forever()");
  }
  int c = raw_connect(s->port);
  wait_accepted(loop, *s, 1);
  forever.cancel();
  // serve_forever closes the server and waits for the client before it re-raises.
  spin(loop, 3);
  CHECK_FALSE(s->server->is_serving());
  CHECK_FALSE(forever.done());
  ::close(c);
  try {
    wait(loop, asyncio::Future<void>(forever));
    FAIL("serve_forever returned normally after cancel");
  } catch (const asyncio::CancelledError&) {
  }
  CHECK(forever.cancelled());
  // A closed server cannot serve again.
  CHECK_THROWS_AS(loop.run_until_complete(s->server->serve_forever()), asyncio::RuntimeError);
}

TEST_CASE("test_server.BaseStartServer.test_start_server_1: Server.close() cancels serve_forever()",
          "[net]") {
  // CPython's Server.close() cancels _serving_forever_fut, so serve_forever() ends with
  // CancelledError (printed as "cancelled True" by 3.11 and 3.12 alike).
  EventLoop loop;
  auto s = serve(loop);
  auto forever = loop.create_task(s->server->serve_forever());
  spin(loop, 2);
  REQUIRE_FALSE(forever.done());
  s->server->close();
  spin(loop, 5);
  CHECK(forever.done());
  CHECK(forever.cancelled());
  if (!forever.done()) {  // clean up after the failure
    forever.cancel();
    spin(loop, 5);
  }
  run(loop, s->server->wait_closed());
}

TEST_CASE(
    "test_streams.StreamTests.test_unhandled_exceptions: a client_connected_cb that raises "
    "closes the connection",
    "[net]") {
  EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& ctx) { messages.push_back(ctx.message); });
  auto body = []() -> Coro<void> {
    auto failing = [](std::shared_ptr<asyncio::StreamReader>,
                      std::shared_ptr<asyncio::StreamWriter>) -> Coro<void> {
      co_await asyncio::sleep(0);
      throw std::logic_error("handler failed");
    };
    auto server = co_await asyncio::start_server(failing, "127.0.0.1", 0);
    int port = server->addresses().at(0).port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    std::string got = co_await reader->read(-1);  // the server closes: EOF
    CHECK(got.empty());
    CHECK(reader->at_eof());
    writer->close();
    co_await writer->wait_closed();
    server->close();
    co_await server->wait_closed();
  };
  run(loop, body());
  CHECK(messages == std::vector<std::string>{"Unhandled exception in client_connected_cb"});
}

TEST_CASE("test_events.test_create_unix_server / test_create_unix_connection: fd flags, stale path",
          "[net]") {
  EventLoop loop;
  char dir_template[] = "/tmp/netunit-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/sock";
  {
    // A stale socket file from an earlier run is replaced, as asyncio does.
    int stale = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(stale, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
    ::close(stale);
  }
  std::shared_ptr<ServerSide> accepted;
  auto server = loop.run_until_complete(loop.create_unix_server(
      [&] {
        accepted = std::make_shared<ServerSide>(loop);
        return accepted;
      },
      path, {}));
  CHECK(server->addresses().at(0).repr() == "'" + path + "'");
  auto made = loop.run_until_complete(
      loop.create_unix_connection([&] { return std::make_shared<ServerSide>(loop); }, path, {}));
  while (!accepted) spin(loop);
  wait(loop, accepted->made);
  for (auto& t : {made.first, accepted->transport}) {
    int fd = std::any_cast<int>(t->get_extra_info("socket"));
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  }
  made.first->write("over unix");
  made.first->close();
  wait(loop, accepted->lost);
  CHECK(accepted->data == "over unix");
  server->close();
  run(loop, server->wait_closed());
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}

TEST_CASE(
    "test_events.EventLoopTestsMixin.test_create_server_addr_in_use: a failed create_server "
    "leaks no fd",
    "[net]") {
  EventLoop loop;
  auto s = serve(loop);
  int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::close(probe);
  asyncio::ServerOptions opts;
  opts.reuse_address = false;
  try {
    loop.run_until_complete(loop.create_server([&] { return std::make_shared<ServerSide>(loop); },
                                               "127.0.0.1", s->port, opts));
    FAIL("bound a port in use");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == EADDRINUSE);
  }
  int after = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::close(after);
  CHECK(after == probe);
  s->server->close();
  run(loop, s->server->wait_closed());
}

// ---------------------------------------------------------------- EMFILE

TEST_CASE(
    "test_base_events.BaseEventLoopWithSelectorTests.test_accept_connection_exception: "
    "EMFILE backs off for ACCEPT_RETRY_DELAY, then accepts again",
    "[net]") {
  if (test_support::sanitized) {
    SUCCEED("skipped under sanitizers");
    return;
  }
  EventLoop loop;
  NoFileLimit limit;
  int calls = 0;
  std::string message;
  int err = 0;
  double t_error = 0;
  loop.set_exception_handler([&](EventLoop& l, const asyncio::ExceptionContext& ctx) {
    ++calls;
    message = ctx.message;
    err = errno_of(ctx.exception);
    t_error = l.time();
    // Stay out of fds a while: a loop that kept polling the listener would report again.
    l.call_later(0.3, [&] { limit.restore(); });
  });
  auto s = serve(loop);
  int lfd = s->server->sockets().at(0);
  int client = raw_connect(s->port);
  // The lowest free fd number becomes the limit: accept4 cannot get an fd.
  int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(probe >= 0);
  ::close(probe);
  limit.set_soft(rlim_t(probe));
  wait_accepted(loop, *s, 1);
  double t_accept = loop.time();
  limit.restore();
  CHECK(calls == 1);
  CHECK(message == "socket.accept() out of system resource");
  CHECK(err == EMFILE);
  CHECK(t_accept - t_error >= 0.9);  // asyncio's ACCEPT_RETRY_DELAY is 1 s
  CHECK(s->server->is_serving());
  CHECK(fd_is_open(lfd));
  // And it keeps accepting normally.
  int client2 = raw_connect(s->port);
  wait_accepted(loop, *s, 2);
  CHECK(calls == 1);
  ::close(client);
  ::close(client2);
  s->server->close();
  run(loop, s->server->wait_closed());
}

// ---------------------------------------------------------------- happy eyeballs

TEST_CASE(
    "test_base_events.test_create_connection_happy_eyeballs: a stalled first address loses "
    "to the next one once the delay has passed",
    "[net]") {
  EventLoop loop;
  // A listener whose accept queue is full drops further SYNs: connecting to it stalls.
  int stalled = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(stalled, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  REQUIRE(::listen(stalled, 0) == 0);
  socklen_t len = sizeof sin;
  ::getsockname(stalled, reinterpret_cast<sockaddr*>(&sin), &len);
  int stalled_port = ntohs(sin.sin_port);
  int filler = raw_connect(stalled_port);  // fills the queue
  auto s = serve(loop);
  int before = open_fd_count();

  std::vector<asyncio::AddrInfo> infos(2);
  infos[0] = {AF_INET, SOCK_STREAM, 0, "", asyncio::SockAddr{AF_INET, "127.0.0.1", stalled_port}};
  infos[1] = {AF_INET, SOCK_STREAM, 0, "", asyncio::SockAddr{AF_INET, "127.0.0.1", s->port}};
  double start = loop.time();
  int fd = run(loop, asyncio::detail::race_connections(loop, infos, 0.05, {}));
  double took = loop.time() - start;
  CHECK(took >= 0.04);  // the second attempt waited for the delay
  sockaddr_in peer{};
  len = sizeof peer;
  REQUIRE(::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0);
  CHECK(ntohs(peer.sin_port) == s->port);
  ::close(fd);
  spin(loop, 3);  // the losing attempt's cancellation closes its socket
  CHECK(open_fd_count() == before);

  SECTION("without the race, the stalled address is tried alone first") {
    auto first = loop.create_task(asyncio::detail::race_connections(loop, {infos[0]}, 0.05, {}));
    spin(loop, 20);
    CHECK_FALSE(first.done());  // one address: nothing to race against
    first.cancel();
    spin(loop, 3);
  }
  ::close(filler);
  ::close(stalled);
  s->server->close();
  run(loop, s->server->wait_closed());
}

TEST_CASE(
    "base_events._interleave_addrinfos: first_address_family_count of the first family, "
    "then one of each in turn",
    "[net]") {
  auto info = [](int family, std::string host) {
    return asyncio::AddrInfo{family, SOCK_STREAM, 0, "", asyncio::SockAddr{family, host, 80}};
  };
  std::vector<asyncio::AddrInfo> infos = {info(AF_INET6, "::1"), info(AF_INET6, "::2"),
                                          info(AF_INET, "1.1.1.1"), info(AF_INET, "2.2.2.2")};
  auto hosts = [](const std::vector<asyncio::AddrInfo>& v) {
    std::vector<std::string> out;
    for (auto& i : v) out.push_back(i.addr.host);
    return out;
  };
  CHECK(hosts(asyncio::detail::interleave_families(infos, 1)) ==
        std::vector<std::string>{"::1", "1.1.1.1", "::2", "2.2.2.2"});
  CHECK(hosts(asyncio::detail::interleave_families(infos, 2)) ==
        std::vector<std::string>{"::1", "::2", "1.1.1.1", "2.2.2.2"});
}
