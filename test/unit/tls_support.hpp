// The TLS tests' certificates (made for the run by test/tls/make_certs.sh; CTest gives their
// directory as ASYNCIO_TEST_CERTS) and the contexts built from them.
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>

namespace test_support {

inline std::string cert(const std::string& name) {
  const char* dir = std::getenv("ASYNCIO_TEST_CERTS");
  REQUIRE(dir != nullptr);
  return std::string(dir) + "/" + name;
}

// Trusts the test CA only.
inline std::shared_ptr<asyncio::ssl::SSLContext> client_context() {
  namespace ssl = asyncio::ssl;
  return ssl::create_default_context(ssl::Purpose::SERVER_AUTH, cert("ca.pem"));
}

// Presents the server certificate (localhost, 127.0.0.1); asks for no client certificate.
inline std::shared_ptr<asyncio::ssl::SSLContext> server_context() {
  namespace ssl = asyncio::ssl;
  auto ctx = ssl::create_default_context(ssl::Purpose::CLIENT_AUTH);
  ctx->use_certificate_chain_file(cert("server.pem"));
  ctx->use_private_key_file(cert("server.key"), ssl::SSLContext::pem);
  return ctx;
}

}  // namespace test_support
