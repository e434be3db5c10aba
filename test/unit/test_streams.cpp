// StreamReader: ports of CPython's Lib/test/test_asyncio/test_streams.py StreamTests (the
// reader half), plus StreamReader's flow control of its transport (what test_subprocess's
// test_pause_reading relies on). Buffer contents are checked through buffered() and reads.
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::StreamReader;
using Catch::Matchers::Contains;

namespace {

const std::string DATA = "line1\nline2\nline3\n";  // StreamTests.DATA

// What is left in the reader: feeds EOF and reads it all (the test's `stream._buffer`).
std::string rest(EventLoop& loop, StreamReader& stream) {
  stream.feed_eof();
  return loop.run_until_complete(stream.read(-1));
}

// asyncio.sleep(0) as a coroutine, for run_until_complete.
Coro<void> yield_once() {
  co_await asyncio::sleep(0);
}

// A stand-in for the transport a StreamReader pauses and resumes.
class FakeReadTransport : public asyncio::ReadTransport {
 public:
  void close() override { closing = true; }
  bool is_closing() const override { return closing; }
  void set_protocol(std::shared_ptr<asyncio::BaseProtocol> p) override { protocol = std::move(p); }
  std::shared_ptr<asyncio::BaseProtocol> get_protocol() const override { return protocol; }
  bool is_reading() const override { return !paused; }
  void pause_reading() override {
    paused = true;
    ++pauses;
  }
  void resume_reading() override {
    paused = false;
    ++resumes;
  }

  bool closing = false;
  bool paused = false;
  int pauses = 0;
  int resumes = 0;
  std::shared_ptr<asyncio::BaseProtocol> protocol;
};

}  // namespace

TEST_CASE("test_streams.StreamTests.test_feed_empty_data / test_feed_nonempty_data", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("");
  CHECK(stream.buffered() == 0);
  stream.feed_data(DATA);
  CHECK(stream.buffered() == DATA.size());
  CHECK(rest(loop, stream) == DATA);
}

TEST_CASE("test_streams.StreamTests.test_invalid_limit", "[streams]") {
  // limit <= 0 is a ValueError; size_t leaves only 0 to refuse.
  EventLoop loop;
  CHECK_THROWS_AS(StreamReader(0, loop), std::invalid_argument);
}

TEST_CASE("test_streams.StreamTests.test_read_zero", "[streams]") {
  // read(0) returns b'' at once and leaves the buffer alone.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data(DATA);
  CHECK(loop.run_until_complete(stream.read(0)).empty());
  CHECK(stream.buffered() == DATA.size());
  // Even with nothing buffered read(0) does not wait.
  StreamReader empty(asyncio::DEFAULT_LIMIT, loop);
  CHECK(loop.run_until_complete(empty.read(0)).empty());
}

