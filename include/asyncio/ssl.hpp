// The part of Python's ssl module that asyncio code touches: contexts, certificates, errors.
// Contexts are boost::asio::ssl::context (OpenSSL); pass them as the `ssl` option.
#pragma once

#include <asyncio/detail/asio_version.hpp>
#include <asyncio/exceptions.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::ssl {

using SSLContext = boost::asio::ssl::context;

enum class Purpose {
  SERVER_AUTH,  // a client's context: it authenticates servers
  CLIENT_AUTH,  // a server's context
};

/// ssl.create_default_context(): TLS 1.2 or newer. For SERVER_AUTH the peer must present a
/// certificate that chains to `cafile` (the system's CAs when empty) and, when the connection
/// names a server_hostname, matches it (check_hostname).
std::shared_ptr<SSLContext> create_default_context(Purpose purpose = Purpose::SERVER_AUTH,
                                                   const std::string& cafile = {});

/// The category of SSLError codes: SSL_get_error() values, as Python's SSLError.errno.
const std::error_category& ssl_category() noexcept;

/// ssl.SSLError (an OSError): `library` and `reason` as Python names them ("SSL",
/// "WRONG_VERSION_NUMBER"); what() reads "[SSL: WRONG_VERSION_NUMBER] wrong version number".
class SSLError : public OSError {
 public:
  SSLError(int code, std::string library, std::string reason, const std::string& message);
  std::string library;
  std::string reason;
};

/// ssl.SSLZeroReturnError: the peer closed TLS cleanly where data was expected.
class SSLZeroReturnError : public SSLError {
 public:
  SSLZeroReturnError();
};

/// ssl.SSLEOFError: the connection ended in violation of the protocol (errno 8).
class SSLEOFError : public SSLError {
 public:
  SSLEOFError();
};

/// ssl.SSLCertVerificationError (ssl.CertificateError): the peer's certificate was refused.
class SSLCertVerificationError : public SSLError {
 public:
  SSLCertVerificationError(std::string library, std::string reason, long verify_code,
                           std::string verify_message);
  long verify_code;
  std::string verify_message;  // "self-signed certificate", "Hostname mismatch, ..."
};

/// get_extra_info("peercert"): SSLObject.getpeercert(). The fields stay empty when the
/// certificate was not verified, as Python gives {} then; `der` is always the certificate.
struct PeerCert {
  using Name = std::vector<std::pair<std::string, std::string>>;  // (("commonName", "x"),)
  Name subject;
  Name issuer;
  int version = 0;
  std::string serialNumber;  // hex, as Python prints it
  std::string notBefore;     // "Nov 22 03:00:00 2026 GMT"
  std::string notAfter;
  std::vector<std::pair<std::string, std::string>> subjectAltName;  // ("DNS", "localhost")
  std::string der;
};

}  // namespace asyncio::ssl
ASYNCIO_CPP_API_END
