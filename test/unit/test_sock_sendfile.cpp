// loop.sock_sendfile (base_events' checks and fallback, unix_events' sendfile(2)) and
// loop.sendfile over a socket transport (test_sendfile.SendfileMixin).
#include <catch2/catch.hpp>

#include "loop_support.hpp"
#include "net_support.hpp"
#include "sock_support.hpp"

using asyncio::Coro;
using asyncio::EventLoop;
using Catch::Matchers::Contains;
using namespace sock_support;
using test_support::run;

namespace {

// Sends the file with sock_sendfile, then closes the sending side: (returned, received).
std::pair<std::size_t, std::string> sock_sendfile_through(EventLoop& loop, int file,
                                                          std::int64_t offset,
                                                          std::optional<std::int64_t> count,
                                                          bool fallback = true) {
  StreamPair pair;
  return run(loop, [&]() -> Coro<std::pair<std::size_t, std::string>> {
    auto reader = asyncio::create_task(recv_all(loop, pair.b));
    std::size_t sent = co_await loop.sock_sendfile(pair.a, file, offset, count, fallback);
    pair.a.reset();
    std::string received = co_await reader;
    co_return std::pair(sent, received);
  }());
}

// SendfileBase's setUp: a loop and a temporary file holding DATA.
struct DataFile {
  EventLoop loop;
  std::string data = sendfile_data();
  TempFile file{data};
};

// What sending data[offset, offset + count) of `file` must give: count sent, that slice
// received, and the file's position just past it.
void check_sent(const std::pair<std::size_t, std::string>& result, const std::string& data,
                int file, std::size_t offset, std::size_t count) {
  const auto& [sent, received] = result;
  CHECK(sent == count);
  CHECK(received == data.substr(offset, count));
  CHECK(file_position(file) == std::int64_t(offset + count));
}

// A pipe holding `data` (less than its 64 KiB), its write end closed: a file sendfile(2)
// refuses.
struct FilledPipe {
  explicit FilledPipe(const std::string& data) {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    read_end.fd = p[0];
    REQUIRE(::write(p[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::close(p[1]);
  }
  Fd read_end;
};

}  // namespace

TEST_CASE_METHOD(
    DataFile, "sock_sendfile_success: test_sendfile.SockSendfileMixin.test_sock_sendfile_success",
    "[sendfile]") {
  check_sent(sock_sendfile_through(loop, file.fd, 0, std::nullopt), data, file.fd, 0, data.size());
}

TEST_CASE_METHOD(DataFile,
                 "sock_sendfile_offset_count: test_sendfile.SockSendfileMixin."
                 "test_sock_sendfile_with_offset_and_count",
                 "[sendfile]") {
  check_sent(sock_sendfile_through(loop, file.fd, 1000, 2000), data, file.fd, 1000, 2000);
}

TEST_CASE("sock_sendfile_zero_size: test_sendfile.SockSendfileMixin.test_sock_sendfile_zero_size",
          "[sendfile]") {
  EventLoop loop;
  TempFile file("");
  auto [sent, received] = sock_sendfile_through(loop, file.fd, 0, std::nullopt);
  CHECK(sent == 0);
  CHECK(received.empty());
  CHECK(file_position(file.fd) == 0);
}

TEST_CASE_METHOD(DataFile,
                 "sock_sendfile_mixed: test_sendfile.SockSendfileMixin."
                 "test_sock_sendfile_mix_with_regular_send",
                 "[sendfile]") {
  std::string buf;
  for (int i = 0; i < 4 * 1024; ++i) buf += "mix_regular_send";
  StreamPair pair;
  auto [sent, received] = run(loop, [&]() -> Coro<std::pair<std::size_t, std::string>> {
    auto reader = asyncio::create_task(recv_all(loop, pair.b));
    co_await loop.sock_sendall(pair.a, buf);
    std::size_t n = co_await loop.sock_sendfile(pair.a, file.fd);
    co_await loop.sock_sendall(pair.a, buf);
    pair.a.reset();
    std::string all = co_await reader;
    co_return std::pair(n, all);
  }());
  CHECK(sent == data.size());
  CHECK(received == buf + data + buf);
  CHECK(file_position(file.fd) == std::int64_t(data.size()));
}

TEST_CASE(
    "sock_sendfile_fallback: test_base_events.BaseLoopSockSendfileTests."
    "test_sock_sendfile_fallback",
    "[sendfile]") {
  // sendfile(2) refuses a pipe (EINVAL): the bytes go through reads and sock_sendall.
  EventLoop loop;
  std::string data = sendfile_data().substr(0, 60000);
  FilledPipe pipe(data);
  std::int64_t count = std::int64_t(data.size()) - 100;
  auto [sent, received] = sock_sendfile_through(loop, pipe.read_end, 0, count);
  CHECK(sent == data.size() - 100);
  CHECK(received == data.substr(0, data.size() - 100));
}

TEST_CASE(
    "sock_sendfile_no_fallback: test_base_events.BaseLoopSockSendfileTests."
    "test_sock_sendfile_no_fallback",
    "[sendfile]") {
  EventLoop loop;
  FilledPipe pipe("data");
  StreamPair pair;
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_sendfile(pair.a, pipe.read_end, 0, 4, false)),
                  asyncio::SendfileNotAvailableError);
  CHECK_FALSE(loop.remove_writer(pair.a));
}

TEST_CASE(
    "sock_sendfile_not_a_file: test_unix_events.SelectorEventLoopUnixSockSendfileTests."
    "test_sock_sendfile_not_regular_file",
    "[sendfile]") {
  // An fd that is not open: fstat fails, "not a regular file".
  EventLoop loop;
  StreamPair pair;
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_sendfile(pair.a, -1, 0, 4, false)),
                    "not a regular file");
}

