// Mirrors CPython test_base_events.BaseEventLoopTests.test_getaddrinfo / test_ipaddr_info*
// (numeric hosts, so no DNS): loop.getaddrinfo gives (family, type, proto, canonname,
// sockaddr) entries as getaddrinfo(3) does; with a type there is one entry per address;
// without, one per socket type; a bad service name raises socket.gaierror (EAI_SERVICE).
#include <asyncio/asyncio.hpp>

#include <netdb.h>
#include <sys/socket.h>
#include <algorithm>
#include <exception>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::repr;

std::string family_name(int family) {
  switch (family) {
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    default:
      return std::to_string(family);
  }
}

std::string type_name(int type) {
  switch (type) {
    case SOCK_STREAM:
      return "SOCK_STREAM";
    case SOCK_DGRAM:
      return "SOCK_DGRAM";
    case SOCK_RAW:
      return "SOCK_RAW";
    default:
      return std::to_string(type);
  }
}

// a[:2]: the host and port of the address, whatever its family's tuple holds after them.
std::string host_port(const asyncio::SockAddr& addr) {
  return "(" + repr(addr.host) + ", " + std::to_string(addr.port) + ")";
}

std::string show(const std::vector<asyncio::AddrInfo>& infos) {
  std::vector<std::string> items;
  for (const auto& info : infos)
    items.push_back("(" + repr(family_name(info.family)) + ", " + repr(type_name(info.type)) +
                    ", " + std::to_string(info.proto) + ", \"" + repr(info.canonname) + "\", " +
                    host_port(info.addr) + ")");
  return proc_trace::raw_list(items);
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto infos = co_await loop.getaddrinfo("127.0.0.1", "8080", 0, SOCK_STREAM);
  trace::print("127.0.0.1 stream:", show(infos));
  infos = co_await loop.getaddrinfo("127.0.0.1", "53", 0, SOCK_DGRAM);
  trace::print("127.0.0.1 dgram:", show(infos));
  infos = co_await loop.getaddrinfo("::1", "8080", AF_INET6, SOCK_STREAM);
  trace::print("::1 stream:", show(infos));
  infos = co_await loop.getaddrinfo("127.0.0.1", "9");
  std::vector<std::string> types;
  for (const auto& info : infos) types.push_back(type_name(info.type));
  std::sort(types.begin(), types.end());
  trace::print("any type:", proc_trace::str_list(types));
  try {
    co_await loop.getaddrinfo("127.0.0.1", "no-such-service", 0, SOCK_STREAM);
  } catch (const asyncio::gaierror& e) {
    const asyncio::OSError* os_error = &e;  // isinstance(e, OSError)
    trace::print("bad service:", os_error != nullptr, e.code().value() == EAI_SERVICE);
  }
}

int main() {
  asyncio::run(amain());
}
