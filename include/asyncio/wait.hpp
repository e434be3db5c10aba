// asyncio.wait and asyncio.as_completed, over tasks and futures of one result type or of
// several: FutureRef is the type-erased handle that any Task<T> or Future<U> converts to.
// Included by tasks.hpp.
#pragma once

#include <asyncio/detail/async_range.hpp>
#include <asyncio/detail/delay.hpp>
#include <asyncio/task.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

// ---------------------------------------------------------------- FutureRef

namespace detail {
template <class F>
struct future_traits;
template <class T>
struct future_traits<Future<T>> {
  using state = FutureState<T>;
  using value = T;
};
template <class T>
struct future_traits<Task<T>> {
  using state = TaskState<T>;
  using value = T;
};
}  // namespace detail

/// Any `Task<T>` or `Future<U>`, its result type erased: what a mixed wait() or as_completed()
/// takes and gives. Compares equal to (and hashes as) the task or future it refers to.
class FutureRef {
 public:
  FutureRef() = default;
  template <class T>
  FutureRef(const Future<T>& fut) : state_(fut.state_ptr()) {}
  FutureRef(const TaskRef& task) : state_(task.state_ptr()) {}
  explicit FutureRef(detail::FuturePtr state) : state_(std::move(state)) {}

  bool done() const { return state_ && state_->done(); }
  bool cancelled() const { return state_ && state_->status == detail::FutureStatus::cancelled; }
  /// As Future::exception(): InvalidStateError while pending, CancelledError once cancelled.
  std::exception_ptr exception() const;
  bool cancel(std::string msg = {}) { return state().cancel(std::move(msg)); }
  bool is_task() const noexcept { return state_ && state_->task != nullptr; }
  EventLoop& get_loop() const { return state().loop(); }
  std::string repr() const { return state().repr(); }

  /// The typed task or future back (`ref.as<Task<int>>()`); std::bad_cast for another type.
  template <class F>
  F as() const {
    using State = typename detail::future_traits<F>::state;
    state();  // RuntimeError for an empty FutureRef, as elsewhere
    auto typed = std::dynamic_pointer_cast<State>(state_);
    if (!typed) throw std::bad_cast();
    return F(std::move(typed));
  }
  /// The result as T (`ref.result<std::string>()`), with Future::result()'s errors.
  template <class T>
  T result() const {
    return as<Future<T>>().result();
  }

  /// fn(FutureRef) through call_soon once done; the id is for remove_done_callback.
  template <class F>
  std::size_t add_done_callback(F&& fn) {
    return state().add_done_callback(
        [fn = std::forward<F>(fn)](const detail::FuturePtr& s) mutable { fn(FutureRef(s)); });
  }
  std::size_t remove_done_callback(std::size_t id) { return state().remove_done_callback(id); }

  /// `co_await ref` waits until it is done and rethrows its failure; it gives no value.
  auto operator co_await() const {
    struct Awaiter {
      detail::FuturePtr state;
      bool await_ready() const noexcept { return state->done(); }
      void await_suspend(std::coroutine_handle<> h) { detail::suspend_task_on(state, h); }
      void await_resume() const {
        detail::rethrow_wakeup_error();
        state->rethrow_if_failed();
      }
    };
    state();  // RuntimeError for an empty FutureRef
    return Awaiter{state_};
  }

  explicit operator bool() const noexcept { return state_ != nullptr; }
  /// Identity, as Python's futures compare: a `Task<T>` or `Future<U>` converts to compare.
  friend bool operator==(const FutureRef& a, const FutureRef& b) noexcept {
    return a.state_ == b.state_;
  }
  const detail::FuturePtr& state_ptr() const noexcept { return state_; }

 private:
  detail::FutureStateBase& state() const;
  detail::FuturePtr state_;
};

/// done/pending of wait(), in input order: a std::vector with Python's `x in done`.
template <class F>
class FutureSet : public std::vector<F> {
 public:
  FutureSet() = default;
  FutureSet(std::vector<F> items) : std::vector<F>(std::move(items)) {}
  /// `{t1, t2, f3}`: list-initialization picks this over std::initializer_list, whose
  /// backing array inside a co_await expression GCC 12 cannot compile.
  template <class... Fs>
  requires(sizeof...(Fs) > 0 && (std::is_convertible_v<const Fs&, F> && ...))
      FutureSet(const Fs&... items) {
    this->reserve(sizeof...(Fs));
    (this->push_back(F(items)), ...);
  }
  /// Any other range of tasks or futures that convert (a std::vector<Task<int>>, a set of them).
  template <class Range>
  requires(!std::is_convertible_v<const Range&, F> &&
           !std::is_base_of_v<std::vector<F>, std::remove_cvref_t<Range>> &&
           requires(const Range& r) {
             { *r.begin() } -> std::convertible_to<F>;
             r.end();
           }) FutureSet(const Range& range) {
    for (const auto& item : range) this->push_back(F(item));
  }

