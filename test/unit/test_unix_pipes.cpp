// Pipe transports: what CPython's Lib/test/test_asyncio/test_unix_events.py checks with mocks in
// UnixReadPipeTransportTests and UnixWritePipeTransportTests, checked here on real pipes and
// FIFOs. A pipe transport owns its fd: after connection_lost the fd is closed, exactly once.
#include <asyncio/asyncio.hpp>
#include <asyncio/unix_events.hpp>
#include <catch2/catch.hpp>

#include "unit/net_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using Catch::Matchers::Contains;

namespace {

constexpr std::size_t KiB = 1024;

bool fd_is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// os.pipe(); an end handed to a transport is released (set to -1) since the transport owns it.
struct Pipe {
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category());
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int take_r() { return std::exchange(r, -1); }
  int take_w() { return std::exchange(w, -1); }
  void close_r() { ::close(take_r()); }
  void close_w() { ::close(take_w()); }
  int r = -1;
  int w = -1;
};

// Fills a pipe until even one more byte would block; returns how much it took.
std::size_t fill_pipe(int w) {
  set_nonblocking(w);
  std::size_t total = 0;
  const std::string block(4096, 'f');
  for (std::size_t size : {block.size(), std::size_t{1}}) {
    for (ssize_t n; (n = ::write(w, block.data(), size)) > 0;) total += static_cast<std::size_t>(n);
    REQUIRE(errno == EAGAIN);
  }
  return total;
}

// Everything readable from a non-blocking fd right now (stops at EAGAIN or EOF).
std::string read_available(int fd) {
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

// Blocking read until EOF.
std::string read_to_eof(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

using test_support::errno_of;

// The body as a task with a safety net: a hang fails with TimeoutError, never blocks ctest.
template <class T>
T run(EventLoop& loop, Coro<T> body) {
  return loop.run_until_complete(asyncio::wait_for(std::move(body), 10.0));
}

// Records what the read transport reports, in order ("data" once per run of chunks).
class ReadRecorder : public asyncio::Protocol {
 public:
  explicit ReadRecorder(EventLoop& loop) : lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    events.push_back("made");
    made_with = std::dynamic_pointer_cast<asyncio::ReadTransport>(t) != nullptr;
  }
  void data_received(std::string_view data) override {
    if (events.empty() || events.back() != "data") events.push_back("data");
    received.append(data);
    chunks.push_back(data.size());
  }
  bool eof_received() override {
    events.push_back("eof");
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("lost");
    error = exc;
    if (!lost.done()) lost.set_result();
  }

  std::vector<std::string> events;
  std::vector<std::size_t> chunks;
  std::string received;
  std::exception_ptr error;
  bool made_with = false;
  asyncio::Future<void> lost;
};

// Records flow control and the end of a write transport.
class WriteRecorder : public asyncio::BaseProtocol {
 public:
  explicit WriteRecorder(EventLoop& loop) : lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    events.push_back("made");
    transport = std::dynamic_pointer_cast<asyncio::WriteTransport>(t);
  }
  void pause_writing() override {
    events.push_back("pause");
    sizes.push_back(transport.lock()->get_write_buffer_size());
  }
  void resume_writing() override {
    events.push_back("resume");
    sizes.push_back(transport.lock()->get_write_buffer_size());
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("lost");
    error = exc;
    if (!lost.done()) lost.set_result();
  }

  std::vector<std::string> events;
  std::vector<std::size_t> sizes;  // buffer size at each pause/resume
  std::weak_ptr<asyncio::WriteTransport> transport;
  std::exception_ptr error;
  asyncio::Future<void> lost;
};

// Reads a pipe's other end from loop callbacks until `want` bytes arrived.
class Drainer {
 public:
  Drainer(EventLoop& loop, int fd, std::size_t want)
      : done(loop.create_future<void>()), loop_(loop), fd_(fd), want_(want) {
    set_nonblocking(fd);
    loop.add_reader(fd, [this] { on_readable(); });
  }
  ~Drainer() { loop_.remove_reader(fd_); }
  Drainer(const Drainer&) = delete;
  Drainer& operator=(const Drainer&) = delete;

  std::string got;
  asyncio::Future<void> done;

