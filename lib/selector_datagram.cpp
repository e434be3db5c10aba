// selector_events._SelectorDatagramTransport: a datagram socket driven by the loop.
#include "selector_transport_base.hpp"
#include "server_impl.hpp"
#include "socket_utils.hpp"
#include "unix_pipes.hpp"

#include <asyncio/log.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>

namespace asyncio::detail {

namespace {

class DatagramSocketTransport final : public DatagramTransport, SelectorTransportBase {
 public:
  DatagramSocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                          std::optional<SockAddr> remote)
      : SelectorTransportBase(loop, fd, std::move(protocol)), remote_(std::move(remote)) {
    proto_ = dynamic_cast<DatagramProtocol*>(protocol_.get());
  }
  ~DatagramSocketTransport() override { warn_if_abandoned(*this); }

  void start(std::weak_ptr<DatagramSocketTransport> self, Future<void> waiter) {
    self_ = self;
    auto t = self.lock();
    claim(*t);
    loop_.call_soon([t] { t->protocol_->connection_made(t); });
    loop_.call_soon([t] {
      if (!t->closing_) OwnerWatch{t->loop_}.add_reader(t->fd_, [t] { t->read_ready(); });
    });
    loop_.call_soon([waiter]() mutable {
      if (!waiter.cancelled()) waiter.set_result();
    });
  }

  void sendto(std::string_view data, const std::optional<SockAddr>& addr) override;
  void abort() override { force_close(nullptr); }
  std::size_t get_write_buffer_size() const override { return buffered_bytes_; }
  void close() override {
    if (start_closing(queue_.empty())) schedule_connection_lost(nullptr);
  }
  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> p) override {
    protocol_ = std::move(p);
    proto_ = dynamic_cast<DatagramProtocol*>(protocol_.get());
  }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  int fileno() const override { return fd_; }
  std::any get_extra_info(std::string_view name) const override { return extra_info(name); }
  std::string repr() const override { return state_repr("<_SelectorDatagramTransport"); }

  void close_with_loop() noexcept override {
    queue_.clear();
    buffered_bytes_ = 0;
    close_socket_with_loop(*this);
    proto_ = nullptr;
    auto doomed = std::move(protocol_);  // may free this
  }

 private:
  struct Datagram {
    std::string data;
    std::optional<SockAddr> addr;
  };
  void read_ready();
  void write_ready();
  bool send_one(const Datagram& d, int& err);
  void error_received(int err) {
    if (proto_) proto_->error_received(make_os_error(err));
  }
  void force_close(std::exception_ptr exc) {
    if (!start_force_close(!queue_.empty())) return;
    queue_.clear();
    buffered_bytes_ = 0;
    schedule_connection_lost(exc);
  }
  void schedule_connection_lost(std::exception_ptr exc) {
    loop_.call_soon([self = self_.lock(), exc] {
      auto protocol = std::move(self->protocol_);
      self->proto_ = nullptr;
      struct Closer {
        DatagramSocketTransport& t;
        ~Closer() { t.close_fd(); }
      } closer{*self};
      if (protocol) protocol->connection_lost(exc);
    });
  }

  std::weak_ptr<DatagramSocketTransport> self_;
  DatagramProtocol* proto_;
  std::optional<SockAddr> remote_;
  std::deque<Datagram> queue_;
  std::size_t buffered_bytes_ = 0;
};

void DatagramSocketTransport::read_ready() {
  if (conn_lost_ > 0) return;
  thread_local std::string chunk(max_read, '\0');
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(fd_, chunk.data(), max_read, 0, reinterpret_cast<sockaddr*>(&from), &len);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    error_received(errno);  // asyncio: OSError goes to error_received
    return;
  }
  SockAddr addr = len > 0 ? to_sockaddr(reinterpret_cast<sockaddr*>(&from), len) : SockAddr{};
  if (proto_) proto_->datagram_received(std::string_view(chunk.data(), std::size_t(n)), addr);
}

bool DatagramSocketTransport::send_one(const Datagram& d, int& err) {
  ssize_t n;
  if (d.addr) {
    sockaddr_storage to{};
    socklen_t len = from_sockaddr(*d.addr, to);
    n = ::sendto(fd_, d.data.data(), d.data.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&to),
                 len);
  } else {
    n = ::send(fd_, d.data.data(), d.data.size(), MSG_NOSIGNAL);
  }
  err = n < 0 ? errno : 0;
  return n >= 0;
}

void DatagramSocketTransport::sendto(std::string_view data, const std::optional<SockAddr>& addr) {
  if (remote_ && addr && !(*addr == *remote_))
    throw std::invalid_argument("Invalid address: must be None or " + remote_->repr());
  if (conn_lost_ > 0 && remote_) {
    if (conn_lost_ >= 5) log(LogLevel::warning, "socket.send() raised exception.");
    ++conn_lost_;
    return;
  }
  Datagram d{std::string(data), remote_ ? std::nullopt : addr};
  if (queue_.empty()) {
    int err = 0;
    if (send_one(d, err)) return;
    if (err != EAGAIN && err != EINTR) {
      error_received(err);
      return;
    }
    OwnerWatch{loop_}.add_writer(fd_, [self = self_.lock()] { self->write_ready(); });
  }
  buffered_bytes_ += d.data.size();
  queue_.push_back(std::move(d));
  flow_.maybe_pause(buffered_bytes_, loop_, self_.lock(), protocol_);
}

// _sendto_ready: send what the socket takes; an OS error goes to error_received and
// ends this pass, with the failed datagram dropped.
void DatagramSocketTransport::write_ready() {
  while (!queue_.empty()) {
    int err = 0;
    bool sent = send_one(queue_.front(), err);
    if (!sent && (err == EAGAIN || err == EINTR)) break;
    buffered_bytes_ -= queue_.front().data.size();
    queue_.pop_front();
    if (!sent) {
      error_received(err);
      return;
    }
  }
  flow_.maybe_resume(buffered_bytes_, loop_, self_.lock(), protocol_);
  if (!queue_.empty()) return;
  OwnerWatch{loop_}.remove_writer(fd_);
  if (closing_) schedule_connection_lost(nullptr);
}

}  // namespace

std::shared_ptr<DatagramTransport> make_datagram_transport(EventLoop& loop, int fd,
                                                           std::shared_ptr<BaseProtocol> protocol,
                                                           std::optional<SockAddr> remote,
                                                           Future<void> waiter) {
  auto t =
      std::make_shared<DatagramSocketTransport>(loop, fd, std::move(protocol), std::move(remote));
  t->start(t, std::move(waiter));
  return t;
}

}  // namespace asyncio::detail
