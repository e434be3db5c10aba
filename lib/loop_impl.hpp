// EventLoop::Impl: CPython's BaseEventLoop state, driven through an io_context.
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/threads.hpp>

#include "linux/epoll_edge_wait.hpp"
#include "linux/self_pipe.hpp"
#include "loop_health.hpp"
#include "ring_buffer.hpp"
#include "threadsafe_inbox.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace asyncio {

namespace asio = boost::asio;
using detail::HandleImpl;

namespace detail {
class ChildWatcher;
}

// A descriptor used only to wait for readiness: never owns the fd, never changes its flags.
class WaitDescriptor : public asio::posix::stream_descriptor {
 public:
  explicit WaitDescriptor(asio::io_context& io) : asio::posix::stream_descriptor(io) {}
  ~WaitDescriptor() { forget(); }
  void assign_for_waits(int fd, boost::system::error_code& ec);
  void forget() noexcept;    // deregisters and gives the fd back untouched
  void close_fd() noexcept;  // deregisters and closes the fd, which takes it out of epoll
  auto& native_impl() noexcept { return impl_.get_implementation(); }  // for EdgeWait
};

// The reader and writer of one fd (CPython keeps them as a selector key's data).
struct FdWatch {
  FdWatch(asio::io_context& io, EventLoop::Impl& l);
  WaitDescriptor desc;
  EventLoop::Impl& loop;
  HandleImpl* handles[2] = {nullptr, nullptr};  // [0] reader, [1] writer
  bool armed[2] = {false, false};
  bool ready[2] = {false, false};  // seen ready in this poll, not yet appended
  bool staged = false;
  bool drained = false;  // the reader emptied the fd since its last event (note_drained)
  dev_t dev = 0;         // which file the fd was when watched: a later fd with its number is not it
  ino_t ino = 0;
  detail::EdgeWait edge_wait;
  std::shared_ptr<FdWatch> edge_keepalive;  // set while edge_wait is queued
};

struct EventLoop::Impl {
  Impl(EventLoop& self, asio::io_context* host);
  ~Impl();

  EventLoop& self;
  std::unique_ptr<asio::io_context> owned_io;  // first member: destroyed last
  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  // Handlers still queued in a host's io_context check this before touching the loop.
  std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
  std::shared_ptr<detail::LoopAnchor> anchor = std::make_shared<detail::LoopAnchor>(&self);

  detail::RingBuffer<HandleImpl*> ready;
  // A min-heap on (when, seq). The deadline is kept beside the pointer: the heap's
  // comparisons then read contiguous memory, not a handle each (a cache miss apiece once a
  // million timers are pending, B2).
  struct TimerEntry {
    double when;
    HandleImpl* handle;
  };
  std::vector<TimerEntry> timers;
  std::size_t timer_cancelled_count = 0;
  std::uint32_t timer_seq = 0;

  bool stopping = false;
  bool closed = false;
  bool driving = false;  // run_forever is polling the io_context itself
  /// Where callbacks scheduled while no context variable was set run: an empty context,
  /// emptied again after each callback, as each would get its own copy in asyncio.
  detail::ContextState callback_context;
  bool in_step = false;            // a guest step is running callbacks
  bool step_posted = false;        // a guest step waits in the io_context
  std::atomic<bool> debug{false};  // read by call_soon_threadsafe on other threads
  int owner_pid = ::getpid();      // a forked child's copy must leave the parent's epoll alone
  std::atomic<std::thread::id> thread_id{};
  ExceptionHandler exception_handler;

  // The open loop is outstanding work: a host's io.run() (or run_one()) waits for it.
  asio::executor_work_guard<asio::io_context::executor_type> open_work{io.get_executor()};
  detail::SelfPipe self_pipe;
  detail::ThreadsafeInbox inbox{self_pipe, &Impl::wake_from_thread, this};
  // Watched only once a signal handler may write to the pipe: until something watches an
  // fd, the io_context has no reactor, and polling it makes no system call.
  std::optional<WaitDescriptor> self_pipe_watch;
  bool self_pipe_disarmed = false;  // drained; waits again once the batch has run
  std::unordered_map<int, HandleImpl*> signal_handlers;  // add_signal_handler's callbacks

