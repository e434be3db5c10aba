// Socket transports on real loopback sockets: what CPython's
// Lib/test/test_asyncio/test_selector_events.py checks with mocks in SelectorSocketTransportTests,
// SelectorSocketTransportBufferedProtocolTests and SelectorDatagramTransportTests, checked here
// against a raw peer socket that the test drives itself.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "unit/net_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using Catch::Matchers::Contains;

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

using test_support::errno_of;

bool fd_is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void set_int_opt(int fd, int level, int name, int value) {
  REQUIRE(::setsockopt(fd, level, name, &value, sizeof value) == 0);
}

int get_int_opt(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  REQUIRE(::getsockopt(fd, level, name, &value, &len) == 0);
  return value;
}

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

template <class T>
T run(EventLoop& loop, Coro<T> body, double limit = 20.0) {
  return loop.run_until_complete(asyncio::wait_for(std::move(body), limit));
}

Coro<void> yield_once() {
  co_await asyncio::sleep(0);
}

// One more pass of the loop (asyncio.sleep(0) as a task).
void spin(EventLoop& loop) {
  loop.run_until_complete(yield_once());
}

template <class T>
T wait(EventLoop& loop, asyncio::Future<T> fut, double limit = 20.0) {
  return loop.run_until_complete(asyncio::wait_for(fut, limit));
}

// A blocking listening socket on 127.0.0.1, port 0; the test accepts from it by hand.
struct RawListener {
  explicit RawListener(int rcvbuf = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    if (rcvbuf > 0) set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);  // inherited by accept
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof sin;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    port = ntohs(sin.sin_port);
  }
  ~RawListener() { ::close(fd); }
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;
  int accept() const {
    int peer = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(peer >= 0);
    return peer;
  }
  int fd = -1;
  int port = 0;
};

struct Fd {
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset() {
    if (fd >= 0) ::close(std::exchange(fd, -1));
  }
  int fd;
};

// Records what the transport reports.
class Recorder : public asyncio::Protocol {
 public:
  explicit Recorder(EventLoop& loop) : lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    events.push_back("made");
  }
  void data_received(std::string_view d) override {
    data.append(d);
    if (on_data) on_data(d);
  }
  bool eof_received() override {
    events.push_back("eof");
    return keep_open;
  }
  void pause_writing() override {
    events.push_back("pause");
    size_at_pause = transport->get_write_buffer_size();
  }
  void resume_writing() override {
    events.push_back("resume");
    size_at_resume = transport->get_write_buffer_size();
  }
  void connection_lost(std::exception_ptr e) override {
    events.push_back("lost");
    size_at_lost = transport->get_write_buffer_size();
    exc = e;
    lost.set_result();
  }

  std::shared_ptr<asyncio::Transport> transport;
  std::vector<std::string> events;
  std::string data;
  std::function<void(std::string_view)> on_data;
  bool keep_open = false;
  std::size_t size_at_pause = 0;
  std::size_t size_at_resume = 0;
  std::size_t size_at_lost = 1;
  std::exception_ptr exc;
  asyncio::Future<void> lost;
};

int count(const std::vector<std::string>& events, const std::string& what) {
  int n = 0;
  for (const auto& e : events) n += e == what;
  return n;
}

// A transport (client side, made by create_connection) and the raw peer socket it talks to.
template <class P = Recorder>
struct Connected {
  std::shared_ptr<asyncio::Transport> transport;
  std::shared_ptr<P> protocol;
  Fd peer;
};

template <class P = Recorder, class Factory>
std::unique_ptr<Connected<P>> connect(EventLoop& loop, const RawListener& listener,
                                      Factory factory) {
  auto out = std::make_unique<Connected<P>>();
  auto made = loop.run_until_complete(
      loop.create_connection(std::move(factory), "127.0.0.1", listener.port, {}));
  out->transport = made.first;
  out->protocol = made.second;
  out->peer.fd = listener.accept();
  return out;
}

std::unique_ptr<Connected<>> connect_recorder(EventLoop& loop, const RawListener& listener) {
  return connect<Recorder>(loop, listener, [&loop] { return std::make_shared<Recorder>(loop); });
}

