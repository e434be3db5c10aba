// Mirrors CPython test_sock_lowlevel.BaseSockTestsMixin.test_recvfrom, test_recvfrom_into and
// test_sendto_blocking (3.11's datagram methods): sock_sendto returns the bytes sent,
// sock_recvfrom gives (data, sender), sock_recvfrom_into fills the buffer up to nbytes (0:
// all of it) and refuses an nbytes past its end; a cancelled sock_recvfrom leaves no reader.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "sock_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace sock_trace;
using net_trace::upper;
using proc_trace::bytes_repr;

int udp_socket() {
  int sock = make_socket(SOCK_DGRAM);
  bind_local(sock);
  return sock;
}

Coro<> echo(asyncio::EventLoop& loop, int sock, int count) {
  for (int i = 0; i < count; ++i) {
    auto [data, sender] = co_await loop.sock_recvfrom(sock, 65536);
    co_await loop.sock_sendto(sock, upper(data), sender);
  }
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int server = udp_socket();
  int client = udp_socket();
  asyncio::SockAddr server_address = getsockname(server);
  auto echoing = asyncio::create_task(echo(loop, server, 2));

  trace::print("sock_sendto returned:", co_await loop.sock_sendto(client, "ping", server_address));
  auto [data, sender] = co_await loop.sock_recvfrom(client, 4096);
  trace::print("sock_recvfrom:", bytes_repr(data), "from the server:", sender == server_address);

  co_await loop.sock_sendto(client, "pong pong", server_address);
  std::string buf(16, '\0');
  auto [nbytes, from] = co_await loop.sock_recvfrom_into(client, std::span(buf), 4);
  trace::print("sock_recvfrom_into, nbytes 4:", nbytes, bytes_repr(buf.substr(0, nbytes)),
               from == server_address);
  trace::print("the rest untouched:", buf.substr(nbytes) == std::string(12, '\0'));
  co_await echoing;

  try {
    co_await loop.sock_recvfrom_into(client, std::span(buf), 17);
  } catch (const std::invalid_argument& exc) {
    trace::print("nbytes past the buffer:", exc.what());
  }

  co_await loop.sock_sendto(server, "whole", getsockname(client));
  std::string small(8, '\0');
  auto [whole, whole_from] = co_await loop.sock_recvfrom_into(client, std::span(small));
  trace::print("sock_recvfrom_into, nbytes 0:", whole, bytes_repr(small.substr(0, whole)));

  if (co_await cancel_once_waiting(loop.sock_recvfrom(client, 16)))
    trace::print("sock_recvfrom cancelled");
  trace::print("its reader left behind:", loop.remove_reader(client));
  ::close(server);
  ::close(client);
}

int main() {
  asyncio::run(amain());
}
