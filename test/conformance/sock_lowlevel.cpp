// Mirrors CPython test_sock_lowlevel.BaseSockTestsMixin: test_sock_client_ops (sock_connect,
// sock_sendall, sock_recv, sock_recv_into), test_sock_accept, test_sock_client_racing (a
// cancelled sock_recv leaves no reader), test_cancel_sock_accept and test_sock_client_fail.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "sock_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace sock_trace;
using proc_trace::bytes_repr;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int listener = make_socket();
  bind_local(listener);
  ::listen(listener, 1);
  asyncio::SockAddr address = getsockname(listener);
  int client = make_socket();
  auto accepting = asyncio::create_task(loop.sock_accept(listener));
  co_await loop.sock_connect(client, address);
  auto [conn, peer] = co_await accepting;
  trace::print("accepted socket is non-blocking:", is_nonblocking(conn));
  trace::print("peer is the client's sockname:", peer == getsockname(client));

  co_await loop.sock_sendall(client, "GET / HTTP/1.0\r\n\r\n");
  trace::print("server got:", bytes_repr(co_await loop.sock_recv(conn, 1024)));
  co_await loop.sock_sendall(conn, "HTTP/1.0 200 OK\r\n\r\n");
  ::close(conn);
  std::string buf(1024, '\0');
  std::size_t n = co_await loop.sock_recv_into(client, std::span(buf));
  trace::print("client got:", bytes_repr(buf.substr(0, n)));
  trace::print("then EOF:", bytes_repr(co_await loop.sock_recv(client, 1024)));
  ::close(client);

  auto [a, b] = socketpair();
  if (co_await cancel_once_waiting(loop.sock_recv(a, 16))) trace::print("sock_recv cancelled");
  trace::print("its reader left behind:", loop.remove_reader(a));
  co_await loop.sock_sendall(b, "after");
  trace::print("next sock_recv:", bytes_repr(co_await loop.sock_recv(a, 16)));
  ::close(a);
  ::close(b);

  try {
    co_await asyncio::wait_for(loop.sock_accept(listener), 0.01);
  } catch (const asyncio::TimeoutError&) {
    trace::print("sock_accept timed out");
  }
  trace::print("its reader left behind:", loop.remove_reader(listener));
  ::close(listener);
  int refused = make_socket();
  try {
    co_await loop.sock_connect(refused, address);
  } catch (const asyncio::OSError&) {
    trace::print("sock_connect to a closed port:", net_trace::exc_str(std::current_exception()));
  }
  ::close(refused);
}

int main() {
  asyncio::run(amain());
}
