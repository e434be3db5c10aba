// Mirrors CPython test_events.EventLoopTestsMixin.test_create_server_multiple_hosts_ipv4 (and
// _ipv6's duplicate host): create_server over a list of hosts makes one listening socket per
// distinct address, all in one Server, and each accepts connections.
#include <asyncio/asyncio.hpp>

#include <algorithm>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;

std::vector<asyncio::SockAddr> sorted_addresses(const asyncio::Server& server) {
  auto addrs = server.addresses();
  std::sort(addrs.begin(), addrs.end(), [](auto& a, auto& b) { return a.host < b.host; });
  return addrs;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
  // Named: GCC 12 cannot take a braced list inside co_await.
  std::vector<std::string> hosts{"127.0.0.1", "127.0.0.2", "127.0.0.1"};
  auto server = co_await loop.create_server(factory, hosts, 0);
  trace::print("sockets:", static_cast<int>(server->sockets().size()));
  auto addrs = sorted_addresses(*server);
  trace::print("hosts:", addrs.at(0).host, addrs.at(1).host);
  for (const asyncio::SockAddr& addr : addrs) {
    auto [reader, writer] = co_await asyncio::open_connection(addr.host, addr.port);
    trace::print("connected to", addr.host);
    writer->close();
    co_await writer->wait_closed();
  }
  server->close();
  co_await server->wait_closed();
  trace::print("after close:", static_cast<int>(server->sockets().size()));
}

int main() {
  asyncio::run(amain());
}