TEST_CASE(
    "sock_sendfile_params: test_base_events.BaseLoopSockSendfileTests."
    "test_nonstream_socket, test_negative_count, test_negative_offset",
    "[sendfile]") {
  EventLoop loop;
  TempFile file("data");
  StreamPair pair;
  Fd udp(bound_socket(SOCK_DGRAM));
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_sendfile(udp, file.fd)),
                    "only SOCK_STREAM type sockets are supported");
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_sendfile(pair.a, file.fd, 0, -1)),
                    "count must be a positive integer (got -1)");
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_sendfile(pair.a, file.fd, 0, 0)),
                    "count must be a positive integer (got 0)");
  CHECK_THROWS_AS(loop.run_until_complete(loop.sock_sendfile(pair.a, file.fd, -1)),
                  std::invalid_argument);
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_sendfile(pair.a, file.fd, -1)),
                    "offset must be a non-negative integer (got -1)");
  CHECK(file_position(file.fd) == 0);
}

TEST_CASE(
    "sock_sendfile_blocking: test_base_events.BaseLoopSockSendfileTests."
    "test_blocking_socket",
    "[sendfile]") {
  EventLoop loop;
  loop.set_debug(true);
  TempFile file("data");
  Fd blocking(tcp_socket(true));
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sock_sendfile(blocking, file.fd)),
                    "the socket must be non-blocking");
}

TEST_CASE(
    "sock_sendfile_cancel: test_unix_events.SelectorEventLoopUnixSockSendfileTests."
    "test_sock_sendfile_cancel2",
    "[sendfile]") {
  // Cancelled while the socket is full: the writer goes, and the file position is left after
  // the bytes that did go out, which are exactly what the peer then reads.
  EventLoop loop;
  std::string data(8 * 1024 * 1024, 'z');
  TempFile file(data);
  StreamPair pair;
  bool writer_left = true;
  run(loop, [&]() -> Coro<void> {
    auto sending = asyncio::create_task(loop.sock_sendfile(pair.a, file.fd));
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    REQUIRE_FALSE(sending.done());  // the peer reads nothing: the socket fills up
    sending.cancel();
    try {
      co_await sending;
    } catch (const asyncio::CancelledError&) {
    }
    writer_left = loop.remove_writer(pair.a);
  }());
  CHECK_FALSE(writer_left);
  pair.a.reset();
  std::string received = run(loop, recv_all(loop, pair.b));
  CHECK(received.size() > 0);
  CHECK(file_position(file.fd) == std::int64_t(received.size()));
}

