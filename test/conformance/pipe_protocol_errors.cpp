// Mirrors CPython test_unix_events.UnixReadPipeTransportTests / UnixWritePipeTransportTests
// with failing protocols, and test_transports / base_events behaviour for callbacks that
// raise: an exception from data_received, eof_received or connection_lost goes to the
// loop's exception handler ("Exception in callback ...") and the transport carries on
// (reading continues, connection_lost still comes, the fd is still closed); an exception
// from pause_writing / resume_writing is reported as "protocol.pause_writing() failed" /
// "protocol.resume_writing() failed" with the transport and protocol in the context.
#include <asyncio/asyncio.hpp>

#include <stdexcept>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

void handler(asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
  std::string message = context.message;
  if (message.starts_with("Exception in callback ")) message = "Exception in callback ...";
  std::string exc = "None";
  try {
    if (context.exception) std::rethrow_exception(context.exception);
  } catch (const std::invalid_argument& e) {
    exc = std::string("ValueError ") + e.what();
  } catch (const std::exception& e) {
    exc = std::string("C++ exception ") + e.what();
  }
  trace::print("  handler:", message, "-", exc, "| transport and protocol given:",
               context.transport != nullptr && context.protocol != nullptr);
}

class FailingReader : public asyncio::Protocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();

  void data_received(std::string_view data) override {
    events.push_back("data " + std::string(data));
    if (data == "one") throw std::invalid_argument("data_received failed");
  }
  bool eof_received() override {
    events.push_back("eof_received");
    throw std::invalid_argument("eof_received failed");
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exception_name(exc));
    lost.set_result();
    throw std::invalid_argument("connection_lost failed");
  }
};

class FailingWriter : public asyncio::BaseProtocol {
 public:
  std::vector<std::string> events;

  void pause_writing() override {
    events.push_back("pause_writing");
    throw std::invalid_argument("pause_writing failed");
  }
  void resume_writing() override {
    events.push_back("resume_writing");
    throw std::invalid_argument("resume_writing failed");
  }
};

Coro<> iterations(int n) {
  for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

Coro<std::size_t> drain(int r, std::size_t want) {
  std::size_t got = 0;
  char buf[65536];
  while (got < want) {
    co_await asyncio::sleep(0);
    ssize_t n = ::read(r, buf, sizeof buf);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  co_return got;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  loop.set_exception_handler(handler);

  auto [r, w] = make_pipe();
  auto [reader, reader_proto] =
      co_await loop.connect_read_pipe([] { return std::make_shared<FailingReader>(); }, r);
  trace::print("write one");
  write_all(w, "one");
  co_await iterations(5);
  trace::print("write two, then EOF");
  write_all(w, "two");
  ::close(w);
  co_await reader_proto->lost;
  co_await iterations(2);
  trace::print("events:", str_list(reader_proto->events));
  trace::print("is_closing:", reader->is_closing());
  trace::print(fd_is_open(r) ? "read end still open" : "read end closed anyway");

  auto [r2, w2] = make_pipe();
  set_nonblocking(r2);
  auto [writer, writer_proto] =
      co_await loop.connect_write_pipe([] { return std::make_shared<FailingWriter>(); }, w2);
  trace::print("write 200000 bytes");
  writer->write(std::string(200'000, 'w'));
  trace::print("still writing: buffer not empty:", writer->get_write_buffer_size() > 0);
  trace::print("read everything:", co_await drain(r2, 200'000));
  co_await iterations(2);
  trace::print("events:", str_list(writer_proto->events));
  writer->close();
  co_await iterations(2);
  ::close(r2);
}

int main() {
  asyncio::run(amain());
}
