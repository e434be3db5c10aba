// selector_events._SelectorSocketTransport: stream sockets driven by the loop's readers and
// writers, with asyncio's closing and flow-control rules (datagrams: selector_datagram.cpp).
#include "fd_hints.hpp"
#include "linux/sigpipe.hpp"
#include "loop_resource.hpp"
#include "selector_transport_base.hpp"
#include "server_impl.hpp"
#include "socket_utils.hpp"
#include "sslproto.hpp"
#include "unix_pipes.hpp"

#include <asyncio/log.hpp>
#include <asyncio/threads.hpp>

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace asyncio::detail {

namespace {

// ---------------------------------------------------------------- streams

class SocketTransport final : public Transport, public StartTLSCompatible, SelectorTransportBase {
 public:
  SocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                  std::shared_ptr<Server> server)
      : SelectorTransportBase(loop, fd, std::move(protocol)), server_(std::move(server)) {
    pick_protocol();
    set_nodelay_if_tcp(fd);
    if (server_) server_->impl().attach(this);
  }
  ~SocketTransport() override {
    warn_if_abandoned(*this);
    if (server_) server_->impl().detach(this);
  }

  void start(std::weak_ptr<SocketTransport> self, std::optional<Future<void>> waiter) {
    self_ = self;
    auto t = self.lock();
    claim(*t);
    loop_.call_soon([t] { t->protocol_->connection_made(t); });
    loop_.call_soon([t] { t->add_reader(); });
    if (waiter)
      loop_.call_soon([w = *waiter]() mutable {
        if (!w.cancelled()) w.set_result();
      });
  }

  // ---- reading
  bool is_reading() const override { return detail::is_reading(closing_, paused_); }
  void pause_reading() override { pause_reader(loop_, fd_, closing_, paused_); }
  void resume_reading() override {
    if (resume_reader(closing_, paused_)) add_reader();
  }

  // ---- writing
  void write(std::string_view data) override;
  void write_eof() override {
    if (closing_ || eof_) return;
    eof_ = true;
    if (buffer_.empty()) ::shutdown(fd_, SHUT_WR);
  }
  bool can_write_eof() const override { return true; }
  void abort() override { force_close(nullptr); }
  std::size_t get_write_buffer_size() const override { return buffer_.size(); }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override {
    return flow_.limits();
  }
  void set_write_buffer_limits(std::optional<std::size_t> high,
                               std::optional<std::size_t> low) override {
    flow_.set_limits(high, low);
    flow_.maybe_pause(buffer_.size(), loop_, self_.lock(), protocol_);
  }

  // ---- sendfile: it waits for the buffer to drain, then writes the socket itself
  Future<void> make_empty_waiter() {
    if (empty_waiter_) throw RuntimeError("Empty waiter is already set");
    empty_waiter_ = loop_.create_future<void>();
    if (buffer_.empty()) empty_waiter_->set_result();
    return *empty_waiter_;
  }
  void reset_empty_waiter() { empty_waiter_.reset(); }

  // ---- closing
  void close() override {
    if (start_closing(buffer_.empty())) schedule_connection_lost(nullptr);
  }
  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> p) override {
    // The old protocol may be the caller (set_protocol from data_received): it stays alive
    // until the next read, as a bound method keeps it alive in Python.
    retired_ = std::exchange(protocol_, std::move(p));
    pick_protocol();
  }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  int fileno() const override { return fd_; }
  std::any get_extra_info(std::string_view name) const override { return extra_info(name); }
  std::string repr() const override { return state_repr("<_SelectorSocketTransport"); }

  void close_with_loop() noexcept override {
    buffer_.clear();
    empty_waiter_.reset();
    close_socket_with_loop(*this);
    plain_ = nullptr;
    buffered_ = nullptr;
    if (server_) std::exchange(server_, nullptr)->impl().detach(this);
    auto doomed = std::make_pair(std::move(protocol_), std::move(retired_));  // may free this
  }

 private:
  void pick_protocol() {
    buffered_ = dynamic_cast<BufferedProtocol*>(protocol_.get());
    plain_ = buffered_ ? nullptr : dynamic_cast<Protocol*>(protocol_.get());
  }
  void add_reader() {
    if (is_reading())
      OwnerWatch{loop_}.add_reader(fd_, [self = self_.lock()] { self->read_ready(); });
  }
  void read_ready() {
    if (conn_lost_ > 0) return;
    if (retired_) retired_.reset();
    if (buffered_)
      read_into_buffer();
    else
      read_data();
  }
  void read_data();
  void read_into_buffer();
  void on_eof();
  void write_ready();
  void fatal_error(std::exception_ptr exc, const char* message) {
    report_fatal(exc, message, self_.lock());
    force_close(exc);
  }

 public:
  void force_close(std::exception_ptr exc) override {
    if (!start_force_close(!buffer_.empty())) return;
    buffer_.clear();
    if (empty_waiter_ && !empty_waiter_->done())
      empty_waiter_->set_exception(
          std::make_exception_ptr(ConnectionResetError("Connection is closed by peer")));
    schedule_connection_lost(exc);
  }

 private:
  void schedule_connection_lost(std::exception_ptr exc) {
    loop_.call_soon([self = self_.lock(), exc] { self->call_connection_lost(exc); });
  }
  void call_connection_lost(std::exception_ptr exc) {
    auto protocol = std::move(protocol_);
    plain_ = nullptr;
    buffered_ = nullptr;
    struct Finally {  // asyncio's finally: the socket closes and the server hears of it
      SocketTransport& t;
      ~Finally() {
        t.close_fd();
        if (t.server_) std::exchange(t.server_, nullptr)->impl().detach(&t);
      }
    } finally{*this};
    if (protocol) protocol->connection_lost(exc);
  }

  std::weak_ptr<SocketTransport> self_;
  std::shared_ptr<Server> server_;
  std::shared_ptr<BaseProtocol> retired_;     // replaced by set_protocol, maybe still running
  std::optional<Future<void>> empty_waiter_;  // set while sendfile owns the socket
  Protocol* plain_ = nullptr;
  BufferedProtocol* buffered_ = nullptr;
  ByteBuffer buffer_;
  bool eof_ = false;
};

