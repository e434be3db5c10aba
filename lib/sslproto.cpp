// sslproto.SSLProtocol over OpenSSL memory BIOs: the socket transport feeds ciphertext in,
// the application sees a Transport of plaintext. States, callbacks and errors follow CPython.
#include "sslproto.hpp"

#include "ssl_support.hpp"
#include "unix_pipes.hpp"

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

namespace asyncio::detail {

namespace {

enum class State { unwrapped, do_handshake, wrapped, flushing, shutdown };
enum class AppState { init, con_made, eof, con_lost };

constexpr std::size_t max_size = 256 * 1024;      // SSLProtocol.max_size
constexpr std::size_t read_high_water_kb = 256;   // FLOW_CONTROL_HIGH_WATER_SSL_READ
constexpr std::size_t write_high_water_kb = 512;  // FLOW_CONTROL_HIGH_WATER_SSL_WRITE

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

class SSLProtocolTransport;

// SSLSyscallError is retried by asyncio; an empty error queue means SSLEOFError instead.
bool retryable_syscall(int err) {
  return err == SSL_ERROR_SYSCALL && ::ERR_peek_error() != 0;
}

class SSLProtocol final : public Protocol {
 public:
  SSLProtocol(EventLoop& loop, std::shared_ptr<BaseProtocol> app, SSLSettings settings,
              std::optional<Future<void>> waiter, bool call_connection_made);
  ~SSLProtocol() override { ::SSL_free(ssl_); }  // frees both BIOs
  void start(const std::shared_ptr<SSLProtocol>& self);

  // ---- the socket transport's side
  void connection_made(std::shared_ptr<BaseTransport> transport) override;
  void connection_lost(std::exception_ptr exc) override;
  void data_received(std::string_view data) override;
  bool eof_received() override;
  void pause_writing() override { ssl_writing_paused_ = true; }
  void resume_writing() override {
    ssl_writing_paused_ = false;
    process_outgoing();
  }

  // ---- the application transport's side
  std::shared_ptr<Transport> app_transport() const;
  void set_app_protocol(std::shared_ptr<BaseProtocol> app);
  std::shared_ptr<BaseProtocol> app_protocol() const { return app_; }
  std::any extra_info(std::string_view name) const;
  void write_appdata(std::string_view data);
  void start_shutdown();
  void abort(std::exception_ptr exc = nullptr);
  bool app_reading_paused() const { return app_reading_paused_; }
  void pause_app_reading() { app_reading_paused_ = true; }
  void resume_app_reading();
  std::size_t write_buffer_size() const { return BIO_ctrl_pending(out_) + backlog_size_; }
  void control_app_writing();

 private:
  void set_state(State next);
  void start_handshake();
  void do_handshake();
  void on_handshake_complete(std::exception_ptr exc);
  void do_flush();
  void do_shutdown();
  bool unwrap();  // true once both close_notify alerts are through; throws SSLError
  void on_shutdown_complete(std::exception_ptr exc);
  void do_write();
  void process_outgoing();
  void do_read();
  bool read_copied();    // false on close_notify
  bool read_buffered();  // false on close_notify
  void call_eof_received();
  void control_ssl_reading();
  void fatal_error(std::exception_ptr exc, const char* message = "Fatal error on transport");
  void wakeup_waiter(std::exception_ptr exc);
  // Runs `step` and hands an exception to fatal_error, as SSLProtocol's try blocks do.
  template <class F>
  void guarded(const char* message, F step) {
    try {
      step();
    } catch (...) {
      fatal_error(std::current_exception(), message);
    }
  }

  EventLoop& loop_;
  std::weak_ptr<SSLProtocol> self_;
  SSLSettings settings_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the peer
  BIO* out_ = nullptr;  // ciphertext for the peer
  State state_ = State::unwrapped;
  AppState app_state_;
  std::shared_ptr<BaseProtocol> app_;
  std::shared_ptr<BaseProtocol> retired_app_;  // replaced by set_protocol, maybe running
  Protocol* app_plain_ = nullptr;
  BufferedProtocol* app_buffered_ = nullptr;
  std::shared_ptr<SSLProtocolTransport> app_transport_;
  std::shared_ptr<Transport> transport_;  // the socket transport below
  std::optional<Future<void>> waiter_;
  std::deque<std::string> backlog_;  // application data not yet taken by SSL_write
  std::size_t backlog_size_ = 0;
  int conn_lost_ = 0;
  bool eof_received_ = false;
  bool shutdown_seen_zero_ = false;
  bool ssl_writing_paused_ = false;
  bool ssl_reading_paused_ = false;
  bool app_reading_paused_ = false;
  std::size_t incoming_high_ = read_high_water_kb * 1024;
  std::size_t incoming_low_ = incoming_high_ / 4;
  TimerHandle handshake_timeout_;
  TimerHandle shutdown_timeout_;
  std::optional<ssl::PeerCert> peercert_;
  std::tuple<std::string, std::string, int> cipher_;
  bool handshake_done_ = false;
  bool closed_before_start_ = false;  // close() came before the socket's connection_made
};

// sslproto._SSLProtocolTransport. It holds the protocol weakly: the socket transport owns
// the protocol while connected, and the protocol owns this until connection_lost, so no
// cycle outlives the connection.
class SSLProtocolTransport final : public Transport, public StartTLSCompatible {
 public:
  explicit SSLProtocolTransport(std::weak_ptr<SSLProtocol> p) : proto_(std::move(p)) {}