  /// Python's `f in done`: by identity, scanning in order.
  bool contains(const FutureRef& fut) const {
    for (const F& item : *this) {
      if (item.state_ptr() == fut.state_ptr()) return true;
    }
    return false;
  }
};

/// What wait() gives: `auto [done, pending] = co_await asyncio::wait(...)`.
template <class F>
struct WaitSets {
  FutureSet<F> done;
  FutureSet<F> pending;
};
/// wait() over futures or tasks of one type T.
template <class T>
using WaitResult = WaitSets<Future<T>>;

// ---------------------------------------------------------------- wait

enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

namespace detail {
/// asyncio._wait: resolves once return_when is satisfied or the timeout passes.
Coro<void> wait_for_condition(std::vector<FuturePtr> fs, std::optional<double> timeout,
                              ReturnWhen return_when);
/// wait()'s argument checks (ValueError as std::invalid_argument, as asyncio raises them),
/// and Python's set(fs): the states once each, in input order.
std::vector<FuturePtr> checked_wait_states(std::vector<FuturePtr> fs, ReturnWhen return_when);
/// Python's set(fs) for as_completed: each state once, in input order; std::invalid_argument
/// for an empty Future or FutureRef.
std::vector<FuturePtr> unique_states(std::vector<FuturePtr> fs, const char* func);
}  // namespace detail

/// asyncio.wait over tasks or futures of one type (not coroutines, as in 3.12); done/pending
/// keep input order, each future once. `timeout` in seconds or any std::chrono duration.
template <class T>
Coro<WaitResult<T>> wait(std::vector<Future<T>> fs, detail::OptionalDelay timeout = {},
                         ReturnWhen return_when = ALL_COMPLETED) {
  std::vector<detail::FuturePtr> states;
  states.reserve(fs.size());
  for (auto& f : fs) states.push_back(f.state_ptr());
  states = detail::checked_wait_states(std::move(states), return_when);
  co_await detail::wait_for_condition(states, timeout.seconds, return_when);
  WaitResult<T> result;
  for (auto& s : states) {
    Future<T> f(std::static_pointer_cast<detail::FutureState<T>>(s));
    (f.done() ? result.done : result.pending).push_back(std::move(f));
  }
  co_return result;
}
template <class T>
Coro<WaitResult<T>> wait(std::vector<Task<T>> ts, detail::OptionalDelay timeout = {},
                         ReturnWhen return_when = ALL_COMPLETED) {
  return wait(std::vector<Future<T>>(ts.begin(), ts.end()), timeout, return_when);
}
template <class T>
Coro<WaitResult<T>> wait(std::vector<Future<T>> fs, ReturnWhen return_when) {
  return wait(std::move(fs), std::nullopt, return_when);
}
template <class T>
Coro<WaitResult<T>> wait(std::vector<Task<T>> ts, ReturnWhen return_when) {
  return wait(std::move(ts), std::nullopt, return_when);
}

/// asyncio.wait over tasks and futures of any result types, Python's own form:
/// `auto [done, pending] = co_await asyncio::wait({reader, writer, stopper}, FIRST_COMPLETED);`
/// then `done.contains(reader)`. Also takes a FutureSet or vector of FutureRef (a pending set).
Coro<WaitSets<FutureRef>> wait(FutureSet<FutureRef> fs, detail::OptionalDelay timeout = {},
                               ReturnWhen return_when = ALL_COMPLETED);
Coro<WaitSets<FutureRef>> wait(FutureSet<FutureRef> fs, ReturnWhen return_when);
/// Python's wait(task) is a TypeError ("expect a list of futures"): a braced `wait({task})`
/// is the one-element set (a braced list deduces no F, so it never lands here).
template <class F, class... Rest>
requires std::is_convertible_v<const F&, FutureRef>
void wait(const F&, Rest&&...) = delete;

// ---------------------------------------------------------------- as_completed