// Reads the peer's fd from the loop until `expected` bytes or EOF, then resolves `done`.
struct PeerReader {
  PeerReader(EventLoop& l, int f, std::size_t expected_)
      : loop(l), fd(f), expected(expected_), done(l.create_future<void>()) {
    set_nonblocking(fd);
    loop.add_reader(fd, [this] { on_readable(); });
  }
  ~PeerReader() { loop.remove_reader(fd); }
  void on_readable() {
    char buf[64 * 1024];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        got.append(buf, static_cast<std::size_t>(n));
        if (on_chunk) on_chunk();
        if (got.size() >= expected) break;
        continue;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      if (errno == EAGAIN) return;
      err = errno;
      break;
    }
    loop.remove_reader(fd);
    if (!done.done()) done.set_result();
  }
  EventLoop& loop;
  int fd;
  std::size_t expected;
  std::string got;
  bool eof = false;
  int err = 0;
  std::function<void()> on_chunk;
  asyncio::Future<void> done;
};

}  // namespace

// ---------------------------------------------------------------- writing

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_write_buffer / "
    "test_write_ready_partial / flow control: a 10 MiB write never blocks",
    "[net]") {
  EventLoop loop;
  RawListener listener(4 * KiB);  // a small receive window at the peer
  auto c = connect_recorder(loop, listener);
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);

  CHECK(c->transport->get_write_buffer_limits() ==
        std::pair<std::size_t, std::size_t>(16 * KiB, 64 * KiB));
  CHECK(c->transport->get_write_buffer_size() == 0);

  const std::string payload = pattern(10 * MiB);
  double before = loop.time();
  c->transport->write(payload);  // returns at once: what the kernel does not take is buffered
  CHECK(loop.time() - before < 1.0);
  std::size_t buffered = c->transport->get_write_buffer_size();
  CHECK(buffered > 9 * MiB);
  CHECK(buffered <= payload.size());
  // Above the 64 KiB high-water mark: pause_writing, synchronously, once.
  CHECK(c->protocol->events == std::vector<std::string>{"made", "pause"});
  CHECK(c->protocol->size_at_pause == buffered);

  // More writes while paused only grow the buffer; nothing reaches the peer yet.
  c->transport->write("tail");
  CHECK(c->transport->get_write_buffer_size() == buffered + 4);
  CHECK(count(c->protocol->events, "pause") == 1);

  // The peer reads: the buffer drains, and resume_writing comes once at <= 16 KiB.
  PeerReader reader(loop, c->peer.fd, payload.size() + 4);
  wait(loop, reader.done);
  CHECK(reader.got.size() == payload.size() + 4);
  CHECK((reader.got == payload + "tail"));
  CHECK(count(c->protocol->events, "resume") == 1);
  CHECK(c->protocol->size_at_resume <= 16 * KiB);
  CHECK(c->transport->get_write_buffer_size() == 0);
  c->transport->close();
  wait(loop, c->protocol->lost);
  CHECK(c->protocol->exc == nullptr);
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_write_buffer: "
    "set_write_buffer_limits and _maybe_pause_protocol",
    "[net]") {
  EventLoop loop;
  RawListener listener;
  auto c = connect_recorder(loop, listener);
  c->transport->set_write_buffer_limits(128, std::nullopt);
  CHECK(c->transport->get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(32, 128));
  c->transport->set_write_buffer_limits(std::nullopt, 100);
  CHECK(c->transport->get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(100, 400));
  CHECK_THROWS_AS(c->transport->set_write_buffer_limits(10, 20), std::invalid_argument);
  // Lowering the high-water mark below what is buffered pauses at once.
  c->transport->set_write_buffer_limits(std::nullopt, std::nullopt);
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);
  c->transport->write(pattern(4 * MiB));
  CHECK(count(c->protocol->events, "pause") == 1);
  c->transport->abort();
  wait(loop, c->protocol->lost);
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_write_eof / "
    "_SelectorSocketTransport.write after write_eof",
    "[net]") {
  EventLoop loop;
  RawListener listener(4 * KiB);
  auto c = connect_recorder(loop, listener);
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);
  CHECK(c->transport->can_write_eof());
  const std::string payload = pattern(2 * MiB);
  c->transport->write(payload);
  REQUIRE(c->transport->get_write_buffer_size() > 0);
  c->transport->write_eof();  // the FIN waits for the buffered data
  try {
    c->transport->write("more");
    FAIL("write after write_eof did not throw");
  } catch (const asyncio::RuntimeError& e) {
    CHECK(std::string(e.what()) == "Cannot call write() after write_eof()");
  }
  CHECK_FALSE(c->transport->is_closing());
  PeerReader reader(loop, c->peer.fd, payload.size() + 1);  // + 1: read on to the EOF
  wait(loop, reader.done);
  CHECK(reader.eof);
  CHECK((reader.got == payload));
  // Half-closed: the transport still reads what the peer sends.
  ::fcntl(c->peer.fd, F_SETFL, ::fcntl(c->peer.fd, F_GETFL) & ~O_NONBLOCK);
  REQUIRE(::send(c->peer.fd, "back", 4, 0) == 4);
  ::shutdown(c->peer.fd, SHUT_WR);
  wait(loop, c->protocol->lost);
  CHECK(c->protocol->data == "back");
  CHECK(c->protocol->events == std::vector<std::string>{"made", "pause", "resume", "eof", "lost"});
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_write_ready_closing / "
    "test_close_write_buffer: close flushes, then connection_lost(None)",
    "[net]") {
  EventLoop loop;
  RawListener listener(4 * KiB);
  auto c = connect_recorder(loop, listener);
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);
  const std::string payload = pattern(3 * MiB);
  c->transport->write(payload);
  REQUIRE(c->transport->get_write_buffer_size() > 0);
  c->transport->close();
  CHECK(c->transport->is_closing());
  c->transport->close();  // idempotent
  PeerReader reader(loop, c->peer.fd, payload.size() + 1);
  wait(loop, reader.done);
  wait(loop, c->protocol->lost);
  CHECK(reader.eof);
  CHECK(reader.got.size() == payload.size());
  CHECK((reader.got == payload));
  CHECK(c->protocol->size_at_lost == 0);  // connection_lost only once everything was sent
  CHECK(c->protocol->exc == nullptr);
  CHECK(count(c->protocol->events, "lost") == 1);
  CHECK_FALSE(fd_is_open(fd));
}

