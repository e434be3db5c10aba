// The keyword arguments of create_connection, create_server and create_datagram_endpoint.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace boost::asio::ssl {
class context;  // asyncio::ssl::SSLContext, from <asyncio/ssl.hpp>
}

namespace asyncio {

using HostPort = std::pair<std::string, int>;

struct ConnectionOptions {
  int family = 0;                      // AF_UNSPEC: whatever getaddrinfo gives
  std::optional<HostPort> local_addr;  // bind before connecting
  int sock = -1;                       // adopt this connected socket instead (host empty)
  std::size_t limit = 64 * 1024;       // open_connection's StreamReader limit
  /// RFC 8305: start the next address's attempt after this many seconds (0.25 is the
  /// recommended value); unset tries the addresses one after another.
  std::optional<double> happy_eyeballs_delay;
  /// How many addresses of the first family lead the interleaving; 1 when
  /// happy_eyeballs_delay is set and this is unset.
  std::optional<int> interleave;
  /// TLS: Python's ssl=True is ssl::create_default_context(). server_hostname defaults to
  /// the host; it is sent as SNI and, when the context verifies peers, checked against the
  /// certificate ("" skips both).
  std::shared_ptr<boost::asio::ssl::context> ssl;
  std::optional<std::string> server_hostname;
  std::optional<double> ssl_handshake_timeout;  // seconds; 60 when unset
  std::optional<double> ssl_shutdown_timeout;   // seconds; 30 when unset
};

struct ServerOptions {
  int family = 0;
  int backlog = 100;
  std::optional<bool> reuse_address;  // unset: on, as asyncio does on Unix
  bool reuse_port = false;
  bool start_serving = true;
  int sock = -1;                                   // serve this listening socket instead
  std::size_t limit = 64 * 1024;                   // start_server's StreamReader limit
  std::shared_ptr<boost::asio::ssl::context> ssl;  // TLS, server side, on every connection
  std::optional<double> ssl_handshake_timeout;
  std::optional<double> ssl_shutdown_timeout;
};

/// loop.start_tls's keyword arguments.
struct StartTLSOptions {
  bool server_side = false;
  std::optional<std::string> server_hostname;
  std::optional<double> ssl_handshake_timeout;
  std::optional<double> ssl_shutdown_timeout;
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
