// CPython's BaseEventLoop._run_once, mapped onto an io_context.
#include "loop_impl.hpp"

#include "child_watcher.hpp"
#include "linux/fork_child.hpp"
#include "linux/signals.hpp"
#include "loop_resource.hpp"
#include "sites.hpp"

#include <asyncio/futures.hpp>
#include <asyncio/log.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace asyncio {

namespace {

thread_local EventLoop* running_loop = nullptr;

constexpr double clock_resolution = 1e-9;           // time.get_clock_info('monotonic')
constexpr double maximum_select_timeout = 86400.0;  // base_events.MAXIMUM_SELECT_TIMEOUT
constexpr std::size_t min_scheduled_timer_handles = 100;

bool debug_from_environment() {
  const char* value = std::getenv("ASYNCIO_CPP_DEBUG");
  return value != nullptr && *value != '\0';
}

// Heap order: the earliest deadline on top, FIFO among equal deadlines (rare enough that
// only they read the handles).
using TimerEntry = EventLoop::Impl::TimerEntry;
bool later(const TimerEntry& a, const TimerEntry& b) noexcept {
  return a.when > b.when || (a.when == b.when && a.handle->seq > b.handle->seq);
}

// Marks the loop as running on this thread for the scope: run_forever or a guest step.
class RunningScope {
 public:
  RunningScope(EventLoop& loop, EventLoop::Impl& impl, bool& flag)
      : impl_(impl),
        flag_(flag),
        previous_(running_loop),
        previous_context_(detail::context_thread.current) {
    running_loop = &loop;
    detail::context_thread.current = &impl.callback_context;
    impl_.thread_id.store(std::this_thread::get_id());
    flag_ = true;
  }
  ~RunningScope() {
    flag_ = false;
    impl_.stopping = false;
    impl_.thread_id.store(std::thread::id{});
    running_loop = previous_;
    detail::context_thread.current = previous_context_;
    detail::release(std::exchange(impl_.callback_context.map, nullptr));
    impl_.callback_context.serial = 0;
  }
  RunningScope(const RunningScope&) = delete;
  RunningScope& operator=(const RunningScope&) = delete;

 private:
  EventLoop::Impl& impl_;
  bool& flag_;
  EventLoop* previous_;
  detail::ContextState* previous_context_;
};

}  // namespace

EventLoop* detail::running_loop_or_null() noexcept {
  return running_loop;
}

void detail::forget_running_loop_in_child() noexcept {
  running_loop = nullptr;
}

EventLoop& get_running_loop() {
  if (running_loop == nullptr) throw RuntimeError("no running event loop");
  return *running_loop;
}

std::string repr_of(HandleImpl* h) {
  h->add_ref();
  return Handle(h).repr();
}

namespace detail {
void on_timer_cancelled(EventLoop& loop) noexcept {
  ++loop.impl_->timer_cancelled_count;
}
std::shared_ptr<LoopAnchor> loop_anchor(EventLoop& loop) {
  return loop.impl_->anchor;
}
}  // namespace detail

// ---------------------------------------------------------------- construction

EventLoop::Impl::Impl(EventLoop& owner, asio::io_context* host)
    : self(owner),
      owned_io(host != nullptr ? nullptr : std::make_unique<asio::io_context>(1)),
      io(host != nullptr ? *host : *owned_io),
      strand(asio::make_strand(io)),
      debug(debug_from_environment()) {
  detail::watch_forks();
  if (detail::stats_from_environment()) {  // read once, as ASYNCIO_CPP_DEBUG is
    stats = std::make_unique<detail::LoopStatsState>();
    update_instrumented();
  }
}

EventLoop::Impl::~Impl() = default;

EventLoop::EventLoop() : impl_(std::make_unique<Impl>(*this, nullptr)) {}
EventLoop::EventLoop(asio::io_context& host) : impl_(std::make_unique<Impl>(*this, &host)) {}

