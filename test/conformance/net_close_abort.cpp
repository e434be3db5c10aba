// Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_close,
// test_write_ready_closing, test_abort, test_force_close) and test_events.test_close_flushes.
// With 32 MiB buffered behind a peer that is not reading:
// - close() keeps writing; connection_lost(None) comes only once the buffer is flushed, and the
//   peer gets every byte, then EOF; a second close() is a no-op;
// - abort() drops the buffer and closes at once; connection_lost(None) comes in the next loop
//   iteration, not inline; the peer gets less than was written.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

constexpr std::size_t TOTAL = 32 * 1024 * 1024;

Coro<> scenario(bool abort) {
  trace::print(abort ? "-- abort()" : "-- close()");
  auto [server, transport, client, peer] = co_await connect_to_sink<QuietRecorder>();
  transport->write(std::string(TOTAL, 'x'));
  trace::print("data buffered:", transport->get_write_buffer_size() > 0);
  for (int i = 0; i < 2; ++i) {  // a no-op the second time
    if (abort)
      transport->abort();
    else
      transport->close();
  }
  trace::print("is_closing:", transport->is_closing(), "events:", str_list(client->events));
  co_await spin(5);
  trace::print("client events after five iterations:", str_list(client->events));
  peer->transport->resume_reading();
  co_await client->lost;
  co_await peer->lost;
  trace::print("client:", str_list(client->events));
  trace::print("server:", str_list(peer->events));
  trace::print("write buffer size at the end:", transport->get_write_buffer_size());
  trace::print("server got every byte:", peer->received == TOTAL);
  server->close();
  co_await server->wait_closed();
}

Coro<> amain() {
  co_await scenario(false);
  co_await scenario(true);
}

int main() {
  asyncio::run(amain());
}
