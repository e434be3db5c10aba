// asyncio.events: the event loop, layered over boost::asio::io_context.
#pragma once

#include <asyncio/contextvars.hpp>
#include <asyncio/detail/asio_version.hpp>
#include <asyncio/detail/delay.hpp>
#include <asyncio/detail/site.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/handles.hpp>
#include <asyncio/loop_stats.hpp>
#include <asyncio/network_options.hpp>
#include <asyncio/subprocess_options.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <asyncio/detail/export.hpp>

namespace boost::asio {
class io_context;
}

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

class EventLoop;

template <class T>
class Future;
template <class T>
class Task;
template <class T>
class Coro;
template <class T>
class ConcurrentFuture;
class Executor;
class BaseTransport;
class BaseProtocol;
class ReadTransport;
class WriteTransport;
class SubprocessTransport;
class Transport;
class DatagramTransport;
class Server;
class TaskRef;
class TaskRequest;
/// loop.set_task_factory's argument, asyncio's factory(loop, coro, **kwargs): it gets the
/// request and returns request.make(), which it may adjust first or decorate after.
using TaskFactory = std::function<TaskRef(TaskRequest&)>;
struct AddrInfo;
struct SockAddr;

namespace detail {
struct FutureStateBase;
void on_timer_cancelled(EventLoop& loop) noexcept;
struct TaskCore;
struct LoopAccess;     // lib/'s way to the loop's machinery
struct OwnerWatch;     // how transports watch the fds they own
struct FactoryChoice;  // task.hpp: which factory create_task uses, read inline
class LoopResource;    // lib/loop_resource.hpp: what close() must close
/// Outlives its loop: everything that may outlive the loop (futures, primitives, work on
/// other threads) holds the anchor instead of the loop, and finds `loop` null once the loop
/// is destroyed (docs/04-architecture.md, "Ownership"). It also lists the loop's tasks
/// (asyncio's _all_tasks), intrusively.
struct LoopAnchor {
  explicit LoopAnchor(EventLoop* l) : loop(l) {}  // make_shared: Clang 14 lacks P0960
  EventLoop* loop;  // read on the loop's thread; other threads go through post()
  TaskCore* tasks = nullptr;
  LoopResource* resources = nullptr;  // open transports and servers, intrusively
  /// Held by ~EventLoop while it clears `loop`, and by post() while it uses it.
  std::mutex post_mutex;
  /// call_soon_threadsafe from any thread, for work that may outlive the loop (executor
  /// results, wrap_future, run_coroutine_threadsafe): false, and `fn` dropped, once the
  /// loop is closed or destroyed.
  template <class F>
  bool post(F&& fn) noexcept;
};
std::shared_ptr<LoopAnchor> loop_anchor(EventLoop& loop);
}  // namespace detail

/// What asyncio passes to an exception handler as its `context` dict.
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception;
  Handle handle;                                    // the callback that failed, if any
  std::shared_ptr<detail::FutureStateBase> future;  // the future concerned, if any
  std::shared_ptr<detail::FutureStateBase> task;    // the task concerned, if any
  std::shared_ptr<BaseTransport> transport;         // the transport concerned, if any
  std::shared_ptr<BaseProtocol> protocol;           // the protocol concerned, if any
  const ExceptionContext* context = nullptr;        // the original, when a handler failed
  /// In debug mode, where the handle, future or task concerned was created (asyncio's
  /// source_traceback, one frame deep); empty (line 0) otherwise.
  detail::Site source_traceback;
};

using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

class EventLoop {
 public:
  EventLoop();                                        // owns its io_context
  explicit EventLoop(boost::asio::io_context& host);  // shares a host's io_context
  ~EventLoop();                                       // closes the loop if still open
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// ---- running and stopping
  void run_forever();
  template <class Awaitable>
  auto run_until_complete(Awaitable&& aw) {
    return run_until_complete_impl(*this, std::forward<Awaitable>(aw));  // found by ADL
  }
  void stop() noexcept;
  bool is_running() const noexcept;
  bool is_closed() const noexcept;
  void close();

