// The keyword arguments of create_connection, create_server and create_datagram_endpoint.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace asyncio {

using HostPort = std::pair<std::string, int>;

struct ConnectionOptions {
  int family = 0;                      // AF_UNSPEC: whatever getaddrinfo gives
  std::optional<HostPort> local_addr;  // bind before connecting
  int sock = -1;                       // adopt this connected socket instead (host empty)
  std::size_t limit = 64 * 1024;       // open_connection's StreamReader limit
  // RFC 8305: start the next address's attempt after this many seconds (0.25 is the
  // recommended value); unset tries the addresses one after another.
  std::optional<double> happy_eyeballs_delay;
  // How many addresses of the first family lead the interleaving; 1 when
  // happy_eyeballs_delay is set and this is unset.
  std::optional<int> interleave;
};

struct ServerOptions {
  int family = 0;
  int backlog = 100;
  std::optional<bool> reuse_address;  // unset: on, as asyncio does on Unix
  bool reuse_port = false;
  bool start_serving = true;
  int sock = -1;                  // serve this listening socket instead
  std::size_t limit = 64 * 1024;  // start_server's StreamReader limit
};

struct DatagramOptions {
  std::optional<HostPort> local_addr;
  std::optional<HostPort> remote_addr;
  int family = 0;
  bool reuse_port = false;
  bool allow_broadcast = false;
  int sock = -1;
};

}  // namespace asyncio
