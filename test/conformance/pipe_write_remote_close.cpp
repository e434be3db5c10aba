// Mirrors CPython test_unix_events.UnixWritePipeTransportTests (test__read_ready,
// test_write_err, test_write_close, test_close_closing...) and test_events
// .EventLoopTestsMixin.test_write_pipe_disconnect_on_close: when the read end of the pipe is
// closed, a write pipe transport with data still buffered loses the connection with
// BrokenPipeError (EPIPE) and drops the buffer; with nothing buffered it loses it with None;
// a write that fails at once (EPIPE) reports BrokenPipeError; later writes are ignored.
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

class WriteProto : public asyncio::BaseProtocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<std::exception_ptr> lost =
      asyncio::get_running_loop().create_future<std::exception_ptr>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override { events.push_back("resume_writing"); }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exception_name(exc));
    lost.set_result(exc);
  }
};

struct Connected {
  int r;
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::shared_ptr<WriteProto> proto;
};

Coro<Connected> connect() {
  auto [r, w] = make_pipe();
  auto [transport, proto] = co_await asyncio::get_running_loop().connect_write_pipe(
      [] { return std::make_shared<WriteProto>(); }, w);
  co_return Connected{r, transport, proto};
}

Coro<> data_pending() {
  auto [r, transport, proto] = co_await connect();
  transport->write(std::string(300'000, 'x'));  // more than the pipe holds: the rest is buffered
  trace::print("buffered before the peer closes:", transport->get_write_buffer_size() > 0);
  ::close(r);
  std::exception_ptr exc = co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print("BrokenPipeError:", exception_name(exc) == "BrokenPipeError");
  trace::print("buffer dropped:", transport->get_write_buffer_size() == 0);
  trace::print("is_closing:", transport->is_closing());
  transport->write("ignored");  // after the connection is lost: silently dropped
  trace::print("write after connection_lost: ignored, buffer", transport->get_write_buffer_size());
}

Coro<> nothing_pending() {
  auto [r, transport, proto] = co_await connect();
  transport->write("fits");
  trace::print("buffered:", transport->get_write_buffer_size());
  ::close(r);
  std::exception_ptr exc = co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print("exc is None:", exc == nullptr);
}

Coro<> write_fails_at_once() {
  auto [r, transport, proto] = co_await connect();
  ::close(r);
  transport->write("data");  // the peer is gone: write(2) fails with EPIPE right away
  trace::print("is_closing right after the failed write:", transport->is_closing());
  std::exception_ptr exc = co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print("BrokenPipeError with errno EPIPE:", error_code(exc) == EPIPE);
}

Coro<> amain() {
  co_await data_pending();
  co_await nothing_pending();
  co_await write_fails_at_once();
}

int main() {
  asyncio::run(amain());
}