 private:
  void on_readable() {
    char buf[4096];  // small reads: the writer goes through several partial writes
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if ((n == 0 || got.size() >= want_) && !done.done()) {
      loop_.remove_reader(fd_);
      done.set_result();
    }
  }
  EventLoop& loop_;
  int fd_;
  std::size_t want_;
};

// The transport closed `fd` once: a new fd that reuses the number survives the transport's
// later close() calls and its destruction.
template <class Transport>
void check_closed_once(EventLoop& loop, int fd, std::shared_ptr<Transport>& transport) {
  REQUIRE_FALSE(fd_is_open(fd));
  int reused = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(reused >= 0);
  transport->close();
  run(loop, []() -> Coro<void> {
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
  }());
  transport.reset();
  run(loop, []() -> Coro<void> { co_await asyncio::sleep(0); }());
  CHECK(fd_is_open(reused));
  ::close(reused);
}

// The std::invalid_argument (ValueError) message `body` raises; anything else fails.
std::string refusal(EventLoop& loop, Coro<void> body) {
  try {
    run(loop, std::move(body));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("std::invalid_argument expected");
  return {};
}

struct TempFile {
  TempFile() {
    char name[] = "/tmp/asyncio_cpp_pipe_XXXXXX";
    fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::unlink(name);
  }
  ~TempFile() {
    if (fd_is_open(fd)) ::close(fd);
  }
  int fd = -1;
};

// An exception handler that records calls (OSErrors on pipes are not reported, as in asyncio).
struct HandlerCalls {
  explicit HandlerCalls(EventLoop& loop) {
    loop.set_exception_handler(
        [this](EventLoop&, const asyncio::ExceptionContext& c) { messages.push_back(c.message); });
  }
  std::vector<std::string> messages;
};

}  // namespace

// ================================================================ read pipe

TEST_CASE("test_unix_events.UnixReadPipeTransportTests: a regular file is refused", "[pipes]") {
  // _UnixReadPipeTransport.__init__: ValueError("Pipe transport is for pipes/sockets only.").
  EventLoop loop;
  TempFile file;
  auto attempt = [&]() -> Coro<void> {
    co_await loop.connect_read_pipe([&] { return std::make_shared<ReadRecorder>(loop); }, file.fd);
  };
  CHECK(refusal(loop, attempt()) == "Pipe transport is for pipes/sockets only.");
}

TEST_CASE("test_unix_events.UnixReadPipeTransportTests.test_ctor / test__read_ready_eof",
          "[pipes]") {
  // connection_made before the coroutine returns; then data, eof_received, connection_lost(None),
  // in that order; the fd is closed after connection_lost, once.
  EventLoop loop;
  Pipe pipe;
  REQUIRE(::write(pipe.w, "abc", 3) == 3);
  pipe.close_w();
  const int fd = pipe.take_r();
  std::shared_ptr<asyncio::ReadTransport> transport;
  std::shared_ptr<ReadRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_read_pipe([&] { return std::make_shared<ReadRecorder>(loop); }, fd);
    CHECK(protocol->events == std::vector<std::string>{"made"});
    CHECK(protocol->made_with);
    CHECK(transport->fileno() == fd);
    CHECK(transport->get_protocol() == protocol);
    co_await protocol->lost;
  }());
  CHECK(protocol->events == std::vector<std::string>{"made", "data", "eof", "lost"});
  CHECK(protocol->received == "abc");
  CHECK(protocol->error == nullptr);
  CHECK(transport->is_closing());
  check_closed_once(loop, fd, transport);
}

