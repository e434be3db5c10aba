// Mirrors CPython base_subprocess.BaseSubprocessTransport.send_signal/_check_proc with
// Popen.send_signal (test_subprocess.SubprocessMixin.test_kill_issue43884, test_events
// .SubprocessTestsMixin.test_subprocess_close_after_finish): once the child has exited,
// signalling it through the transport is silently skipped while the transport is still
// finishing. The .py says why the callbacks themselves no longer signal.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <functional>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::DEVNULL;
using namespace proc_trace;

void try_signal(const std::string& where, asyncio::SubprocessTransport& transport) {
  std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"kill", [&] { transport.kill(); }},
      {"terminate", [&] { transport.terminate(); }},
      {"send_signal(0)", [&] { transport.send_signal(0); }}};
  for (auto& [name, call] : calls) {
    try {
      call();
      trace::print(where, name, "no error");
    } catch (const asyncio::OSError& e) {
      trace::print(where, name, trace::type_name(e));
    }
  }
}

class Proto : public asyncio::SubprocessProtocol {
 public:
  std::shared_ptr<asyncio::SubprocessTransport> transport;
  asyncio::Future<void> done = asyncio::get_running_loop().create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::SubprocessTransport>(t);
  }
  void process_exited() override {
    trace::print("process_exited: returncode", optional_int(transport->get_returncode()));
  }
  void connection_lost(std::exception_ptr) override {
    trace::print("connection_lost: returncode", optional_int(transport->get_returncode()));
    done.set_result();
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto [transport, proto] =
      co_await loop.subprocess_exec([] { return std::make_shared<Proto>(); }, "sleep", args("100"),
                                    stdio(DEVNULL, DEVNULL, DEVNULL));
  transport->send_signal(0);
  trace::print("send_signal(0) while running: no error; returncode",
               optional_int(transport->get_returncode()));
  transport->send_signal(SIGTERM);
  co_await proto->done;
  co_await asyncio::sleep(0);
  try_signal("after connection_lost:", *transport);
  transport->close();
}

int main() {
  asyncio::run(amain());
}
