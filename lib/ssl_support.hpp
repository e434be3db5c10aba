// OpenSSL results in Python's shapes: SSLError from the error queue, getpeercert(), cipher().
#pragma once

#include <asyncio/ssl.hpp>

#include <openssl/ssl.h>

#include <exception>
#include <optional>
#include <string>
#include <tuple>

namespace asyncio::detail {

// The exception Python's _ssl raises for `ssl_error` (an SSL_get_error() value); it drains
// the thread's OpenSSL error queue.
std::exception_ptr ssl_failure(SSL* ssl, int ssl_error, const std::string& server_hostname);

// SSLObject.getpeercert(); nullopt when the peer sent no certificate.
std::optional<ssl::PeerCert> peer_cert(SSL* ssl);

// SSLObject.cipher(): (name, protocol, secret bits).
std::tuple<std::string, std::string, int> cipher(SSL* ssl);

}  // namespace asyncio::detail