TEST_CASE("test_selector_events.SelectorSocketTransportTests.test_abort / test_force_close",
          "[net]") {
  EventLoop loop;
  RawListener listener(4 * KiB);
  auto c = connect_recorder(loop, listener);
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);
  const std::string payload = pattern(3 * MiB);
  c->transport->write(payload);
  std::size_t dropped = c->transport->get_write_buffer_size();
  REQUIRE(dropped > 0);
  c->transport->abort();
  CHECK(c->transport->is_closing());
  CHECK(c->transport->get_write_buffer_size() == 0);  // the buffer is dropped at once
  PeerReader reader(loop, c->peer.fd, payload.size() + 1);
  wait(loop, c->protocol->lost);
  wait(loop, reader.done);
  CHECK(c->protocol->exc == nullptr);
  CHECK(reader.got.size() <= payload.size() - dropped);
  CHECK(reader.got == payload.substr(0, reader.got.size()));
  CHECK(c->protocol->events == std::vector<std::string>{"made", "pause", "lost"});
  CHECK_FALSE(fd_is_open(fd));
  // Writes after the connection is lost are dropped without an error.
  c->transport->write("ignored");
  CHECK(c->transport->get_write_buffer_size() == 0);
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_write_ready_exception: "
    "the peer resets during a large write",
    "[net]") {
  EventLoop loop;
  std::vector<std::string> handler_messages;
  loop.set_exception_handler([&](EventLoop&, const asyncio::ExceptionContext& ctx) {
    handler_messages.push_back(ctx.message);
  });
  RawListener listener(4 * KiB);
  auto c = connect_recorder(loop, listener);
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);
  const std::string payload = pattern(8 * MiB);
  c->transport->write(payload);
  REQUIRE(c->transport->get_write_buffer_size() > 0);
  // Read a little, so the write is under way, then reset: SO_LINGER 0 makes close() send RST.
  PeerReader reader(loop, c->peer.fd, 64 * KiB);
  wait(loop, reader.done);
  ::linger lg{1, 0};
  REQUIRE(::setsockopt(c->peer.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
  c->peer.reset();
  wait(loop, c->protocol->lost);
  REQUIRE(c->protocol->exc != nullptr);
  int err = errno_of(c->protocol->exc);
  CHECK((err == ECONNRESET || err == EPIPE));
  CHECK(c->transport->is_closing());
  CHECK(c->transport->get_write_buffer_size() == 0);
  CHECK(count(c->protocol->events, "lost") == 1);
  CHECK(handler_messages.empty());  // OSError: logged in debug mode only, as asyncio does
  CHECK_FALSE(fd_is_open(fd));
}

// ---------------------------------------------------------------- reading

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_read_ready / test_pause_resume_reading",
    "[net]") {
  EventLoop loop;
  RawListener listener;
  auto c = connect_recorder(loop, listener);
  auto got = loop.create_future<void>();
  c->protocol->on_data = [&](std::string_view) {
    if (c->protocol->data.size() >= 5 && !got.done()) got.set_result();
  };
  CHECK(c->transport->is_reading());
  REQUIRE(::send(c->peer.fd, "hello", 5, 0) == 5);
  wait(loop, got);
  CHECK(c->protocol->data == "hello");
  c->transport->pause_reading();
  CHECK_FALSE(c->transport->is_reading());
  c->transport->pause_reading();  // idempotent
  REQUIRE(::send(c->peer.fd, "world", 5, 0) == 5);
  for (int i = 0; i < 10; ++i) spin(loop);
  CHECK(c->protocol->data == "hello");  // paused: nothing delivered
  got = loop.create_future<void>();
  c->protocol->on_data = [&](std::string_view) {
    if (c->protocol->data.size() >= 10 && !got.done()) got.set_result();
  };
  c->transport->resume_reading();
  CHECK(c->transport->is_reading());
  wait(loop, got);
  CHECK(c->protocol->data == "helloworld");
  c->transport->close();
  CHECK_FALSE(c->transport->is_reading());
  wait(loop, c->protocol->lost);
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_read_ready_eof_keep_open / "
    "test_read_ready_eof",
    "[net]") {
  EventLoop loop;
  RawListener listener;
  SECTION("eof_received() true keeps the transport half-open") {
    auto c = connect_recorder(loop, listener);
    c->protocol->keep_open = true;
    ::shutdown(c->peer.fd, SHUT_WR);
    PeerReader reader(loop, c->peer.fd, 6);
    // Wait for the EOF to be seen, then write back on the half-open transport.
    while (count(c->protocol->events, "eof") == 0) spin(loop);
    CHECK_FALSE(c->transport->is_closing());
    c->transport->write("still!");
    wait(loop, reader.done);
    CHECK(reader.got == "still!");
    c->transport->close();
    wait(loop, c->protocol->lost);
    CHECK(c->protocol->events == std::vector<std::string>{"made", "eof", "lost"});
  }
  SECTION("eof_received() false closes") {
    auto c = connect_recorder(loop, listener);
    ::shutdown(c->peer.fd, SHUT_WR);
    wait(loop, c->protocol->lost);
    CHECK(c->protocol->exc == nullptr);
    CHECK(c->protocol->events == std::vector<std::string>{"made", "eof", "lost"});
  }
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_read_ready_err / "
    "data_received raises",
    "[net]") {
  EventLoop loop;
  std::vector<asyncio::ExceptionContext> contexts;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& ctx) { contexts.push_back(ctx); });
  RawListener listener;
  auto c = connect_recorder(loop, listener);
  c->protocol->on_data = [](std::string_view) { throw std::logic_error("boom"); };
  REQUIRE(::send(c->peer.fd, "x", 1, 0) == 1);
  wait(loop, c->protocol->lost);
  REQUIRE(contexts.size() == 1);
  CHECK(contexts[0].message == "Fatal error: protocol.data_received() call failed.");
  CHECK(asyncio::exception_str(contexts[0].exception) == "boom");
  CHECK(contexts[0].transport == std::static_pointer_cast<asyncio::BaseTransport>(c->transport));
  CHECK(asyncio::exception_str(c->protocol->exc) == "boom");
}

