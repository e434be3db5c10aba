// The keyword arguments of create_connection, create_server and create_datagram_endpoint.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

namespace boost::asio::ssl {
class context;  // asyncio::ssl::SSLContext, from <asyncio/ssl.hpp>
}

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

using HostPort = std::pair<std::string, int>;

/// create_server's and start_server's `host`: absent (std::nullopt, `{}`) or "" listens on
/// every interface, a string on that host, a list on each of its hosts (Python's sequence of
/// hosts), each resolved address once. Hosts in a list are resolved as given: "" among them is
/// a resolution error, as in Python.
class Hosts {
 public:
  Hosts() = default;
  Hosts(std::nullopt_t) {}  // NOLINT(google-explicit-constructor): Python's host=None
  /// A null pointer is taken as None too, never read.
  Hosts(const char* host)  // NOLINT(google-explicit-constructor)
      : Hosts(host != nullptr ? Hosts(std::string(host)) : Hosts()) {}
  Hosts(std::string host) : given_(true) {  // NOLINT(google-explicit-constructor)
    if (!host.empty())
      list_.emplace_back(std::move(host));
    else
      list_.emplace_back(std::nullopt);
  }
  Hosts(std::optional<std::string> host)  // NOLINT(google-explicit-constructor)
      : Hosts(host ? Hosts(std::move(*host)) : Hosts()) {}
  Hosts(std::vector<std::string> hosts) : given_(true) {  // NOLINT(google-explicit-constructor)
    list_.assign(hosts.begin(), hosts.end());
  }
  Hosts(std::initializer_list<std::string> hosts) : Hosts(std::vector<std::string>(hosts)) {}

  /// Python's `host is not None`: false only for an absent host.
  bool given() const noexcept { return given_; }
  /// What getaddrinfo gets, one entry per host; std::nullopt means every interface.
  std::vector<std::optional<std::string>> to_resolve() const {
    if (!given_) return {std::nullopt};
    return list_;
  }

 private:
  bool given_ = false;
  std::vector<std::optional<std::string>> list_;
};

struct ConnectionOptions {
  int family = 0;                      // AF_UNSPEC: whatever getaddrinfo gives
  std::optional<HostPort> local_addr;  // bind before connecting
  int sock = -1;  // adopt this connected socket instead (the overload without host and port)
  std::size_t limit = 64 * 1024;  // open_connection's StreamReader limit
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
  /// 3.12: when every address fails, raise ExceptionGroup("create_connection failed", [each
  /// error]) instead of the one error (or OSError("Multiple exceptions: ...")).
  bool all_errors = false;
};

struct ServerOptions {
  int family = 0;
  int backlog = 100;
  std::optional<bool> reuse_address;  // unset: on, as asyncio does on Unix
  bool reuse_port = false;
  bool keep_alive =
      false;  // 3.13: SO_KEEPALIVE on the listening sockets (accepted ones inherit it)
  bool start_serving = true;
  /// 3.13, create_unix_server only: closing the server unlinks its socket file, unless
  /// another file has replaced it since the bind.
  bool cleanup_socket = true;
  int sock = -1;  // serve this bound socket instead (the overload without host and port)
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
ASYNCIO_CPP_API_END
