// A Unix server's socket file on close (cleanup_socket, 3.13), start_server with a plain
// function as client_connected_cb, and Server::run, the form of `async with server:`.
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <catch2/catch.hpp>

#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using test_support::open_fd_count;
using test_support::raw_connect;
using test_support::run;
using test_support::spin;

namespace {

// test_utils.unix_socket_path: a path in a fresh directory, removed on the way out.
struct SocketPath {
  SocketPath() {
    char dir_template[] = "/tmp/srvclean-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    dir = dir_template;
    path = dir + "/sock";
  }
  ~SocketPath() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  bool exists() const {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }
  std::string dir;
  std::string path;
};

// A Unix stream socket bound to `path`, as socket.socket(AF_UNIX).bind(path).
int bound_unix_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  path.copy(sun.sun_path, sizeof sun.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
  return fd;
}

Coro<void> serve(std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>) {
  co_return;
}

// start_unix_server(serve, path, sock=...) on a socket already bound to `path`.
std::shared_ptr<asyncio::Server> start_on_bound_socket(EventLoop& loop, const std::string& path) {
  asyncio::ServerOptions options;
  options.sock = bound_unix_socket(path);
  return run(loop, asyncio::start_unix_server(serve, path, options));
}

}  // namespace

// ---------------------------------------------------------------- cleanup_socket

TEST_CASE("unix_addr_cleanup: test_server.UnixServerCleanupTests.test_unix_server_addr_cleanup",
          "[server]") {
  EventLoop loop;
  SocketPath addr;
  auto srv = run(loop, asyncio::start_unix_server(serve, addr.path));
  CHECK(addr.exists());
  srv->close();
  CHECK_FALSE(addr.exists());
}

TEST_CASE("unix_sock_cleanup: test_server.UnixServerCleanupTests.test_unix_server_sock_cleanup",
          "[server]") {
  EventLoop loop;
  SocketPath addr;
  start_on_bound_socket(loop, addr.path)->close();
  CHECK_FALSE(addr.exists());
}

TEST_CASE("unix_cleanup_gone: test_server.UnixServerCleanupTests.test_unix_server_cleanup_gone",
          "[server]") {
  EventLoop loop;
  SocketPath addr;
  auto srv = start_on_bound_socket(loop, addr.path);
  ::unlink(addr.path.c_str());
  test_support::LogCapture log;
  srv->close();
  CHECK_FALSE(addr.exists());
  CHECK(log.records.empty());
}

TEST_CASE(
    "unix_cleanup_replaced: test_server.UnixServerCleanupTests.test_unix_server_cleanup_replaced",
    "[server]") {
  EventLoop loop;
  SocketPath addr;
  auto srv = run(loop, asyncio::start_unix_server(serve, addr.path));
  ::unlink(addr.path.c_str());
  int other = bound_unix_socket(addr.path);
  srv->close();
  CHECK(addr.exists());
  ::close(other);
}

TEST_CASE(
    "unix_cleanup_prevented: test_server.UnixServerCleanupTests.test_unix_server_cleanup_prevented",
    "[server]") {
  EventLoop loop;
  SocketPath addr;
  asyncio::ServerOptions options;
  options.cleanup_socket = false;
  auto srv = run(loop, asyncio::start_unix_server(serve, addr.path, options));
  srv->close();
  CHECK(addr.exists());
}

TEST_CASE(
    "unix_cleanup_dropped: test_server.UnixServerCleanupTests (a dropped server, no CPython test)",
    "[server]") {
  SocketPath addr;
  SECTION("the last reference goes") {
    EventLoop loop;
    auto srv = run(loop, asyncio::start_unix_server(serve, addr.path));
    srv.reset();
    CHECK_FALSE(addr.exists());
  }
  SECTION("the loop closes first") {
    std::shared_ptr<asyncio::Server> srv;
    {
      EventLoop loop;
      srv = run(loop, asyncio::start_unix_server(serve, addr.path));
    }
    CHECK_FALSE(addr.exists());
  }
}

// ---------------------------------------------------------------- plain callback