// ---------------------------------------------------------------- loop.sendfile

namespace {
struct Collector : asyncio::Protocol {
  std::shared_ptr<asyncio::Transport> transport;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
};

// Sends with loop.sendfile over a socket transport, the peer reading: (returned, received).
std::pair<std::size_t, std::string> transport_sendfile_through(EventLoop& loop, int file,
                                                               std::size_t offset,
                                                               std::optional<std::size_t> count,
                                                               const std::string& before = "",
                                                               const std::string& after = "") {
  StreamPair pair;
  int ours = std::exchange(pair.a.fd, -1);
  return run(loop, [&]() -> Coro<std::pair<std::size_t, std::string>> {
    auto [transport, protocol] =
        co_await loop.connect_accepted_socket([] { return std::make_shared<Collector>(); }, ours);
    auto reader = asyncio::create_task(recv_all(loop, pair.b));
    transport->write(before);
    std::size_t sent = co_await loop.sendfile(transport, file, offset, count);
    transport->write(after);
    transport->close();
    std::string received = co_await reader;
    co_return std::pair(sent, received);
  }());
}
}  // namespace

TEST_CASE_METHOD(DataFile, "loop_sendfile: test_sendfile.SendfileMixin.test_sendfile",
                 "[sendfile]") {
  check_sent(transport_sendfile_through(loop, file.fd, 0, std::nullopt), data, file.fd, 0,
             data.size());
}

TEST_CASE_METHOD(DataFile,
                 "loop_sendfile_partial: test_sendfile.SendfileMixin.test_sendfile_partial",
                 "[sendfile]") {
  check_sent(transport_sendfile_through(loop, file.fd, 1000, 100), data, file.fd, 1000, 100);
}

TEST_CASE_METHOD(
    DataFile, "loop_sendfile_pre_post: test_sendfile.SendfileMixin.test_sendfile_pre_and_post_data",
    "[sendfile]") {
  std::string pre(1024, 'P');
  std::string post(1024, 'Q');
  auto [sent, received] = transport_sendfile_through(loop, file.fd, 0, std::nullopt, pre, post);
  CHECK(sent == data.size());
  CHECK(received == pre + data + post);
}

TEST_CASE("loop_sendfile_fallback: test_sendfile.SendfileMixin.test_sendfile_force_fallback",
          "[sendfile]") {
  // A pipe is no regular file: the transport copies it.
  EventLoop loop;
  std::string data = sendfile_data().substr(0, 60000);
  FilledPipe pipe(data);
  auto [sent, received] = transport_sendfile_through(loop, pipe.read_end, 0, std::nullopt);
  CHECK(sent == data.size());
  CHECK(received == data);
}

TEST_CASE("loop_sendfile_not_supported: test_sendfile.SendfileMixin.test_sendfile_not_supported",
          "[sendfile]") {
  // CPython passes a datagram transport, which C++'s types already refuse: a Transport of
  // no socket stands in for it.
  EventLoop loop;
  TempFile file("data");
  auto transport = std::make_shared<FakeTransport>();
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sendfile(transport, file.fd)),
                    Contains("not supported"));
  CHECK(file_position(file.fd) == 0);
}

TEST_CASE("loop_sendfile_closing: test_sendfile.SendfileMixin.test_sendfile_for_closing_transp",
          "[sendfile]") {
  EventLoop loop;
  TempFile file("data");
  StreamPair pair;
  int ours = std::exchange(pair.a.fd, -1);
  auto [transport, protocol] = loop.run_until_complete(
      loop.connect_accepted_socket([] { return std::make_shared<Collector>(); }, ours));
  transport->close();
  CHECK_THROWS_WITH(loop.run_until_complete(loop.sendfile(transport, file.fd)),
                    Contains("is closing"));
  CHECK(file_position(file.fd) == 0);
  test_support::spin(loop, 2);
}
