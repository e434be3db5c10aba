// unix_events._UnixReadPipeTransport and _UnixWritePipeTransport: pipe ends (and
// sockets, character devices) driven by the loop's readers and writers.
#include "unix_pipes.hpp"

#include "debug_logs.hpp"
#include "loop_resource.hpp"

#include "fd_hints.hpp"
#include "linux/sigpipe.hpp"

#include <asyncio/futures.hpp>
#include <asyncio/log.hpp>
#include <asyncio/unix_events.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <type_traits>

namespace asyncio::detail {

// ---------------------------------------------------------------- shared helpers

void WriteFlowControl::set_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
  std::size_t h = high ? *high : (low ? 4 * *low : default_kb_ * 1024);
  std::size_t l = low ? *low : h / 4;
  if (h < l)
    throw std::invalid_argument("high (" + std::to_string(h) + ") must be >= low (" +
                                std::to_string(l) + ") must be >= 0");
  high_ = h;
  low_ = l;
}

static void report_flow_error(EventLoop& loop, const char* message,
                              const std::shared_ptr<BaseTransport>& t,
                              const std::shared_ptr<BaseProtocol>& p) {
  ExceptionContext ctx;
  ctx.message = message;
  ctx.exception = std::current_exception();
  ctx.transport = t;
  ctx.protocol = p;
  loop.call_exception_handler(ctx);
}

void WriteFlowControl::maybe_pause(std::size_t size, EventLoop& loop,
                                   const std::shared_ptr<BaseTransport>& t,
                                   const std::shared_ptr<BaseProtocol>& p) {
  if (!p || paused_ || size < high_ || (size == high_ && !at_high_)) return;
  paused_ = true;
  try {
    p->pause_writing();
  } catch (...) {
    report_flow_error(loop, "protocol.pause_writing() failed", t, p);
  }
}

void WriteFlowControl::maybe_resume(std::size_t size, EventLoop& loop,
                                    const std::shared_ptr<BaseTransport>& t,
                                    const std::shared_ptr<BaseProtocol>& p) {
  if (!p || !paused_ || size > low_) return;  // no protocol: lost, or closed with the loop
  paused_ = false;
  try {
    p->resume_writing();
  } catch (...) {
    report_flow_error(loop, "protocol.resume_writing() failed", t, p);
  }
}

void ByteBuffer::consume(std::size_t n) {
  start_ += n;
  if (start_ == data_.size()) {
    clear();
  } else if (start_ > data_.size() / 2) {
    data_.erase(0, start_);  // amortised: each byte moves at most once per halving
    start_ = 0;
  }
}

void ByteBuffer::release_spare(std::size_t low_water, std::size_t high_water) {
  // Flow control alone takes the buffer to about twice the high-water mark; keeping that much
  // spares a reallocation per pause/resume cycle (it cost a 4 KiB pipe write 1.2x its time).
  const std::size_t kept = std::max<std::size_t>(256 * 1024, 4 * high_water);
  if (size() > low_water || data_.capacity() <= std::max(kept, 2 * size())) return;
  std::string(view()).swap(data_);
  start_ = 0;
}

void report_fatal_error(EventLoop& loop, std::exception_ptr exc, const char* message,
                        std::shared_ptr<BaseTransport> transport,
                        std::shared_ptr<BaseProtocol> protocol) {
  if (is_os_error(exc)) {
    if (loop.get_debug())
      log(LogLevel::debug, std::string(message) + ": " + describe_exception(exc));
    return;
  }
  ExceptionContext ctx;
  ctx.message = message;
  ctx.exception = exc;
  ctx.transport = std::move(transport);
  ctx.protocol = std::move(protocol);
  loop.call_exception_handler(ctx);
}

Coro<std::exception_ptr> await_outcome(Future<void> waiter) {
  try {
    co_await waiter;
  } catch (...) {
    co_return std::current_exception();
  }
  co_return nullptr;
}

