// Mirrors CPython test_unix_events.UnixWritePipeTransportTests (test_write_again,
// test__write_ready, test__write_ready_partial) and test_transports
// .TransportTests.test_flowcontrol_mixin_set_write_limits: the default limits are 64 KiB
// high and 16 KiB low; a write that leaves more than the high mark buffered calls
// pause_writing once; resume_writing comes once the buffer is flushed; limits default as
// asyncio's (low = high // 4, high = 4 * low); high < low is a ValueError; lowering the
// limits under a full buffer pauses at once.
#include <asyncio/asyncio.hpp>

#include <algorithm>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

constexpr std::size_t TOTAL = 300'000;

class WriteProto : public asyncio::BaseProtocol {
 public:
  std::shared_ptr<asyncio::WriteTransport> transport;
  std::vector<std::string> events;
  asyncio::Future<void> resumed = asyncio::get_running_loop().create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::WriteTransport>(t);
  }
  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override {
    events.push_back("resume_writing");
    trace::print("resume_writing with buffer", transport->get_write_buffer_size());
    if (!resumed.done()) resumed.set_result();
  }
};

std::string limits(const asyncio::WriteTransport& t) {
  auto [low, high] = t.get_write_buffer_limits();
  return "(" + std::to_string(low) + ", " + std::to_string(high) + ")";
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto [r, w] = make_pipe();
  set_nonblocking(r);
  auto [transport, proto] =
      co_await loop.connect_write_pipe([] { return std::make_shared<WriteProto>(); }, w);
  trace::print("default limits (low, high):", limits(*transport));

  transport->write(std::string(1000, 'a'));
  trace::print("small write: buffer", transport->get_write_buffer_size(), "events",
               str_list(proto->events));
  transport->write(std::string(TOTAL - 1000, 'b'));
  trace::print("big write: events", str_list(proto->events));
  trace::print("buffer over the high mark:", transport->get_write_buffer_size() > 65536);
  transport->write(std::string(10, 'c'));  // already paused: no second pause_writing
  trace::print("another write: events", str_list(proto->events));

  auto reader = asyncio::create_task(read_with_loop(r, TOTAL + 10));
  co_await proto->resumed;
  trace::print("events:", str_list(proto->events));
  trace::print("bytes read:", (co_await reader).size());

  transport->set_write_buffer_limits(100);
  trace::print("high=100:", limits(*transport));
  transport->set_write_buffer_limits(std::nullopt, 1000);
  trace::print("low=1000:", limits(*transport));
  transport->set_write_buffer_limits(20, 20);
  trace::print("high=20 low=20:", limits(*transport));
  try {
    transport->set_write_buffer_limits(10, 20);
  } catch (const std::invalid_argument&) {
    trace::print("high=10 low=20: ValueError");
  }
  trace::print("limits unchanged:", limits(*transport));
  transport->set_write_buffer_limits();
  trace::print("defaults again:", limits(*transport));

  transport->write(
      std::string(100'000, 'd'));  // fills the pipe (nothing reads now), buffers the rest
  trace::print("buffered, under 64 KiB, not paused:",
               std::count(proto->events.begin(), proto->events.end(), "pause_writing") == 1);
  transport->set_write_buffer_limits(1000);
  trace::print("lowering the high mark pauses:", proto->events.back());
  transport->abort();
  ::close(r);
}

int main() {
  asyncio::run(amain());
}