  /// ---- scheduling callbacks
  /// Each records where it was called (debug mode's reports show it): a defaulted
  /// detail::Site after the bound arguments, so call_soon and call_soon_threadsafe
  /// have one overload per count of arguments, up to three; with more, the variadic
  /// overload takes the call and records no site.
  template <class F>
  Handle call_soon(F&& callback, detail::Site where = detail::Site::current()) {
    return soon_from(where, std::forward<F>(callback));
  }
  template <class F, class A1>
  Handle call_soon(F&& callback, A1&& a1, detail::Site where = detail::Site::current()) {
    return soon_from(where, std::forward<F>(callback), std::forward<A1>(a1));
  }
  template <class F, class A1, class A2>
  Handle call_soon(F&& callback, A1&& a1, A2&& a2, detail::Site where = detail::Site::current()) {
    return soon_from(where, std::forward<F>(callback), std::forward<A1>(a1), std::forward<A2>(a2));
  }
  template <class F, class A1, class A2, class A3>
  Handle call_soon(F&& callback, A1&& a1, A2&& a2, A3&& a3,
                   detail::Site where = detail::Site::current()) {
    return soon_from(where, std::forward<F>(callback), std::forward<A1>(a1), std::forward<A2>(a2),
                     std::forward<A3>(a3));
  }
  template <class F, class... Args>
  Handle call_soon(F&& callback, Args&&... args) {
    return soon_from({}, std::forward<F>(callback), std::forward<Args>(args)...);
  }
  /// The one method that is safe to call from any thread.
  template <class F>
  Handle call_soon_threadsafe(F&& callback, detail::Site where = detail::Site::current()) {
    return threadsafe_from(where, std::forward<F>(callback));
  }
  template <class F, class A1>
  Handle call_soon_threadsafe(F&& callback, A1&& a1, detail::Site where = detail::Site::current()) {
    return threadsafe_from(where, std::forward<F>(callback), std::forward<A1>(a1));
  }
  template <class F, class A1, class A2>
  Handle call_soon_threadsafe(F&& callback, A1&& a1, A2&& a2,
                              detail::Site where = detail::Site::current()) {
    return threadsafe_from(where, std::forward<F>(callback), std::forward<A1>(a1),
                           std::forward<A2>(a2));
  }
  template <class F, class A1, class A2, class A3>
  Handle call_soon_threadsafe(F&& callback, A1&& a1, A2&& a2, A3&& a3,
                              detail::Site where = detail::Site::current()) {
    return threadsafe_from(where, std::forward<F>(callback), std::forward<A1>(a1),
                           std::forward<A2>(a2), std::forward<A3>(a3));
  }
  template <class F, class... Args>
  Handle call_soon_threadsafe(F&& callback, Args&&... args) {
    return threadsafe_from({}, std::forward<F>(callback), std::forward<Args>(args)...);
  }
  /// `delay`: seconds as any arithmetic type, or any std::chrono::duration. It carries the
  /// call's site, as call_at's `when` does.
  template <class F, class... Args>
  TimerHandle call_later(detail::SitedDelay delay, F&& callback, Args&&... args) {
    double when = time() + delay.seconds;
    return TimerHandle(schedule_at(
        when, make(std::forward<F>(callback), std::forward<Args>(args)...), delay.where));
  }
  template <class F, class... Args>
  TimerHandle call_at(detail::SitedTime when, F&& callback, Args&&... args) {
    return TimerHandle(schedule_at(
        when.when, make(std::forward<F>(callback), std::forward<Args>(args)...), when.where));
  }
  /// Monotonic seconds: the clock of call_at and of TimerHandle::when().
  double time() const noexcept {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  }

  /// ---- watching file descriptors (the fd is never owned, closed or made non-blocking)
  template <class F, class... Args>
  void add_reader(int fd, F&& callback, Args&&... args) {
    watch_fd(fd, false, make_owning(std::forward<F>(callback), std::forward<Args>(args)...));
  }
  template <class F, class... Args>
  void add_writer(int fd, F&& callback, Args&&... args) {
    watch_fd(fd, true, make_owning(std::forward<F>(callback), std::forward<Args>(args)...));
  }
  bool remove_reader(int fd) { return unwatch_fd(fd, false); }
  bool remove_writer(int fd) { return unwatch_fd(fd, true); }

