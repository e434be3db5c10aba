// asyncio.Server and the streams on top of it: ports of CPython's
// Lib/test/test_asyncio/test_server.py (wait_closed, close_clients, abort_clients, serve_forever),
// base_events' accept loop under EMFILE (test_base_events / test_selector_events
// test_accept_connection_exception), hostile peers against test_streams.py's limits, and a
// 10k-connection loopback stress test ([stress]).
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "server_impl.hpp"
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"
#include "unit/strict_mode.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
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
using test_support::open_fd_count;
using test_support::run;
using test_support::spin;
using test_support::wait;

namespace {

constexpr std::size_t KiB = 1024;

// A blocking client socket connected to 127.0.0.1:port (the handshake completes in the backlog).
int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  return fd;
}

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

TEST_CASE("serve_forever_twice_cancel: test_server.BaseStartServer.test_start_server_1",
          "[net]") {
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

namespace {

struct NoFileLimit {  // restores RLIMIT_NOFILE on the way out, whatever happens
  NoFileLimit() { ::getrlimit(RLIMIT_NOFILE, &saved); }
  ~NoFileLimit() { restore(); }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  void set_soft(rlim_t soft) {
    rlimit r = saved;
    r.rlim_cur = soft;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &r) == 0);
  }
  // At least `soft` fds, raising the hard limit if need be: that needs CAP_SYS_RESOURCE (up to
  // fs.nr_open); without it, the soft limit goes as high as the hard one allows.
  void raise_soft_to(rlim_t soft) {
    if (saved.rlim_cur == RLIM_INFINITY || saved.rlim_cur >= soft) return;
    rlimit r = saved;
    r.rlim_cur = soft;
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < soft) r.rlim_max = soft;
    if (::setrlimit(RLIMIT_NOFILE, &r) != 0) set_soft(saved.rlim_max);
  }
  rlimit saved{};
};

}  // namespace

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

// ---------------------------------------------------------------- stress