namespace {

enum class FdKind { fifo, socket, chardev, other };

FdKind fd_kind(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_os_error(errno);
  if (S_ISFIFO(st.st_mode)) return FdKind::fifo;
  if (S_ISSOCK(st.st_mode)) return FdKind::socket;
  if (S_ISCHR(st.st_mode)) return FdKind::chardev;
  return FdKind::other;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_os_error(errno);
}

// What both pipe transports share: the fd, the protocol, closing and the final call.
template <class Self, class ProtocolT>
class PipeTransportBase : protected LoopResource {
 protected:
  PipeTransportBase(EventLoop& loop, int fd, std::shared_ptr<ProtocolT> protocol)
      : LoopResource(loop), loop_(loop), fd_(fd), protocol_(std::move(protocol)) {
    forget_stale_watch(loop, fd);
  }
  ~PipeTransportBase() {
    if (fd_ >= 0) ::close(fd_);  // never connected, or the loop went away first
  }
  // asyncio's __del__, as SelectorTransportBase::warn_if_abandoned; from Self's destructor.
  void warn_if_abandoned() const noexcept {
    if (!closing_ && fd_ >= 0) warn_unclosed(static_cast<const Self&>(*this));
  }

  std::shared_ptr<Self> self() { return self_.lock(); }

  // asyncio's _fatal_error: OS errors are expected on pipes and only end the transport.
  void fatal_error(std::exception_ptr exc, const char* message) {
    report_fatal_error(loop_, exc, message, self(), protocol_);
    static_cast<Self*>(this)->close_with(exc);
  }

  void call_connection_lost(std::exception_ptr exc) {
    auto protocol = std::move(protocol_);
    struct Closer {
      int& fd;
      ~Closer() {
        if (fd >= 0) ::close(std::exchange(fd, -1));
      }
    } closer{fd_};
    if (protocol) protocol->connection_lost(exc);
  }

  void schedule_connection_lost(std::exception_ptr exc) {
    loop_.call_soon([self = self(), exc] { self->call_connection_lost(exc); });
  }

  // The loop is closing: the fd closes now and every method returns before it would touch
  // the loop. Drops the protocol last, which may free this.
  void close_pipe_with_loop() noexcept {
    if (!closing_) warn_unclosed(static_cast<const Self&>(*this));
    closing_ = true;
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    auto doomed = std::move(protocol_);
  }

  EventLoop& loop_;
  int fd_;
  std::shared_ptr<ProtocolT> protocol_;
  std::weak_ptr<Self> self_;
  bool closing_ = false;
};

// ---------------------------------------------------------------- reading

class ReadPipeTransport final : public ReadTransport,
                                PipeTransportBase<ReadPipeTransport, Protocol> {
  friend PipeTransportBase;

 public:
  ~ReadPipeTransport() override { warn_if_abandoned(); }
  static constexpr std::size_t max_size = 256 * 1024;  // bytes read at most per call

  static std::shared_ptr<ReadPipeTransport> create(EventLoop& loop, int fd,
                                                   std::shared_ptr<Protocol> protocol) {
    if (fd_kind(fd) == FdKind::other)
      throw std::invalid_argument("Pipe transport is for pipes/sockets only.");
    set_nonblocking(fd);
    auto t = std::shared_ptr<ReadPipeTransport>(new ReadPipeTransport(loop, fd, protocol));
    t->self_ = t;
    loop.call_soon([t] { t->protocol_->connection_made(t); });
    loop.call_soon([t] { t->start_reading(); });  // after connection_made, as asyncio
    return t;
  }

  bool is_reading() const override { return detail::is_reading(closing_, paused_); }
  void pause_reading() override { pause_reader(loop_, fd_, closing_, paused_); }
  void resume_reading() override {
    if (resume_reader(closing_, paused_)) start_reading();
  }
  void close() override {
    if (!closing_) close_with(nullptr);
  }
  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> p) override {
    protocol_ = std::dynamic_pointer_cast<Protocol>(p);
  }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  int fileno() const override { return fd_; }
  std::string repr() const override {
    return "<_UnixReadPipeTransport fd=" + std::to_string(fd_) + ">";
  }
  void close_with_loop() noexcept override { close_pipe_with_loop(); }

