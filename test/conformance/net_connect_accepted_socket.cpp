// Mirrors CPython test_events.EventLoopTestsMixin.test_connect_accepted_socket (on a
// socketpair, as test_unix_events does): the transport adopts the connected socket; the
// protocol sees connection_made, data_received, eof_received, connection_lost(None); writes
// reach the peer; the transport closes the socket.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::bytes_repr;
using proc_trace::str_list;

class Proto : public Recorder {
 public:
  asyncio::Future<void> chunk = asyncio::get_running_loop().create_future<void>();

  void data_received(std::string_view data) override {
    Recorder::data_received(data);
    chunk.set_result();
  }
};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int fds[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
  int a = fds[0], b = fds[1];
  auto [transport, proto] =
      co_await loop.connect_accepted_socket([] { return std::make_shared<Proto>(); }, a);
  trace::print("events when it returns:", str_list(proto->events));
  std::any sock = transport->get_extra_info("socket");
  trace::print("socket is the fd:", std::any_cast<int>(sock) == a);
  trace::print("sockname:", addr_repr(addr_info(*transport, "sockname")));
  transport->write("to the peer");
  char buf[100];
  ssize_t n = ::recv(b, buf, sizeof buf, 0);
  trace::print("peer got:", bytes_repr(std::string_view(buf, n > 0 ? n : 0)));
  ::send(b, "from the peer", 13, 0);
  co_await proto->chunk;
  ::shutdown(b, SHUT_WR);
  co_await proto->lost;
  trace::print("events:", str_list(proto->events));
  trace::print(proc_trace::fd_is_open(a) ? "fd still open" : "fd closed by the transport");
  ::close(b);
}

int main() {
  asyncio::run(amain());
}