TEST_CASE("test_unix_events.UnixReadPipeTransportTests: reads of up to 256 KiB", "[pipes]") {
  // max_size = 256 * 1024: 1 MiB waiting in the pipe arrives in chunks of at most 262144 bytes.
  EventLoop loop;
  Pipe pipe;
  const std::string data = pattern(1024 * KiB);
  std::thread writer;
  const bool prefilled =
      ::fcntl(pipe.w, F_SETPIPE_SZ, static_cast<int>(data.size())) >= static_cast<int>(data.size());
  if (prefilled) {
    REQUIRE(::write(pipe.w, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    pipe.close_w();
  } else {
    writer = std::thread([&, w = pipe.take_w()] {  // blocking writes into a 64 KiB pipe
      for (std::size_t at = 0; at < data.size();) {
        ssize_t n = ::write(w, data.data() + at, data.size() - at);
        if (n <= 0) break;
        at += static_cast<std::size_t>(n);
      }
      ::close(w);
    });
  }
  const int fd = pipe.take_r();
  std::shared_ptr<asyncio::ReadTransport> transport;
  std::shared_ptr<ReadRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_read_pipe([&] { return std::make_shared<ReadRecorder>(loop); }, fd);
    co_await protocol->lost;
  }());
  if (writer.joinable()) writer.join();
  CHECK(protocol->received == data);
  for (std::size_t size : protocol->chunks) CHECK(size <= 256 * KiB);
  if (prefilled) {
    REQUIRE_FALSE(protocol->chunks.empty());
    CHECK(protocol->chunks.front() == 256 * KiB);  // reads are not smaller than max_size
  }
  CHECK(protocol->events.back() == "lost");
  CHECK_FALSE(fd_is_open(fd));
}

TEST_CASE("test_unix_events.UnixReadPipeTransportTests.test_pause_reading / test_resume_reading",
          "[pipes]") {
  // While paused no data is delivered; resume_reading delivers what waited in the pipe.
  EventLoop loop;
  Pipe pipe;
  const int fd = pipe.take_r();
  run(loop, [&]() -> Coro<void> {
    auto [transport, protocol] =
        co_await loop.connect_read_pipe([&] { return std::make_shared<ReadRecorder>(loop); }, fd);
    CHECK(transport->is_reading());
    transport->pause_reading();
    CHECK_FALSE(transport->is_reading());
    transport->pause_reading();  // pausing a paused pipe is a no-op
    REQUIRE(::write(pipe.w, "xyz", 3) == 3);
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    CHECK(protocol->received.empty());
    transport->resume_reading();
    CHECK(transport->is_reading());
    pipe.close_w();
    co_await protocol->lost;
    CHECK(protocol->received == "xyz");
    CHECK(protocol->events == std::vector<std::string>{"made", "data", "eof", "lost"});
  }());
}

TEST_CASE("test_unix_events.UnixReadPipeTransportTests.test_close", "[pipes]") {
  // close() with the writer still open: connection_lost(None) without eof_received; fd closed.
  EventLoop loop;
  Pipe pipe;
  const int fd = pipe.take_r();
  std::shared_ptr<asyncio::ReadTransport> transport;
  std::shared_ptr<ReadRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_read_pipe([&] { return std::make_shared<ReadRecorder>(loop); }, fd);
    transport->close();
    CHECK(transport->is_closing());
    CHECK(protocol->events == std::vector<std::string>{"made"});  // lost comes later
    co_await protocol->lost;
  }());
  CHECK(protocol->events == std::vector<std::string>{"made", "lost"});
  CHECK(protocol->error == nullptr);
  check_closed_once(loop, fd, transport);
}

TEST_CASE("test_unix_events.UnixReadPipeTransportTests: a character device is accepted",
          "[pipes]") {
  // S_ISCHR passes the check (/dev/null reads EOF at once).
  EventLoop loop;
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  run(loop, [&]() -> Coro<void> {
    auto [transport, protocol] =
        co_await loop.connect_read_pipe([&] { return std::make_shared<ReadRecorder>(loop); }, fd);
    co_await protocol->lost;
    CHECK(protocol->events == std::vector<std::string>{"made", "eof", "lost"});
  }());
  CHECK_FALSE(fd_is_open(fd));
}

// ================================================================ write pipe