TEST_CASE(
    "start_server_plain_callback: test_streams.StreamTests.test_start_server "
    "(handle_client_callback)",
    "[server]") {
  EventLoop loop;
  int calls = 0;
  bool inside_task = true;
  auto handle_client = [](std::shared_ptr<StreamReader> reader,
                          std::shared_ptr<StreamWriter> writer) -> Coro<void> {
    std::string data = co_await reader->readline();
    writer->write(data);
    co_await writer->drain();
    writer->close();
    co_await writer->wait_closed();
  };
  auto handle_client_callback = [&](std::shared_ptr<StreamReader> reader,
                                    std::shared_ptr<StreamWriter> writer) {
    ++calls;
    inside_task = static_cast<bool>(asyncio::current_task());
    asyncio::get_running_loop().create_task(handle_client(std::move(reader), std::move(writer)));
  };
  auto server = run(loop, asyncio::start_server(handle_client_callback, "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  auto client = [port]() -> Coro<std::string> {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer->write("hello world!\n");
    std::string echo = co_await reader->readline();
    writer->close();
    co_await writer->wait_closed();
    co_return echo;
  };
  std::string echo = run(loop, client());
  CHECK(echo == "hello world!\n");
  CHECK(calls == 1);
  CHECK_FALSE(inside_task);
  server->close();
  run(loop, server->wait_closed());
}

TEST_CASE("plain_callback_raises: streams.StreamReaderProtocol.connection_made (no CPython test)",
          "[server]") {
  EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& ctx) { messages.push_back(ctx.message); });
  auto failing = [](std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>) {
    throw std::runtime_error("boom");
  };
  auto server = run(loop, asyncio::start_server(failing, "127.0.0.1", 0));
  int fd = raw_connect(server->addresses().at(0).port);
  CHECK(test_support::run_until(loop, [&] { return !messages.empty(); }));
  ::close(fd);
  server->close();
  run(loop, server->wait_closed());
}

// ---------------------------------------------------------------- async with server

TEST_CASE("server_run_cancelled: test_server.BaseStartServer.test_start_server_1", "[server]") {
  EventLoop loop;
  asyncio::ServerOptions options;
  options.start_serving = false;
  std::shared_ptr<asyncio::Server> srv;
  std::optional<asyncio::Task<void>> main_task;
  auto serve_line = [&](std::shared_ptr<StreamReader> reader,
                        std::shared_ptr<StreamWriter> writer) -> Coro<void> {
    co_await reader->readline();
    main_task->cancel();
    writer->write("1");
    writer->close();
    co_await writer->wait_closed();
  };
  srv = run(loop, asyncio::start_server(serve_line, "127.0.0.1", 0, options));
  CHECK_FALSE(srv->is_serving());
  auto body = [&]() -> Coro<void> { co_await srv->serve_forever(); };
  main_task = loop.create_task(srv->run(body));
  spin(loop, 2);
  int fd = raw_connect(srv->addresses().at(0).port);
  REQUIRE(::write(fd, "hello\n", 6) == 6);
  CHECK(test_support::run_until(loop, [&] { return main_task->done(); }));
  CHECK(main_task->cancelled());
  CHECK(srv->sockets().empty());
  CHECK_FALSE(srv->is_serving());
  ::close(fd);
  bool refused = false;
  try {
    run(loop, srv->serve_forever());
  } catch (const asyncio::RuntimeError& e) {
    refused = std::string(e.what()) == "server is closed";
  }
  CHECK(refused);
}

TEST_CASE("server_run_raises: test_server.BaseStartServer.test_start_server_1", "[server]") {
  EventLoop loop;
  auto srv = run(loop, asyncio::start_server(serve, "127.0.0.1", 0));
  int before_close = open_fd_count();
  auto failing = []() -> Coro<void> {
    co_await asyncio::sleep(0);
    throw std::logic_error("body failed");
  };
  std::string caught;
  try {
    run(loop, srv->run(failing));
  } catch (const std::logic_error& e) {
    caught = e.what();
  }
  CHECK(caught == "body failed");
  CHECK(srv->sockets().empty());
  CHECK(open_fd_count() == before_close - 1);

  SECTION("a body that returns leaves a closed server too") {
    auto srv2 = run(loop, asyncio::start_server(serve, "127.0.0.1", 0));
    int ran = 0;
    auto body = [&]() -> Coro<void> {
      ++ran;
      co_return;
    };
    run(loop, srv2->run(body));
    CHECK(ran == 1);
    CHECK(srv2->sockets().empty());
    CHECK_FALSE(srv2->is_serving());
  }
}
