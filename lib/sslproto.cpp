// sslproto.SSLProtocol over OpenSSL memory BIOs: the socket transport feeds ciphertext in,
// the application sees a Transport of plaintext. States, callbacks and errors follow CPython.
#include "sslproto_impl.hpp"

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/log.hpp>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <charconv>
#include <deque>
#include <map>
#include <stdexcept>
#include <system_error>

namespace asyncio::detail::sslproto {

namespace {

// Python's repr() of a float: 60.0, 0.1.
std::string float_repr(double value) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  std::string out(buf, end);
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

SSLProtocol::SSLProtocol(EventLoop& loop, std::shared_ptr<BaseProtocol> app, SSLSettings settings,
                         std::optional<Future<void>> waiter, bool call_connection_made)
    : loop_(loop),
      settings_(std::move(settings)),
      app_state_(call_connection_made ? AppState::init : AppState::con_made),
      waiter_(std::move(waiter)) {
  set_app_protocol(std::move(app));
  ssl_ = ::SSL_new(settings_.context->native_handle());
  if (!ssl_) std::rethrow_exception(ssl_failure(nullptr, SSL_ERROR_SSL, ""));
  in_ = ::BIO_new(::BIO_s_mem());
  out_ = ::BIO_new(::BIO_s_mem());
  if (!in_ || !out_) {
    ::BIO_free(in_);
    ::BIO_free(out_);
    throw std::bad_alloc();
  }
  BIO_set_mem_eof_return(in_, -1);  // an empty BIO means "want more", not EOF
  BIO_set_mem_eof_return(out_, -1);
  ::SSL_set_bio(ssl_, in_, out_);
  ::SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY |
                           SSL_MODE_RELEASE_BUFFERS);  // idle connections keep no buffers
  if (settings_.server_side) {
    ::SSL_set_accept_state(ssl_);
    return;
  }
  ::SSL_set_connect_state(ssl_);
  const std::string& host = settings_.server_hostname;
  if (host.empty()) return;
  bool ip = is_ip_address(host);
  if (!ip) ::SSL_set_tlsext_host_name(ssl_, host.c_str());  // SNI carries names only
  if (!(::SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER)) return;
  X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl_);
  ::X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (ip)
    ::X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  else
    ::X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
}

void SSLProtocol::start(const std::shared_ptr<SSLProtocol>& self) {
  self_ = self;
  app_transport_ = std::make_shared<SSLProtocolTransport>(self);
  app_transport_->keep_extra("sslcontext", settings_.context);
}

std::shared_ptr<Transport> SSLProtocol::app_transport() const {
  return app_transport_;
}

void SSLProtocol::set_app_protocol(std::shared_ptr<BaseProtocol> app) {
  // The old protocol may be the caller: it stays alive until the next delivery.
  retired_app_ = std::exchange(app_, std::move(app));
  app_buffered_ = dynamic_cast<BufferedProtocol*>(app_.get());
  app_plain_ = app_buffered_ ? nullptr : dynamic_cast<Protocol*>(app_.get());
}

void SSLProtocol::wakeup_waiter(std::exception_ptr exc) {
  if (!waiter_) return;
  if (!waiter_->cancelled()) {
    if (exc)
      waiter_->set_exception(exc);
    else
      waiter_->set_result();
  }
  waiter_.reset();
}

void SSLProtocol::set_state(State next) {
  bool allowed = next == State::unwrapped ||
                 (state_ == State::unwrapped && next == State::do_handshake) ||
                 (state_ == State::do_handshake && next == State::wrapped) ||
                 (state_ == State::wrapped && next == State::flushing) ||
                 (state_ == State::flushing && next == State::shutdown);
  if (!allowed) throw RuntimeError("cannot switch SSL protocol state");
  state_ = next;
}

// ---------------------------------------------------------------- the socket transport

void SSLProtocol::connection_made(std::shared_ptr<BaseTransport> transport) {
  transport_ = std::dynamic_pointer_cast<Transport>(transport);
  if (closed_before_start_) return transport_->abort();  // its caller was cancelled
  start_handshake();
}