  bool is_reading() const override {
    auto p = proto_.lock();
    return p && !p->app_reading_paused();
  }
  void pause_reading() override {
    if (auto p = proto_.lock()) p->pause_app_reading();
  }
  void resume_reading() override {
    if (auto p = proto_.lock()) p->resume_app_reading();
  }
  void write(std::string_view data) override {
    if (auto p = proto_.lock(); p && !data.empty()) p->write_appdata(data);
  }
  void write_eof() override {
    throw std::logic_error("write_eof() is not supported over SSL");  // NotImplementedError
  }
  bool can_write_eof() const override { return false; }
  void abort() override { force_close(nullptr); }
  void force_close(std::exception_ptr exc) override {
    closed_ = true;
    if (auto p = proto_.lock()) p->abort(exc);
  }
  std::size_t get_write_buffer_size() const override {
    auto p = proto_.lock();
    return p ? p->write_buffer_size() : 0;
  }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override {
    return flow_.limits();
  }
  void set_write_buffer_limits(std::optional<std::size_t> high,
                               std::optional<std::size_t> low) override {
    flow_.set_limits(high, low);
    if (auto p = proto_.lock()) p->control_app_writing();
  }
  void close() override {
    if (std::exchange(closed_, true)) return;
    if (auto p = proto_.lock()) p->start_shutdown();
  }
  // Closing too once the TLS protocol is gone (lost, or closed with the loop).
  bool is_closing() const override { return closed_ || proto_.expired(); }
  void mark_closed() { closed_ = true; }
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override {
    if (auto p = proto_.lock()) p->set_app_protocol(std::move(protocol));
  }
  std::shared_ptr<BaseProtocol> get_protocol() const override {
    auto p = proto_.lock();
    return p ? p->app_protocol() : nullptr;
  }
  std::any get_extra_info(std::string_view name) const override {
    if (auto p = proto_.lock()) return p->extra_info(name);
    // The connection is gone; the TLS details stay, as they do in sslproto's _extra.
    auto it = extras_.find(std::string(name));
    return it != extras_.end() ? it->second : std::any();
  }
  // What get_extra_info keeps giving after the protocol is gone.
  void keep_extra(std::string name, std::any value) { extras_[std::move(name)] = std::move(value); }
  int fileno() const override {
    std::any fd = get_extra_info("socket");
    return fd.has_value() ? std::any_cast<int>(fd) : -1;
  }
  std::string repr() const override { return "<asyncio.sslproto._SSLProtocolTransport object>"; }
  WriteFlowControl& flow() { return flow_; }

 private:
  std::weak_ptr<SSLProtocol> proto_;
  WriteFlowControl flow_{write_high_water_kb, true};  // the application's write limits
  std::map<std::string, std::any> extras_;
  bool closed_ = false;
};

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

// ---------------------------------------------------------------- outgoing

void SSLProtocol::write_appdata(std::string_view data) {
  if (state_ == State::flushing || state_ == State::shutdown || state_ == State::unwrapped) {
    if (conn_lost_ >= 5) log(LogLevel::warning, "SSL connection is closed");
    ++conn_lost_;
    return;
  }
  backlog_.emplace_back(data);
  backlog_size_ += data.size();
  if (state_ == State::wrapped) guarded("Fatal error on SSL protocol", [&] { do_write(); });
}

void SSLProtocol::do_write() {
  while (!backlog_.empty()) {
    std::string& data = backlog_.front();
    std::size_t written = 0;
    ::ERR_clear_error();
    if (::SSL_write_ex(ssl_, data.data(), data.size(), &written) != 1) {
      int err = ::SSL_get_error(ssl_, 0);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE && !retryable_syscall(err))
        std::rethrow_exception(ssl_failure(ssl_, err, settings_.server_hostname));
      ::ERR_clear_error();
      break;
    }
    backlog_size_ -= written;
    if (written < data.size())
      data.erase(0, written);
    else
      backlog_.pop_front();
  }
  process_outgoing();
}

void SSLProtocol::process_outgoing() {
  if (!ssl_writing_paused_ && transport_) {
    char* data = nullptr;
    long n = BIO_get_mem_data(out_, &data);
    if (n > 0) {
      std::string_view pending(data, static_cast<std::size_t>(n));
      transport_->write(pending);  // copies what it cannot send now
      (void)BIO_reset(out_);
    }
  }
  control_app_writing();
}

void SSLProtocol::control_app_writing() {
  if (!app_) return;
  std::size_t size = write_buffer_size();
  if (!app_transport_) return;
  std::shared_ptr<BaseTransport> t = app_transport_;
  WriteFlowControl& flow = app_transport_->flow();
  if (flow.paused())
    flow.maybe_resume(size, loop_, t, app_);
  else
    flow.maybe_pause(size, loop_, t, app_);
}

// ---------------------------------------------------------------- incoming

void SSLProtocol::do_read() {
  if (state_ != State::wrapped && state_ != State::flushing) return;
  guarded("Fatal error on SSL protocol", [&] {
    if (!app_reading_paused_) {
      bool open = app_buffered_ ? read_buffered() : read_copied();
      if (!open) {  // close_notify
        call_eof_received();
        start_shutdown();
      }
      if (!backlog_.empty())
        do_write();
      else
        process_outgoing();
    }
    control_ssl_reading();
  });
}

// Returns false on SSL_ERROR_ZERO_RETURN (the peer's close_notify); true when SSL wants
// more ciphertext; throws the SSLError otherwise.
static bool read_some(SSL* ssl, char* buf, std::size_t n, std::size_t& got,
                      const std::string& hostname) {
  got = 0;
  ::ERR_clear_error();
  if (::SSL_read_ex(ssl, buf, n, &got) == 1) return true;
  int err = ::SSL_get_error(ssl, 0);
  if (err == SSL_ERROR_ZERO_RETURN) return false;
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE || retryable_syscall(err)) {
    ::ERR_clear_error();
    return true;
  }
  std::rethrow_exception(ssl_failure(ssl, err, hostname));
}

