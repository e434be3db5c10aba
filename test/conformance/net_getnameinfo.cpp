// Mirrors CPython test_base_events.BaseEventLoopTests.test_getnameinfo (run in the default
// executor): loop.getnameinfo gives (host, service) as getnameinfo(3) does, numeric with
// NI_NUMERICHOST | NI_NUMERICSERV, the service's name from /etc/services without it.
#include <asyncio/asyncio.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::SockAddr;
using tls_trace::tuple2;

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int flags = NI_NUMERICHOST | NI_NUMERICSERV;
  // Addresses are named first: GCC 12 mishandles aggregate temporaries inside co_await.
  SockAddr v4{AF_INET, "127.0.0.1", 8080};
  SockAddr v6{AF_INET6, "::1", 443};
  SockAddr ssh{AF_INET, "127.0.0.1", 22};
  SockAddr dns{AF_INET, "127.0.0.1", 53};
  auto [h1, s1] = co_await loop.getnameinfo(v4, flags);
  trace::print("numeric v4:", tuple2(h1, s1));
  auto [h2, s2] = co_await loop.getnameinfo(v6, flags);
  trace::print("numeric v6:", tuple2(h2, s2));
  auto [h3, s3] = co_await loop.getnameinfo(ssh, NI_NUMERICHOST);
  trace::print("service by name:", h3, s3);
  auto [h4, s4] = co_await loop.getnameinfo(dns, flags | NI_DGRAM);
  trace::print("udp service:", tuple2(h4, s4));
}

int main() {
  asyncio::run(amain());
}