void SSLProtocol::connection_lost(std::exception_ptr exc) {
  backlog_.clear();
  backlog_size_ = 0;
  (void)BIO_reset(out_);
  ++conn_lost_;
  if (app_transport_) app_transport_->mark_closed();
  if (state_ != State::do_handshake &&
      (app_state_ == AppState::con_made || app_state_ == AppState::eof)) {
    app_state_ = AppState::con_lost;
    loop_.call_soon([app = app_, exc] { app->connection_lost(exc); });
  }
  set_state(State::unwrapped);
  auto keep = self_.lock();  // the last owners are about to let go
  transport_.reset();
  app_transport_.reset();
  set_app_protocol(nullptr);
  wakeup_waiter(exc);
  shutdown_timeout_.cancel();
  handshake_timeout_.cancel();
}

void SSLProtocol::data_received(std::string_view data) {
  if (retired_app_) retired_app_.reset();
  if (::BIO_write(in_, data.data(), static_cast<int>(data.size())) != static_cast<int>(data.size()))
    throw std::bad_alloc();
  switch (state_) {
    case State::do_handshake:
      return do_handshake();
    case State::wrapped:
      return do_read();
    case State::flushing:
      return do_flush();
    case State::shutdown:
      return do_shutdown();
    case State::unwrapped:
      return;
  }
}

bool SSLProtocol::eof_received() {
  eof_received_ = true;
  if (loop_.get_debug()) log(LogLevel::debug, "<asyncio.sslproto.SSLProtocol> received EOF");
  try {
    switch (state_) {
      case State::do_handshake:
        on_handshake_complete(std::make_exception_ptr(ConnectionResetError("")));
        break;
      case State::wrapped:
        set_state(State::flushing);
        if (app_reading_paused_) return true;
        do_flush();
        break;
      case State::flushing:
        do_write();
        set_state(State::shutdown);
        do_shutdown();
        break;
      case State::shutdown:
        do_shutdown();
        break;
      case State::unwrapped:
        break;
    }
  } catch (...) {
    if (transport_) transport_->close();
    throw;
  }
  return false;
}

// ---------------------------------------------------------------- handshake

void SSLProtocol::start_handshake() {
  set_state(State::do_handshake);
  handshake_timeout_ = loop_.call_later(settings_.handshake_timeout, [weak = self_] {
    auto self = weak.lock();
    if (!self || self->state_ != State::do_handshake) return;
    std::string msg = "SSL handshake is taking longer than " +
                      float_repr(self->settings_.handshake_timeout) +
                      " seconds: aborting the connection";
    self->fatal_error(std::make_exception_ptr(ConnectionAbortedError(msg)));
  });
  do_handshake();
}

void SSLProtocol::do_handshake() {
  ::ERR_clear_error();
  int rc = ::SSL_do_handshake(ssl_);
  if (rc == 1) return on_handshake_complete(nullptr);
  int err = ::SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE || retryable_syscall(err)) {
    ::ERR_clear_error();
    return process_outgoing();
  }
  on_handshake_complete(ssl_failure(ssl_, err, settings_.server_hostname));
}

void SSLProtocol::on_handshake_complete(std::exception_ptr exc) {
  handshake_timeout_.cancel();
  if (exc) {
    set_state(State::unwrapped);
    bool cert = exception_is<ssl::SSLCertVerificationError>(exc);
    fatal_error(
        exc, cert ? "SSL handshake failed on verifying the certificate" : "SSL handshake failed");
    wakeup_waiter(exc);
    return;
  }
  set_state(State::wrapped);
  peercert_ = peer_cert(ssl_);
  cipher_ = cipher(ssl_);
  handshake_done_ = true;
  for (const char* name : {"peercert", "cipher", "compression"})
    app_transport_->keep_extra(name, extra_info(name));
  auto keep = self_.lock();
  if (app_state_ == AppState::init) {
    app_state_ = AppState::con_made;
    app_->connection_made(app_transport_);
  }
  wakeup_waiter(nullptr);
  do_read();
}

std::any SSLProtocol::extra_info(std::string_view name) const {
  if (name == "sslcontext") return settings_.context;
  if (handshake_done_) {
    if (name == "peercert") return peercert_ ? std::any(*peercert_) : std::any();
    if (name == "cipher") return cipher_;
    if (name == "compression") return std::optional<std::string>();  // never compressed
    // The SSL* keeps this protocol alive for as long as the caller holds it.
    if (name == "ssl_object") return std::shared_ptr<SSL>(self_.lock(), ssl_);
  }
  return transport_ ? transport_->get_extra_info(name) : std::any();
}

// ---------------------------------------------------------------- shutdown

