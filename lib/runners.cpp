#include <asyncio/runners.hpp>
#include <asyncio/threads.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>

namespace asyncio {

namespace {

// asyncio.runners._cancel_all_tasks
void cancel_all_tasks(EventLoop& loop) {
  std::vector<TaskRef> to_cancel = all_tasks(loop);
  if (to_cancel.empty()) return;
  std::vector<detail::FuturePtr> states;
  for (auto& t : to_cancel) {
    t.cancel();
    states.push_back(t.state_ptr());
  }
  loop.run_until_complete(
      detail::wait_for_condition(std::move(states), std::nullopt, ALL_COMPLETED));
  for (auto& t : to_cancel) {
    const detail::FuturePtr& s = t.state_ptr();
    if (s->status != detail::FutureStatus::finished || !s->exception) continue;
    s->log_traceback = false;
    ExceptionContext ctx;
    ctx.message = "unhandled exception during asyncio.run() shutdown";
    ctx.exception = s->exception;
    ctx.task = s;
    loop.call_exception_handler(ctx);
  }
}

// ---------------------------------------------------------------- Ctrl-C

// What the SIGINT handler reads: lock-free atomics only. At most one Runner::run has the
// handler installed at a time: only the main thread installs it, and a run() inside a running
// loop is refused.
std::atomic<int> sigint_wakeup_fd{-1};
std::atomic<int> interrupt_count{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs lock-free atomics");
struct sigaction previous_sigint;  // written and read on the main thread only

extern "C" void on_sigint(int) {
  int saved = errno;  // the interrupted code must not see the handler's errno
  if (interrupt_count.fetch_add(1) == 0) {
    // Runner._on_sigint's first call: the loop cancels the main task (signal context can't).
    int fd = sigint_wakeup_fd.load();
    std::uint64_t one = 1;
    if (fd >= 0) (void)::write(fd, &one, sizeof one);
  } else {
    // The second: Python's KeyboardInterrupt, uncaught, ends the program by SIGINT. SIGINT is
    // blocked while its handler runs, so the raise lands as soon as the handler returns.
    ::signal(SIGINT, SIG_DFL);
    ::raise(SIGINT);
  }
  errno = saved;
}

bool on_main_thread() {
  return ::gettid() == ::getpid();
}

bool sigint_is_default() {
  struct sigaction current {};
  ::sigaction(SIGINT, nullptr, &current);
  return (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL;
}

bool sigint_is_ours() {
  struct sigaction current {};
  ::sigaction(SIGINT, nullptr, &current);
  return (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == &on_sigint;
}

}  // namespace

namespace detail {

SigintScope::SigintScope(EventLoop& loop, TaskRef main_task)
    : loop_(loop), main_task_(std::move(main_task)) {
  // CPython: threading.main_thread() and signal.getsignal(SIGINT) is default_int_handler.
  if (!on_main_thread() || !sigint_is_default()) return;
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return;  // as CPython when signal.signal() refuses: run without Ctrl-C
  loop_.add_reader(fd, [this] { on_wakeup(); });
  interrupt_count.store(0);
  sigint_wakeup_fd.store(fd);
  struct sigaction action {};
  action.sa_handler = &on_sigint;
  sigfillset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // the code Ctrl-C interrupts need not expect EINTR
  if (::sigaction(SIGINT, &action, &previous_sigint) != 0) {
    sigint_wakeup_fd.store(-1);
    loop_.remove_reader(fd);
    ::close(fd);
    return;
  }
  wakeup_fd_ = fd;
}

SigintScope::~SigintScope() {
  uninstall();
}

bool SigintScope::uninstall() noexcept {
  if (wakeup_fd_ < 0) return false;
  // Runner.run's finally: only our own handler is put back; one that the loop's
  // add_signal_handler(SIGINT, ...) installed meanwhile stays.
  if (sigint_is_ours()) ::sigaction(SIGINT, &previous_sigint, nullptr);
  sigint_wakeup_fd.store(-1);  // before the fd is closed: its number may be reused
  try {
    loop_.remove_reader(wakeup_fd_);
  } catch (...) {  // the loop is closed: its watches are gone already
  }
  ::close(wakeup_fd_);
  wakeup_fd_ = -1;
  return true;
}

void SigintScope::on_wakeup() {
  std::uint64_t count = 0;
  (void)::read(wakeup_fd_, &count, sizeof count);
  // The main task may have finished between the signal and now: then there is nothing to
  // cancel, and raise_if_interrupted() turns the signal into KeyboardInterrupt itself.
  if (main_task_.done()) return;
  main_task_.cancel();
  cancel_delivered_ = true;
}

void SigintScope::raise_if_interrupted() {
  if (checked_) return;
  checked_ = true;
  // Restored first: a SIGINT from now on is no longer this run's to handle.
  if (!uninstall() || interrupt_count.load() == 0) return;
  if (main_task_.cancelled()) {
    // Runner.run: KeyboardInterrupt only if the SIGINT's cancellation is the last one left.
    // A cancellation not delivered (the task ended first) was never counted, so nothing to
    // uncancel: CPython would have counted it and uncancelled it again.
    int left = cancel_delivered_ ? main_task_.uncancel() : main_task_.cancelling();
    if (left == 0) throw KeyboardInterrupt();
    return;
  }
  // A SIGINT that found the main task done: Runner._on_sigint raises KeyboardInterrupt.
  if (!cancel_delivered_) throw KeyboardInterrupt();
}

}  // namespace detail

// ---------------------------------------------------------------- Runner

Runner::Runner(std::optional<bool> debug) : debug_(debug) {}

Runner::~Runner() {
  finish_close(true);
}

EventLoop& Runner::get_loop() {
  lazy_init();
  return *loop_;
}

void Runner::close() {
  finish_close(false);
}

// Runner._lazy_init
void Runner::lazy_init() {
  if (state_ == State::closed) throw RuntimeError("Runner is closed");
  if (state_ == State::initialized) return;
  if (loop_factory_) {
    loop_ = loop_factory_();
    if (!loop_) throw std::invalid_argument("Runner's loop_factory returned no loop");
  } else {
    loop_ = new_event_loop();
    if (!set_event_loop_) {  // once only, as CPython (gh-95736)
      set_event_loop(loop_);
      set_event_loop_ = true;
    }
  }
  if (debug_) loop_->set_debug(*debug_);
  context_ = copy_context();  // CPython's self._context: every run() shares it
  state_ = State::initialized;
}

// Runner.close; from the destructor, shutdown errors go to the exception handler instead.
void Runner::finish_close(bool report_errors) {
  if (state_ != State::initialized) return;
  std::exception_ptr error;
  try {
    cancel_all_tasks(*loop_);
    loop_->run_until_complete(loop_->shutdown_default_executor(thread_join_timeout));
  } catch (...) {
    error = std::current_exception();
  }
  if (error && report_errors) {
    ExceptionContext ctx;
    ctx.message = "asyncio.run() shutdown failed";
    ctx.exception = error;
    loop_->call_exception_handler(ctx);
    error = nullptr;
  }
  // The `finally` part.
  if (set_event_loop_) set_event_loop(nullptr);
  std::shared_ptr<EventLoop> loop = std::move(loop_);
  state_ = State::closed;
  try {
    loop->close();
  } catch (...) {
    if (!report_errors && !error) error = std::current_exception();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace asyncio