  /// ---- Unix signals: the handler runs as a loop callback, never in signal context
  template <class F, class... Args>
  void add_signal_handler(int sig, F&& callback, Args&&... args) {
    watch_signal(sig, make_owning(std::forward<F>(callback), std::forward<Args>(args)...));
  }
  bool remove_signal_handler(int sig);

  /// loop.create_future(); defined in futures.hpp
  template <class T = void>
  Future<T> create_future(detail::Site where = detail::Site::current());
  /// loop.create_task(coro, name, context); defined in tasks.hpp. The task runs in a copy
  /// of the current context unless given one. `eager_start` (3.14) overrides the factory's
  /// choice: an eager task runs its first step now, inside create_task.
  template <class T>
  Task<T> create_task(Coro<T> coro, std::string name = {},
                      std::optional<Context> context = std::nullopt,
                      std::optional<bool> eager_start = std::nullopt,
                      detail::Site where = detail::Site::current());
  /// loop.set_task_factory: an empty factory restores the default (asyncio's None).
  void set_task_factory(TaskFactory factory);
  TaskFactory get_task_factory() const;

  /// ---- executors (threads.hpp)
  /// Runs f(args...) on `executor` (nullptr: the default ThreadPoolExecutor) -> Future<R>.
  template <class F, class... Args>
  auto run_in_executor(Executor* executor, F&& f, Args&&... args);
  void set_default_executor(std::shared_ptr<Executor> executor);
  Executor& default_executor();  // created on first use: min(32, cores + 4) threads
  /// 3.12: shuts the default executor down from another thread and waits for it, up to
  /// `timeout` seconds (nullopt: no limit); past that, logs a RuntimeWarning and returns.
  /// Afterwards run_in_executor(nullptr, ...) raises RuntimeError, as in asyncio.
  /// asyncio::run and Runner await it with runners' thread_join_timeout (300 s).
  Coro<void> shutdown_default_executor(std::optional<double> timeout = std::nullopt);

  /// ---- pipes and subprocesses, as coroutines; defined in unix_events.hpp.
  /// Each factory returns a std::shared_ptr to a new protocol; the pair is
  /// (transport, protocol). A pipe transport owns `fd` and closes it.
  template <class Factory>
  auto connect_read_pipe(Factory factory, int fd);
  template <class Factory>
  auto connect_write_pipe(Factory factory, int fd);
  /// `args` excludes the program itself, as *args does in asyncio.
  template <class Factory>
  auto subprocess_exec(Factory factory, std::string program, std::vector<std::string> args = {},
                       SubprocessOptions options = {});
  /// subprocess_exec(factory, "ls", "-l", dir, options): the arguments one by one, as in
  /// Python, options (if any) last. No braced list, which GCC 12 cannot compile inside co_await.
  template <class Factory, detail::ExecArg... Args>
  requires(sizeof...(Args) > 0 && (!detail::is_arg_vector<Args> &&
                                   ...)) auto subprocess_exec(Factory factory, std::string program,
                                                              Args&&... args);
  template <class Factory>
  auto subprocess_shell(Factory factory, std::string cmd, SubprocessOptions options = {});