EventLoop::~EventLoop() {
  if (!impl_->closed) {
    impl_->warn_unclosed();
    impl_->thread_id.store(std::thread::id{});  // a destroyed loop cannot be running
    close();
  }
  std::lock_guard lock(impl_->anchor->post_mutex);  // waits for other threads' post()
  impl_->anchor->loop = nullptr;                    // what outlives the loop finds it gone
}

// A forked child shares the parent's epoll instance: deregistering its copies of the fds
// there would silence the parent's readers, signals and wakeups. Asio's fork_child gives
// this process an epoll of its own, with the same registrations, to tear down instead.
void EventLoop::Impl::forget_parent_after_fork() noexcept {
  if (::getpid() == owner_pid) return;
  owner_pid = ::getpid();
  try {
    io.notify_fork(asio::execution_context::fork_child);
  } catch (...) {  // no fd left for an epoll of its own: nothing better to do in close()
  }
  // The executor's threads stayed in the parent: joining them here would never return.
  if (executor) new std::shared_ptr<Executor>(std::move(executor));  // deliberately leaked
}

// ---------------------------------------------------------------- checks

void EventLoop::Impl::throw_closed() {
  throw RuntimeError("Event loop is closed");
}

void EventLoop::Impl::check_thread() const {
  std::thread::id owner = thread_id.load(std::memory_order_relaxed);
  if (owner != std::thread::id{} && owner != std::this_thread::get_id()) {
    throw RuntimeError(
        "Non-thread-safe operation invoked on an event loop other than the current one");
  }
}

void detail::check_can_run(EventLoop& loop) {
  EventLoop::Impl& L = detail::LoopAccess::impl(loop);
  L.check_closed();
  L.check_running();
}

void EventLoop::Impl::check_running() const {
  if (self.is_running()) throw RuntimeError("This event loop is already running");
  if (running_loop != nullptr) {
    throw RuntimeError("Cannot run the event loop while another loop is running");
  }
}

// ---------------------------------------------------------------- public API

void EventLoop::run_forever() {
  Impl& L = *impl_;
  L.check_closed();
  L.check_running();
  {
    RunningScope scope(*this, L, L.driving);
    for (;;) {
      L.run_once();
      if (L.stopping) break;
    }
  }
  L.schedule_guest();  // a host's io_context carries on where run_forever stopped
}

void EventLoop::stop() noexcept {
  impl_->stopping = true;
}

bool EventLoop::is_running() const noexcept {
  return impl_->thread_id.load(std::memory_order_relaxed) != std::thread::id{};
}

bool EventLoop::is_closed() const noexcept {
  return impl_->closed;
}

void EventLoop::close() {
  Impl& L = *impl_;
  if (is_running()) throw RuntimeError("Cannot close a running event loop");
  if (L.closed) return;
  if (L.debug) log(LogLevel::debug, "Close <EventLoop>");
  L.forget_parent_after_fork();
  L.closed = true;
  L.alive->store(false);
  L.remove_all_signal_handlers();  // before the pipe the handlers write to is closed
  if (L.self_pipe_watch) L.self_pipe_watch->forget();         // before the fd is closed (reuse)
  if (L.child_watcher) L.child_watcher->stop_handing_over();  // before the inbox refuses
  L.inbox.close();
  L.unwatch_all();
  detail::close_loop_resources(*L.anchor);        // after unwatch_all: their fds are unwatched
  if (L.child_watcher) L.child_watcher->close();  // after unwatch_all: it closes pidfds
  if (L.guest_timer) L.guest_timer->cancel();
  L.watchdog.reset();  // joins the monitor thread
  L.update_instrumented();
  L.clear_queues();
  detail::abandon_pending_tasks(*L.anchor);
  if (L.executor) L.executor->shutdown(false);  // as asyncio: no waiting in close()
  // Last: what closing posted (handlers told "Event loop is closed") is queued work by now.
  L.open_work.reset();  // a host's io.run() may return once it has run them
}

HandleImpl* EventLoop::schedule_soon(HandleImpl* h, detail::Site where) {
  Impl& L = *impl_;
  try {
    L.check_closed();
    if (L.debug) {
      L.check_thread();
      detail::record_handle_site(h, where);
    }
    // asyncio appends thread-safe calls to _ready at once: calls that happened before
    // this one must run before it.
    if (L.inbox.maybe_pending()) L.take_threadsafe_calls();
    L.ready.push_back(h);
  } catch (...) {
    h->release();
    throw;
  }
  h->add_ref();
  L.notify_guest();
  return h;
}