  std::unordered_map<int, std::shared_ptr<FdWatch>> fd_watches;
  std::unordered_map<int, const BaseTransport*> fd_owners;  // loop._transports
  std::vector<std::shared_ptr<FdWatch>> staged_io;          // fds that became ready this poll
  std::vector<std::shared_ptr<FdWatch>> flushed_io;         // appended; wait again after the batch

  std::shared_ptr<Executor> executor;                   // the default executor, made on first use
  bool executor_shutdown_called = false;                // shutdown_default_executor has begun
  std::unique_ptr<detail::ChildWatcher> child_watcher;  // made by the first subprocess

  // loop health (loop_stats.cpp, watchdog.cpp): `instrumented` is the run loop's one branch
  bool instrumented = false;  // stats or watchdog set
  std::unique_ptr<detail::LoopStatsState> stats;
  std::uint64_t stats_generation = 0;  // bumped by set_stats: a batch knows its own stats
  std::unique_ptr<detail::Watchdog> watchdog;
  void update_instrumented() noexcept { instrumented = stats != nullptr || watchdog != nullptr; }
  void run_once_instrumented();
  void run_ready_batch_instrumented();
  void before_step(HandleImpl* h);

  std::optional<asio::steady_timer> guest_timer;  // made on first use: it brings a reactor
  double guest_timer_when = std::numeric_limits<double>::infinity();
  double next_calm_trim = 0;  // release_idle_memory: when it may trim a non-burst again

  // base_events.cpp
  void check_closed() const {
    if (closed) throw_closed();
  }
  [[noreturn]] static void throw_closed();
  void check_thread() const;
  void check_running() const;
  void run_once();
  void release_idle_memory() noexcept;
  void poll_io(double timeout);
  double select_timeout() const;
  void purge_cancelled_timers();
  void collect_expired_timers();
  void run_ready_batch();
  void run_handle(HandleImpl* h);
  void report_callback_error(HandleImpl* h, std::exception_ptr exc);
  void warn_slow_callback(HandleImpl* h, double seconds);
  /// ~EventLoop without close(): asyncio's __del__ ResourceWarning, in debug mode.
  void warn_unclosed() const noexcept;
  std::string repr() const;  // asyncio's "<... running=False closed=False debug=True>"
  static void wake_from_thread(void* impl);  // the inbox's wakeup, from any thread
  void on_threadsafe_wakeup();
  void watch_self_pipe();
  void arm_self_pipe();
  void on_self_pipe_readable();
  void take_threadsafe_calls();
  void dispatch_signal(int sig);
  void dispatch_dropped_signals();  // deliveries whose byte the full self-pipe dropped
  void remove_all_signal_handlers() noexcept;
  void clear_queues() noexcept;
  void forget_parent_after_fork() noexcept;

  // guest mode: the host's io_context drives the loop (base_events.cpp)
  // A host's io_context must step the loop when nothing else will.
  void notify_guest() {
    if (!driving && !in_step && !step_posted) post_guest_step();
  }
  void schedule_guest();
  void post_guest_step();
  void guest_step();
  void arm_guest_timer(double when);

  // selector_events.cpp
  void watch(int fd, int dir, HandleImpl* h);
  bool unwatch(int fd, int dir);
  void arm(const std::shared_ptr<FdWatch>& w, int dir);
  static void on_edge(void* watch, const boost::system::error_code& ec, bool destroyed);
  void on_fd_ready(const std::shared_ptr<FdWatch>& w, int dir);
  void flush_staged_io();
  void rearm_flushed_io();
  void unwatch_all() noexcept;
};

namespace detail {
struct LoopAccess {
  static EventLoop::Impl& impl(EventLoop& loop) noexcept { return *loop.impl_; }
  /// call_soon for the library's own callbacks, which take no snapshot of the context: a
  /// task's step enters the task's context itself; a done callback captured its own.
  template <class F, class... Args>
  static void call_soon_plain(EventLoop& loop, F&& fn, Args&&... args) {
    loop.schedule_soon(loop.make_plain(std::forward<F>(fn), std::forward<Args>(args)...))
        ->release();
  }
};
}  // namespace detail

std::string repr_of(HandleImpl* h);  // Handle::repr() for a raw impl

namespace detail {
// close(): pending tasks would keep their frames (and what those hold) forever;
// they are destroyed with asyncio's "Task was destroyed but it is pending!".
void abandon_pending_tasks(LoopAnchor& anchor) noexcept;
}  // namespace detail

}  // namespace asyncio
