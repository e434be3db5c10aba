// Mirrors CPython test_unix_events.UnixReadPipeTransportTests (test_ctor, test__read_ready,
// test__read_ready_eof, test_close, test__call_connection_lost) and
// test_events.EventLoopTestsMixin.test_read_pipe: connect_read_pipe on a pipe calls
// connection_made before it returns, then data_received per chunk, eof_received at EOF and
// connection_lost(None) last; the transport owns (closes) the fd; closing the transport
// ourselves skips eof_received, and closing it inside data_received stops the reading at
// once; a regular file is refused with ValueError.
#include <asyncio/asyncio.hpp>

#include <cstdio>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

class ReadProto : public RecordsEnd<asyncio::Protocol> {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Future<std::string> chunk = loop.create_future<std::string>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  void data_received(std::string_view data) override {
    events.push_back("data_received " + std::string(data));
    if (!chunk.done()) chunk.set_result(std::string(data));
  }
  Coro<std::string> next_chunk() {
    std::string data = co_await chunk;
    chunk = loop.create_future<std::string>();
    co_return data;
  }
};

auto make_proto() {
  return std::make_shared<ReadProto>();
}

Coro<> peer_writes_then_closes() {
  auto [r, w] = make_pipe();
  auto [transport, proto] = co_await asyncio::get_running_loop().connect_read_pipe(make_proto, r);
  trace::print("returned after connection_made:",
               proto->events == std::vector<std::string>{"connection_made"});
  trace::print("is_closing:", transport->is_closing());
  trace::print("fileno is the pipe:", transport->fileno() == r);
  trace::print("get_protocol is the protocol:", transport->get_protocol() == proto);
  for (std::string word : {"hello", "world"}) {
    write_all(w, word);
    trace::print("chunk:", co_await proto->next_chunk());
  }
  ::close(w);
  co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print("is_closing:", transport->is_closing());
  trace::print("read end closed by the transport:", !fd_is_open(r));
}

Coro<> we_close() {
  auto [r, w] = make_pipe();
  auto [transport, proto] = co_await asyncio::get_running_loop().connect_read_pipe(make_proto, r);
  transport->close();
  trace::print("after close(): is_closing:", transport->is_closing(),
               "events:", str_list(proto->events));
  transport->close();  // a second close is a no-op
  co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print("read end closed by the transport:", !fd_is_open(r));
  ::close(w);
}

class ClosesOnData : public ReadProto {
 public:
  explicit ClosesOnData(int w) : w(w) {}
  int w;
  std::shared_ptr<asyncio::BaseTransport> transport;

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    ReadProto::connection_made(t);
    transport = t;
  }
  void data_received(std::string_view data) override {
    ReadProto::data_received(data);
    transport->close();
    write_all(w, "more");  // readable again, but the transport no longer reads
  }
};

Coro<> close_in_data_received() {
  auto [r, w] = make_pipe();
  write_all(w, "first");
  int writer = w;
  auto [transport, proto] = co_await asyncio::get_running_loop().connect_read_pipe(
      [writer] { return std::make_shared<ClosesOnData>(writer); }, r);
  co_await proto->lost;
  trace::print("closed in data_received:", str_list(proto->events));
  ::close(w);
}

Coro<> regular_file() {
  std::FILE* f = std::tmpfile();
  try {
    co_await asyncio::get_running_loop().connect_read_pipe(make_proto, ::fileno(f));
  } catch (const std::invalid_argument&) {
    trace::print("regular file: ValueError");
  }
  std::fclose(f);
}

Coro<> amain() {
  co_await peer_writes_then_closes();
  co_await we_close();
  co_await close_in_data_received();
  co_await regular_file();
}

int main() {
  asyncio::run(amain());
}
