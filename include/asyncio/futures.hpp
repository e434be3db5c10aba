// asyncio.futures: Future<T>, a copyable reference to a result that arrives later.
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/detail/rare_string.hpp>
#include <asyncio/detail/site.hpp>
#include <asyncio/events.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

template <class T = void>
class Future;

namespace detail {

enum class FutureStatus : std::uint8_t { pending, cancelled, finished };

struct FutureStateBase;
struct TaskCore;
using FuturePtr = std::shared_ptr<FutureStateBase>;
/// A done callback receives the future, as asyncio passes it.
using DoneCallback = std::function<void(const FuturePtr&)>;

/// Everything about a future but its value's type: tasks and combinators work on this.
struct FutureStateBase : std::enable_shared_from_this<FutureStateBase> {
  explicit FutureStateBase(EventLoop& owner);
  virtual ~FutureStateBase();  // reports an exception nobody retrieved

  /// Outlives the loop: the future reaches its loop only through it, so that a future used
  /// after its loop is gone raises RuntimeError("Event loop is closed") instead.
  std::shared_ptr<LoopAnchor> anchor;
  /// The loop while it exists; RuntimeError("Event loop is closed") once it is destroyed.
  EventLoop& loop() const;
  bool same_loop(const FutureStateBase& other) const noexcept { return anchor == other.anchor; }
  FutureStatus status = FutureStatus::pending;
  std::exception_ptr exception;
  mutable bool log_traceback = false;  // set_exception() sets it; result()/exception() clear it
  RareString cancel_message;           // one pointer: it is almost always empty
  /// The CancelledError a task's coroutine ended with: handed out once, as asyncio's
  /// _cancelled_exc, so its message reaches the first to ask (the awaiting task).
  mutable std::exception_ptr cancelled_exc;
  std::size_t next_callback_id = 1;
  /// A done callback, or `notify(target, this)`: tasks waking up and gather counting its
  /// children are the common cases and need no std::function (an allocation each). Both
  /// kinds keep registration order.
  using Notify = void (*)(const FuturePtr& target, const FuturePtr& done);
  /// Or `owner_notify(owner, this)` for an owner that is not a future (async_run's
  /// operation): no std::function either, and call graphs do not list it as an awaiter.
  using OwnerNotify = void (*)(const std::shared_ptr<void>& owner, const FuturePtr& done);
  struct DoneEntry {
    std::size_t id;
    DoneCallback fn;
    FuturePtr target;
    Notify notify = nullptr;
    MapRef context{nullptr};  // add_done_callback's caller's variables, if any were set
    std::shared_ptr<void> owner{};
    OwnerNotify owner_notify = nullptr;
  };
  /// Most futures get exactly one callback (the task awaiting them, or gather): it is kept
  /// inline, and only further ones go to the vector.
  std::optional<DoneEntry> first_callback;
  std::vector<DoneEntry> callbacks;
  TaskCore* task = nullptr;  // set when this is a Task's state
  /// Where create_future, create_task, ensure_future or gather made it: one pointer, stored
  /// whatever the mode; reprs and reports show it in debug mode (asyncio's source_traceback).
  detail::Site created;
  /// A destroyed task's context, kept for its "exception was never retrieved" report.
  ContextState* dead_task_context = nullptr;
  /// The context a custom exception handler runs in for this future (3.12): a task's own.
  virtual ContextState* handler_context() const noexcept;

  bool done() const noexcept { return status != FutureStatus::pending; }
  std::size_t add_done_callback(DoneCallback cb);
  /// The same, naming the future that waits through it (TaskGroup's parent task, shield's
  /// outer future): call graphs list that one under "Awaited by".
  std::size_t add_done_callback(DoneCallback cb, FuturePtr awaiter);
  std::size_t add_notify(FuturePtr target, Notify notify);
  /// Runs without a context of its own: for callbacks that only hand over or post.
  std::size_t add_owner_notify(std::shared_ptr<void> owner, OwnerNotify notify);
  std::size_t add_entry(DoneEntry entry);
  std::size_t remove_done_callback(std::size_t id);
  void set_exception(std::exception_ptr exc);
  void finish();  // FINISHED, then schedules the callbacks
  /// Future.cancel; Task and gather's future override it as asyncio does.
  virtual bool cancel(std::string msg);
  bool cancel_future(std::string msg);
  /// For await and result(): rethrows the exception or CancelledError; marks it retrieved.
  void rethrow_if_failed() const;
  std::exception_ptr cancelled_error() const;

  const char* status_name() const noexcept;
  virtual std::string repr() const;
  [[noreturn]] void throw_not_pending() const;
  [[noreturn]] void throw_cancelled() const;
  virtual void append_result(std::string& out) const = 0;

 protected:
  void schedule_callbacks();
};

struct NoValue {};

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, NoValue, T>;

template <class T>
struct FutureState : FutureStateBase {
  using FutureStateBase::FutureStateBase;

  std::optional<stored_t<T>> value;

