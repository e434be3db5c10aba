// Mirrors CPython test_events.SubprocessTestsMixin.test_subprocess_close_client_stream and
// Popen's restore_signals: closing the read transport of a child's stdout while the child
// keeps writing makes its next write raise SIGPIPE, which kills it (SIGPIPE is back at its
// default action in the child): returncode -13. The protocol sees pipe_connection_lost(1)
// once, then process_exited, then connection_lost last.
#include <asyncio/asyncio.hpp>

#include <csignal>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::DEVNULL;
using namespace proc_trace;

class Proto : public asyncio::SubprocessProtocol {
 public:
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::vector<std::string> events;
  asyncio::Future<void> got_data = loop.create_future<void>();
  asyncio::Future<void> done = loop.create_future<void>();

  void pipe_data_received(int, std::string_view) override {
    if (!got_data.done()) got_data.set_result();
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override {
    events.push_back("pipe_connection_lost " + std::to_string(fd) + " " + exception_name(exc));
  }
  void process_exited() override { events.push_back("process_exited"); }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + exception_name(exc));
    done.set_result();
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  asyncio::SubprocessOptions options;
  options.stdin_ = DEVNULL;
  options.stderr_ = DEVNULL;
  auto [transport, proto] =
      co_await loop.subprocess_exec([] { return std::make_shared<Proto>(); }, "yes", {}, options);
  co_await proto->got_data;
  auto stdout_pipe = transport->get_pipe_transport(1);
  stdout_pipe->close();
  trace::print("stdout transport closing:", stdout_pipe->is_closing());
  co_await proto->done;
  trace::print("events:", str_list(proto->events));
  trace::print("returncode:", optional_int(transport->get_returncode()),
               "= -SIGPIPE:", transport->get_returncode() == -SIGPIPE);
  transport->close();
}

int main() {
  asyncio::run(amain());
}