  /// ---- networking, as coroutines; defined in base_events.hpp. The factory runs once
  /// the connection is up (for a server: per accepted connection), as in asyncio.
  /// `host` absent (std::nullopt) means the loopback addresses, as Python's None does; ""
  /// is a name to resolve, which fails (socket.gaierror). The overload without host and
  /// port is Python's create_connection(factory, sock=...): it needs options.sock.
  template <class Factory>
  auto create_connection(Factory factory, std::optional<std::string> host, int port,
                         ConnectionOptions options = {});
  template <class Factory>
  auto create_connection(Factory factory, ConnectionOptions options = {});
  template <class Factory>
  auto create_unix_connection(Factory factory, std::string path, ConnectionOptions options = {});
  /// Wraps an already connected socket (accepted elsewhere, or adopted from Asio); owns it.
  /// Of the options only ssl, ssl_handshake_timeout and ssl_shutdown_timeout apply: TLS,
  /// server side, as in asyncio.
  template <class Factory>
  auto connect_accepted_socket(Factory factory, int fd, ServerOptions options = {});
  /// `host`: one host, a list of hosts (a listening socket per distinct address), or absent
  /// / "" for every interface (see Hosts). The overload without host and port is Python's
  /// create_server(factory, sock=...): it needs options.sock.
  template <class Factory>
  Coro<std::shared_ptr<Server>> create_server(Factory factory, Hosts host, int port,
                                              ServerOptions options = {});
  template <class Factory>
  Coro<std::shared_ptr<Server>> create_server(Factory factory, ServerOptions options = {});
  template <class Factory>
  Coro<std::shared_ptr<Server>> create_unix_server(Factory factory, std::string path,
                                                   ServerOptions options = {});
  template <class Factory>
  auto create_datagram_endpoint(Factory factory, DatagramOptions options);
  /// Low-level socket coroutines on a non-blocking socket the caller owns (selector_events).
  /// In debug mode a blocking socket raises std::invalid_argument ("the socket must be
  /// non-blocking"), as asyncio does. Cancelling one removes the reader or writer it added.
  Coro<std::string> sock_recv(int fd, std::size_t nbytes);
  Coro<std::size_t> sock_recv_into(int fd, std::span<char> buffer);
  /// 3.11: (data, sender); the sender has family 0 where the socket gives none.
  Coro<std::pair<std::string, SockAddr>> sock_recvfrom(int fd, std::size_t bufsize);
  /// 3.11: (bytes received, sender) into buffer[0, nbytes); nbytes 0 means the whole buffer.
  Coro<std::pair<std::size_t, SockAddr>> sock_recvfrom_into(int fd, std::span<char> buffer,
                                                            std::size_t nbytes = 0);
  Coro<void> sock_sendall(int fd, std::string data);
  Coro<std::size_t> sock_sendto(int fd, std::string data, SockAddr address);  // 3.11: bytes sent
  Coro<void> sock_connect(int fd, SockAddr address);
  Coro<std::pair<int, SockAddr>> sock_accept(int fd);  // the new fd is non-blocking, cloexec
  /// Sends `file`'s bytes [offset, offset + count) over a stream socket with sendfile(2);
  /// where sendfile(2) cannot take the file, copies it with reads and sock_sendall, or raises
  /// SendfileNotAvailableError if fallback is false. std::invalid_argument (ValueError) for a
  /// socket that is not SOCK_STREAM, a count <= 0 or an offset < 0. Returns the bytes sent and
  /// leaves the file position after them.
  Coro<std::size_t> sock_sendfile(int sock, int file, std::int64_t offset = 0,
                                  std::optional<std::int64_t> count = std::nullopt,
                                  bool fallback = true);
  /// Sends fd's bytes [offset, offset + count) over a socket transport with sendfile(2)
  /// (copying when the fd is not a regular file, unless fallback is false); returns the
  /// bytes sent and leaves the file position after them.
  Coro<std::size_t> sendfile(std::shared_ptr<Transport> transport, int fd, std::size_t offset = 0,
                             std::optional<std::size_t> count = std::nullopt, bool fallback = true);
  /// Upgrades a connection to TLS (STARTTLS): `protocol` now hears the plaintext, through
  /// the returned transport, once the handshake is done. std::invalid_argument if
  /// `transport` is not a socket or TLS transport.
  Coro<std::shared_ptr<Transport>> start_tls(std::shared_ptr<Transport> transport,
                                             std::shared_ptr<BaseProtocol> protocol,
                                             std::shared_ptr<boost::asio::ssl::context> sslcontext,
                                             StartTLSOptions options = {});
  /// getaddrinfo(3) on the default executor, so the loop never blocks on DNS. An absent
  /// host or port is Python's None (NULL to getaddrinfo); "" is passed on as it is.
  Coro<std::vector<AddrInfo>> getaddrinfo(std::optional<std::string> host,
                                          std::optional<std::string> port, int family = 0,
                                          int type = 0, int proto = 0, int flags = 0);
  /// getnameinfo(3) on the default executor: (host, service), e.g. ("localhost", "http").
  Coro<std::pair<std::string, std::string>> getnameinfo(SockAddr address, int flags = 0);