  void append_result(std::string& out) const override {
    if constexpr (std::is_void_v<T>) {
      out += "None";
    } else {
      append_repr(out, *value);
    }
  }
};

/// Resumes a task whose awaited future is done: asyncio's Task.__wakeup (lib/tasks.cpp).
void wake_task(const FuturePtr& task, const FuturePtr& awaited);
/// Suspends the running task on `fut` (lib/tasks.cpp): the task resumes `h` once it is done.
void suspend_task_on(const FuturePtr& fut, std::coroutine_handle<> h);
/// Throws what the task was woken with (its cancellation, or the awaited future's error).
void rethrow_wakeup_error();

}  // namespace detail

template <class T>
class [[nodiscard]] Future {
 public:
  using value_type = T;
  using CallbackId = std::size_t;

  Future() = default;  // empty: a placeholder to assign to
  /// From the per-thread pools the coroutine frames use: a future per await is common.
  explicit Future(EventLoop& loop)
      : state_(std::allocate_shared<State>(detail::PoolAllocator<State>(), loop)) {}
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  bool done() const { return state_ && state_->done(); }
  bool cancelled() const { return state_ && state_->status == detail::FutureStatus::cancelled; }

  /// The value; rethrows the exception; CancelledError once cancelled.
  T result() const {
    const State& s = checked_done("Result is not set.");
    s.rethrow_if_failed();
    if constexpr (!std::is_void_v<T>) return *s.value;
  }
  std::exception_ptr exception() const {
    const State& s = checked_done("Exception is not set.");
    if (s.status == detail::FutureStatus::cancelled) s.throw_cancelled();
    s.log_traceback = false;
    return s.exception;
  }

  template <class V = T>
  requires(!std::is_void_v<T> && std::is_convertible_v<V&&, T>) void set_result(V&& value) {
    State& s = pending_state();
    s.value.emplace(std::forward<V>(value));
    s.finish();
  }
  void set_result() requires std::is_void_v<T> {
    State& s = pending_state();
    s.value.emplace();
    s.finish();
  }
  void set_exception(std::exception_ptr exc) {
    if (state().task != nullptr)
      throw RuntimeError("Task does not support set_exception operation");
    state().set_exception(std::move(exc));
  }

  bool cancel(std::string msg = {}) { return state().cancel(std::move(msg)); }

  /// fn(Future<T>) runs through call_soon once the future is done, never inline.
  template <class F>
  CallbackId add_done_callback(F&& fn) {
    return state().add_done_callback(
        [fn = std::forward<F>(fn)](const detail::FuturePtr& s) mutable {
          fn(Future<T>(std::static_pointer_cast<State>(s)));
        });
  }
  /// Python compares callbacks; C++ callables are not comparable, so an id names one.
  std::size_t remove_done_callback(CallbackId id) { return state().remove_done_callback(id); }

  EventLoop& get_loop() const { return state().loop(); }
  std::string repr() const { return state().repr(); }

  explicit operator bool() const noexcept { return state_ != nullptr; }
  bool operator==(const Future& other) const noexcept { return state_ == other.state_; }
  const std::shared_ptr<detail::FutureState<T>>& state_ptr() const noexcept { return state_; }
  std::shared_ptr<detail::FutureState<T>> take_state() && noexcept { return std::move(state_); }

  /// `co_await fut` inside a task: suspends the task until the future is done.
  auto operator co_await() const {
    struct Awaiter {
      Future fut;
      bool await_ready() const noexcept { return fut.done(); }
      void await_suspend(std::coroutine_handle<> h) { detail::suspend_task_on(fut.state_, h); }
      T await_resume() {
        detail::rethrow_wakeup_error();
        return fut.result();
      }
    };
    return Awaiter{*this};
  }

 protected:
  using State = detail::FutureState<T>;

  State& state() const {
    if (!state_) throw RuntimeError("Future object is not initialized.");
    return *state_;
  }
  State& pending_state() {  // for set_result
    State& s = state();
    if (s.task != nullptr) throw RuntimeError("Task does not support set_result operation");
    if (s.done()) s.throw_not_pending();
    return s;
  }
  const State& checked_done(const char* not_ready) const {
    if (!state_) throw InvalidStateError(not_ready);
    if (!state_->done()) throw InvalidStateError(not_ready);
    return *state_;
  }

  std::shared_ptr<State> state_;
};

template <class T>
Future<T> EventLoop::create_future(detail::Site where) {
  Future<T> fut(*this);
  fut.state_ptr()->created = where;
  return fut;
}

/// loop.run_until_complete(future): runs the loop until the future is done.
template <class T>
T run_until_complete_impl(EventLoop& loop, Future<T> fut) {
  if (&fut.get_loop() != &loop) {
    throw std::invalid_argument(
        "The future belongs to a different loop than the one specified as the loop argument");
  }
  auto id = fut.add_done_callback([](Future<T> f) { f.get_loop().stop(); });
  try {
    loop.run_forever();
  } catch (...) {
    fut.remove_done_callback(id);
    throw;
  }
  fut.remove_done_callback(id);
  if (!fut.done()) throw RuntimeError("Event loop stopped before Future completed.");
  return fut.result();
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
