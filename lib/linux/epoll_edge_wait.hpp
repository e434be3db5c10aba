// A read wait that needs no epoll_ctl. Asio registers each descriptor edge-triggered, and its
// async_wait re-arms with EPOLL_CTL_MOD every time so that a level is seen again. Once the
// loop knows an fd was drained after its last event, the next edge is all it needs to wait
// for, which costs no system call at all.
#pragma once

#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>

// Asio picks its reactor from BOOST_ASIO_DISABLE_EPOLL and the platform; this wait is
// written against the epoll one.
#if !defined(BOOST_ASIO_HAS_EPOLL)
#error \
    "asyncio-cpp needs Asio's epoll reactor (BOOST_ASIO_HAS_EPOLL): do not define BOOST_ASIO_DISABLE_EPOLL"
#endif

namespace asyncio {
class WaitDescriptor;
}

namespace asyncio::detail {

class EdgeWait final : public boost::asio::detail::reactor_op {
 public:
  // `destroyed`: the io_context is discarding the wait; only release what it holds.
  using Callback = void (*)(void* context, const boost::system::error_code& ec, bool destroyed);
  EdgeWait(Callback callback, void* context);

  // Runs the callback from the io_context once the fd is readable (at once if an event came
  // since the last wait), or with operation_aborted if the descriptor is released first.
  // One wait at a time; only for an io_context run by one thread.
  void start(boost::asio::io_context& io, WaitDescriptor& desc);

 private:
  static status do_perform(reactor_op* base);
  static void do_complete(void* owner, boost::asio::detail::scheduler_operation* base,
                          const boost::system::error_code& ec, std::size_t bytes);

  void watch_peer_shutdown(boost::asio::detail::epoll_reactor& reactor);

  Callback callback_;
  void* context_;
  void* state_ = nullptr;  // Asio's per-descriptor state (epoll_reactor::descriptor_state)
  int fd_ = -1;
  bool rdhup_ = false;        // EPOLLRDHUP added to the registration
  bool speculating_ = false;  // inside start(): Asio asks whether the fd is ready already
};

}  // namespace asyncio::detail