  /// ---- errors
  void set_exception_handler(ExceptionHandler handler);
  ExceptionHandler get_exception_handler() const;
  void default_exception_handler(const ExceptionContext& context);
  void call_exception_handler(const ExceptionContext& context) noexcept;

  /// ---- call graphs (graph.hpp; lib/graph.cpp), as `python -m asyncio pstree`
  /// Every pending task's call graph, in creation order, separated by blank lines. On the
  /// loop's thread (RuntimeError from another thread while the loop runs, or once closed).
  std::string format_all_tasks();
  /// The same from any thread (a signal handler's, a monitor's): taken on the loop's thread
  /// when it next runs; RuntimeError in the future if the loop is closed first.
  ConcurrentFuture<std::string> format_all_tasks_threadsafe();

  /// ---- debug mode
  bool get_debug() const noexcept;
  void set_debug(bool enabled) noexcept;
  double slow_callback_duration = 0.1;  // seconds

  /// ---- loop health (loop_stats.hpp; beyond CPython). Call these on the loop's thread, or
  /// while it is not running.
  /// Counters since stats were turned on; all zero (enabled false) while they are off.
  LoopStats stats() const;
  /// Off by default, or on from the start with ASYNCIO_CPP_STATS=1 in the environment. Turning
  /// them on starts every counter from zero; turning them off drops them.
  void set_stats(bool enabled);
  bool get_stats() const noexcept;
  /// A monitor thread reports each callback or task step that runs `seconds` or longer, once
  /// per step, while it runs; the loop is not stopped. An empty callback logs the report at
  /// warning level. nullopt or 0 turns the watchdog off (and joins its thread); a negative,
  /// NaN or infinite threshold raises std::invalid_argument; a closed loop, RuntimeError.
  void set_watchdog(std::optional<double> seconds, WatchdogCallback callback = {});
  std::optional<double> get_watchdog() const noexcept;

  boost::asio::io_context& io_context() noexcept;

  struct Impl;  // the loop's machinery, in lib/

 private:
  /// The callback runs in its own copy of the current context, as asyncio's Handle does;
  /// while no variable is set there is nothing to copy, and the loop's empty one serves.
  template <class F, class... Args>
  detail::HandleImpl* make(F&& callback, Args&&... args) {
    if constexpr (!detail::RunsInOwnContext<std::decay_t<F>>) {
      if (detail::VarMap* map = detail::current_map(); map != nullptr) [[unlikely]] {
        return make_in_context(map, std::forward<F>(callback), std::forward<Args>(args)...);
      }
    }
    return make_plain(std::forward<F>(callback), std::forward<Args>(args)...);
  }
  /// Out of line and cold, so that the common path keeps its registers.
  template <class F, class... Args>
  [[gnu::noinline, gnu::cold]] detail::HandleImpl* make_in_context(detail::VarMap* map,
                                                                   F&& callback, Args&&... args) {
    return detail::make_handle(
        this,
        detail::InContext<std::decay_t<F>>{detail::OwnedContext(map), std::forward<F>(callback)},
        std::forward<Args>(args)...);
  }
  /// For callbacks that run many times (readers, writers, signal handlers): they always own a
  /// context, which keeps what one run sets for the next, as a Handle's `_context` does.
  template <class F, class... Args>
  detail::HandleImpl* make_owning(F&& callback, Args&&... args) {
    if constexpr (detail::RunsInOwnContext<std::decay_t<F>>) {
      return make_plain(std::forward<F>(callback), std::forward<Args>(args)...);
    } else {
      return detail::make_handle(
          this,
          detail::InContext<std::decay_t<F>>{detail::OwnedContext(detail::current_map()),
                                             std::forward<F>(callback)},
          std::forward<Args>(args)...);
    }
  }
  template <class F, class... Args>
  Handle soon_from(detail::Site where, F&& callback, Args&&... args) {
    return Handle(
        schedule_soon(make(std::forward<F>(callback), std::forward<Args>(args)...), where));
  }
  template <class F, class... Args>
  Handle threadsafe_from(detail::Site where, F&& callback, Args&&... args) {
    return Handle(
        schedule_threadsafe(make(std::forward<F>(callback), std::forward<Args>(args)...), where));
  }
  /// For the library's own callbacks, which say themselves where they run (a task's step).
  template <class F, class... Args>
  detail::HandleImpl* make_plain(F&& callback, Args&&... args) {
    return detail::make_handle(this, std::forward<F>(callback), std::forward<Args>(args)...);
  }
  /// Each takes over the handle's reference and returns a new one for the caller. In debug
  /// mode they record `where` (a pointer, passed in a register: the only cost otherwise).
  detail::HandleImpl* schedule_soon(detail::HandleImpl* h, detail::Site where = {});
  detail::HandleImpl* schedule_threadsafe(detail::HandleImpl* h, detail::Site where = {});
  detail::HandleImpl* schedule_at(double when, detail::HandleImpl* h, detail::Site where = {});
  /// add_reader & co.: raise RuntimeError on an fd that a transport owns, as asyncio's
  /// _ensure_fd_no_transport; the owner itself goes through detail::OwnerWatch.
  void watch_fd(int fd, bool for_write, detail::HandleImpl* h);
  bool unwatch_fd(int fd, bool for_write);
  void watch_owned_fd(int fd, bool for_write, detail::HandleImpl* h);
  bool unwatch_owned_fd(int fd, bool for_write);
  void watch_signal(int sig, detail::HandleImpl* h);