HandleImpl* EventLoop::schedule_threadsafe(HandleImpl* h, detail::Site where) {
  // On the loop's own thread asyncio appends straight to the ready queue.
  if (running_loop == this) return schedule_soon(h, where);
  h->shared = true;  // set before the handle is published to the loop's thread
  // Recorded before publishing: once the loop may run the handle, it may recycle it too.
  if (impl_->debug) {
    try {
      detail::record_handle_site(h, where);
    } catch (...) {  // no memory for the record: the call itself goes on without it
    }
  }
  h->add_ref();  // the caller's, taken before the loop can run and drop its own
  bool accepted = false;
  try {
    accepted = impl_->inbox.push(h);
  } catch (...) {
  }
  if (!accepted) {
    h->release();
    h->release();
    throw RuntimeError("Event loop is closed");
  }
  return h;
}

HandleImpl* EventLoop::schedule_at(double when, HandleImpl* h, detail::Site where) {
  Impl& L = *impl_;
  try {
    if (std::isnan(when)) throw std::invalid_argument("NaN is not a valid delay or deadline");
    L.check_closed();
    if (L.debug) {
      L.check_thread();
      detail::record_handle_site(h, where);
    }
    L.timers.push_back({when, h});
  } catch (...) {
    h->release();
    throw;
  }
  h->is_timer = true;
  h->when = when;
  h->seq = L.timer_seq++;
  h->scheduled = true;
  std::push_heap(L.timers.begin(), L.timers.end(), later);
  h->add_ref();
  L.notify_guest();
  return h;
}

bool EventLoop::get_debug() const noexcept {
  return impl_->debug;
}
void EventLoop::set_debug(bool enabled) noexcept {
  impl_->debug = enabled;
}
asio::io_context& EventLoop::io_context() noexcept {
  return impl_->io;
}

// ---------------------------------------------------------------- one iteration

void EventLoop::Impl::run_once() {
  if (instrumented) [[unlikely]] {  // stats or a watchdog: the one branch they cost here
    run_once_instrumented();
    return;
  }
  purge_cancelled_timers();
  poll_io(select_timeout());
  flush_staged_io();
  collect_expired_timers();
  run_ready_batch();
  rearm_flushed_io();
}

double EventLoop::Impl::select_timeout() const {
  if (!ready.empty() || stopping) return 0;
  if (timers.empty()) return -1;  // block until I/O or a thread-safe call
  double timeout = timers.front().when - self.time();
  return std::clamp(timeout, 0.0, maximum_select_timeout);
}

void EventLoop::Impl::poll_io(double timeout) {
  if (io.stopped()) io.restart();
  if (timeout != 0) {
    release_idle_memory();
    if (timeout < 0) {
      io.run_one();
    } else {
      io.run_one_for(
          std::chrono::ceil<std::chrono::microseconds>(std::chrono::duration<double>(timeout)));
    }
  }
  io.poll();  // every completion that is ready, as select() returns them all
}

// The loop is about to block: a burst is over. The pools keep what a burst of about a thousand
// tasks uses and give the rest back; glibc returns freed pages in the middle of its heap only
// on malloc_trim, so that a spike does not stay resident (B17). Nothing to do costs a few
// compares per blocking wait.
void EventLoop::Impl::release_idle_memory() noexcept {
  constexpr std::size_t kept_blocks = 1024;  // per size class
  constexpr std::size_t kept_slots = 4096;   // of the ready queue
  constexpr std::size_t worth_trimming = 1 << 20;
  // A burst just ended (its blocks dwarf a steady state's): give it back now. Otherwise at most
  // once a second: a loop that idles between a producer thread's calls would free and malloc
  // the same blocks again and again (B4 with one producer).
  constexpr std::size_t burst_blocks = 1 << 17;
  constexpr double calm_trim_interval = 1.0;
  // Blocks minted, not pooled: counting the pool means summing 128 lists each time the loop
  // blocks, about 1,100 instructions (a third of an async_run round trip, B14).
  if (detail::frames_minted_since_trim() + detail::pooled_handles() <= burst_blocks) {
    const double now = self.time();
    if (now < next_calm_trim) return;
    next_calm_trim = now + calm_trim_interval;
  }
  std::size_t released = detail::trim_frame_pool(kept_blocks);
  released += detail::trim_handle_pool(kept_blocks);
  released += ready.shrink_if_empty(kept_slots);
#if defined(__GLIBC__)
  if (released >= worth_trimming) ::malloc_trim(0);
#else
  (void)worth_trimming;
#endif
}

