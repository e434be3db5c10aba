// Mirrors CPython test_base_events.BaseEventLoopWithSelectorTests.test_create_server_empty_host
// and socket.getaddrinfo(''): an empty host is a name to resolve, which fails with
// socket.gaierror in getaddrinfo, create_connection and open_connection; create_server and
// start_server take '' as None, every interface. A host of None connects over the loopback.
#include <asyncio/asyncio.hpp>

#include <algorithm>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;

std::vector<std::string> hosts_of(const asyncio::Server& server) {
  std::vector<std::string> hosts;
  for (const auto& addr : server.addresses()) hosts.push_back(addr.host);
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

Coro<void> serve(std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter> writer) {
  writer->close();
  co_return;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
  try {
    co_await loop.getaddrinfo("", "80");
  } catch (const asyncio::gaierror& e) {
    trace::print("getaddrinfo(''):", "gaierror", e.what());
  }
  try {
    co_await loop.create_connection(factory, "", 80);
  } catch (const asyncio::gaierror& e) {
    trace::print("create_connection(''):", "gaierror", e.what());
  }
  try {
    co_await asyncio::open_connection("", 80);
  } catch (const asyncio::gaierror& e) {
    trace::print("open_connection(''):", "gaierror", e.what());
  }

  auto empty = co_await loop.create_server(factory, "", 0);
  auto absent = co_await loop.create_server(factory, std::nullopt, 0);
  trace::print("create_server(''):", joined(hosts_of(*empty)));
  trace::print("same as None:", hosts_of(*empty) == hosts_of(*absent));
  auto streams = co_await asyncio::start_server(serve, "", 0);
  trace::print("start_server(''):", joined(hosts_of(*streams)));
  std::vector<std::shared_ptr<asyncio::Server>> servers{empty, absent, streams};
  for (auto& server : servers) {
    server->close();
    co_await server->wait_closed();
  }

  auto server = co_await loop.create_server(factory, "127.0.0.1", 0);
  auto [transport, protocol] =
      co_await loop.create_connection(factory, std::nullopt, port_of(*server));
  trace::print("create_connection(None, port) peer:", addr_info(*transport, "peername")->host);
  transport->close();
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