namespace {

// A BufferedProtocol with a small fixed buffer (or an empty one).
class BufferedRecorder : public asyncio::BufferedProtocol {
 public:
  BufferedRecorder(EventLoop& loop, std::size_t size)
      : buf(size), lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  std::span<char> get_buffer(std::ptrdiff_t sizehint) override {
    hints.push_back(sizehint);
    ++get_buffer_calls;
    return std::span<char>(buf.data(), buf.size());
  }
  void buffer_updated(std::size_t n) override {
    CHECK(n <= buf.size());
    data.append(buf.data(), n);
    ++updates;
  }
  bool eof_received() override {
    eof = true;
    return false;
  }
  void connection_lost(std::exception_ptr e) override {
    exc = e;
    lost.set_result();
  }
  std::vector<char> buf;
  std::shared_ptr<asyncio::Transport> transport;
  std::vector<std::ptrdiff_t> hints;
  int get_buffer_calls = 0;
  int updates = 0;
  std::string data;
  bool eof = false;
  std::exception_ptr exc;
  asyncio::Future<void> lost;
};

}  // namespace

TEST_CASE(
    "test_selector_events.SelectorSocketTransportBufferedProtocolTests.test_read_ready / "
    "test_read_ready_eof",
    "[net]") {
  EventLoop loop;
  RawListener listener;
  auto c = connect<BufferedRecorder>(
      loop, listener, [&loop] { return std::make_shared<BufferedRecorder>(loop, 100); });
  const std::string payload = pattern(100 * KiB);
  ::fcntl(c->peer.fd, F_SETFL, ::fcntl(c->peer.fd, F_GETFL) & ~O_NONBLOCK);
  REQUIRE(::send(c->peer.fd, payload.data(), payload.size(), 0) == ssize_t(payload.size()));
  ::shutdown(c->peer.fd, SHUT_WR);
  wait(loop, c->protocol->lost);
  CHECK(c->protocol->exc == nullptr);
  CHECK(c->protocol->eof);
  CHECK((c->protocol->data == payload));
  CHECK(c->protocol->updates >= 1024);  // 100 bytes at a time
  CHECK(c->protocol->hints.at(0) == -1);
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportBufferedProtocolTests.test_get_buffer_zerosized",
    "[net]") {
  EventLoop loop;
  std::vector<asyncio::ExceptionContext> contexts;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& ctx) { contexts.push_back(ctx); });
  RawListener listener;
  auto c = connect<BufferedRecorder>(
      loop, listener, [&loop] { return std::make_shared<BufferedRecorder>(loop, 0); });
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  REQUIRE(::send(c->peer.fd, "data", 4, 0) == 4);
  wait(loop, c->protocol->lost);
  REQUIRE(contexts.size() == 1);
  CHECK(contexts[0].message == "Fatal error: protocol.get_buffer() call failed.");
  CHECK_THROWS_AS(std::rethrow_exception(contexts[0].exception), asyncio::RuntimeError);
  CHECK_THAT(asyncio::exception_str(contexts[0].exception),
             Contains("get_buffer() returned an empty buffer"));
  CHECK(c->protocol->exc == contexts[0].exception);
  CHECK(c->protocol->updates == 0);
  CHECK(c->transport->is_closing());
  CHECK_FALSE(fd_is_open(fd));
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportBufferedProtocolTests.test_proto_type_switch",
    "[net]") {
  EventLoop loop;
  RawListener listener;
  auto c = connect_recorder(loop, listener);
  auto got = loop.create_future<void>();
  c->protocol->on_data = [&](std::string_view) { got.set_result(); };
  REQUIRE(::send(c->peer.fd, "plain", 5, 0) == 5);
  wait(loop, got);
  CHECK(c->protocol->data == "plain");
  auto buffered = std::make_shared<BufferedRecorder>(loop, 3);
  c->transport->set_protocol(buffered);
  CHECK(c->transport->get_protocol() == buffered);
  REQUIRE(::send(c->peer.fd, "buffered", 8, 0) == 8);
  ::shutdown(c->peer.fd, SHUT_WR);
  wait(loop, buffered->lost);
  CHECK(buffered->data == "buffered");
  CHECK(buffered->updates >= 3);  // 3 bytes at a time
  CHECK(buffered->eof);
  CHECK(c->protocol->data == "plain");
  CHECK_FALSE(c->protocol->lost.done());  // the old protocol hears nothing more
}