TEST_CASE("test_streams.StreamTests.test_read", "[streams]") {
  // read(30) waits for data fed later, then returns what there is (fewer than 30).
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto task = loop.create_task(stream.read(30));
  loop.call_soon([&] { stream.feed_data(DATA); });
  CHECK(loop.run_until_complete(task) == DATA);
  CHECK(stream.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_read_line_breaks / test_read_limit", "[streams]") {
  // read(n) returns at most n bytes, ignoring line breaks and the limit.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("line1");
  stream.feed_data("line2");
  CHECK(loop.run_until_complete(stream.read(5)) == "line1");
  CHECK(rest(loop, stream) == "line2");

  StreamReader small(3, loop);
  small.feed_data("chunk");
  CHECK(loop.run_until_complete(small.read(5)) == "chunk");
  CHECK(small.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_read_eof", "[streams]") {
  // A pending read(1024) returns b'' on EOF.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto task = loop.create_task(stream.read(1024));
  loop.call_soon([&] { stream.feed_eof(); });
  CHECK(loop.run_until_complete(task).empty());
  CHECK(stream.at_eof());
}

TEST_CASE("test_streams.StreamTests.test_read_until_eof", "[streams]") {
  // read(-1) collects every chunk until EOF.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto task = loop.create_task(stream.read(-1));
  loop.call_soon([&] {
    stream.feed_data("chunk1\n");
    stream.feed_data("chunk2");
    stream.feed_eof();
  });
  CHECK(loop.run_until_complete(task) == "chunk1\nchunk2");
  CHECK(stream.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_read_until_eof across iterations", "[streams]") {
  // read(-1) keeps waiting over several feeds in separate iterations.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto task = loop.create_task(stream.read(-1));
  loop.call_soon([&] {
    stream.feed_data("a");
    loop.call_soon([&] {
      stream.feed_data("b");
      loop.call_soon([&] { stream.feed_eof(); });
    });
  });
  CHECK(loop.run_until_complete(task) == "ab");
}

TEST_CASE("test_streams.StreamTests.test_read_exception", "[streams]") {
  // Once set_exception() was called, reads raise it.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("line\n");
  CHECK(loop.run_until_complete(stream.read(2)) == "li");
  stream.set_exception(std::make_exception_ptr(std::invalid_argument("boom")));
  CHECK_THROWS_AS(loop.run_until_complete(stream.read(2)), std::invalid_argument);
}

TEST_CASE("test_streams.StreamTests.test_readline", "[streams]") {
  // readline waits across chunks for b'\n' and leaves what follows it.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("chunk1 ");
  auto task = loop.create_task(stream.readline());
  loop.call_soon([&] {
    stream.feed_data("chunk2 ");
    stream.feed_data("chunk3 ");
    stream.feed_data("\n chunk4");
  });
  CHECK(loop.run_until_complete(task) == "chunk1 chunk2 chunk3 \n");
  CHECK(rest(loop, stream) == " chunk4");
}

TEST_CASE("test_streams.StreamTests.test_readline_limit_with_existing_data", "[streams]") {
  // Over the limit with the separator in the buffer: ValueError, and the line with its
  // separator is dropped; the next line stays.
  EventLoop loop;
  StreamReader stream(3, loop);
  stream.feed_data("li");
  stream.feed_data("ne1\nline2\n");
  CHECK_THROWS_AS(loop.run_until_complete(stream.readline()), std::invalid_argument);
  CHECK(rest(loop, stream) == "line2\n");

  // No separator at all: the whole buffer is dropped.
  StreamReader stream2(3, loop);
  stream2.feed_data("li");
  stream2.feed_data("ne1");
  stream2.feed_data("li");
  CHECK_THROWS_AS(loop.run_until_complete(stream2.readline()), std::invalid_argument);
  CHECK(stream2.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_readline_limit", "[streams]") {
  // Data fed after readline started waiting.
  EventLoop loop;
  SECTION("one long line: ValueError, buffer emptied") {
    StreamReader stream(7, loop);
    loop.call_soon([&] {
      stream.feed_data("chunk1");
      stream.feed_data("chunk2");
      stream.feed_data("chunk3\n");
      stream.feed_eof();
    });
    CHECK_THROWS_AS(loop.run_until_complete(stream.readline()), std::invalid_argument);
    CHECK(stream.buffered() == 0);
  }
  SECTION("the next line survives") {
    StreamReader stream(7, loop);
    loop.call_soon([&] {
      stream.feed_data("chunk1");
      stream.feed_data("chunk2\n");
      stream.feed_data("chunk3\n");
      stream.feed_eof();
    });
    CHECK_THROWS_AS(loop.run_until_complete(stream.readline()), std::invalid_argument);
    CHECK(loop.run_until_complete(stream.read(-1)) == "chunk3\n");
  }
  SECTION("the limit is strict: limit bytes plus the separator pass, one more does not") {
    StreamReader stream(7, loop);
    stream.feed_data("1234567\n");
    CHECK(loop.run_until_complete(stream.readline()) == "1234567\n");
    CHECK(stream.buffered() == 0);
    stream.feed_data("12345678\n");
    CHECK_THROWS_AS(loop.run_until_complete(stream.readline()), std::invalid_argument);
    CHECK(stream.buffered() == 0);
    stream.feed_data("12345678");
    CHECK_THROWS_AS(loop.run_until_complete(stream.readline()), std::invalid_argument);
    CHECK(stream.buffered() == 0);
  }
  SECTION("the ValueError carries the LimitOverrunError's message") {
    StreamReader stream(3, loop);
    stream.feed_data("line1\n");
    CHECK_THROWS_WITH(loop.run_until_complete(stream.readline()),
                      "Separator is found, but chunk is longer than limit");
  }
}

TEST_CASE("test_streams.StreamTests.test_readline_nolimit_nowait / read_byte_count", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data(DATA.substr(0, 6));
  stream.feed_data(DATA.substr(6));
  CHECK(loop.run_until_complete(stream.readline()) == "line1\n");
  CHECK(stream.buffered() == 12);
  CHECK(loop.run_until_complete(stream.read(7)) == "line2\nl");
  CHECK(rest(loop, stream) == "ine3\n");
}

TEST_CASE("test_streams.StreamTests.test_readline_eof / test_readline_empty_eof", "[streams]") {
  // At EOF readline returns the partial line, then b''.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("some data");
  stream.feed_eof();
  CHECK(loop.run_until_complete(stream.readline()) == "some data");
  CHECK(loop.run_until_complete(stream.readline()).empty());
}

TEST_CASE("test_streams.StreamTests.test_readline_exception", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("line\n");
  CHECK(loop.run_until_complete(stream.readline()) == "line\n");
  stream.set_exception(std::make_exception_ptr(std::invalid_argument("boom")));
  CHECK_THROWS_AS(loop.run_until_complete(stream.readline()), std::invalid_argument);
  CHECK(stream.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_at_eof", "[streams]") {
  // at_eof: EOF was fed and the buffer is empty.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  CHECK_FALSE(stream.at_eof());
  stream.feed_data("some data\n");
  CHECK_FALSE(stream.at_eof());
  loop.run_until_complete(stream.readline());
  CHECK_FALSE(stream.at_eof());
  stream.feed_data("some data\n");
  stream.feed_eof();
  CHECK_FALSE(stream.at_eof());  // data still buffered
  loop.run_until_complete(stream.readline());
  CHECK(stream.at_eof());
}

TEST_CASE("test_streams.StreamTests.test_readuntil_separator", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  CHECK_THROWS_AS(loop.run_until_complete(stream.readuntil("")), std::invalid_argument);
  CHECK_THROWS_WITH(loop.run_until_complete(stream.readuntil("")), Contains("Separator should be"));
}

TEST_CASE("test_streams.StreamTests.test_readuntil_multi_chunks", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("lineAAA");
  CHECK(loop.run_until_complete(stream.readuntil("AAA")) == "lineAAA");
  CHECK(stream.buffered() == 0);
  stream.feed_data("lineAAAxxx");
  CHECK(loop.run_until_complete(stream.readuntil("AAA")) == "lineAAA");
  CHECK(rest(loop, stream) == "xxx");
}

TEST_CASE("test_streams.StreamTests.test_readuntil_multi_chunks_1", "[streams]") {
  // A multi-byte separator split over feeds, and partial matches before the real one.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  const std::vector<std::vector<std::string>> feeds = {
      {"QWEaa", "XYaa", "a"}, {"QWEaa", "XYa", "aa"}, {"aaa"}, {"Xaaa"}, {"XXX", "a", "a", "a"}};
  const std::vector<std::string> expected = {"QWEaaXYaaa", "QWEaaXYaaa", "aaa", "Xaaa", "XXXaaa"};
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    for (const auto& chunk : feeds[i]) stream.feed_data(chunk);
    CHECK(loop.run_until_complete(stream.readuntil("aaa")) == expected[i]);
    CHECK(stream.buffered() == 0);
  }
}

TEST_CASE("test_streams.StreamTests.test_readuntil multi-byte separator fed byte by byte",
          "[streams]") {
  // The waiting readuntil finds a separator that arrives one byte per iteration.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto task = loop.create_task(stream.readuntil("\r\n\r\n"));
  const std::string input = "GET / HTTP/1.0\r\nHost: x\r\n\r\nbody";
  std::size_t at = 0;
  std::function<void()> feed_one = [&] {
    if (at == input.size()) return;
    stream.feed_data(input.substr(at++, 1));
    loop.call_soon(feed_one);
  };
  loop.call_soon(feed_one);
  CHECK(loop.run_until_complete(task) == "GET / HTTP/1.0\r\nHost: x\r\n\r\n");
}

TEST_CASE("test_streams.StreamTests.test_readuntil_eof", "[streams]") {
  // EOF before the separator: IncompleteReadError(partial, expected=None), buffer emptied.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("some dataAA");
  stream.feed_eof();
  try {
    loop.run_until_complete(stream.readuntil("AAA"));
    FAIL("IncompleteReadError expected");
  } catch (const asyncio::IncompleteReadError& e) {
    CHECK(e.partial == "some dataAA");
    CHECK_FALSE(e.expected.has_value());
    CHECK_THAT(e.what(), Contains("undefined expected bytes"));
  }
  CHECK(stream.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_readuntil_limit_found_sep", "[streams]") {
  // LimitOverrunError leaves the buffer as it is and says how much could be consumed.
  EventLoop loop;
  StreamReader stream(3, loop);
  stream.feed_data("some dataAA");
  try {
    loop.run_until_complete(stream.readuntil("AAA"));
    FAIL("LimitOverrunError expected");
  } catch (const asyncio::LimitOverrunError& e) {
    CHECK_THAT(e.what(), Contains("not found"));
    CHECK(e.consumed == 9);  // len(buffer) + 1 - len(separator)
  }
  CHECK(stream.buffered() == 11);

  stream.feed_data("A");
  try {
    loop.run_until_complete(stream.readuntil("AAA"));
    FAIL("LimitOverrunError expected");
  } catch (const asyncio::LimitOverrunError& e) {
    CHECK_THAT(e.what(), Contains("is found"));
    CHECK(e.consumed == 9);  // where the separator starts
  }
  CHECK(rest(loop, stream) == "some dataAAA");
}

TEST_CASE("test_streams.StreamTests.test_readexactly_zero_or_less", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data(DATA);
  CHECK(loop.run_until_complete(stream.readexactly(0)).empty());
  CHECK(stream.buffered() == DATA.size());
  CHECK_THROWS_WITH(loop.run_until_complete(stream.readexactly(-1)), Contains("less than zero"));
  CHECK_THROWS_AS(loop.run_until_complete(stream.readexactly(-1)), std::invalid_argument);
  CHECK(stream.buffered() == DATA.size());
}

TEST_CASE("test_streams.StreamTests.test_readexactly", "[streams]") {
  // Waits until n bytes are there and leaves the rest.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  const auto n = static_cast<std::ptrdiff_t>(2 * DATA.size());
  auto task = loop.create_task(stream.readexactly(n));
  loop.call_soon([&] {
    stream.feed_data(DATA);
    stream.feed_data(DATA);
    stream.feed_data(DATA);
  });
  CHECK(loop.run_until_complete(task) == DATA + DATA);
  CHECK(rest(loop, stream) == DATA);
}

TEST_CASE("test_streams.StreamTests.test_readexactly_limit", "[streams]") {
  EventLoop loop;
  StreamReader stream(3, loop);
  stream.feed_data("chunk");
  CHECK(loop.run_until_complete(stream.readexactly(5)) == "chunk");
  CHECK(stream.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_readexactly_eof", "[streams]") {
  // EOF first: IncompleteReadError(partial, expected) with CPython's message.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  const auto n = static_cast<std::ptrdiff_t>(2 * DATA.size());
  auto task = loop.create_task(stream.readexactly(n));
  loop.call_soon([&] {
    stream.feed_data(DATA);
    stream.feed_eof();
  });
  try {
    loop.run_until_complete(task);
    FAIL("IncompleteReadError expected");
  } catch (const asyncio::IncompleteReadError& e) {
    CHECK(e.partial == DATA);
    REQUIRE(e.expected.has_value());
    CHECK(*e.expected == static_cast<std::size_t>(n));
    CHECK(std::string(e.what()) == "18 bytes read on a total of 36 expected bytes");
  }
  CHECK(stream.buffered() == 0);
}

TEST_CASE("test_streams.StreamTests.test_readexactly_exception", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  stream.feed_data("line\n");
  CHECK(loop.run_until_complete(stream.readexactly(2)) == "li");
  stream.set_exception(std::make_exception_ptr(std::invalid_argument("boom")));
  CHECK_THROWS_AS(loop.run_until_complete(stream.readexactly(2)), std::invalid_argument);
}

TEST_CASE("test_streams.StreamTests.test_exception", "[streams]") {
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  CHECK(stream.exception() == nullptr);
  auto exc = std::make_exception_ptr(std::invalid_argument("boom"));
  stream.set_exception(exc);
  CHECK(stream.exception() == exc);
}

TEST_CASE("test_streams.StreamTests.test_exception_waiter", "[streams]") {
  // set_exception wakes a reader that is waiting for data, with that exception.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto reader = loop.create_task(stream.readline());
  auto setter = loop.create_task([](StreamReader& s) -> Coro<void> {
    s.set_exception(std::make_exception_ptr(std::invalid_argument("boom")));
    co_return;
  }(stream));
  std::vector<asyncio::Task<std::string>> readers{reader};
  loop.run_until_complete(asyncio::wait(readers, 5.0));
  REQUIRE(reader.done());
  CHECK(setter.done());
  CHECK_THROWS_AS(reader.result(), std::invalid_argument);
}

TEST_CASE("test_streams.StreamTests.test_exception_cancel", "[streams]") {
  // set_exception after the waiting reader was cancelled must not fail; the stream is
  // usable again afterwards (no stale waiter: a new read does not raise RuntimeError).
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto task = loop.create_task(stream.readline());
  loop.run_until_complete(yield_once());
  task.cancel();
  loop.run_until_complete(yield_once());
  CHECK(task.cancelled());
  stream.set_exception(std::make_exception_ptr(asyncio::RuntimeError("message")));
  loop.run_until_complete(yield_once());
  CHECK_THROWS_WITH(loop.run_until_complete(stream.readline()), "message");
}

TEST_CASE("test_streams: a second concurrent reader raises RuntimeError", "[streams]") {
  // Only one coroutine may wait for data; the first is unaffected.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  auto first = loop.create_task(stream.readline());
  loop.run_until_complete(yield_once());
  CHECK_THROWS_AS(loop.run_until_complete(stream.read(1)), asyncio::RuntimeError);
  CHECK_THROWS_WITH(loop.run_until_complete(stream.read(1)),
                    "read() called while another coroutine is already waiting for incoming data");
  CHECK_THROWS_WITH(
      loop.run_until_complete(stream.readexactly(1)),
      "readexactly() called while another coroutine is already waiting for incoming data");
  CHECK_FALSE(first.done());
  stream.feed_data("x\n");
  CHECK(loop.run_until_complete(first) == "x\n");
}

TEST_CASE("test_streams: anext iterates lines until EOF", "[streams]") {
  // `async for line in reader`: each line, the last one without b'\n', then the end.
  EventLoop loop;
  StreamReader stream(asyncio::DEFAULT_LIMIT, loop);
  loop.call_soon([&] {
    stream.feed_data("one\ntw");
    loop.call_soon([&] {
      stream.feed_data("o\nthree");
      stream.feed_eof();
    });
  });
  auto lines = loop.run_until_complete([](StreamReader& s) -> Coro<std::vector<std::string>> {
    std::vector<std::string> out;
    while (auto line = co_await s.anext()) out.push_back(*line);
    co_return out;
  }(stream));
  CHECK(lines == std::vector<std::string>{"one\n", "two\n", "three"});
  CHECK_FALSE(loop.run_until_complete(stream.anext()).has_value());
}

TEST_CASE("test_streams: the reader pauses its transport over 2 * limit, resumes at limit",
          "[streams]") {
  // StreamReader.feed_data / _maybe_resume_transport, as test_subprocess.test_pause_reading
  // relies on.
  EventLoop loop;
  StreamReader stream(10, loop);
  auto transport = std::make_shared<FakeReadTransport>();
  stream.set_transport(transport);
  stream.feed_data(std::string(20, 'x'));
  CHECK(transport->pauses == 0);  // exactly 2 * limit: not yet
  stream.feed_data("y");
  CHECK(transport->pauses == 1);
  stream.feed_data("z");
  CHECK(transport->pauses == 1);  // already paused
  CHECK(loop.run_until_complete(stream.read(5)) == "xxxxx");
  CHECK(transport->resumes == 0);  // 17 left, over the limit
  CHECK(loop.run_until_complete(stream.read(7)).size() == 7);
  CHECK(transport->resumes == 1);  // 10 left: resumed
  CHECK_FALSE(transport->paused);
}

// StreamReaderProtocol is also a BufferedProtocol, so socket transports recv() straight into
// the reader's buffer. CPython's protocol has only data_received; these check that the
// buffered path keeps every byte and the same flow control.

namespace {

// Writes `data` into the protocol's buffer as a transport does: get_buffer, then buffer_updated.
void receive_into(asyncio::BufferedProtocol& protocol, std::string_view data) {
  while (!data.empty()) {
    std::span<char> buf = protocol.get_buffer(-1);
    REQUIRE_FALSE(buf.empty());
    std::size_t n = std::min(buf.size(), data.size());
    std::copy_n(data.data(), n, buf.data());
    protocol.buffer_updated(n);
    data.remove_prefix(n);
  }
}

}  // namespace

TEST_CASE("test_streams: StreamReaderProtocol's buffered path keeps unread data as it grows",
          "[streams]") {
  EventLoop loop;
  auto stream = std::make_shared<StreamReader>(1 << 30, loop);
  auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(stream, nullptr, loop);
  auto* buffered = dynamic_cast<asyncio::BufferedProtocol*>(protocol.get());
  REQUIRE(buffered != nullptr);
  std::string sent;
  std::string got;
  std::size_t chunk = 1;
  for (int round = 0; round < 40; ++round) {
    std::string data(chunk, '\0');
    for (std::size_t i = 0; i < chunk; ++i)
      data[i] = static_cast<char>('a' + (sent.size() + i) % 23);
    sent += data;
    receive_into(*buffered, data);
    // Read back less than arrived, so data stays unread while the buffer slides and grows.
    std::size_t take = stream->buffered() / 3;
    got += loop.run_until_complete(stream->readexactly(static_cast<std::ptrdiff_t>(take)));
    chunk = chunk * 2 % 700'001 + 17;
  }
  got += rest(loop, *stream);
  CHECK(sent.size() > 1'000'000);  // past several growths of the 256 KiB first block
  CHECK(got == sent);
}

TEST_CASE("test_streams: the buffered path pauses over 2 * limit as feed_data does", "[streams]") {
  EventLoop loop;
  auto stream = std::make_shared<StreamReader>(10, loop);
  auto transport = std::make_shared<FakeReadTransport>();
  stream->set_transport(transport);
  asyncio::StreamReaderProtocol protocol(stream, nullptr, loop);
  receive_into(protocol, std::string(20, 'x'));
  CHECK(transport->pauses == 0);
  receive_into(protocol, "y");
  CHECK(transport->pauses == 1);
  CHECK(loop.run_until_complete(stream->read(100)) == std::string(20, 'x') + "y");
}

TEST_CASE("test_streams: after EOF the buffered path refuses data but still lends a buffer",
          "[streams]") {
  // TLS asks for a buffer after the peer's close_notify; only data after EOF is wrong, as
  // feed_data after feed_eof is.
  EventLoop loop;
  auto stream = std::make_shared<StreamReader>(asyncio::DEFAULT_LIMIT, loop);
  asyncio::StreamReaderProtocol protocol(stream, nullptr, loop);
  receive_into(protocol, "tail");
  stream->feed_eof();
  CHECK_FALSE(protocol.get_buffer(-1).empty());
  protocol.buffer_updated(0);
  CHECK_THROWS_AS(protocol.buffer_updated(1), std::logic_error);
  CHECK(loop.run_until_complete(stream->read(-1)) == "tail");
  CHECK(stream->at_eof());
}

TEST_CASE("test_streams: a StreamReaderProtocol subclass sees every read in data_received",
          "[streams]") {
  // Python code subclasses StreamReaderProtocol and overrides data_received; reading straight
  // into the reader would go around the override.
  struct Recording : asyncio::StreamReaderProtocol {
    using StreamReaderProtocol::StreamReaderProtocol;
    void data_received(std::string_view data) override {
      seen += data;
      StreamReaderProtocol::data_received(data);
    }
    std::string seen;
  };
  EventLoop loop;
  auto stream = std::make_shared<StreamReader>(1 << 20, loop);
  Recording protocol(stream, nullptr, loop);
  const std::string big(100'000, 'x');  // more than one buffer's worth
  receive_into(protocol, "hello ");
  receive_into(protocol, big);
  CHECK(protocol.seen == "hello " + big);
  CHECK(rest(loop, *stream) == "hello " + big);
}
