// sslproto: TLS as a protocol between a socket transport and the application's protocol.
#pragma once

#include <asyncio/futures.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/transports.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace boost::asio::ssl {
class context;
}

namespace asyncio::detail {

// The TLS keyword arguments of create_connection, create_server and start_tls, checked.
struct SSLSettings {
  std::shared_ptr<boost::asio::ssl::context> context;
  bool server_side = false;
  std::string server_hostname;      // empty: no SNI and no hostname check
  double handshake_timeout = 60.0;  // constants.SSL_HANDSHAKE_TIMEOUT
  double shutdown_timeout = 30.0;   // constants.SSL_SHUTDOWN_TIMEOUT
};

// std::invalid_argument unless the timeouts given are positive (asyncio's ValueErrors).
SSLSettings ssl_settings(std::shared_ptr<boost::asio::ssl::context> context, bool server_side,
                         std::string server_hostname, std::optional<double> handshake_timeout,
                         std::optional<double> shutdown_timeout);

// A transport that start_tls can wrap; force_close is selector_events' _force_close.
class StartTLSCompatible {
 public:
  virtual void force_close(std::exception_ptr exc) = 0;

 protected:
  ~StartTLSCompatible() = default;
};

// sslproto.SSLProtocol and its _SSLProtocolTransport: `first` goes on the socket transport,
// the application talks to `second`. The waiter is woken once the handshake is over.
std::pair<std::shared_ptr<Protocol>, std::shared_ptr<Transport>> make_ssl_protocol(
    EventLoop& loop, std::shared_ptr<BaseProtocol> app_protocol, SSLSettings settings,
    std::optional<Future<void>> waiter, bool call_connection_made);

}  // namespace asyncio::detail
