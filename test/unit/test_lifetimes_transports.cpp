// Transports, servers, pipes and subprocess transports left open when their loop closes, and
// used after it is gone (docs/04-architecture.md, "Ownership"). CPython's collector closes
// them through __del__; here loop.close() does, so no fd, child or protocol cycle is left, and
// what the user still holds afterwards is inert. LeakSanitizer (asan-ubsan) reports the
// transport/protocol cycle on the old code; ASan reports the use after the loop.
#include <catch2/catch.hpp>

#include "unit/child_support.hpp"
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using asyncio::EventLoop;
using test_support::Holding;
using test_support::HoldingProcess;

namespace {

// The peer's view: true once recv() sees EOF or a reset (a 10 s timeout is the safety net).
bool peer_sees_close(int fd) {
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

}  // namespace

TEST_CASE("close_closes_transports: test_base_events (ResourceWarning: unclosed transport)",
          "[lifetimes][net]") {
  const int fds_before = test_support::open_fd_count();
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  std::shared_ptr<asyncio::Transport> kept;
  {
    EventLoop loop;
    auto [transport, protocol] = test_support::run(
        loop, loop.connect_accepted_socket([] { return std::make_shared<Holding>(); }, sv[0]));
    CHECK(protocol->transport == transport);  // the cycle
    kept = transport;
    std::vector<std::string> warnings;
    asyncio::set_log_sink([&](asyncio::LogLevel level, std::string_view m) {
      if (level == asyncio::LogLevel::warning) warnings.emplace_back(m);
    });
    loop.set_debug(true);
    loop.close();
    asyncio::set_log_sink(nullptr);
    REQUIRE(warnings.size() == 1);  // asyncio's __del__: ResourceWarning
    CHECK(warnings[0].rfind("unclosed transport <_SelectorSocketTransport fd=", 0) == 0);
    CHECK(kept->is_closing());
    CHECK(peer_sees_close(sv[1]));
  }
  // The loop is gone: the transport the user kept is inert, never a use after free.
  kept->write("ignored");
  kept->write_eof();
  kept->pause_reading();
  kept->resume_reading();
  kept->set_write_buffer_limits(16, 4);
  kept->close();
  kept->abort();
  CHECK_FALSE(kept->get_extra_info("socket").has_value());
  kept.reset();
  ::close(sv[1]);
  CHECK(test_support::open_fd_count() == fds_before);
}

TEST_CASE("close_closes_pipes: test_unix_events.UnixReadPipeTransportTests", "[lifetimes]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  std::shared_ptr<asyncio::ReadTransport> read_end;
  {
    EventLoop loop;
    auto made = test_support::run(
        loop, loop.connect_read_pipe([] { return std::make_shared<Holding>(); }, sv[0]));
    read_end = made.first;
  }
  CHECK(read_end->is_closing());
  CHECK(peer_sees_close(sv[1]));
  read_end->pause_reading();
  read_end->close();
  ::close(sv[1]);
}

TEST_CASE("server_outlives_loop: test_server.BaseStartServer (server used after close)",
          "[lifetimes][net]") {
  std::shared_ptr<asyncio::Server> server;
  int listening = -1;
  {
    EventLoop loop;
    server = test_support::run(
        loop, loop.create_server([] { return std::make_shared<Holding>(); }, "127.0.0.1", 0));
    listening = server->sockets().at(0);
  }
  CHECK_FALSE(test_support::fd_is_open(listening));
  CHECK(server->sockets().empty());
  CHECK_FALSE(server->is_serving());
  server->close();
  server->close_clients();
  try {
    (void)server->get_loop();
    FAIL("get_loop() on a destroyed loop");
  } catch (const asyncio::RuntimeError& e) {
    CHECK(std::string(e.what()) == "Event loop is closed");
  }
  server.reset();
}

TEST_CASE("close_with_wait_closed_pending: test_server.BaseStartServer.test_start_server_1",
          "[lifetimes][net]") {
  // A closed server with a live connection and a task in wait_closed(): closing the loop
  // wakes nobody (no loop to run them), and throws from no destructor.
  EventLoop loop;
  auto server = test_support::run(
      loop, loop.create_server([] { return std::make_shared<Holding>(); }, "127.0.0.1", 0));
  auto port = server->addresses().at(0).port;
  auto [client, client_protocol] = test_support::run(
      loop, loop.create_connection([] { return std::make_shared<Holding>(); }, "127.0.0.1", port));
  CHECK(test_support::run_until(loop, [&] { return server->sockets().size() == 1; }));
  test_support::spin(loop, 3);  // the accepted transport is made
  server->close();
  auto waiting = loop.create_task(server->wait_closed());
  test_support::spin(loop, 2);
  CHECK_FALSE(waiting.done());
  asyncio::set_log_sink([](asyncio::LogLevel, std::string_view) {});
  loop.close();
  asyncio::set_log_sink(nullptr);
  CHECK(client->is_closing());
}

TEST_CASE("close_kills_running_child: test_subprocess (Close running child process: kill)",
          "[lifetimes][subprocess]") {
  int pid = 0;
  int pidfd = -1;
  {
    EventLoop loop;
    auto [transport, protocol] = test_support::run(
        loop,
        loop.subprocess_exec([] { return std::make_shared<HoldingProcess>(); }, "sleep", {"60"}));
    pid = transport->get_pid();
    CHECK(::kill(pid, 0) == 0);
    pidfd = test_support::pidfd_of(pid);
  }
  // Killed at close, then reaped by the reaper thread.
  CHECK(test_support::reaped_soon(pidfd));
}

namespace {

// A handler that reads one line and returns without writer->close(), the way Python code
// leaves the writer to the collector.
asyncio::Coro<void> reads_one_line(std::shared_ptr<asyncio::StreamReader> reader,
                                   std::shared_ptr<asyncio::StreamWriter>) {
  co_await reader->readline();
}

asyncio::Coro<bool> client_sees_eof(int port) {
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  writer->write("hello\n");
  std::string rest = co_await asyncio::wait_for(reader->read(), 10);  // a safety net
  writer->close();
  co_await writer->wait_closed();
  co_return rest.empty() && reader->at_eof();
}

}  // namespace

TEST_CASE(
    "stream_handler_unclosed: test_streams.StreamTests.test_unclosed_server_resource_warnings",
    "[lifetimes][net]") {
  // 100 clients come and go; the handler never closes its writer. Once its task is done the
  // writer is gone, so the connection closes: each client sees EOF and no fd stays open.
  EventLoop loop;
  std::vector<std::string> warnings;
  asyncio::set_log_sink([&](asyncio::LogLevel, std::string_view m) { warnings.emplace_back(m); });
  loop.set_debug(true);
  auto server = test_support::run(loop, asyncio::start_server(reads_one_line, "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  const int fds_before = test_support::open_fd_count();
  int saw_eof = 0;
  for (int i = 0; i < 100; ++i) saw_eof += test_support::run(loop, client_sees_eof(port));
  test_support::spin(loop, 3);  // the last connection_lost runs
  CHECK(saw_eof == 100);
  CHECK(test_support::open_fd_count() == fds_before);
  loop.set_debug(false);
  asyncio::set_log_sink(nullptr);
  REQUIRE(warnings.size() >= 100);
  CHECK(std::count_if(warnings.begin(), warnings.end(), [](const std::string& w) {
          return w.rfind("unclosed <StreamWriter transport=<_SelectorSocketTransport", 0) == 0;
        }) == 100);
  server->close();
  test_support::run(loop, server->wait_closed());
}

TEST_CASE("stream_writer_dropped: test_streams.StreamTests.test_unclosed_resource_warnings",
          "[lifetimes][net]") {
  // The client keeps its reader and drops its writer: the connection closes, as in CPython
  // 3.13, and the server reads EOF.
  EventLoop loop;
  std::optional<asyncio::Future<std::string>> got;
  got.emplace(loop);
  auto handler = [&got](std::shared_ptr<asyncio::StreamReader> reader,
                        std::shared_ptr<asyncio::StreamWriter> writer) -> asyncio::Coro<void> {
    got->set_result(co_await reader->read());
    writer->close();
  };
  auto server = test_support::run(loop, asyncio::start_server(handler, "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  auto connect = [](int p) -> asyncio::Coro<std::shared_ptr<asyncio::StreamReader>> {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", p);
    writer->write("bye");
    co_return reader;  // the writer goes here
  };
  auto reader = test_support::run(loop, connect(port));
  CHECK(test_support::wait(loop, *got) == "bye");
  CHECK(test_support::run(loop, reader->read()).empty());
  CHECK(reader->at_eof());
  server->close();
  test_support::run(loop, server->wait_closed());
}

TEST_CASE(
    "stream_writer_outlives_loop: test_streams.StreamTests.test_loop_is_closed_resource_warnings",
    "[lifetimes][net]") {
  std::shared_ptr<asyncio::StreamWriter> writer;
  std::shared_ptr<asyncio::Server> server;
  {
    EventLoop loop;
    auto handler = [](std::shared_ptr<asyncio::StreamReader>,
                      std::shared_ptr<asyncio::StreamWriter>) -> asyncio::Coro<void> { co_return; };
    server = test_support::run(loop, asyncio::start_server(handler, "127.0.0.1", 0));
    int port = server->addresses().at(0).port;
    writer =
        test_support::run(loop, [](int p) -> asyncio::Coro<std::shared_ptr<asyncio::StreamWriter>> {
          co_return (co_await asyncio::open_connection("127.0.0.1", p)).second;
        }(port));
  }
  CHECK(writer->is_closing());
  writer->write("dropped");
  writer->close();
  CHECK_THROWS_AS(writer->get_loop(), asyncio::RuntimeError);
  writer.reset();  // the last reference: closing again touches no loop
  server.reset();
}