TEST_CASE(
    "test_selector_events.SelectorSocketTransportTests.test_write_buffer: pause_writing() that "
    "raises goes to the exception handler",
    "[net]") {
  EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& ctx) { messages.push_back(ctx.message); });
  class Raising : public Recorder {
   public:
    using Recorder::Recorder;
    void pause_writing() override { throw std::runtime_error("no pause"); }
  };
  RawListener listener(4 * KiB);
  auto c = connect<Raising>(loop, listener, [&loop] { return std::make_shared<Raising>(loop); });
  int fd = std::any_cast<int>(c->transport->get_extra_info("socket"));
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4 * KiB);
  c->transport->write(pattern(1 * MiB));
  CHECK(messages == std::vector<std::string>{"protocol.pause_writing() failed"});
  CHECK_FALSE(c->transport->is_closing());
  c->transport->abort();
  wait(loop, c->protocol->lost);
}

// ---------------------------------------------------------------- socket options

TEST_CASE(
    "test_base_events.TestSelectorUtils.test_set_nodelay: every connected and accepted socket "
    "is TCP_NODELAY, O_NONBLOCK and FD_CLOEXEC",
    "[net]") {
  EventLoop loop;
  auto accepted = loop.create_future<void>();
  std::shared_ptr<Recorder> server_side;
  auto server = loop.run_until_complete(loop.create_server(
      [&] {
        server_side = std::make_shared<Recorder>(loop);
        return server_side;
      },
      "127.0.0.1", 0, {}));
  for (int lfd : server->sockets()) {
    CHECK((::fcntl(lfd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(lfd, F_GETFL) & O_NONBLOCK) != 0);
  }
  int port = server->addresses().at(0).port;
  auto made = loop.run_until_complete(loop.create_connection(
      [&] { return std::make_shared<Recorder>(loop); }, "127.0.0.1", port, {}));
  while (!server_side || !server_side->transport) spin(loop);
  for (auto& t : {made.first, server_side->transport}) {
    int fd = std::any_cast<int>(t->get_extra_info("socket"));
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK(get_int_opt(fd, IPPROTO_TCP, TCP_NODELAY) != 0);
  }
  auto peer = std::any_cast<asyncio::SockAddr>(made.first->get_extra_info("peername"));
  CHECK(peer.repr() == "('127.0.0.1', " + std::to_string(port) + ")");
  auto local = std::any_cast<asyncio::SockAddr>(made.first->get_extra_info("sockname"));
  auto server_peer =
      std::any_cast<asyncio::SockAddr>(server_side->transport->get_extra_info("peername"));
  CHECK(local == server_peer);

  // connect_accepted_socket on a blocking, inheritable fd makes it non-blocking and CLOEXEC.
  int raw = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(raw >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::connect(raw, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  auto adopted = loop.run_until_complete(
      loop.connect_accepted_socket([&] { return std::make_shared<Recorder>(loop); }, raw));
  CHECK((::fcntl(raw, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((::fcntl(raw, F_GETFL) & O_NONBLOCK) != 0);
  CHECK(get_int_opt(raw, IPPROTO_TCP, TCP_NODELAY) != 0);

  adopted.first->close();
  made.first->close();
  wait(loop, made.second->lost);
  wait(loop, adopted.second->lost);
  server->close();
  server->abort_clients();
  run(loop, server->wait_closed());
}

TEST_CASE(
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_connect_err: "
    "ECONNREFUSED, no fd leaks",
    "[net]") {
  EventLoop loop;
  int port;
  {
    RawListener listener;  // a port nobody listens on once closed
    port = listener.port;
  }
  // The lowest free fd now: the failed attempt must give it back.
  int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::close(probe);
  try {
    loop.run_until_complete(loop.create_connection([&] { return std::make_shared<Recorder>(loop); },
                                                   "127.0.0.1", port, {}));
    FAIL("connected to a closed port");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ECONNREFUSED);
    CHECK_THAT(e.what(), Contains("127.0.0.1"));
  }
  int after = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::close(after);
  CHECK(after == probe);
}

// ---------------------------------------------------------------- datagrams

namespace {

class DatagramRecorder : public asyncio::DatagramProtocol {
 public:
  explicit DatagramRecorder(EventLoop& loop)
      : lost(loop.create_future<void>()), error(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::DatagramTransport>(t);
  }
  void datagram_received(std::string_view d, const asyncio::SockAddr&) override {
    datagrams.emplace_back(d);
    if (on_datagram) on_datagram();
  }
  void error_received(std::exception_ptr e) override {
    errors.push_back(e);
    if (!error.done()) error.set_result();
  }
  void pause_writing() override { ++pauses; }
  void resume_writing() override { ++resumes; }
  void connection_lost(std::exception_ptr e) override {
    exc = e;
    lost.set_result();
  }
  std::shared_ptr<asyncio::DatagramTransport> transport;
  std::vector<std::string> datagrams;
  std::vector<std::exception_ptr> errors;
  std::function<void()> on_datagram;
  int pauses = 0;
  int resumes = 0;
  std::exception_ptr exc;
  asyncio::Future<void> lost;
  asyncio::Future<void> error;
};

}  // namespace

TEST_CASE(
    "test_selector_events.SelectorDatagramTransportTests.test_sendto_tryagain / "
    "test_sendto_ready: a full socket buffer queues datagrams",
    "[net]") {
  EventLoop loop;
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) == 0);
  asyncio::DatagramOptions send_opts;
  send_opts.sock = fds[0];
  asyncio::DatagramOptions recv_opts;
  recv_opts.sock = fds[1];
  auto sender = loop.run_until_complete(loop.create_datagram_endpoint(
      [&] { return std::make_shared<DatagramRecorder>(loop); }, send_opts));
  CHECK((::fcntl(fds[0], F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((::fcntl(fds[0], F_GETFL) & O_NONBLOCK) != 0);

  constexpr int n = 2000;
  const std::string body(1000, 'd');
  for (int i = 0; i < n; ++i) sender.first->sendto(std::to_string(i) + ":" + body);
  // The peer reads nothing yet: most of it waits in the transport.
  std::size_t buffered = sender.first->get_write_buffer_size();
  CHECK(buffered > 64 * KiB);
  CHECK(buffered < std::size_t(n) * (body.size() + 6));
  CHECK(sender.second->pauses == 1);
  CHECK(sender.second->resumes == 0);

  // close() with datagrams queued: they still go out, then connection_lost(None).
  sender.first->close();
  CHECK(sender.first->is_closing());
  auto receiver = loop.run_until_complete(loop.create_datagram_endpoint(
      [&] { return std::make_shared<DatagramRecorder>(loop); }, recv_opts));
  auto all = loop.create_future<void>();
  receiver.second->on_datagram = [&] {
    if (receiver.second->datagrams.size() == std::size_t(n)) all.set_result();
  };
  wait(loop, all);
  wait(loop, sender.second->lost);
  CHECK(sender.second->exc == nullptr);
  CHECK(sender.first->get_write_buffer_size() == 0);
  CHECK(sender.second->resumes == 1);
  bool in_order = true;
  for (int i = 0; i < n; ++i)
    in_order =
        in_order && receiver.second->datagrams[std::size_t(i)] == std::to_string(i) + ":" + body;
  CHECK(in_order);
  CHECK(sender.second->errors.empty());
  receiver.first->close();
  wait(loop, receiver.second->lost);
  CHECK_FALSE(fd_is_open(fds[0]));
  CHECK_FALSE(fd_is_open(fds[1]));
}

TEST_CASE(
    "test_selector_events.SelectorDatagramTransportTests.test_sendto_error_received_connected / "
    "test_events.test_create_datagram_endpoint ECONNREFUSED",
    "[net]") {
  EventLoop loop;
  // Nobody listens on the port: the ICMP answer is "port unreachable".
  int port = test_support::closed_port(SOCK_DGRAM);
  asyncio::DatagramOptions opts;
  opts.remote_addr = asyncio::HostPort("127.0.0.1", port);
  auto ep = loop.run_until_complete(loop.create_datagram_endpoint(
      [&] { return std::make_shared<DatagramRecorder>(loop); }, opts));
  int ufd = std::any_cast<int>(ep.first->get_extra_info("socket"));
  CHECK((::fcntl(ufd, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((::fcntl(ufd, F_GETFL) & O_NONBLOCK) != 0);
  auto remote = std::any_cast<asyncio::SockAddr>(ep.first->get_extra_info("peername"));
  CHECK(remote.port == port);
  // A connected endpoint refuses other addresses.
  CHECK_THROWS_AS(ep.first->sendto("x", asyncio::SockAddr{AF_INET, "127.0.0.1", port + 1}),
                  std::invalid_argument);
  ep.first->sendto("ping");
  wait(loop, ep.second->error);
  REQUIRE_FALSE(ep.second->errors.empty());
  CHECK(errno_of(ep.second->errors[0]) == ECONNREFUSED);
  CHECK_FALSE(ep.first->is_closing());  // error_received does not close the endpoint
  CHECK_FALSE(ep.second->lost.done());
  ep.first->close();
  wait(loop, ep.second->lost);
  CHECK(ep.second->exc == nullptr);
}
