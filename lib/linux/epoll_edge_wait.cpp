// EdgeWait: a reactor operation queued on Asio's epoll_reactor the way a speculative read is.
#include "linux/epoll_edge_wait.hpp"

#include "loop_impl.hpp"

#include <boost/asio/detail/reactor.hpp>

#include <poll.h>
#include <sys/epoll.h>

namespace asyncio {

// Asio keeps what EdgeWait needs private: the descriptor's reactor registration, its
// registered events and their mutex, the reactor's epoll fd, and the events an epoll_wait
// reported. An explicit instantiation may name private members (as loop_impl does for the
// descriptor's state flags), which reaches them without patching Asio.
using DescriptorImplType = asio::detail::reactive_descriptor_service::implementation_type;
using Reactor = asio::detail::epoll_reactor;
using State = Reactor::descriptor_state;
using Operation = asio::detail::scheduler_operation;

#define ASYNCIO_PRIVATE_MEMBER(Name, Class, Type, member) \
  using Name##Member = Type Class::*;                     \
  Name##Member Name();                                    \
  template <Name##Member M>                               \
  struct Name##Access {                                   \
    friend Name##Member Name() { return M; }              \
  };                                                      \
  template struct Name##Access<&Class::member>;

ASYNCIO_PRIVATE_MEMBER(reactor_data_of, DescriptorImplType, Reactor::per_descriptor_data,
                       reactor_data_)
ASYNCIO_PRIVATE_MEMBER(registered_events_of, State, uint32_t, registered_events_)
ASYNCIO_PRIVATE_MEMBER(mutex_of, State, asio::detail::conditionally_enabled_mutex, mutex_)
ASYNCIO_PRIVATE_MEMBER(epoll_fd_of, Reactor, int, epoll_fd_)
ASYNCIO_PRIVATE_MEMBER(task_result_of, Operation, unsigned int, task_result_)
#undef ASYNCIO_PRIVATE_MEMBER

namespace detail {

EdgeWait::EdgeWait(Callback callback, void* context)
    : reactor_op(boost::system::error_code(), &EdgeWait::do_perform, &EdgeWait::do_complete),
      callback_(callback),
      context_(context) {}

void EdgeWait::start(asio::io_context& io, WaitDescriptor& desc) {
  ec_ = boost::system::error_code();
  fd_ = desc.native_handle();
  auto& reactor = asio::use_service<Reactor>(io);
  state_ = desc.native_impl().*reactor_data_of();
  if (!rdhup_) watch_peer_shutdown(reactor);
  speculating_ = true;
  reactor.start_op(Reactor::read_op, fd_, desc.native_impl().*reactor_data_of(), this, false, true);
  speculating_ = false;
}

// A peer's FIN that arrives with the last data is reported in the same event as that data;
// EPOLLRDHUP marks it, so that such an event is not taken for "drained". Asio keeps the bit
// in the events it registers from then on. Once per registration.
void EdgeWait::watch_peer_shutdown(Reactor& reactor) {
  rdhup_ = true;
  State* state = static_cast<State*>(state_);
  asio::detail::conditionally_enabled_mutex::scoped_lock lock(state->*mutex_of());
  epoll_event ev{};
  ev.events = state->*registered_events_of() | EPOLLRDHUP;
  ev.data.ptr = state;
  if (::epoll_ctl(reactor.*epoll_fd_of(), EPOLL_CTL_MOD, fd_, &ev) == 0)
    state->*registered_events_of() = ev.events;
}

// Asio asks speculatively only when an event came since the last exhausted wait: then the
// fd is polled. Called for an event, it reports "exhausted" (so that the next wait, after
// the reader drained the fd, goes straight to the queue) unless the event also said the
// peer is gone or the fd failed: those stay visible only to a poll.
asio::detail::reactor_op::status EdgeWait::do_perform(reactor_op* base) {
  auto* self = static_cast<EdgeWait*>(base);
  if (!self->speculating_) {
    auto* op = (Operation*)static_cast<State*>(self->state_);  // a private base: C cast
    unsigned int events = op->*task_result_of();
    return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 ? done : done_and_exhausted;
  }
  pollfd p{self->fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 ? done : not_done;
}

void EdgeWait::do_complete(void* owner, asio::detail::scheduler_operation* base,
                           const boost::system::error_code&, std::size_t) {
  auto* self = static_cast<EdgeWait*>(base);
  self->callback_(self->context_, self->ec_, owner == nullptr);
}

}  // namespace detail
}  // namespace asyncio
