// Mirrors CPython base_subprocess.WriteSubprocessPipeProto.pause_writing / resume_writing and
// test_subprocess.SubprocessMixin.test_pause_reading: the stdin pipe's flow control reaches
// the SubprocessProtocol (pause_writing at once when a write leaves more than 64 KiB
// buffered, resume_writing once the child has taken it all); pausing the stdout pipe
// transport stops pipe_data_received until it resumes; nothing is lost.
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

constexpr std::size_t TOTAL = 300'000;

class Proto : public asyncio::SubprocessProtocol {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::vector<std::string> events;
  std::size_t received = 0;
  asyncio::Future<void> resumed = loop.create_future<void>();
  asyncio::Future<void> some_data = loop.create_future<void>();
  asyncio::Future<std::exception_ptr> done = loop.create_future<std::exception_ptr>();

  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override {
    events.push_back("resume_writing");
    resumed.set_result();
  }
  void pipe_data_received(int, std::string_view data) override {
    received += data.size();
    if (!some_data.done()) some_data.set_result();
  }
  void connection_lost(std::exception_ptr exc) override { done.set_result(exc); }
};

std::string limits(const asyncio::WriteTransport& t) {
  auto [low, high] = t.get_write_buffer_limits();
  return "(" + std::to_string(low) + ", " + std::to_string(high) + ")";
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  asyncio::SubprocessOptions options;
  options.stderr_ = asyncio::INHERIT;
  auto [transport, proto] =
      co_await loop.subprocess_exec([] { return std::make_shared<Proto>(); }, "cat", {}, options);
  auto stdin_pipe =
      std::dynamic_pointer_cast<asyncio::WriteTransport>(transport->get_pipe_transport(0));
  auto stdout_pipe =
      std::dynamic_pointer_cast<asyncio::ReadTransport>(transport->get_pipe_transport(1));
  trace::print("stdin limits:", limits(*stdin_pipe));
  stdin_pipe->write(std::string(TOTAL, 's'));
  trace::print("right after the write:", str_list(proto->events));
  co_await proto->some_data;
  stdout_pipe->pause_reading();
  trace::print("stdout paused");
  co_await asyncio::sleep(0);  // lets data read before the pause reach the protocol
  co_await asyncio::sleep(0);
  std::size_t before = proto->received;
  for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
  trace::print("nothing received while paused:", proto->received == before);
  stdout_pipe->resume_reading();
  co_await proto->resumed;
  trace::print("after resume_writing:", str_list(proto->events), "buffer",
               stdin_pipe->get_write_buffer_size());
  stdin_pipe->close();
  std::exception_ptr exc = co_await proto->done;
  trace::print("cat echoed", proto->received, "bytes; connection_lost", exception_name(exc),
               "returncode", optional_int(transport->get_returncode()));
  transport->close();
}

int main() {
  asyncio::run(amain());
}
