// Helpers for the tls_* conformance pairs: the certificates CTest made for this run
// (ASYNCIO_TEST_CERTS, see test/tls/make_certs.sh) and the contexts the .py files build.
#pragma once

#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tls_trace {

inline std::string cert(const std::string& name) {
  const char* dir = std::getenv("ASYNCIO_TEST_CERTS");
  if (!dir) throw std::runtime_error("ASYNCIO_TEST_CERTS is not set");
  return std::string(dir) + "/" + name;
}

// ssl.create_default_context(cafile=ca.pem)
inline auto client_context() {
  return asyncio::ssl::create_default_context(asyncio::ssl::Purpose::SERVER_AUTH, cert("ca.pem"));
}

// ssl.create_default_context(ssl.Purpose.CLIENT_AUTH) + load_cert_chain(server.pem, server.key)
inline auto server_context() {
  auto ctx = asyncio::ssl::create_default_context(asyncio::ssl::Purpose::CLIENT_AUTH);
  ctx->use_certificate_chain_file(cert("server.pem"));
  ctx->use_private_key_file(cert("server.key"), asyncio::ssl::SSLContext::pem);
  return ctx;
}

// What Python prints for a tuple of strings: ('a', 'b')
inline std::string tuple2(const std::string& a, const std::string& b) {
  return "('" + a + "', '" + b + "')";
}

}  // namespace tls_trace

namespace tls_trace {

// getpeercert()'s subject/issuer as Python prints them: ((('commonName', 'x'),),)
inline std::string name_repr(const asyncio::ssl::PeerCert::Name& name) {
  std::string out = "(";
  for (const auto& [key, value] : name) out += "((" + tuple2(key, value).substr(1) + ",), ";
  if (!name.empty()) out.resize(out.size() - 1);
  if (name.size() == 1) out.back() = ',';
  if (name.size() > 1) out.pop_back();
  return out + ")";
}

inline std::string pairs_repr(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out = "(";
  for (const auto& [a, b] : pairs) out += tuple2(a, b) + ", ";
  if (pairs.size() == 1) out.replace(out.size() - 2, 2, ",");
  if (pairs.size() > 1) out.resize(out.size() - 2);
  return out + ")";
}

}  // namespace tls_trace