void SocketTransport::read_data() {
  thread_local std::string chunk(max_read, '\0');
  ssize_t n = ::recv(fd_, chunk.data(), max_read, 0);
  if (n < static_cast<ssize_t>(max_read) && (n >= 0 || errno == EAGAIN)) note_drained(loop_, fd_);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR)
      fatal_error(make_os_error(errno), "Fatal read error on socket transport");
    return;
  }
  if (n == 0) return on_eof();
  try {
    plain_->data_received(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
  }
}

void SocketTransport::read_into_buffer() {
  std::span<char> buf;
  try {
    buf = buffered_->get_buffer(-1);
    if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.get_buffer() call failed.");
    return;
  }
  ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n < static_cast<ssize_t>(buf.size()) && (n >= 0 || errno == EAGAIN)) note_drained(loop_, fd_);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR)
      fatal_error(make_os_error(errno), "Fatal read error on socket transport");
    return;
  }
  if (n == 0) return on_eof();
  try {
    buffered_->buffer_updated(static_cast<std::size_t>(n));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.buffer_updated() call failed.");
  }
}

void SocketTransport::on_eof() {
  if (loop_.get_debug()) log(LogLevel::debug, repr() + " received EOF");
  bool keep_open = false;
  try {
    keep_open = buffered_ ? buffered_->eof_received() : plain_->eof_received();
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
    return;
  }
  if (keep_open)
    OwnerWatch{loop_}.remove_reader(fd_);  // half-open: we may still write
  else
    close();
}

void SocketTransport::write(std::string_view data) {
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (empty_waiter_) throw RuntimeError("unable to write; sendfile is in progress");
  if (data.empty()) return;
  if (conn_lost_ > 0) {
    if (conn_lost_ >= 5) log(LogLevel::warning, "socket.send() raised exception.");
    ++conn_lost_;
    return;
  }
  if (buffer_.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        fatal_error(make_os_error(errno), "Fatal write error on socket transport");
        return;
      }
      n = 0;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (data.empty()) return;
    OwnerWatch{loop_}.add_writer(fd_, [self = self_.lock()] { self->write_ready(); });
  }
  buffer_.append(data);
  flow_.maybe_pause(buffer_.size(), loop_, self_.lock(), protocol_);
}

void SocketTransport::write_ready() {
  if (conn_lost_ > 0) return;
  std::string_view pending = buffer_.view();
  ssize_t n = ::send(fd_, pending.data(), pending.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    int err = errno;
    OwnerWatch{loop_}.remove_writer(fd_);
    buffer_.clear();
    fatal_error(make_os_error(err), "Fatal write error on socket transport");
    return;
  }
  buffer_.consume(static_cast<std::size_t>(n));
  buffer_.release_spare(flow_.limits().first, flow_.limits().second);
  flow_.maybe_resume(buffer_.size(), loop_, self_.lock(), protocol_);
  if (!buffer_.empty()) return;
  OwnerWatch{loop_}.remove_writer(fd_);
  if (empty_waiter_ && !empty_waiter_->done()) empty_waiter_->set_result();
  if (closing_)
    call_connection_lost(nullptr);
  else if (eof_)
    ::shutdown(fd_, SHUT_WR);
}

// Waits for the socket to accept more; the watch goes away however the wait ends.
Coro<void> until_writable(EventLoop& loop, int fd) {
  Future<void> ready = loop.create_future<void>();
  OwnerWatch{loop}.add_writer(fd, [ready]() mutable {
    if (!ready.done()) ready.set_result();
  });
  struct Unwatch {
    EventLoop& loop;
    int fd;
    ~Unwatch() { OwnerWatch{loop}.remove_writer(fd); }
  } unwatch{loop, fd};
  co_await ready;
}

