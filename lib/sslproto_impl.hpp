// The TLS protocol's classes, shared by sslproto.cpp (states, handshake, shutdown) and
// sslproto_data.cpp (the application's data through OpenSSL, both ways).
#pragma once

#include "sslproto.hpp"

#include "ssl_support.hpp"
#include "unix_pipes.hpp"

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <openssl/err.h>

#include <deque>
#include <map>
#include <stdexcept>

namespace asyncio::detail::sslproto {

enum class State { unwrapped, do_handshake, wrapped, flushing, shutdown };
enum class AppState { init, con_made, eof, con_lost };

inline constexpr std::size_t max_size = 256 * 1024;      // SSLProtocol.max_size
inline constexpr std::size_t read_high_water_kb = 256;   // FLOW_CONTROL_HIGH_WATER_SSL_READ
inline constexpr std::size_t write_high_water_kb = 512;  // FLOW_CONTROL_HIGH_WATER_SSL_WRITE

class SSLProtocolTransport;

// SSLSyscallError is retried by asyncio; an empty error queue means SSLEOFError instead.
inline bool retryable_syscall(int err) {
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

}  // namespace asyncio::detail::sslproto
