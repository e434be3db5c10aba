// asyncio.runners: Runner owns a loop across several run() calls and shuts it down as asyncio
// does (cancel what is left, wait for it, shut the default executor down, close the loop);
// asyncio::run is one Runner used once. Ctrl-C cancels the main task, as in CPython 3.11+.
#pragma once

#include <asyncio/tasks.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// asyncio.constants.THREAD_JOIN_TIMEOUT: how long Runner and asyncio::run wait for the
/// default executor's threads at shutdown (3.12+).
inline constexpr double thread_join_timeout = 300;

/// What Runner and asyncio::run call for their loop instead of new_event_loop().
using LoopFactory = std::function<std::shared_ptr<EventLoop>()>;

namespace detail {
/// Ctrl-C for the length of one Runner::run (lib/runners.cpp), as CPython's Runner does it:
/// installed only on the main thread and only over SIGINT's default disposition. The first
/// SIGINT cancels the main task from a loop callback (the handler only counts it and wakes the
/// loop, as cancel() is not async-signal-safe), so at the next loop iteration rather than at
/// once as in CPython; if the main task was done by then, run() throws KeyboardInterrupt, as
/// CPython's handler raises it for a task already done. A second SIGINT ends the process as
/// SIGINT's default action does: Python raises KeyboardInterrupt wherever the main thread
/// happens to be, which C++ cannot do from a signal handler, and a loop stuck in a callback
/// would never see it. The previous disposition comes back afterwards unless something
/// replaced ours meanwhile (the loop's add_signal_handler(SIGINT, ...)).
class SigintScope {
 public:
  SigintScope(EventLoop& loop, TaskRef main_task);
  ~SigintScope();
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;
  /// Once run_until_complete is over: throws KeyboardInterrupt when a SIGINT is why the main
  /// task ended (CPython: interrupted, cancelled, and uncancel() gives 0). Checks only once.
  void raise_if_interrupted();

 private:
  void on_wakeup();           // the loop callback: cancels the main task, as Runner._on_sigint
  bool uninstall() noexcept;  // false if nothing was installed
  EventLoop& loop_;
  TaskRef main_task_;
  int wakeup_fd_ = -1;  // an eventfd the handler writes to; -1: not installed
  bool cancel_delivered_ = false;
  bool checked_ = false;
};
}  // namespace detail

/// asyncio.Runner: a loop that lives across several run() calls, created lazily on first use.
/// Non-copyable; the destructor closes it, as leaving a `with asyncio.Runner()` block does.
class Runner {
 public:
  /// debug: the loop's debug mode; nullopt leaves it as the loop has it.
  explicit Runner(std::optional<bool> debug = std::nullopt);
  /// Runner(loop_factory=...): the factory makes the loop, and set_event_loop is not called.
  /// A template so that a function or lambda is never taken for `debug` (it converts to bool).
  template <class F>
  requires std::is_invocable_r_v<std::shared_ptr<EventLoop>, F&> explicit Runner(
      F&& loop_factory, std::optional<bool> debug = std::nullopt)
      : debug_(debug), loop_factory_(std::forward<F>(loop_factory)) {}
  ~Runner();  // close(), reporting a failed shutdown to the loop's exception handler
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// Runs `coro` as the main task until it is done and gives its result. Ctrl-C cancels it;
  /// if that is why it ended, KeyboardInterrupt is thrown instead of CancelledError.
  /// RuntimeError("Runner is closed") after close(); RuntimeError when a loop is running.
  /// The main task runs in `context`, else in the runner's own context: a copy of the one
  /// current when the loop was created, shared by every run() call, as CPython's Runner does.
  template <class T>
  T run(Coro<T> coro, std::optional<Context> context = std::nullopt);

  /// The runner's loop, created if need be; RuntimeError("Runner is closed") after close().
  EventLoop& get_loop();
  /// Cancels the tasks left, waits for them, shuts the default executor down, clears the
  /// current loop if this runner set it, and closes the loop. Shutdown errors propagate once
  /// the loop is closed. Does nothing unless the loop was created and not yet closed.
  void close();

 private:
  enum class State { created, initialized, closed };
  void lazy_init();
  template <class T>
  Task<T> start(Coro<T> coro, std::optional<Context> context);
  void finish_close(bool report_errors);

  State state_ = State::created;
  std::optional<bool> debug_;
  LoopFactory loop_factory_;
  std::shared_ptr<EventLoop> loop_;
  std::optional<Context> context_;  // Runner._context
  bool set_event_loop_ = false;     // this runner made its loop the current one
};

template <class T>
Task<T> Runner::start(Coro<T> coro, std::optional<Context> context) {
  if (!coro) throw std::invalid_argument("a coroutine was expected, got an empty Coro");
  if (detail::running_loop_or_null() != nullptr) {  // fail fast, as asyncio does
    throw RuntimeError("Runner.run() cannot be called from a running event loop");
  }
  lazy_init();
  return loop_->create_task(std::move(coro), {}, context ? std::move(context) : context_);
}

template <class T>
T Runner::run(Coro<T> coro, std::optional<Context> context) {
  Task<T> task = start(std::move(coro), std::move(context));
  detail::SigintScope sigint(*loop_, task.ref());
  try {
    if constexpr (std::is_void_v<T>) {
      loop_->run_until_complete(static_cast<Future<T>>(task));
      sigint.raise_if_interrupted();
    } else {
      T result = loop_->run_until_complete(static_cast<Future<T>>(task));
      sigint.raise_if_interrupted();
      return result;
    }
  } catch (...) {
    sigint.raise_if_interrupted();  // a no-op when the KeyboardInterrupt came from above
    throw;
  }
}

/// asyncio.run: a new loop (from loop_factory if given), `main` as its task, then the
/// shutdown Runner::close does. Errors in that shutdown go to the loop's exception handler.
template <class T>
T run(Coro<T> main, std::optional<bool> debug = std::nullopt, LoopFactory loop_factory = {}) {
  if (detail::running_loop_or_null() != nullptr) {
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  Runner runner(std::move(loop_factory), debug);
  return runner.run(std::move(main));
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
