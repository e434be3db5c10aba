// selector_events._SelectorTransport: what the socket and datagram transports share.
#pragma once

#include "fd_hints.hpp"
#include "loop_resource.hpp"
#include "socket_utils.hpp"
#include "unix_pipes.hpp"

#include <unistd.h>

#include <any>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace asyncio::detail {

inline constexpr std::size_t max_read = 256 * 1024;  // selector_events' max_size

// What stream and datagram transports share: the socket, the protocol, closing.
class SelectorTransportBase : protected LoopResource {
 protected:
  SelectorTransportBase(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol)
      : LoopResource(loop), loop_(loop), fd_(fd), protocol_(std::move(protocol)) {
    sockname_ = local_address(fd);
    peername_ = peer_address(fd);
    forget_stale_watch(loop, fd);
  }
  ~SelectorTransportBase() { close_fd(); }
  // asyncio's __del__: a transport freed while its socket is open (nobody closed it, its loop
  // still exists) says so in debug mode. From the most derived destructor, while repr() works.
  void warn_if_abandoned(const BaseTransport& self) const noexcept {
    if (!closing_ && fd_ >= 0) warn_unclosed(self);
  }

  // loop._transports[fd] = self, once the object is whole (repr() is virtual).
  void claim(const BaseTransport& self) { claim_fd(loop_, fd_, self); }
  // The socket closes: the loop forgets its owner first, while the number is still ours.
  void close_fd() noexcept {
    if (fd_ < 0) return;
    if (loop_exists()) release_fd(loop_, fd_);
    ::close(std::exchange(fd_, -1));
  }

  std::any extra_info(std::string_view name) const {
    if (name == "peername" && peername_.family != 0) return peername_;
    if (name == "sockname" && sockname_.family != 0) return sockname_;
    if (name == "socket" && fd_ >= 0) return fd_;
    return {};
  }

  // _SelectorTransport.__repr__'s start: "<Name closing fd=7>".
  std::string state_repr(const char* name) const {
    std::string out = name;
    if (fd_ < 0)
      out += " closed";
    else if (closing_)
      out += " closing";
    return out + " fd=" + std::to_string(fd_) + ">";
  }

  void report_fatal(std::exception_ptr exc, const char* message,
                    const std::shared_ptr<BaseTransport>& self) {
    report_fatal_error(loop_, exc, message, self, protocol_);
  }

  // _SelectorTransport.close: stop reading; true when nothing is left to send, so that the
  // caller schedules connection_lost now.
  bool start_closing(bool nothing_buffered) {
    if (closing_) return false;
    closing_ = true;
    OwnerWatch{loop_}.remove_reader(fd_);
    if (!nothing_buffered) return false;
    ++conn_lost_;
    OwnerWatch{loop_}.remove_writer(fd_);
    return true;
  }
  // _force_close without dropping the buffer (the caller's); false if already lost.
  bool start_force_close(bool had_buffer) {
    if (conn_lost_ > 0) return false;
    if (had_buffer) OwnerWatch{loop_}.remove_writer(fd_);
    if (!closing_) {
      closing_ = true;
      OwnerWatch{loop_}.remove_reader(fd_);
    }
    ++conn_lost_;
    return true;
  }

  // The loop is closing (close_with_loop): the socket closes now, and from here on every
  // method returns before it would touch the loop. The caller then drops the protocol.
  void close_socket_with_loop(const BaseTransport& self) noexcept {
    if (!closing_) warn_unclosed(self);
    closing_ = true;
    if (conn_lost_ == 0) ++conn_lost_;
    close_fd();  // the peer sees EOF
  }

  EventLoop& loop_;
  int fd_;
  std::shared_ptr<BaseProtocol> protocol_;
  SockAddr sockname_;
  SockAddr peername_;
  bool closing_ = false;
  bool paused_ = false;
  int conn_lost_ = 0;
  WriteFlowControl flow_;
};

}  // namespace asyncio::detail
