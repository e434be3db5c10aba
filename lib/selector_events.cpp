// add_reader / add_writer, as CPython's selector_events does them, on Asio descriptors.
#include "fd_hints.hpp"
#include "loop_impl.hpp"

#include <boost/asio/bind_executor.hpp>

#include <asyncio/transports.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <string>
#include <system_error>

namespace asyncio {

namespace {
constexpr int reader = 0;
constexpr int writer = 1;

void cancel_handle(HandleImpl* h) {
  h->add_ref();
  Handle(h).cancel();
}
}  // namespace

// Asio keeps a descriptor's mode flags private. An explicit instantiation may name a
// private member, which is the standard way to reach it without patching Asio.
using DescriptorImpl = asio::detail::reactive_descriptor_service::implementation_type;
using StateMember = asio::detail::descriptor_ops::state_type DescriptorImpl::*;
StateMember descriptor_state_member();
template <StateMember Member>
struct DescriptorStateAccess {
  friend StateMember descriptor_state_member() { return Member; }
};
template struct DescriptorStateAccess<&DescriptorImpl::state_>;

void WaitDescriptor::assign_for_waits(int fd, boost::system::error_code& ec) {
  assign(fd, ec);
  // Waits do no I/O, so the user's fd need not become O_NONBLOCK: tell Asio it already is.
  if (!ec) {
    impl_.get_implementation().*descriptor_state_member() |=
        asio::detail::descriptor_ops::internal_non_blocking;
  }
}

void WaitDescriptor::forget() noexcept {
  if (is_open()) (void)release();
}

void WaitDescriptor::close_fd() noexcept {
  if (!is_open()) return;
  // assign() marks the fd as a possible dup, for which Asio's close() still asks epoll to
  // forget it; the fds closed here are the loop's own, so close() alone does that.
  impl_.get_implementation().*descriptor_state_member() &=
      ~asio::detail::descriptor_ops::possible_dup;
  boost::system::error_code ignored;
  close(ignored);
}

void EventLoop::watch_fd(int fd, bool for_write, HandleImpl* h) {
  try {
    if (!impl_->closed) detail::ensure_fd_no_transport(*this, fd);
  } catch (...) {
    h->release();
    throw;
  }
  watch_owned_fd(fd, for_write, h);
}

bool EventLoop::unwatch_fd(int fd, bool for_write) {
  if (!impl_->closed) detail::ensure_fd_no_transport(*this, fd);
  return unwatch_owned_fd(fd, for_write);
}

void EventLoop::watch_owned_fd(int fd, bool for_write, HandleImpl* h) {
  Impl& L = *impl_;
  try {
    L.check_closed();
    if (L.debug) L.check_thread();
    L.watch(fd, for_write ? writer : reader, h);
  } catch (...) {
    h->release();
    throw;
  }
}

bool EventLoop::unwatch_owned_fd(int fd, bool for_write) {
  Impl& L = *impl_;
  if (L.closed) return false;  // as asyncio's _remove_reader does
  if (L.debug) L.check_thread();
  return L.unwatch(fd, for_write ? writer : reader);
}

void detail::claim_fd(EventLoop& loop, int fd, const BaseTransport& owner) {
  detail::LoopAccess::impl(loop).fd_owners[fd] = &owner;
}

void detail::release_fd(EventLoop& loop, int fd) noexcept {
  detail::LoopAccess::impl(loop).fd_owners.erase(fd);
}

void detail::ensure_fd_no_transport(EventLoop& loop, int fd) {
  auto& owners = detail::LoopAccess::impl(loop).fd_owners;
  auto it = owners.find(fd);
  if (it == owners.end() || it->second->is_closing()) return;
  throw RuntimeError("File descriptor " + std::to_string(fd) + " is used by transport " +
                     it->second->repr());
}

namespace {
// Takes an fd's watch out of the loop, its handles cancelled; the caller lets go of the fd.
std::shared_ptr<FdWatch> take_watch(
    EventLoop::Impl& L, std::unordered_map<int, std::shared_ptr<FdWatch>>::iterator it) {
  std::shared_ptr<FdWatch> w = std::move(it->second);
  L.fd_watches.erase(it);
  for (HandleImpl*& h : w->handles) {
    if (h == nullptr) continue;
    cancel_handle(h);
    std::exchange(h, nullptr)->release();
  }
  return w;
}
}  // namespace

void detail::forget_stale_watch(EventLoop& loop, int fd) noexcept {
  EventLoop::Impl& L = detail::LoopAccess::impl(loop);
  auto it = L.fd_watches.find(fd);
  if (it == L.fd_watches.end()) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_dev == it->second->dev && st.st_ino == it->second->ino)
    return;  // the same file: a live registration
  std::shared_ptr<FdWatch> w = take_watch(L, it);
  w->desc.forget();  // the new file is not in epoll yet: its EPOLL_CTL_DEL finds nothing
  ExceptionContext ctx;
  ctx.message = "File descriptor " + std::to_string(fd) +
                " was closed while still registered with add_reader() or add_writer(); the "
                "stale registration is dropped (call remove_reader()/remove_writer() first)";
  loop.call_exception_handler(ctx);
}

FdWatch::FdWatch(asio::io_context& io, EventLoop::Impl& l)
    : desc(io), loop(l), edge_wait(&EventLoop::Impl::on_edge, this) {}

