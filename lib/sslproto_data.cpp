// sslproto.SSLProtocol's data path: the application's writes encrypted out through the
// socket transport, and ciphertext read back into plaintext for the application, with
// CPython's flow control on both sides.
#include "sslproto_impl.hpp"

#include <asyncio/log.hpp>

namespace asyncio::detail::sslproto {

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

}  // namespace asyncio::detail::sslproto
