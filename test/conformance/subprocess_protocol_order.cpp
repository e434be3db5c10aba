// Mirrors CPython test_subprocess.SubprocessMixin.test_subprocess_protocol_events (3.12),
// test_events.SubprocessTestsMixin.test_subprocess_exec and base_subprocess's behaviour
// (BaseSubprocessTransport._try_finish / _call_connection_lost): a SubprocessProtocol gets
// connection_made first (before loop.subprocess_exec returns), pipe_data_received for the
// child's fds 1 and 2, pipe_connection_lost(fd, None) once for each of 0, 1 and 2,
// process_exited once, and connection_lost(None) last, after the exit and all the pipes.
// The order between the exit and the pipes' EOF is a race, so only invariants are printed.
// A child that exits at once still reports after connection_made (the transport queues
// its calls until then); without pipes the order is fixed.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

const std::string CHILD = R"(read line; printf "got:%s" "$line"; printf oops >&2; exit 5)";

struct Event {
  std::string name;
  int fd = -1;
  std::exception_ptr exc;
};

class Proto : public asyncio::SubprocessProtocol {
 public:
  std::vector<Event> events;
  std::map<int, std::string> out{{1, ""}, {2, ""}};
  std::shared_ptr<asyncio::SubprocessTransport> transport;
  std::string returncode_at_made = "unset";
  std::string returncode_at_exit = "unset";
  asyncio::Future<void> finished = asyncio::get_running_loop().create_future<void>();

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    events.push_back({"connection_made"});
    transport = std::dynamic_pointer_cast<asyncio::SubprocessTransport>(t);
    returncode_at_made = optional_int(transport->get_returncode());
    auto stdin_pipe =
        std::dynamic_pointer_cast<asyncio::WriteTransport>(transport->get_pipe_transport(0));
    if (stdin_pipe) {
      stdin_pipe->write("ping\n");
      stdin_pipe->close();
    }
  }
  void pipe_data_received(int fd, std::string_view data) override {
    events.push_back({"data", fd});
    out[fd] += data;
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override {
    events.push_back({"pipe_lost", fd, exc});
  }
  void process_exited() override {
    events.push_back({"exited"});
    returncode_at_exit = optional_int(transport->get_returncode());
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back({"connection_lost", -1, exc});
    finished.set_result();
  }
};

std::vector<int> index_of(const std::vector<Event>& events, const std::string& name, int fd = -2) {
  std::vector<int> found;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].name == name && (fd == -2 || events[i].fd == fd))
      found.push_back(static_cast<int>(i));
  }
  return found;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto [transport, proto] = co_await loop.subprocess_exec([] { return std::make_shared<Proto>(); },
                                                          "/bin/sh", args("-c", CHILD));
  trace::print("connection_made before subprocess_exec returned:",
               !proto->events.empty() && proto->events[0].name == "connection_made");
  trace::print("returncode at connection_made:", proto->returncode_at_made);
  trace::print("pid positive:", transport->get_pid() > 0);
  bool all_pipes = true;
  for (int fd : {0, 1, 2}) all_pipes = all_pipes && transport->get_pipe_transport(fd) != nullptr;
  trace::print("pipe transports for 0, 1, 2:", all_pipes);
  trace::print("get_pipe_transport(3):", transport->get_pipe_transport(3) ? "a transport" : "None");
  co_await proto->finished;

  const auto& events = proto->events;
  trace::print("first event:", events[0].name);
  trace::print("stdout:", proto->out[1], "stderr:", proto->out[2]);
  std::set<int> data_fds;
  std::vector<int> lost_fds;
  std::vector<std::string> lost_errors;
  for (const auto& e : events) {
    if (e.name == "data") data_fds.insert(e.fd);
    if (e.name == "pipe_lost") {
      lost_fds.push_back(e.fd);
      lost_errors.push_back(exception_name(e.exc));
    }
  }
  trace::print("data only from fds:", int_list({data_fds.begin(), data_fds.end()}));
  std::sort(lost_fds.begin(), lost_fds.end());
  trace::print("pipe_connection_lost fds:", int_list(lost_fds));
  trace::print("pipe_connection_lost errors:", raw_list(lost_errors));
  bool ordered = true;
  for (int fd : {1, 2}) {
    auto data = index_of(events, "data", fd);
    auto lost = index_of(events, "pipe_lost", fd);
    int last_data = data.empty() ? -1 : data.back();
    ordered = ordered && !lost.empty() && last_data < lost.front();
  }
  trace::print("no data after its pipe was lost:", ordered);
  trace::print("process_exited calls:", index_of(events, "exited").size());
  trace::print("returncode at process_exited:", proto->returncode_at_exit);
  trace::print("connection_lost calls:", index_of(events, "connection_lost").size());
  trace::print("connection_lost is last:", events.back().name == "connection_lost");
  trace::print("connection_lost exc:", exception_name(events.back().exc));
  trace::print("get_returncode:", optional_int(transport->get_returncode()));
  transport->close();
  trace::print("is_closing after close:", transport->is_closing());

  auto [quick, quick_proto] =
      co_await loop.subprocess_exec([] { return std::make_shared<Proto>(); }, "true", {},
                                    stdio(asyncio::DEVNULL, asyncio::DEVNULL, asyncio::DEVNULL));
  co_await quick_proto->finished;
  std::vector<std::string> names;
  for (const auto& e : quick_proto->events) names.push_back(e.name);
  trace::print("no pipes, immediate exit:", str_list(names));
  quick->close();
}

int main() {
  asyncio::run(amain());
}