TEST_CASE("test_unix_events.UnixWritePipeTransportTests: a regular file is refused", "[pipes]") {
  // _UnixWritePipeTransport.__init__ words its ValueError differently from the read side.
  EventLoop loop;
  TempFile file;
  auto attempt = [&]() -> Coro<void> {
    co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); },
                                     file.fd);
  };
  CHECK(refusal(loop, attempt()) ==
        "Pipe transport is only for pipes, sockets and character devices");
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests.test_write / test_write_partial",
          "[pipes]") {
  // write() writes directly while the buffer is empty; what the pipe does not take is
  // buffered and written once the pipe drains; order is kept.
  EventLoop loop;
  Pipe pipe;
  set_nonblocking(pipe.r);
  const int fd = pipe.take_w();
  const std::string big = pattern(1024 * KiB);
  run(loop, [&]() -> Coro<void> {
    auto [transport, protocol] =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    CHECK(transport->can_write_eof());
    transport->write("hello");
    CHECK(transport->get_write_buffer_size() == 0);
    CHECK(read_available(pipe.r) == "hello");  // written inside write()
    transport->write("");                      // test_write_no_data: nothing happens
    CHECK(transport->get_write_buffer_size() == 0);

    transport->write(big);
    const std::size_t buffered = transport->get_write_buffer_size();
    CHECK(buffered > 0);
    CHECK(buffered < big.size());
    transport->write("tail");  // appended behind the buffer, not written directly
    CHECK(transport->get_write_buffer_size() == buffered + 4);
    Drainer drainer(loop, pipe.r, big.size() + 4);
    co_await drainer.done;
    CHECK(drainer.got == big + "tail");
    CHECK(transport->get_write_buffer_size() == 0);
    transport->close();
    co_await protocol->lost;
  }());
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests: pause/resume writing at 64/16 KiB",
          "[pipes]") {
  // _maybe_pause_protocol: pause once the buffer exceeds high (64 KiB); _maybe_resume_protocol:
  // resume once it is at or below low (16 KiB).
  EventLoop loop;
  Pipe pipe;
  fill_pipe(pipe.w);  // so that every write below is buffered whole
  const int fd = pipe.take_w();
  std::shared_ptr<WriteRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::shared_ptr<asyncio::WriteTransport> transport;
    std::tie(transport, protocol) =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    CHECK(transport->get_write_buffer_limits() ==
          std::pair<std::size_t, std::size_t>(16 * KiB, 64 * KiB));
    transport->write(std::string(64 * KiB, 'x'));
    CHECK(transport->get_write_buffer_size() == 64 * KiB);
    CHECK(protocol->events == std::vector<std::string>{"made"});  // at high: not yet
    transport->write("y");
    CHECK(protocol->events == std::vector<std::string>{"made", "pause"});  // inside write()
    transport->write("z");
    CHECK(protocol->events.size() == 2);  // paused once
    Drainer drainer(loop, pipe.r, SIZE_MAX);
    while (protocol->events.back() != "resume") co_await asyncio::sleep(0);
    transport->abort();
    co_await protocol->lost;
  }());
  REQUIRE(protocol->sizes.size() == 2);
  CHECK(protocol->sizes[0] == 64 * KiB + 1);
  CHECK(protocol->sizes[1] <= 16 * KiB);
  CHECK(protocol->events == std::vector<std::string>{"made", "pause", "resume", "lost"});
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests: set_write_buffer_limits", "[pipes]") {
  // low defaults to high / 4; high < low is a ValueError.
  EventLoop loop;
  Pipe pipe;
  const int fd = pipe.take_w();
  run(loop, [&]() -> Coro<void> {
    auto [transport, protocol] =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    transport->set_write_buffer_limits(100);
    CHECK(transport->get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(25, 100));
    transport->set_write_buffer_limits(100, 10);
    CHECK(transport->get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(10, 100));
    CHECK_THROWS_AS(transport->set_write_buffer_limits(10, 100), std::invalid_argument);
    transport->close();
    co_await protocol->lost;
  }());
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests.test_close / test_write_eof_pending",
          "[pipes]") {
  // close() with data pending: the buffer is flushed first, then connection_lost(None), then
  // the fd is closed (the reader sees everything, then EOF).
  EventLoop loop;
  Pipe pipe;
  const std::size_t filled = fill_pipe(pipe.w);
  const int fd = pipe.take_w();
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::shared_ptr<WriteRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    transport->write("pending");
    transport->close();
    CHECK(transport->is_closing());
    transport->close();  // test_close_closing: a second close does nothing
    Drainer drainer(loop, pipe.r, filled + 7);
    co_await drainer.done;
    CHECK(drainer.got.substr(filled) == "pending");
    co_await protocol->lost;
  }());
  CHECK(protocol->error == nullptr);
  CHECK(read_to_eof(pipe.r).empty());  // EOF: the write end is closed
  check_closed_once(loop, fd, transport);
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests.test_abort", "[pipes]") {
  // abort() drops the buffer: connection_lost(None) soon, the pending bytes never arrive.
  EventLoop loop;
  Pipe pipe;
  const std::size_t filled = fill_pipe(pipe.w);
  const int fd = pipe.take_w();
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::shared_ptr<WriteRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    transport->write("pending");
    transport->abort();
    CHECK(transport->is_closing());
    CHECK(transport->get_write_buffer_size() == 0);
    co_await protocol->lost;
  }());
  CHECK(protocol->events == std::vector<std::string>{"made", "lost"});
  CHECK(protocol->error == nullptr);
  CHECK(read_to_eof(pipe.r).size() == filled);
  check_closed_once(loop, fd, transport);
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests: reader gone with data pending -> EPIPE",
          "[pipes]") {
  // _read_ready / _write_ready: the reader closed while data waits in the buffer:
  // connection_lost(BrokenPipeError), reported only to the protocol (an OSError).
  EventLoop loop;
  HandlerCalls handler(loop);
  Pipe pipe;
  fill_pipe(pipe.w);
  const int fd = pipe.take_w();
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::shared_ptr<WriteRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    transport->write("pending");
    CHECK(transport->get_write_buffer_size() == 7);
    pipe.close_r();
    co_await protocol->lost;
  }());
  CHECK(errno_of(protocol->error) == EPIPE);
  CHECK(protocol->events == std::vector<std::string>{"made", "lost"});
  CHECK(handler.messages.empty());
  check_closed_once(loop, fd, transport);
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests: reader gone, nothing pending -> None",
          "[pipes]") {
  // _read_ready with an empty buffer: the pipe closes quietly, connection_lost(None),
  // on a pipe and on a FIFO, without any write being attempted.
  EventLoop loop;
  Pipe pipe;
  char dir_template[] = "/tmp/asyncio_cpp_fifo_XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string fifo = std::string(dir_template) + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int fifo_r = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int fifo_w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ::unlink(fifo.c_str());
  ::rmdir(dir_template);
  REQUIRE(fifo_r >= 0);
  REQUIRE(fifo_w >= 0);

  for (auto [r, w] : {std::pair(pipe.take_r(), pipe.take_w()), std::pair(fifo_r, fifo_w)}) {
    std::shared_ptr<asyncio::WriteTransport> transport;
    std::shared_ptr<WriteRecorder> protocol;
    run(loop, [&, r = r, w = w]() -> Coro<void> {
      std::tie(transport, protocol) = co_await loop.connect_write_pipe(
          [&] { return std::make_shared<WriteRecorder>(loop); }, w);
      transport->write("delivered");
      CHECK(transport->get_write_buffer_size() == 0);
      ::close(r);
      co_await protocol->lost;
    }());
    CHECK(protocol->error == nullptr);
    CHECK(protocol->events == std::vector<std::string>{"made", "lost"});
    check_closed_once(loop, w, transport);
  }
}

TEST_CASE("test_unix_events.UnixWritePipeTransportTests.test_write_err: EPIPE", "[pipes]") {
  // A direct write() into a pipe whose reader is gone: EPIPE, reported as connection_lost;
  // the SIGPIPE the kernel raises does not kill the process (blocked around the write).
  // Later writes are dropped (test_write_close: _conn_lost counts them).
  EventLoop loop;
  HandlerCalls handler(loop);
  Pipe pipe;
  const int fd = pipe.take_w();
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::shared_ptr<WriteRecorder> protocol;
  run(loop, [&]() -> Coro<void> {
    std::tie(transport, protocol) =
        co_await loop.connect_write_pipe([&] { return std::make_shared<WriteRecorder>(loop); }, fd);
    pipe.close_r();
    transport->write("into a broken pipe");  // the write(2) happens here, synchronously
    CHECK(transport->get_write_buffer_size() == 0);
    transport->write("dropped");
    CHECK(transport->get_write_buffer_size() == 0);
    co_await protocol->lost;
  }());
  CHECK(errno_of(protocol->error) == EPIPE);
  CHECK(protocol->events == std::vector<std::string>{"made", "lost"});
  CHECK(handler.messages.empty());
  check_closed_once(loop, fd, transport);
}