namespace {

// The 10k test's clients run in a child process: this binary, running that test again with the
// server's port in its environment. Each process then needs one fd per connection; one process
// holding both ends would need over 20k, above CI's hard limit of 20000, which only
// CAP_SYS_RESOURCE raises.
constexpr char kStressTest[] = "stress: 10k concurrent loopback connections*";  // a Catch spec
constexpr char kPortVar[] = "ASYNCIO_CPP_TEST_STRESS_PORT";
constexpr char kCountVar[] = "ASYNCIO_CPP_TEST_STRESS_COUNT";

// Our environment, plus the server's port and the number of connections.
std::map<std::string, std::string> client_env(int port, int n) {
  std::map<std::string, std::string> env;
  for (char** var = environ; *var != nullptr; ++var) {
    const std::string_view entry(*var);
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos)
      env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  env[kPortVar] = std::to_string(port);
  env[kCountVar] = std::to_string(n);
  return env;
}

// The child's side of the handshake with its parent, on its stdin and stdout (blocking).
void tell_parent(const std::string& line) {
  const std::string text = line + "\n";
  REQUIRE(::write(1, text.data(), text.size()) == ssize_t(text.size()));
}
std::string line_from_parent() {
  std::string line;
  char c = 0;
  while (::read(0, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

// The parent's side: the child's next line that starts with `prefix` ("" at EOF). Catch's own
// lines ("Filters: ...") come through the same pipe and are skipped; `skipped` keeps them.
Coro<std::string> line_from_child(asyncio::StreamReader& out, std::string_view prefix,
                                  std::string& skipped) {
  for (;;) {
    std::string line = co_await out.readline();
    if (line.empty() || line.starts_with(prefix)) co_return line;
    skipped += line;
  }
}

// The child's part: opens n connections; once all are open, says "connected" and waits for
// "go"; then each sends a line and reads it back. Reports "echoed E failed F".
void run_stress_clients() {
  const char* port_text = std::getenv(kPortVar);
  const char* count_text = std::getenv(kCountVar);
  REQUIRE(port_text != nullptr);
  REQUIRE(count_text != nullptr);
  const int port = std::atoi(port_text);
  const int n = std::atoi(count_text);
  int echoed = 0;
  int failed = 0;
  EventLoop loop;
  auto body = [&]() -> Coro<void> {
    asyncio::Event go;
    int connected = 0;
    auto client = [&](int i) -> Coro<void> {
      auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port);
      if (++connected == n) {
        tell_parent("connected");
        const std::string answer = co_await asyncio::to_thread(line_from_parent);
        CHECK(answer == "go");
        go.set();
      }
      co_await go.wait();
      std::string msg = "hello " + std::to_string(i) + "\n";
      w->write(msg);
      std::string back = co_await r->readline();
      if (back == msg) ++echoed;
      w->close();
      co_await w->wait_closed();
    };
    std::vector<asyncio::Task<void>> tasks;
    tasks.reserve(std::size_t(n));
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(client(i)));
    for (auto& t : tasks) {
      try {
        co_await t;
      } catch (const std::exception& e) {
        if (failed++ == 0) WARN("first client failure: " << e.what());
      }
    }
  };
  loop.run_until_complete(asyncio::wait_for(body(), 100.0));
  tell_parent("echoed " + std::to_string(echoed) + " failed " + std::to_string(failed));
}

// What the server's handlers share; each handler's frame holds it, so none outlives it.
struct EchoCount {
  int n = 0;
  int accepted = 0;
  int finished = 0;
  int served = 0;
  asyncio::Event all_accepted;
  asyncio::Event all_finished;
};

Coro<void> echo_once(std::shared_ptr<asyncio::StreamReader> r,
                     std::shared_ptr<asyncio::StreamWriter> w, std::shared_ptr<EchoCount> count) {
  if (++count->accepted == count->n) count->all_accepted.set();
  std::string line = co_await r->readline();
  w->write(line);
  co_await w->drain();
  w->close();
  co_await w->wait_closed();
  if (!line.empty()) ++count->served;
  if (++count->finished == count->n) count->all_finished.set();
}

}  // namespace

TEST_CASE("stress: 10k concurrent loopback connections, each echoes once", "[net][stress]") {
  if (std::getenv(kPortVar) != nullptr) {  // the child process this test starts
    run_stress_clients();
    return;
  }
  constexpr int wanted = 10000;
  NoFileLimit restore_limit;
  const int start_fds = open_fd_count();
  // One fd per connection in each process, plus headroom for the loop.
  const rlim_t headroom = rlim_t(start_fds) + 128;
  restore_limit.raise_soft_to(headroom + rlim_t(wanted));  // the child inherits it
  rlimit rl{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
  auto allowed = [&]() -> int {
    if (rl.rlim_cur == RLIM_INFINITY) return wanted;
    if (rl.rlim_cur <= headroom) return 0;
    return int(std::min<rlim_t>(wanted, rl.rlim_cur - headroom));
  };
  const int n = allowed();
  if (n < wanted) {
    STRICT_FAIL_OR_WARN("RLIMIT_NOFILE hard limit " << rl.rlim_max << " is too low for " << wanted
                                                    << " connections (raising it needs "
                                                    << "CAP_SYS_RESOURCE); running " << n);
  }
  if (n < 1000) {
    WARN("skipped: the hard limit allows fewer than 1000 connections");
    return;
  }

  int served = 0;
  std::string report;
  std::string child_output;  // the child's Catch report
  int client_code = -1;
  int with_fds = 0;
  {
    EventLoop loop;
    const int loop_fds = open_fd_count();
    auto body = [&]() -> Coro<void> {
      auto count = std::make_shared<EchoCount>();
      count->n = n;
      auto echo = [count](std::shared_ptr<asyncio::StreamReader> r,
                          std::shared_ptr<asyncio::StreamWriter> w) {
        return echo_once(std::move(r), std::move(w), count);
      };
      asyncio::ServerOptions opts;
      opts.backlog = 4096;
      auto server = co_await asyncio::start_server(echo, "127.0.0.1", 0, opts);
      asyncio::SubprocessOptions child;
      child.stdin_ = asyncio::PIPE;
      child.stdout_ = asyncio::PIPE;
      child.env = client_env(server->addresses().at(0).port, n);
      asyncio::Process clients =
          co_await asyncio::create_subprocess_exec("/proc/self/exe", kStressTest, child);
      const std::string connected =
          co_await line_from_child(*clients.stdout_, "connected", child_output);
      REQUIRE(connected == "connected\n");
      co_await count->all_accepted.wait();  // every connection is open at both ends, at once
      with_fds = open_fd_count();
      clients.stdin_->write("go\n");
      co_await clients.stdin_->drain();
      report = co_await line_from_child(*clients.stdout_, "echoed", child_output);
      child_output += co_await clients.stdout_->read();  // to EOF: the child never blocks on it
      client_code = co_await clients.wait();
      co_await count->all_finished.wait();
      served = count->served;
      server->close();
      co_await server->wait_closed();
    };
    loop.run_until_complete(asyncio::wait_for(body(), 110.0));
    INFO("the client process's report:\n" << child_output);
    CHECK(client_code == 0);
    CHECK(report == "echoed " + std::to_string(n) + " failed 0\n");
    CHECK(served == n);
    CHECK(with_fds >= loop_fds + n);  // they really were all open at once
    spin(loop, 2);
    CHECK(open_fd_count() == loop_fds);
  }
  CHECK(open_fd_count() == start_fds);
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
