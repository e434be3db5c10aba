// Mirrors CPython test_unix_events.UnixWritePipeTransportTests (test_write_eof,
// test_write_eof_pending, test_abort, test_close, test_write_closing) and test_events
// .EventLoopTestsMixin.test_write_pipe: write_eof flushes what is buffered, then closes the
// pipe (connection_lost(None)) so the reader sees all the data and EOF; close() is
// write_eof(); writes after it are ignored; abort() drops the buffer and closes at once.
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

class WriteProto : public asyncio::BaseProtocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override { events.push_back("resume_writing"); }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exception_name(exc));
    lost.set_result();
  }
};

struct Connected {
  int r;
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::shared_ptr<WriteProto> proto;
};

Coro<Connected> connect() {
  auto [r, w] = make_pipe();
  set_nonblocking(r);
  auto [transport, proto] = co_await asyncio::get_running_loop().connect_write_pipe(
      [] { return std::make_shared<WriteProto>(); }, w);
  co_return Connected{r, transport, proto};
}

std::string repeated(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

Coro<> eof_flushes(std::string close_with) {
  auto [r, transport, proto] = co_await connect();
  auto finish = [&, t = transport] {
    if (close_with == "write_eof") {
      t->write_eof();
    } else {
      t->close();
    }
  };
  trace::print(close_with, "- can_write_eof:", transport->can_write_eof());
  const std::string payload = repeated("0123456789", 20'000);
  transport->write(payload);
  trace::print("buffered:", transport->get_write_buffer_size() > 0);
  finish();
  trace::print("is_closing:", transport->is_closing(), "events:", str_list(proto->events));
  transport->write("dropped");  // closing: ignored
  finish();                     // a second call is a no-op
  std::string data = co_await read_with_loop(r);
  co_await proto->lost;
  trace::print("reader got", data.size(), "bytes, intact:", data == payload);
  trace::print("events:", str_list(proto->events));
}

Coro<> eof_when_empty() {
  auto [r, transport, proto] = co_await connect();
  transport->write("tiny");
  transport->write_eof();
  trace::print("empty buffer: events right after write_eof:", str_list(proto->events));
  co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print("reader got:", co_await read_with_loop(r));
}

Coro<> abort_drops() {
  auto [r, transport, proto] = co_await connect();
  transport->write(std::string(200'000, 'z'));
  transport->abort();
  trace::print("after abort: buffer", transport->get_write_buffer_size(), "is_closing",
               transport->is_closing());
  co_await proto->lost;
  std::string data = co_await read_with_loop(r);
  trace::print("reader got only what the pipe held:", !data.empty() && data.size() < 200'000);
  trace::print("events:", str_list(proto->events));
}

Coro<> amain() {
  co_await eof_flushes("write_eof");
  co_await eof_flushes("close");
  co_await eof_when_empty();
  co_await abort_drops();
}

int main() {
  asyncio::run(amain());
}