void SSLProtocol::start_shutdown() {
  if (state_ == State::unwrapped && !transport_ && conn_lost_ == 0) closed_before_start_ = true;
  if (state_ == State::flushing || state_ == State::shutdown || state_ == State::unwrapped) return;
  if (app_transport_) app_transport_->mark_closed();
  if (state_ == State::do_handshake) return abort();
  set_state(State::flushing);
  shutdown_timeout_ = loop_.call_later(settings_.shutdown_timeout, [weak = self_] {
    auto self = weak.lock();
    if (!self || (self->state_ != State::flushing && self->state_ != State::shutdown)) return;
    if (auto* t = dynamic_cast<StartTLSCompatible*>(self->transport_.get()))
      t->force_close(std::make_exception_ptr(TimeoutError("SSL shutdown timed out")));
  });
  do_flush();
}

void SSLProtocol::do_flush() {
  do_read();
  set_state(State::shutdown);
  do_shutdown();
}

void SSLProtocol::do_shutdown() {
  try {
    if (!eof_received_ && !unwrap()) return process_outgoing();
  } catch (const ssl::SSLError&) {
    return on_shutdown_complete(std::current_exception());
  }
  process_outgoing();
  call_eof_received();
  on_shutdown_complete(nullptr);
}

// SSLObject.unwrap(): SSL_shutdown at most twice, as _ssl does.
bool SSLProtocol::unwrap() {
  for (int zeros = 0;;) {
    if (shutdown_seen_zero_) ::SSL_set_read_ahead(ssl_, 0);
    ::ERR_clear_error();
    int rc = ::SSL_shutdown(ssl_);
    if (rc > 0) return true;
    if (rc == 0) {
      if (++zeros > 1) return true;
      shutdown_seen_zero_ = true;
      continue;
    }
    int err = ::SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE || retryable_syscall(err)) {
      ::ERR_clear_error();
      return false;
    }
    std::rethrow_exception(ssl_failure(ssl_, err, settings_.server_hostname));
  }
}

void SSLProtocol::on_shutdown_complete(std::exception_ptr exc) {
  shutdown_timeout_.cancel();
  if (exc)
    fatal_error(exc);
  else
    loop_.call_soon([t = transport_] {
      if (t) t->close();
    });
}

void SSLProtocol::abort(std::exception_ptr exc) {
  set_state(State::unwrapped);
  if (!transport_) {
    closed_before_start_ = conn_lost_ == 0;  // aborted before the socket was handed over
    return;
  }
  auto* t = dynamic_cast<StartTLSCompatible*>(transport_.get());
  if (exc && t)
    t->force_close(exc);
  else
    transport_->abort();
}

void SSLProtocol::fatal_error(std::exception_ptr exc, const char* message) {
  auto keep = self_.lock();
  if (auto* t = dynamic_cast<StartTLSCompatible*>(transport_.get())) t->force_close(exc);
  report_fatal_error(loop_, exc, message, transport_, keep);
}

}  // namespace asyncio::detail::sslproto

namespace asyncio::detail {

using sslproto::SSLProtocol;

SSLSettings ssl_settings(std::shared_ptr<boost::asio::ssl::context> context, bool server_side,
                         std::string server_hostname, std::optional<double> handshake_timeout,
                         std::optional<double> shutdown_timeout) {
  auto positive = [](const char* name, std::optional<double> value, double fallback) {
    if (!value) return fallback;
    if (*value <= 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", *value);
      throw std::invalid_argument(std::string(name) + " should be a positive number, got " + buf);
    }
    return *value;
  };
  SSLSettings s;
  s.context = std::move(context);
  s.server_side = server_side;
  if (!server_side) s.server_hostname = std::move(server_hostname);
  s.handshake_timeout = positive("ssl_handshake_timeout", handshake_timeout, 60.0);
  s.shutdown_timeout = positive("ssl_shutdown_timeout", shutdown_timeout, 30.0);
  return s;
}

std::pair<std::shared_ptr<Protocol>, std::shared_ptr<Transport>> make_ssl_protocol(
    EventLoop& loop, std::shared_ptr<BaseProtocol> app_protocol, SSLSettings settings,
    std::optional<Future<void>> waiter, bool call_connection_made) {
  auto proto = std::make_shared<SSLProtocol>(loop, std::move(app_protocol), std::move(settings),
                                             std::move(waiter), call_connection_made);
  proto->start(proto);
  return {proto, proto->app_transport()};
}

}  // namespace asyncio::detail
