// Mirrors CPython base_events.create_server's bind loop as of 3.13 (bpo-30945, which
// test_events.EventLoopTestsMixin.test_create_server_multiple_hosts_ipv6 exercises on hosts
// without IPv6): an address this machine lacks (EADDRNOTAVAIL) is left out; when none is
// left the OSError lists them and has no errno; any other bind error names the address and
// quotes str(err) in lower case.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;

std::string errno_repr(const asyncio::OSError& e) {
  return e.has_errno() ? std::to_string(e.code().value()) : "None";
}

// str.replace(old, new), for the one port number in a message.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
  // 192.0.2.1 (TEST-NET-1) is no local address.
  std::vector<std::string> hosts{"127.0.0.1", "192.0.2.1"};  // named: GCC 12, braced lists
  auto server = co_await loop.create_server(factory, hosts, 0);
  trace::print("with an unavailable address:", server->addresses().at(0).host);
  server->close();
  co_await server->wait_closed();
  try {
    std::vector<std::string> unavailable{"192.0.2.1"};
    co_await loop.create_server(factory, unavailable, 0);
  } catch (const asyncio::OSError& e) {
    trace::print("none available:", "OSError", errno_repr(e), e.what());
  }

  auto taken = co_await loop.create_server(factory, "127.0.0.1", 0);
  int port = port_of(*taken);
  asyncio::ServerOptions options;
  options.reuse_address = false;
  try {
    co_await loop.create_server(factory, "127.0.0.1", port, options);
  } catch (const asyncio::OSError& e) {
    trace::print("address in use:", os_error_name(e.code().value()), errno_repr(e),
                 replace_all(e.what(), std::to_string(port), "PORT"));
  }
  taken->close();
  co_await taken->wait_closed();
}

int main() {
  asyncio::run(amain());
}
