// asyncio::ssl: default contexts and Python's SSLError family over OpenSSL.
#include "ssl_support.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

namespace asyncio::ssl {

std::shared_ptr<SSLContext> create_default_context(Purpose purpose, const std::string& cafile) {
  bool client = purpose == Purpose::SERVER_AUTH;
  auto ctx = std::make_shared<SSLContext>(client ? SSLContext::tls_client : SSLContext::tls_server);
  ctx->set_options(SSLContext::default_workarounds | SSLContext::no_compression |
                   SSLContext::single_dh_use);
  ::SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // A server does not ask for client certificates by default, but trusts the same CAs
  // (load_default_certs) in case it is told to.
  if (client) ctx->set_verify_mode(boost::asio::ssl::verify_peer);
  if (cafile.empty())
    ctx->set_default_verify_paths();
  else
    ctx->load_verify_file(cafile);
  return ctx;
}

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ssl"; }
  std::string message(int code) const override {
    switch (code) {
      case SSL_ERROR_SSL:
        return "SSL error";
      case SSL_ERROR_WANT_READ:
        return "The operation did not complete (read)";
      case SSL_ERROR_WANT_WRITE:
        return "The operation did not complete (write)";
      case SSL_ERROR_SYSCALL:
        return "Some I/O error occurred";
      case SSL_ERROR_ZERO_RETURN:
        return "TLS/SSL connection has been closed (EOF)";
      default:
        return "SSL error " + std::to_string(code);
    }
  }
};

}  // namespace

const std::error_category& ssl_category() noexcept {
  static const Category category;
  return category;
}

SSLError::SSLError(int code, std::string library_, std::string reason_, const std::string& message)
    : OSError(std::error_code(code, ssl_category()), message, message),
      library(std::move(library_)),
      reason(std::move(reason_)) {}

SSLZeroReturnError::SSLZeroReturnError()
    : SSLError(SSL_ERROR_ZERO_RETURN, "", "", "TLS/SSL connection has been closed (EOF)") {}

SSLEOFError::SSLEOFError() : SSLError(8, "", "", "EOF occurred in violation of protocol") {}

SSLCertVerificationError::SSLCertVerificationError(std::string library_, std::string reason_,
                                                   long verify_code_, std::string verify_message_)
    : SSLError(SSL_ERROR_SSL, library_, reason_,
               "[" + library_ + ": " + reason_ + "] certificate verify failed: " + verify_message_),
      verify_code(verify_code_),
      verify_message(std::move(verify_message_)) {}

}  // namespace asyncio::ssl

namespace asyncio::detail {

namespace {

// Python's mnemonics are OpenSSL's reason strings in upper case with underscores.
std::string mnemonic(const char* text) {
  std::string out = text ? text : "UNKNOWN";
  for (char& c : out) c = c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

std::string library_name(unsigned long code) {
  switch (ERR_GET_LIB(code)) {
    case ERR_LIB_SSL:
      return "SSL";
    case ERR_LIB_X509:
      return "X509";
    case ERR_LIB_PEM:
      return "PEM";
    case ERR_LIB_EVP:
      return "EVP";
    default:
      return mnemonic(::ERR_lib_error_string(code));
  }
}

std::string verify_message(SSL* ssl, long verify_code, const std::string& server_hostname) {
  if (verify_code == X509_V_ERR_HOSTNAME_MISMATCH)
    return "Hostname mismatch, certificate is not valid for '" + server_hostname + "'.";
  if (verify_code == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return "IP address mismatch, certificate is not valid for '" + server_hostname + "'.";
  (void)ssl;
  return ::X509_verify_cert_error_string(verify_code);
}

}  // namespace

std::exception_ptr ssl_failure(SSL* ssl, int ssl_error, const std::string& server_hostname) {
  unsigned long code = ::ERR_peek_last_error();
  ::ERR_clear_error();
  if (code == 0) {  // no detail queued: Python's messages by error kind
    switch (ssl_error) {
      case SSL_ERROR_ZERO_RETURN:
        return std::make_exception_ptr(ssl::SSLZeroReturnError());
      case SSL_ERROR_SYSCALL:
        return std::make_exception_ptr(ssl::SSLEOFError());
      case SSL_ERROR_WANT_X509_LOOKUP:
        return std::make_exception_ptr(
            ssl::SSLError(ssl_error, "", "", "The operation did not complete (X509 lookup)"));
      default:
        return std::make_exception_ptr(
            ssl::SSLError(ssl_error, "", "", "A failure in the SSL library occurred"));
    }
  }
  std::string library = library_name(code);
  std::string reason = mnemonic(::ERR_reason_error_string(code));
  if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    long verify_code = ::SSL_get_verify_result(ssl);
    return std::make_exception_ptr(ssl::SSLCertVerificationError(
        library, reason, verify_code, verify_message(ssl, verify_code, server_hostname)));
  }
  const char* text = ::ERR_reason_error_string(code);
  return std::make_exception_ptr(ssl::SSLError(
      ssl_error, library, reason, "[" + library + ": " + reason + "] " + (text ? text : "")));
}

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(std::max(n, 0L)));
  ::BIO_free(bio);
  return out;
}

