// Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_write_ready,
// test_set_write_buffer_limits...) and test_events.EventLoopTestsMixin.test_write_to_self_pipe
// flow control over TCP: set_write_buffer_limits(high, low) sets the marks; a write that
// leaves more than `high` buffered calls pause_writing once; when the paused reader resumes
// and the buffer drains to `low` or less, resume_writing is called once.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

constexpr std::size_t TOTAL = 32 * 1024 * 1024;

class ClientProto : public asyncio::Protocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<void> resumed = asyncio::get_running_loop().create_future<void>();
  std::shared_ptr<asyncio::Transport> transport;

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override {
    events.push_back("resume_writing");
    trace::print("buffer at resume_writing is at most low:",
                 transport->get_write_buffer_size() <= 1000);
    resumed.set_result();
  }
};

std::string limits(const asyncio::WriteTransport& t) {
  auto [low, high] = t.get_write_buffer_limits();
  return "(" + std::to_string(low) + ", " + std::to_string(high) + ")";
}

Coro<> amain() {
  auto [server, transport, client, peer] = co_await connect_to_sink<ClientProto>();
  trace::print("default limits:", limits(*transport));
  transport->set_write_buffer_limits(4000, 1000);
  trace::print("limits:", limits(*transport));
  transport->write(std::string(100, 'x'));
  trace::print("small write: events", str_list(client->events));
  transport->write(std::string(TOTAL, 'y'));
  trace::print("big write: events", str_list(client->events));
  transport->write(std::string(100, 'z'));
  trace::print("another write: events", str_list(client->events));
  trace::print("buffer over high:", transport->get_write_buffer_size() > 4000);
  peer->transport->resume_reading();
  co_await client->resumed;
  trace::print("events:", str_list(client->events));
  transport->close();
  co_await peer->lost;
  trace::print("server received everything:", peer->received == TOTAL + 200);
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
