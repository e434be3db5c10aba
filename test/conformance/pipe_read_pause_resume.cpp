// Mirrors CPython test_unix_events.UnixReadPipeTransportTests (test_pause_reading,
// test_resume_reading, test_pause_reading_on_closed_pipe, test_pause_reading_on_paused_pipe,
// test_resume_reading_on_closed_pipe, test_resume_reading_on_paused_pipe): while paused
// the transport delivers nothing, even EOF; resume_reading delivers what waited; pausing
// twice or resuming while not paused is a no-op; both are no-ops once closed. The pipe
// transport's is_reading() is gh-103607's, in CPython 3.12.0 and, backported, 3.11.4; the pair
// follows 3.11.4 and later, since 3.11.2 (Debian 12's python3) lacks it.
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

class ReadProto : public RecordsEnd<asyncio::Protocol> {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Future<void> chunk = loop.create_future<void>();

  void data_received(std::string_view data) override {
    events.push_back("data " + std::string(data));
    if (!chunk.done()) chunk.set_result();
  }
  Coro<> wait_chunk() {
    co_await chunk;
    chunk = loop.create_future<void>();
  }
};

auto make_proto() {
  return std::make_shared<ReadProto>();
}

Coro<> iterations(int n) {
  for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto [r, w] = make_pipe();
  auto [transport, proto] = co_await loop.connect_read_pipe(make_proto, r);
  write_all(w, "one");
  co_await proto->wait_chunk();
  trace::print("is_reading:", transport->is_reading(), "events:", str_list(proto->events));

  transport->pause_reading();
  transport->pause_reading();  // already paused: no-op
  trace::print("paused: is_reading:", transport->is_reading());
  write_all(w, "two");
  ::close(w);  // EOF waits too
  co_await iterations(5);
  trace::print("while paused, events:", str_list(proto->events));

  transport->resume_reading();
  trace::print("resumed: is_reading:", transport->is_reading());
  transport->resume_reading();  // not paused: no-op
  co_await proto->lost;
  trace::print("events:", str_list(proto->events));

  trace::print("closed: is_reading:", transport->is_reading(),
               "is_closing:", transport->is_closing());
  transport->pause_reading();  // no-ops on a closed transport
  transport->resume_reading();
  trace::print("still closed: is_reading:", transport->is_reading());

  auto [r2, w2] = make_pipe();
  auto [transport2, proto2] = co_await loop.connect_read_pipe(make_proto, r2);
  transport2->pause_reading();
  transport2->close();  // closing a paused transport still loses the connection
  co_await proto2->lost;
  trace::print("paused then closed, events:", str_list(proto2->events));
  ::close(w2);
}

int main() {
  asyncio::run(amain());
}