 private:
  using PipeTransportBase::PipeTransportBase;

  void start_reading() {
    if (is_reading()) OwnerWatch{loop_}.add_reader(fd_, [self = self()] { self->read_ready(); });
  }

  void read_ready() {
    // One buffer per thread: data_received's view is only valid during the call.
    thread_local std::string buffer(max_size, '\0');
    ssize_t n = ::read(fd_, buffer.data(), max_size);
    if (n < static_cast<ssize_t>(max_size) && (n >= 0 || errno == EAGAIN)) note_drained(loop_, fd_);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR)
        fatal_error(make_os_error(errno), "Fatal read error on pipe transport");
      return;
    }
    if (n > 0) {
      protocol_->data_received(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      return;
    }
    if (loop_.get_debug()) log(LogLevel::info, repr() + " was closed by peer");
    closing_ = true;
    OwnerWatch{loop_}.remove_reader(fd_);
    loop_.call_soon([p = protocol_] { p->eof_received(); });
    schedule_connection_lost(nullptr);
  }

  void close_with(std::exception_ptr exc) {
    closing_ = true;
    OwnerWatch{loop_}.remove_reader(fd_);
    schedule_connection_lost(exc);
  }

  bool paused_ = false;
};

// ---------------------------------------------------------------- writing

class WritePipeTransport final : public WriteTransport,
                                 PipeTransportBase<WritePipeTransport, BaseProtocol> {
  friend PipeTransportBase;

 public:
  ~WritePipeTransport() override { warn_if_abandoned(); }
  static std::shared_ptr<WritePipeTransport> create(EventLoop& loop, int fd,
                                                    std::shared_ptr<BaseProtocol> protocol) {
    FdKind kind = fd_kind(fd);
    if (kind == FdKind::other)
      throw std::invalid_argument(
          "Pipe transport is only for pipes, sockets and character devices");
    ignore_sigpipe();
    set_nonblocking(fd);
    auto t = std::shared_ptr<WritePipeTransport>(new WritePipeTransport(loop, fd, protocol));
    t->self_ = t;
    loop.call_soon([t] { t->protocol_->connection_made(t); });
    // A pipe's or socket's write end turns readable when the reader has gone.
    if (kind != FdKind::chardev)
      loop.call_soon([t] {
        if (t->fd_ >= 0) OwnerWatch{t->loop_}.add_reader(t->fd_, [t] { t->peer_closed(); });
      });
    return t;
  }

  void write(std::string_view data) override;
  void write_eof() override {
    if (closing_) return;
    closing_ = true;
    if (buffer_.empty()) {
      OwnerWatch{loop_}.remove_reader(fd_);
      schedule_connection_lost(nullptr);
    }
  }
  bool can_write_eof() const override { return true; }
  void abort() override {
    if (fd_ >= 0) close_with(nullptr);  // not once lost, or closed with the loop
  }
  std::size_t get_write_buffer_size() const override { return buffer_.size(); }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override {
    return flow_.limits();
  }
  void set_write_buffer_limits(std::optional<std::size_t> high,
                               std::optional<std::size_t> low) override {
    flow_.set_limits(high, low);
    maybe_pause_protocol();
  }
  void close() override {
    if (fd_ >= 0 && !closing_) write_eof();
  }
  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> p) override { protocol_ = std::move(p); }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  int fileno() const override { return fd_; }
  std::string repr() const override {
    return "<_UnixWritePipeTransport fd=" + std::to_string(fd_) + ">";
  }
  void close_with_loop() noexcept override {
    buffer_.clear();
    ++conn_lost_;
    close_pipe_with_loop();
  }

 private:
  using PipeTransportBase::PipeTransportBase;

  void peer_closed() {
    if (loop_.get_debug()) log(LogLevel::info, repr() + " was closed by peer");
    close_with(buffer_.empty() ? nullptr : make_os_error(EPIPE));
  }

  void write_ready();
  void close_with(std::exception_ptr exc) {
    closing_ = true;
    if (!buffer_.empty()) OwnerWatch{loop_}.remove_writer(fd_);
    buffer_.clear();
    OwnerWatch{loop_}.remove_reader(fd_);
    schedule_connection_lost(exc);
  }
  void maybe_pause_protocol() {
    if (protocol_) flow_.maybe_pause(buffer_.size(), loop_, self(), protocol_);
  }

  ByteBuffer buffer_;
  WriteFlowControl flow_;
  int conn_lost_ = 0;
};