  friend void detail::on_timer_cancelled(EventLoop&) noexcept;
  friend struct detail::LoopAccess;
  friend struct detail::OwnerWatch;
  friend struct detail::FactoryChoice;
  friend std::shared_ptr<detail::LoopAnchor> detail::loop_anchor(EventLoop&);
  std::unique_ptr<Impl> impl_;
  TaskFactory task_factory_;  // here, not in Impl: create_task tests it inline
  /// The factory is eager_task_factory itself: create_task starts tasks eagerly without the
  /// type-erased call, as CPython's C eager_task_factory does.
  bool eager_factory_ = false;
};

/// The loop running on this thread; asyncio::RuntimeError("no running event loop") if none.
EventLoop& get_running_loop();

namespace detail {
EventLoop* running_loop_or_null() noexcept;  // asyncio's _get_running_loop()
}

/// ---- the current loop (asyncio.events' module functions; lib/current_loop.cpp)
/// A new, unset loop: what Runner and asyncio::run create when given no loop_factory.
std::shared_ptr<EventLoop> new_event_loop();
/// Makes `loop` this thread's current loop (nullptr clears it). Each thread has its own, as
/// the default policy keeps one per thread; the thread's slot shares the loop's ownership.
void set_event_loop(std::shared_ptr<EventLoop> loop);
/// asyncio.get_event_loop() as of Python 3.14: the running loop, else the one set on this
/// thread; RuntimeError("There is no current event loop in thread 'MainThread'.") otherwise
/// (3.12 and 3.13 create one on the main thread until set_event_loop is first called).
EventLoop& get_event_loop();

namespace detail {
/// The loop's own watches on fds that its transports own (asyncio's _add_reader and
/// _remove_reader, which skip the check the public methods make).
struct OwnerWatch {
  EventLoop& loop;
  template <class F>
  void add_reader(int fd, F&& callback) {
    loop.watch_owned_fd(fd, false, loop.make(std::forward<F>(callback)));
  }
  template <class F>
  void add_writer(int fd, F&& callback) {
    loop.watch_owned_fd(fd, true, loop.make(std::forward<F>(callback)));
  }
  bool remove_reader(int fd) { return loop.unwatch_owned_fd(fd, false); }
  bool remove_writer(int fd) { return loop.unwatch_owned_fd(fd, true); }
};

template <class F>
bool LoopAnchor::post(F&& fn) noexcept {
  std::lock_guard lock(post_mutex);
  if (loop == nullptr) return false;
  try {
    loop->call_soon_threadsafe(std::forward<F>(fn));
    return true;
  } catch (...) {  // closed: the loop no longer takes calls
    return false;
  }
}
}  // namespace detail

}  // namespace asyncio
ASYNCIO_CPP_API_END
