// base_events.Server, and its accept loop (selector_events._accept_connection, EMFILE back-off).
#include "debug_logs.hpp"
#include "server_impl.hpp"
#include "socket_utils.hpp"

#include <asyncio/exceptions.hpp>
#include <asyncio/tasks.hpp>

#include <asyncio/log.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace asyncio {

// ---------------------------------------------------------------- Server

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (!impl_) return;
  try {
    impl_->close_sockets();  // none left once closed, by close() or with the loop
  } catch (...) {            // a debug-mode thread check: the fds still close
    for (int fd : impl_->socks) ::close(fd);
    impl_->socks.clear();
    impl_->remove_socket_file();
  }
}

EventLoop& Server::get_loop() const {
  if (!impl_->loop_exists()) throw RuntimeError("Event loop is closed");
  return impl_->loop;
}
bool Server::is_serving() const {
  return impl_->serving;
}
std::vector<int> Server::sockets() const {
  return impl_->socks;
}
std::vector<SockAddr> Server::addresses() const {
  return impl_->closed ? std::vector<SockAddr>{} : impl_->addrs;
}

std::string Server::repr() const {
  return detail::server_repr(impl_->socks);
}

void Server::close() {
  Impl& s = *impl_;
  if (s.closed) return;
  s.closed = true;
  s.close_sockets();
  s.serving = false;
  if (s.serving_forever && !s.serving_forever->done()) s.serving_forever->cancel();
  s.serving_forever.reset();
  if (s.clients.empty()) s.wakeup();
}

void Server::close_clients() {
  auto clients = impl_->clients;  // closing detaches
  for (Transport* t : clients) t->close();
}

void Server::abort_clients() {
  auto clients = impl_->clients;
  for (Transport* t : clients) t->abort();
}

Coro<void> Server::start_serving() {
  Impl& s = *impl_;
  if (s.serving || s.closed) co_return;
  s.serving = true;
  for (int fd : s.socks) {
    if (::listen(fd, s.backlog) != 0) detail::throw_socket_error(errno);
    s.start_accepting(fd);
  }
  co_return;
}

Coro<void> Server::serve_forever() {
  Impl& s = *impl_;
  if (s.serving_forever) throw RuntimeError("server is already being awaited on serve_forever()");
  if (s.closed) throw RuntimeError("server is closed");
  co_await start_serving();
  s.serving_forever = s.loop.create_future<void>();
  Future<void> forever = *s.serving_forever;
  bool cancelled = false;
  try {
    co_await forever;
  } catch (const CancelledError&) {
    cancelled = true;
  }
  s.serving_forever.reset();
  if (cancelled) {
    close();
    co_await wait_closed();
    throw CancelledError();
  }
}

Coro<void> Server::run(std::function<Coro<void>()> body) {
  std::exception_ptr failure;  // an error or a cancellation: the server closes all the same
  try {
    co_await body();
  } catch (...) {
    failure = std::current_exception();
  }
  close();
  co_await wait_closed();
  if (failure) std::rethrow_exception(failure);
}

Coro<void> Server::wait_closed() {
  Impl& s = *impl_;
  if (!s.waiters) co_return;  // closed and every connection gone
  Future<void> waiter = s.loop.create_future<void>();
  s.waiters->push_back(waiter);
  co_await waiter;
}

void Server::Impl::detach(Transport* t) {
  if (clients.erase(t) == 0) return;
  if (clients.empty() && closed) wakeup();
}

void Server::Impl::close_sockets() {
  for (int fd : socks) {
    loop.remove_reader(fd);  // false, touching nothing, on a closed loop
    ::close(fd);
  }
  socks.clear();
  remove_socket_file();
}

// Only the file bound at creation goes: one that someone replaced since stays.
void Server::Impl::remove_socket_file() noexcept {
  if (!unix_file) return;
  auto file = std::move(*unix_file);
  unix_file.reset();
  struct stat st {};
  if (::stat(file.path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      log(LogLevel::error,
          "Unable to clean up listening UNIX socket '" + file.path + "': " + std::strerror(errno));
    return;
  }
  if (st.st_dev == file.dev && st.st_ino == file.ino && ::unlink(file.path.c_str()) != 0 &&
      errno != ENOENT)
    log(LogLevel::error,
        "Unable to clean up listening UNIX socket '" + file.path + "': " + std::strerror(errno));
}

void Server::Impl::wakeup() noexcept {
  if (!waiters) return;
  auto woken = std::move(*waiters);
  waiters.reset();
  for (auto& w : woken) {
    try {
      if (!w.done()) w.set_result();
    } catch (const RuntimeError&) {  // the loop is closing: its waiting tasks go with it
    }
  }
}

// The loop is closing (its fds are unwatched already): the listening sockets close now, and
// close(), wait_closed() and serve_forever() find a closed server with nobody waiting.
void Server::Impl::close_with_loop() noexcept {
  for (int fd : socks) ::close(fd);
  socks.clear();
  remove_socket_file();
  closed = true;
  serving = false;
  serving_forever.reset();
  waiters.reset();
}

void Server::Impl::start_accepting(int fd) {
  loop.add_reader(fd, [this, fd] { accept_connections(fd); });
}

namespace {

Coro<void> accept_connection2(std::shared_ptr<Server> server, int fd) {
  Server::Impl& s = server->impl();
  EventLoop& loop = s.loop;
  detail::SocketGuard guard{fd};
  std::shared_ptr<BaseProtocol> protocol;
  std::shared_ptr<Transport> transport;
  std::exception_ptr failure;
  try {
    protocol = s.factory();
    Future<void> waiter = loop.create_future<void>();
    if (s.ssl)
      transport =
          detail::make_ssl_transport(loop, guard.release(), protocol, *s.ssl, server, waiter);
    else
      transport = detail::make_socket_transport(loop, guard.release(), protocol, server, waiter);
    co_await waiter;
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) co_return;
  if (transport) transport->close();
  if (loop.get_debug()) {
    ExceptionContext ctx;
    ctx.message = "Error on transport creation for incoming connection";
    ctx.exception = failure;
    ctx.protocol = protocol;
    ctx.transport = transport;
    loop.call_exception_handler(ctx);
  }
}

}  // namespace

void Server::Impl::accept_connections(int fd) {
  for (int i = 0; i < backlog; ++i) {
    // The peer's address only for the debug record: outside debug mode accept4 copies none.
    const bool debug = loop.get_debug();
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    int conn = ::accept4(fd, debug ? reinterpret_cast<sockaddr*>(&peer) : nullptr,
                         debug ? &peer_len : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn >= 0) {
      if (debug)
        detail::log_new_connection(
            socks, detail::to_sockaddr(reinterpret_cast<sockaddr*>(&peer), peer_len), conn);
      loop.create_task(accept_connection2(self.lock(), conn));
      continue;
    }
    int err = errno;
    if (err == EAGAIN || err == EINTR || err == ECONNABORTED) return;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      ExceptionContext ctx;
      ctx.message = "socket.accept() out of system resource";
      ctx.exception = make_os_error(err);
      loop.call_exception_handler(ctx);
      loop.remove_reader(fd);
      // asyncio's ACCEPT_RETRY_DELAY: no busy loop while the process is out of fds.
      loop.call_later(1.0, [weak = self, fd] {
        auto server = weak.lock();
        if (server && server->is_serving()) server->impl().start_accepting(fd);
      });
      return;
    }
    detail::throw_socket_error(err);
  }
}

}  // namespace asyncio