bool SSLProtocol::read_copied() {
  // Plaintext lands in one buffer per thread and is handed over without a copy when it fits;
  // a nested read (close() from data_received) gets its own buffer.
  thread_local std::array<char, max_size> shared;
  thread_local bool shared_busy = false;
  std::unique_ptr<char[]> own;
  char* buf = shared.data();
  if (shared_busy) {
    own.reset(new char[max_size]);
    buf = own.get();
  }
  struct Release {
    bool active;
    ~Release() {
      if (active) shared_busy = false;
    }
  } release{!own};
  shared_busy = true;
  std::string joined;  // only when more than one buffer's worth is waiting
  std::size_t used = 0;
  bool open = true;
  for (;;) {
    if (used == max_size) {
      joined.append(buf, used);
      used = 0;
    }
    std::size_t got = 0;
    open = read_some(ssl_, buf + used, max_size - used, got, settings_.server_hostname);
    used += got;
    if (!open || got == 0) break;
  }
  std::string_view data(buf, used);
  if (!joined.empty()) data = joined.append(buf, used);
  if (!data.empty() && app_plain_) app_plain_->data_received(data);
  return open;
}

bool SSLProtocol::read_buffered() {
  std::span<char> buf =
      app_buffered_->get_buffer(static_cast<std::ptrdiff_t>(BIO_ctrl_pending(in_)));
  if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
  std::size_t offset = 0;
  bool open = true;
  while (offset < buf.size()) {
    std::size_t got = 0;
    open =
        read_some(ssl_, buf.data() + offset, buf.size() - offset, got, settings_.server_hostname);
    offset += got;
    if (!open || got == 0) break;
  }
  if (open && offset == buf.size())  // the buffer filled: more may be waiting
    loop_.call_soon([weak = self_] {
      if (auto self = weak.lock()) self->do_read();
    });
  if (offset > 0) app_buffered_->buffer_updated(offset);
  return open;
}

void SSLProtocol::call_eof_received() {
  if (app_state_ != AppState::con_made) return;
  app_state_ = AppState::eof;
  try {
    bool keep_open =
        app_buffered_ ? app_buffered_->eof_received() : (app_plain_ && app_plain_->eof_received());
    if (keep_open)
      log(LogLevel::warning, "returning true from eof_received() has no effect when using ssl");
  } catch (...) {
    fatal_error(std::current_exception(), "Error calling eof_received()");
  }
}

void SSLProtocol::resume_app_reading() {
  if (!app_reading_paused_) return;
  app_reading_paused_ = false;
  loop_.call_soon([weak = self_] {
    auto self = weak.lock();
    if (!self) return;
    if (self->state_ == State::wrapped)
      self->do_read();
    else if (self->state_ == State::flushing)
      self->do_flush();
    else if (self->state_ == State::shutdown)
      self->do_shutdown();
  });
}

void SSLProtocol::control_ssl_reading() {
  if (!transport_) return;
  std::size_t size = BIO_ctrl_pending(in_);
  if (size >= incoming_high_ && !ssl_reading_paused_) {
    ssl_reading_paused_ = true;
    transport_->pause_reading();
  } else if (size <= incoming_low_ && ssl_reading_paused_) {
    ssl_reading_paused_ = false;
    transport_->resume_reading();
  }
}

void SSLProtocol::fatal_error(std::exception_ptr exc, const char* message) {
  auto keep = self_.lock();
  if (auto* t = dynamic_cast<StartTLSCompatible*>(transport_.get())) t->force_close(exc);
  report_fatal_error(loop_, exc, message, transport_, keep);
}

}  // namespace

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
