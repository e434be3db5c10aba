// Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_write_eof,
// test_write_eof_buffer, test_write_after_write_eof...) and test_events.test_create_connection:
// a TCP transport can_write_eof; write_eof sends what is buffered first, then EOF; the
// transport stays open for reading (the peer can still reply); a second write_eof is a
// no-op.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

constexpr std::size_t TOTAL = 32 * 1024 * 1024;

class ReplyingSink : public PausedSink {
 public:
  bool eof_received() override {
    events.push_back("eof_received after " + std::to_string(received) + " bytes");
    transport->write("reply after eof");
    return false;
  }
};

Coro<> amain() {
  auto [server, transport, client, peer] = co_await connect_to_sink<QuietRecorder, ReplyingSink>();
  trace::print("can_write_eof:", transport->can_write_eof());
  transport->write(std::string(TOTAL, 'x'));
  trace::print("data buffered (the peer does not read):", transport->get_write_buffer_size() > 0);
  transport->write_eof();
  transport->write_eof();  // a no-op
  trace::print("after write_eof: is_closing", transport->is_closing());
  peer->transport->resume_reading();
  co_await client->lost;
  trace::print("server:", str_list(peer->events));
  trace::print("client:", str_list(client->events));
  trace::print("write buffer size at the end:", transport->get_write_buffer_size());
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