void EventLoop::Impl::purge_cancelled_timers() {
  std::size_t count = timers.size();
  if (count > min_scheduled_timer_handles && timer_cancelled_count * 2 > count) {
    auto kept = std::partition(timers.begin(), timers.end(),
                               [](const TimerEntry& e) { return !e.handle->cancelled; });
    for (auto it = kept; it != timers.end(); ++it) {
      it->handle->scheduled = false;
      it->handle->release();
    }
    timers.erase(kept, timers.end());
    std::make_heap(timers.begin(), timers.end(), later);
    timer_cancelled_count = 0;
    return;
  }
  while (!timers.empty() && timers.front().handle->cancelled) {
    --timer_cancelled_count;
    std::pop_heap(timers.begin(), timers.end(), later);
    HandleImpl* h = timers.back().handle;
    timers.pop_back();
    h->scheduled = false;
    h->release();
  }
}

void EventLoop::Impl::collect_expired_timers() {
  if (timers.empty()) return;
  double end_time = self.time() + clock_resolution;
  while (!timers.empty() && timers.front().when < end_time) {
    std::pop_heap(timers.begin(), timers.end(), later);
    HandleImpl* h = timers.back().handle;
    timers.pop_back();
    h->scheduled = false;
    ready.push_back(h);  // the heap's reference moves to the ready queue
  }
}

void EventLoop::Impl::run_ready_batch() {
  // Only what is ready now; callbacks scheduled meanwhile wait for the next poll.
  for (std::size_t ntodo = ready.size(); ntodo > 0; --ntodo) {
    HandleImpl* h = ready.pop_front();
    if (!h->cancelled) run_handle(h);
    h->release();
  }
}

void EventLoop::Impl::run_handle(HandleImpl* h) {
  bool timed = debug;
  double t0 = timed ? self.time() : 0.0;
  h->running = true;
  try {
    h->ops->invoke(h->storage);
  } catch (...) {
    report_callback_error(h, std::current_exception());
  }
  h->running = false;
  if (callback_context.map != nullptr) [[unlikely]] {  // it set a variable: forget it
    detail::release(std::exchange(callback_context.map, nullptr));
    callback_context.serial = 0;  // its tokens are no good in the next callback
  }
  if (timed) {
    double dt = self.time() - t0;
    if (dt >= self.slow_callback_duration) warn_slow_callback(h, dt);
  }
  // It cancelled itself while running; or another thread scheduled it and holds a reference
  // too: what the callable captured (a transport, a future) must die here, on the loop's
  // thread, not with that thread's reference.
  if (h->cancelled || h->shared) h->drop_callable();
}

void EventLoop::Impl::report_callback_error(HandleImpl* h, std::exception_ptr exc) {
  ExceptionContext ctx;
  ctx.message = "Exception in callback " + h->ops->describe(h->storage);
  ctx.exception = std::move(exc);
  h->add_ref();
  ctx.handle = Handle(h);
  ctx.source_traceback = detail::handle_site(h);  // recorded in debug mode only
  self.call_exception_handler(ctx);
}

void EventLoop::Impl::warn_slow_callback(HandleImpl* h, double seconds) {
  if (stats) ++stats->counters.slow_callbacks;  // debug mode times each callback: exact
  char took[64];
  std::snprintf(took, sizeof took, " took %.3f seconds", seconds);
  log(LogLevel::warning, "Executing " + repr_of(h) + took);
}