// Writes all of `data` to the transport's socket, waiting while it is full.
Coro<void> send_all_owned(EventLoop& loop, int sock, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(sock, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(std::size_t(n));
      continue;
    }
    if (errno != EAGAIN && errno != EINTR) throw_os_error(errno);
    co_await until_writable(loop, sock);
  }
}

// base_events' _sendfile_fallback: reads (in the default executor, as a pipe may block) and
// sends, from `offset` on; works for pipes too, which pread(2) refuses.
Coro<std::size_t> copy_file_bytes(EventLoop& loop, int sock, int fd, std::size_t offset,
                                  std::optional<std::size_t> count) {
  if (offset != 0 && ::lseek(fd, off_t(offset), SEEK_SET) < 0) throw_os_error(errno);
  // Shared with the reading thread, which a cancelled transfer does not wait for.
  auto chunk = std::make_shared<std::string>(256 * 1024, '\0');
  std::size_t sent = 0;
  while (!count || sent < *count) {
    std::size_t want = std::min(count ? *count - sent : chunk->size(), chunk->size());
    auto read_chunk = [chunk, fd, want] { return blocking_read(fd, chunk->data(), want); };
    std::size_t got = co_await loop.run_in_executor(nullptr, read_chunk);
    if (got == 0) break;  // end of file
    co_await send_all_owned(loop, sock, std::string_view(chunk->data(), got));
    sent += got;
  }
  co_return sent;
}

// os.sendfile in a loop (or the copying fallback for files that sendfile(2) refuses).
// Returns the bytes sent.
Coro<std::size_t> send_file_bytes(EventLoop& loop, int sock, int fd, std::size_t offset,
                                  std::optional<std::size_t> count, bool copy) {
  if (copy) co_return co_await copy_file_bytes(loop, sock, fd, offset, count);
  std::size_t sent = 0;
  while (!count || sent < *count) {
    std::size_t want = count ? std::min<std::size_t>(*count - sent, 1 << 30) : 1 << 30;
    off_t off = off_t(offset + sent);
    ssize_t n = without_sigpipe([&] { return ::sendfile(sock, fd, &off, want); });
    if (n == 0) break;  // end of file
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) throw_os_error(errno);
      co_await until_writable(loop, sock);
      continue;
    }
    sent += std::size_t(n);
  }
  co_return sent;
}

}  // namespace

// loop.sendfile for socket transports (_sendfile_native, with a copying fallback).
Coro<std::size_t> transport_sendfile(EventLoop& loop, std::shared_ptr<Transport> transport, int fd,
                                     std::size_t offset, std::optional<std::size_t> count,
                                     bool fallback) {
  if (transport->is_closing()) throw RuntimeError("Transport is closing");
  auto* socket = dynamic_cast<SocketTransport*>(transport.get());
  if (socket == nullptr)
    throw RuntimeError("sendfile is not supported for transport " + transport->repr());
  struct stat st {};
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (!regular && !fallback) throw SendfileNotAvailableError("not a regular file");
  bool resume = socket->is_reading();
  socket->pause_reading();
  std::exception_ptr failure;
  std::size_t sent = 0;
  try {
    co_await socket->make_empty_waiter();
    sent = co_await send_file_bytes(loop, socket->fileno(), fd, offset, count, !regular);
  } catch (...) {
    failure = std::current_exception();
  }
  socket->reset_empty_waiter();
  if (resume) socket->resume_reading();
  if (failure) std::rethrow_exception(failure);
  ::lseek(fd, off_t(offset + sent), SEEK_SET);  // as asyncio leaves the file position
  co_return sent;
}

std::shared_ptr<Transport> make_socket_transport(EventLoop& loop, int fd,
                                                 std::shared_ptr<BaseProtocol> protocol,
                                                 std::shared_ptr<Server> server,
                                                 std::optional<Future<void>> waiter) {
  auto t = std::make_shared<SocketTransport>(loop, fd, std::move(protocol), std::move(server));
  t->start(t, std::move(waiter));
  return t;
}

std::shared_ptr<Transport> make_ssl_transport(EventLoop& loop, int fd,
                                              std::shared_ptr<BaseProtocol> protocol,
                                              SSLSettings settings, std::shared_ptr<Server> server,
                                              std::optional<Future<void>> waiter) {
  std::pair<std::shared_ptr<Protocol>, std::shared_ptr<Transport>> made;
  try {
    made =
        make_ssl_protocol(loop, std::move(protocol), std::move(settings), std::move(waiter), true);
  } catch (...) {
    ::close(fd);  // the fd was handed over: nothing may leak
    throw;
  }
  make_socket_transport(loop, fd, made.first, std::move(server), std::nullopt);
  return made.second;
}

}  // namespace asyncio::detail