namespace detail {
/// The queue behind as_completed: each next() gives the next future to finish.
struct CompletionQueue {
  std::vector<FuturePtr> done;
  std::size_t taken = 0;
  std::size_t remaining = 0;
  std::vector<Future<void>> waiters;
  TimerHandle timeout_handle;
  bool timed_out = false;
};
Coro<FuturePtr> next_completed(std::shared_ptr<CompletionQueue> queue);
std::shared_ptr<CompletionQueue> watch_completions(EventLoop& loop, std::vector<FuturePtr> fs,
                                                   std::optional<double> timeout);
/// Drops coroutines that were made but will never be awaited, without the debug report.
template <class T>
void discard_unawaited(std::vector<Coro<T>>& coros) noexcept {
  for (auto& c : coros) {
    if (c) c.handle().promise().started = true;
  }
  coros.clear();
}

/// The original task or future, typed as it was given.
template <class F>
F original_of(FuturePtr state) {
  if constexpr (std::is_same_v<F, FutureRef>) {
    return FutureRef(std::move(state));
  } else {
    using State = typename future_traits<F>::state;
    return F(std::static_pointer_cast<State>(std::move(state)));
  }
}

/// What plain iteration's awaitables give: the result, or for FutureRef the original, once
/// its failure (if any) is raised.
template <class F>
struct plain_value {
  using type = typename future_traits<F>::value;
};
template <>
struct plain_value<FutureRef> {
  using type = FutureRef;
};
template <class F>
using plain_value_t = typename plain_value<F>::type;

template <class F>
Coro<plain_value_t<F>> next_result(std::shared_ptr<CompletionQueue> queue) {
  FuturePtr state = co_await next_completed(std::move(queue));
  if constexpr (std::is_same_v<F, FutureRef>) {
    state->rethrow_if_failed();
    co_return FutureRef(std::move(state));
  } else {
    co_return original_of<F>(std::move(state)).result();
  }
}

template <class F>
Coro<F> next_original(std::shared_ptr<CompletionQueue> queue) {
  co_return original_of<F>(co_await next_completed(std::move(queue)));
}

/// as_completed's async iteration: one element per future given.
template <class F>
struct OriginalsSource {
  std::shared_ptr<CompletionQueue> queue;
  std::size_t left;
  Coro<F> anext() {
    --left;
    return next_original<F>(queue);
  }
  bool exhausted() const noexcept { return left == 0; }
};
}  // namespace detail

/// What as_completed() gives. Iterated plainly (`for (auto& aw : as_completed(fs))`), it is a
/// std::vector of coroutines: awaiting the i-th gives the i-th result to arrive, as Python's
/// `for aw in as_completed(fs): await aw`. A mixed as_completed's coroutines give the
/// FutureRef, once its failure (if any) is raised.
template <class F>
class AsCompleted : public std::vector<Coro<detail::plain_value_t<F>>> {
 public:
  AsCompleted(std::shared_ptr<detail::CompletionQueue> queue, std::size_t n) : queue_(queue) {
    this->reserve(n);
    for (std::size_t i = 0; i < n; ++i) this->push_back(detail::next_result<F>(queue));
  }

  const std::shared_ptr<detail::CompletionQueue>& queue() const noexcept { return queue_; }

 private:
  std::shared_ptr<detail::CompletionQueue> queue_;
};

/// Python 3.13's `async for t in as_completed(fs)`, which gives the original tasks or futures:
/// `for (auto next : asyncio::aiter(asyncio::as_completed(fs))) { auto t = co_await next; }`.
/// `t` is the Task<T>, Future<T> or FutureRef given, in completion order; awaiting raises
/// TimeoutError once the timeout passes. Takes the place of the plain coroutines.
template <class F>
detail::AsyncRange<detail::OriginalsSource<F>> aiter(AsCompleted<F>&& completed) {
  std::size_t n = completed.size();
  auto queue = completed.queue();
  detail::discard_unawaited(completed);
  return detail::AsyncRange<detail::OriginalsSource<F>>({std::move(queue), n});
}

namespace detail {
template <class F, class T>
AsCompleted<F> as_completed_over(const std::vector<T>& fs, std::optional<double> timeout) {
  std::vector<FuturePtr> states;
  states.reserve(fs.size());
  for (auto& f : fs) states.push_back(f.state_ptr());
  states = unique_states(std::move(states), "as_completed");
  std::size_t n = states.size();
  auto queue = watch_completions(get_running_loop(), std::move(states), timeout);
  return AsCompleted<F>(std::move(queue), n);
}
}  // namespace detail

/// asyncio.as_completed over tasks or futures of one type; asyncio::TimeoutError once the
/// timeout (seconds or any std::chrono duration) passes. See AsCompleted for both loop forms.
template <class T>
AsCompleted<Future<T>> as_completed(std::vector<Future<T>> fs, detail::OptionalDelay timeout = {}) {
  return detail::as_completed_over<Future<T>>(fs, timeout.seconds);
}
template <class T>
AsCompleted<Task<T>> as_completed(std::vector<Task<T>> ts, detail::OptionalDelay timeout = {}) {
  return detail::as_completed_over<Task<T>>(ts, timeout.seconds);
}
/// as_completed over tasks and futures of any result types: `as_completed({t1, t2, f3})`.
AsCompleted<FutureRef> as_completed(FutureSet<FutureRef> fs, detail::OptionalDelay timeout = {});
/// as_completed(task) is Python's TypeError too; `as_completed({task})` is one future.
template <class F, class... Rest>
requires std::is_convertible_v<const F&, FutureRef>
void as_completed(const F&, Rest&&...) = delete;

}  // namespace asyncio
ASYNCIO_CPP_API_END

template <>
struct std::hash<asyncio::FutureRef> {
  std::size_t operator()(const asyncio::FutureRef& f) const noexcept {
    return std::hash<const void*>()(f.state_ptr().get());
  }
};