void EventLoop::Impl::clear_queues() noexcept {
  while (!ready.empty()) ready.pop_front()->release();
  for (const TimerEntry& e : timers) {
    e.handle->scheduled = false;
    e.handle->release();
  }
  timers.clear();
  timer_cancelled_count = 0;
}

// ---------------------------------------------------------------- wakeups

// call_soon_threadsafe's wakeup: a handler on the loop's strand, which a blocked run_one()
// (or a host thread) runs. The inbox waits for this call before the loop can close.
void EventLoop::Impl::wake_from_thread(void* impl) {
  auto& L = *static_cast<Impl*>(impl);
  asio::post(L.strand, [&L, alive = L.alive] {
    if (alive->load()) L.on_threadsafe_wakeup();
  });
}

void EventLoop::Impl::on_threadsafe_wakeup() {
  take_threadsafe_calls();
  if (!driving) schedule_guest();
}

// The self-pipe carries signal numbers only: watched from the first signal handler on.
void EventLoop::Impl::watch_self_pipe() {
  if (self_pipe_watch) return;
  boost::system::error_code ec;
  self_pipe_watch.emplace(io);
  self_pipe_watch->assign_for_waits(self_pipe.read_fd(), ec);
  if (ec) {
    self_pipe_watch.reset();
    throw_os_error(ec.value());
  }
  arm_self_pipe();
}

void EventLoop::Impl::arm_self_pipe() {
  self_pipe_watch->async_wait(
      asio::posix::stream_descriptor::wait_read,
      asio::bind_executor(strand, [this, alive = alive](boost::system::error_code ec) {
        if (!ec && alive->load()) on_self_pipe_readable();
      }));
}

void EventLoop::Impl::on_self_pipe_readable() {
  self_pipe.drain([this](int sig) {
    if (detail::take_one_delivery(sig)) dispatch_signal(sig);
  });
  dispatch_dropped_signals();
  take_threadsafe_calls();
  if (driving) {
    self_pipe_disarmed = true;  // run_once waits again after the batch, off the latency path
  } else {
    arm_self_pipe();
    schedule_guest();
  }
}

void EventLoop::Impl::take_threadsafe_calls() {
  inbox.take_all([this](HandleImpl* h) { ready.push_back(h); });
}

// ---------------------------------------------------------------- guest mode

void EventLoop::Impl::schedule_guest() {
  if (closed || driving || in_step) return;
  if (!ready.empty() || !staged_io.empty()) {
    if (!step_posted) post_guest_step();
    return;
  }
  purge_cancelled_timers();
  if (!timers.empty()) arm_guest_timer(timers.front().when);
}

void EventLoop::Impl::post_guest_step() {
  if (closed) return;
  step_posted = true;
  asio::post(strand, [this, alive = alive] {
    if (alive->load()) guest_step();
  });
}

void EventLoop::Impl::guest_step() {
  step_posted = false;
  if (closed || driving) return;
  {
    RunningScope scope(self, *this, in_step);
    flush_staged_io();
    purge_cancelled_timers();
    collect_expired_timers();
    if (instrumented) {
      run_ready_batch_instrumented();
    } else {
      run_ready_batch();
    }
    rearm_flushed_io();
  }
  schedule_guest();
}

void EventLoop::Impl::arm_guest_timer(double when) {
  if (when == guest_timer_when) return;
  guest_timer_when = when;
  using namespace std::chrono;
  // call_at(-inf) is due now; converting -inf to an integer duration is undefined.
  const double at = when > 0 ? std::min(when, 1e9) : 0.0;
  if (!guest_timer) guest_timer.emplace(io);
  guest_timer->expires_at(
      steady_clock::time_point(duration_cast<steady_clock::duration>(duration<double>(at))));
  guest_timer->async_wait(
      asio::bind_executor(strand, [this, alive = alive](boost::system::error_code ec) {
        if (ec || !alive->load()) return;  // re-armed or closed
        guest_timer_when = std::numeric_limits<double>::infinity();
        guest_step();
      }));
}

}  // namespace asyncio