void WritePipeTransport::write(std::string_view data) {
  if (data.empty()) return;
  if (conn_lost_ > 0 || closing_) {
    if (conn_lost_ >= 5)  // constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES
      log(LogLevel::warning, "pipe closed by peer or os.write(pipe, data) raised exception.");
    ++conn_lost_;
    return;
  }
  if (buffer_.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        ++conn_lost_;
        fatal_error(make_os_error(errno), "Fatal write error on pipe transport");
        return;
      }
      n = 0;
    }
    if (static_cast<std::size_t>(n) == data.size()) return;
    data.remove_prefix(static_cast<std::size_t>(n));
    OwnerWatch{loop_}.add_writer(fd_, [self = self()] { self->write_ready(); });
  }
  buffer_.append(data);
  maybe_pause_protocol();
}

void WritePipeTransport::write_ready() {
  std::string_view pending = buffer_.view();
  ssize_t n = ::write(fd_, pending.data(), pending.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    int err = errno;
    buffer_.clear();
    ++conn_lost_;
    OwnerWatch{loop_}.remove_writer(fd_);
    fatal_error(make_os_error(err), "Fatal write error on pipe transport");
    return;
  }
  buffer_.consume(static_cast<std::size_t>(n));
  buffer_.release_spare(flow_.limits().first, flow_.limits().second);
  if (!buffer_.empty()) return;
  OwnerWatch{loop_}.remove_writer(fd_);
  flow_.maybe_resume(0, loop_, self(), protocol_);  // may write more
  if (closing_ && buffer_.empty()) {
    OwnerWatch{loop_}.remove_reader(fd_);
    call_connection_lost(nullptr);
  }
}

template <class TransportT, class Made>
Coro<std::shared_ptr<TransportT>> await_connected(EventLoop& loop, std::shared_ptr<Made> t) {
  const int fd = t->fileno();  // for the debug record: the transport may be closed by then
  Future<void> waiter = loop.create_future<void>();
  loop.call_soon([waiter]() mutable {
    if (!waiter.cancelled()) waiter.set_result();
  });
  if (std::exception_ptr failure = co_await await_outcome(waiter)) {
    t->close();
    std::rethrow_exception(failure);
  }
  if (loop.get_debug())
    log_pipe_connected(std::is_same_v<TransportT, ReadTransport>, fd, *t, t->get_protocol().get());
  co_return t;
}

}  // namespace

Coro<std::shared_ptr<ReadTransport>> make_read_pipe_transport(EventLoop& loop, int fd,
                                                              std::shared_ptr<Protocol> protocol) {
  return await_connected<ReadTransport>(loop, ReadPipeTransport::create(loop, fd, protocol));
}

Coro<std::shared_ptr<WriteTransport>> make_write_pipe_transport(
    EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol) {
  return await_connected<WriteTransport>(loop, WritePipeTransport::create(loop, fd, protocol));
}

}  // namespace asyncio::detail