void EventLoop::Impl::watch(int fd, int dir, HandleImpl* h) {
  if (fd < 0) throw std::invalid_argument("Invalid file descriptor: " + std::to_string(fd));
  std::shared_ptr<FdWatch>& slot = fd_watches[fd];
  if (!slot) {
    struct stat st;
    int err = ::fstat(fd, &st) != 0 ? errno : 0;
    if (err == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) err = EPERM;  // as epoll says
    boost::system::error_code ec;
    auto w = std::make_shared<FdWatch>(io, *this);
    if (err == 0) w->desc.assign_for_waits(fd, ec);
    if (err != 0 || ec) {
      fd_watches.erase(fd);
      throw_os_error(err != 0 ? err : ec.value());
    }
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    slot = std::move(w);
  }
  HandleImpl* old = std::exchange(slot->handles[dir], h);
  if (old != nullptr) {
    cancel_handle(old);
    old->release();
  }
  arm(slot, dir);
}

bool EventLoop::Impl::unwatch(int fd, int dir) {
  auto it = fd_watches.find(fd);
  if (it == fd_watches.end() || it->second->handles[dir] == nullptr) return false;
  std::shared_ptr<FdWatch> w = it->second;
  HandleImpl* h = std::exchange(w->handles[dir], nullptr);
  cancel_handle(h);
  h->release();
  if (w->handles[1 - dir] == nullptr) {
    w->desc.forget();  // completes its pending waits as aborted
    fd_watches.erase(it);
  }
  return true;
}

void detail::unwatch_and_close(EventLoop& loop, int fd) noexcept {
  EventLoop::Impl& L = detail::LoopAccess::impl(loop);
  auto it = L.fd_watches.find(fd);
  if (L.closed || it == L.fd_watches.end()) {
    ::close(fd);
    return;
  }
  std::shared_ptr<FdWatch> w = take_watch(L, it);
  w->desc.close_fd();  // completes its pending waits as aborted
}

void EventLoop::Impl::arm(const std::shared_ptr<FdWatch>& w, int dir) {
  if (w->armed[dir]) return;
  w->armed[dir] = true;
  bool drained = std::exchange(w->drained, false);
  // A drained fd needs only the next edge: no epoll_ctl. Only where no other thread runs
  // the io_context, since the completion skips the strand.
  if (dir == reader && drained && owned_io) {
    w->edge_keepalive = w;
    w->edge_wait.start(io, w->desc);
    return;
  }
  auto wait = dir == reader ? asio::posix::stream_descriptor::wait_read
                            : asio::posix::stream_descriptor::wait_write;
  w->desc.async_wait(wait, asio::bind_executor(
                               strand, [this, alive = alive, w, dir](boost::system::error_code ec) {
                                 w->armed[dir] = false;
                                 if (ec == asio::error::operation_aborted || !alive->load()) return;
                                 on_fd_ready(w, dir);
                               }));
}

void EventLoop::Impl::on_edge(void* watch, const boost::system::error_code& ec, bool destroyed) {
  auto* w = static_cast<FdWatch*>(watch);
  std::shared_ptr<FdWatch> keep = std::move(w->edge_keepalive);  // may be the last owner
  w->armed[reader] = false;
  if (destroyed || ec == asio::error::operation_aborted || w->loop.closed) return;
  w->loop.on_fd_ready(keep, reader);
}

void detail::note_drained(EventLoop& loop, int fd) noexcept {
  auto& watches = detail::LoopAccess::impl(loop).fd_watches;
  auto it = watches.find(fd);
  if (it != watches.end()) it->second->drained = true;
}

void EventLoop::Impl::on_fd_ready(const std::shared_ptr<FdWatch>& w, int dir) {
  if (w->handles[dir] == nullptr) return;  // removed meanwhile
  w->ready[dir] = true;
  if (!w->staged) {
    w->staged = true;
    staged_io.push_back(w);
  }
  schedule_guest();  // re-armed by rearm_flushed_io once its callback has run
}

void EventLoop::Impl::flush_staged_io() {
  // Per fd the reader goes before the writer, as in asyncio's _process_events.
  for (auto& w : staged_io) {
    for (int dir : {reader, writer}) {
      HandleImpl* h = w->handles[dir];
      if (w->ready[dir] && h != nullptr && !h->cancelled) {
        h->add_ref();
        ready.push_back(h);
      }
      w->ready[dir] = false;
    }
    w->staged = false;
  }
  flushed_io.swap(staged_io);
  staged_io.clear();
}

void EventLoop::Impl::rearm_flushed_io() {
  // Waiting again only after the callbacks ran gives select()'s level-triggered
  // behaviour: the kernel re-checks readiness when the next poll harvests the event.
  for (auto& w : flushed_io) {
    for (int dir : {reader, writer}) {
      if (w->handles[dir] != nullptr) arm(w, dir);
    }
  }
  flushed_io.clear();
  if (self_pipe_disarmed && !closed) {
    self_pipe_disarmed = false;
    arm_self_pipe();
  }
}

void EventLoop::Impl::unwatch_all() noexcept {
  for (auto& [fd, w] : fd_watches) {
    for (HandleImpl*& h : w->handles) {
      if (h != nullptr) {
        std::exchange(h, nullptr)->release();
      }
    }
    w->desc.forget();
  }
  fd_watches.clear();
  staged_io.clear();
  flushed_io.clear();
}

}  // namespace asyncio