ssl::PeerCert::Name decode_name(X509_NAME* name) {
  ssl::PeerCert::Name out;
  for (int i = 0; i < ::X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* entry = ::X509_NAME_get_entry(name, i);
    int nid = ::OBJ_obj2nid(::X509_NAME_ENTRY_get_object(entry));
    unsigned char* utf8 = nullptr;
    int len = ::ASN1_STRING_to_UTF8(&utf8, ::X509_NAME_ENTRY_get_data(entry));
    out.emplace_back(::OBJ_nid2ln(nid), std::string(reinterpret_cast<char*>(utf8),
                                                    static_cast<std::size_t>(std::max(len, 0))));
    ::OPENSSL_free(utf8);
  }
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  BIO* bio = ::BIO_new(::BIO_s_mem());
  ::ASN1_TIME_print(bio, t);
  return bio_text(bio);
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  const unsigned char* p = ::ASN1_STRING_get0_data(ip);
  int len = ::ASN1_STRING_length(ip);
  char buf[64];
  if (len == 4) {
    std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    return buf;
  }
  std::string out;  // Python prints IPv6 as eight upper-case groups, unabbreviated
  for (int i = 0; i + 1 < len; i += 2) {
    std::snprintf(buf, sizeof buf, "%s%X", i ? ":" : "", (p[i] << 8) | p[i + 1]);
    out += buf;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> alt_names(X509* cert) {
  std::vector<std::pair<std::string, std::string>> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(::X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    auto text = [](ASN1_IA5STRING* s) {
      return std::string(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(::ASN1_STRING_length(s)));
    };
    if (name->type == GEN_DNS) out.emplace_back("DNS", text(name->d.dNSName));
    if (name->type == GEN_EMAIL) out.emplace_back("email", text(name->d.rfc822Name));
    if (name->type == GEN_URI) out.emplace_back("URI", text(name->d.uniformResourceIdentifier));
    if (name->type == GEN_IPADD) out.emplace_back("IP Address", ip_text(name->d.iPAddress));
  }
  ::GENERAL_NAMES_free(names);
  return out;
}

std::string serial_text(X509* cert) {
  BIO* bio = ::BIO_new(::BIO_s_mem());
  ::i2a_ASN1_INTEGER(bio, ::X509_get_serialNumber(cert));
  return bio_text(bio);
}

}  // namespace

std::optional<ssl::PeerCert> peer_cert(SSL* ssl) {
  X509* cert = ::SSL_get1_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  ssl::PeerCert out;
  int der_len = ::i2d_X509(cert, nullptr);
  out.der.resize(static_cast<std::size_t>(std::max(der_len, 0)));
  auto* p = reinterpret_cast<unsigned char*>(out.der.data());
  ::i2d_X509(cert, &p);
  // Python decodes only what was verified: {} under CERT_NONE.
  if (::SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) {
    out.subject = decode_name(::X509_get_subject_name(cert));
    out.issuer = decode_name(::X509_get_issuer_name(cert));
    out.version = static_cast<int>(::X509_get_version(cert)) + 1;
    out.serialNumber = serial_text(cert);
    out.notBefore = time_text(::X509_get0_notBefore(cert));
    out.notAfter = time_text(::X509_get0_notAfter(cert));
    out.subjectAltName = alt_names(cert);
  }
  ::X509_free(cert);
  return out;
}

std::tuple<std::string, std::string, int> cipher(SSL* ssl) {
  const SSL_CIPHER* c = ::SSL_get_current_cipher(ssl);
  if (!c) return {};
  return {::SSL_CIPHER_get_name(c), ::SSL_CIPHER_get_version(c), ::SSL_CIPHER_get_bits(c, nullptr)};
}

}  // namespace asyncio::detail
