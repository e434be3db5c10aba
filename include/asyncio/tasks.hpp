// asyncio.tasks, second half: the combinators built on tasks and futures (gather, shield; wait and
// as_completed live in wait.hpp). Task<T>, create_task and sleep are in task.hpp. This includes
// both.
#pragma once

#include <asyncio/detail/site.hpp>
#include <asyncio/task.hpp>
#include <asyncio/wait.hpp>

#include <exception>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

// ---------------------------------------------------------------- gather

/// What gather gives for a coroutine or future of T: void becomes std::monostate.
template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
/// gather(return_exceptions, ...) gives each outcome as a value or the exception.
template <class T>
using Outcome = std::variant<gather_value_t<T>, std::exception_ptr>;

struct ReturnExceptions {};
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {
/// gather(return_exceptions, ...)'s first argument, with where the call was made (the default
/// argument of this implicit conversion), so that the awaitables can stay a trailing pack.
struct SitedReturnExceptions {
  SitedReturnExceptions(ReturnExceptions, detail::Site site = detail::Site::current())
      : where(site) {}
  detail::Site where;
};
}  // namespace detail

namespace detail {

/// gather's outer future (asyncio's _GatheringFuture): cancelling it cancels the children.
template <class R>
struct GatherStateBase : FutureState<R> {
  using FutureState<R>::FutureState;
  std::vector<FuturePtr> children;
  std::size_t finished = 0;
  bool keep_exceptions = false;
  bool cancel_requested = false;

  bool cancel(std::string msg) override {
    this->log_traceback = false;
    if (this->done()) return false;
    bool any = false;
    for (auto& child : children) any = child->cancel(msg) || any;
    if (any) cancel_requested = true;
    return any;
  }
  virtual R collect() = 0;

  /// asyncio's gather._done_callback for one child.
  static void child_done(const FuturePtr& target, const FuturePtr& fut) {
    auto& outer = static_cast<GatherStateBase&>(*target);
    ++outer.finished;
    if (outer.done()) {
      if (fut->status != FutureStatus::cancelled) fut->log_traceback = false;
      return;
    }
    if (!outer.keep_exceptions) {
      if (fut->status == FutureStatus::cancelled)
        return outer.set_exception(fut->cancelled_error());
      if (fut->exception) {
        fut->log_traceback = false;
        return outer.set_exception(fut->exception);
      }
    }
    if (outer.finished < outer.children.size()) return;
    if (outer.cancel_requested) return outer.set_exception(fut->cancelled_error());
    // collect() reads every child's outcome, which marks the exceptions retrieved.
    outer.value.emplace(outer.collect());
    outer.finish();
  }
};

template <class R, class Results>
struct GatherState final : GatherStateBase<R> {
  GatherState(EventLoop& loop, Results r) : GatherStateBase<R>(loop), results(std::move(r)) {}
  R collect() override {
    if constexpr (std::is_invocable_v<Results&, const std::vector<FuturePtr>&>) {
      return results(this->children);  // a range's results, read from the children
    } else {
      return results();
    }
  }
  Results results;
};

/// Coroutines become tasks created at `where` (gather's caller), as ensure_future does.
template <class T>
Future<T> to_future(EventLoop& loop, Coro<T>&& coro, detail::Site where = {}) {
  return loop.create_task(std::move(coro), {}, std::nullopt, std::nullopt, where);
}
template <class T>
Future<T> to_future(EventLoop&, const Future<T>& fut, detail::Site = {}) {
  return fut;
}
inline Future<void> to_future(EventLoop& loop, SleepAwaiter&& sleeping, detail::Site where = {}) {
  return to_future(loop, as_coro(std::move(sleeping)), where);
}
template <class T>
Future<T> to_future(EventLoop& loop, SleepResultAwaiter<T>&& sleeping, detail::Site where = {}) {
  return to_future(loop, as_coro(std::move(sleeping)), where);
}

template <class T>
gather_value_t<T> value_of(const Future<T>& fut) {
  if constexpr (std::is_void_v<T>) {
    fut.result();
    return {};
  } else {
    return fut.result();
  }
}

/// The same, from a done child's state: no reference taken.
template <class T>
gather_value_t<T> value_of_state(const FutureStateBase& s) {
  if (s.status != FutureStatus::finished || s.exception) s.rethrow_if_failed();
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return *static_cast<const FutureState<T>&>(s).value;
  }
}

template <class T>
Outcome<T> outcome_of_state(const FutureStateBase& s) {
  if (s.status == FutureStatus::cancelled) {
    return std::make_exception_ptr(CancelledError(s.cancel_message));
  }
  if (s.exception) {
    s.log_traceback = false;
    return s.exception;
  }
  return value_of_state<T>(s);
}

template <class T>
Outcome<T> outcome_of(const Future<T>& fut) {
  if (fut.cancelled()) {
    return std::make_exception_ptr(CancelledError(fut.state_ptr()->cancel_message));
  }
  if (auto exc = fut.exception()) return exc;
  return value_of(fut);
}

/// Wires the children to the outer future with asyncio's gather rules; `results`
/// builds the value once every child is done.
template <class R, class Results>
Future<R> gather_children(EventLoop& loop, std::vector<FuturePtr> children, bool keep_exceptions,
                          Results results, detail::Site where) {
  auto outer = std::make_shared<GatherState<R, Results>>(loop, std::move(results));
  outer->created = where;
  outer->children = std::move(children);
  outer->keep_exceptions = keep_exceptions;
  if (outer->children.empty()) {
    outer->value.emplace(outer->collect());
    outer->finish();
    return Future<R>(outer);
  }
  // As 3.12: children already done (eager tasks, finished futures) count at once, so a
  // gather of such children is done on return instead of an iteration later.
  // One pass, which matters with 10^5 children: counting a done child early changes nothing
  // that registering the pending ones (which runs nothing) would see.
  for (auto& child : outer->children) {
    if (child->done()) {
      GatherStateBase<R>::child_done(outer, child);
    } else {
      child->add_notify(outer, &GatherStateBase<R>::child_done);
    }
  }
  return Future<R>(outer);
}

}  // namespace detail

namespace detail {
/// gather(aws...) and gather(return_exceptions, aws...): every outcome as a tuple, in order.
template <bool KeepExceptions, class... Aws>
auto gather_tuple(detail::Site where, Aws&&... aws) {
  using R = std::conditional_t<KeepExceptions, std::tuple<Outcome<awaitable_value_t<Aws>>...>,
                               std::tuple<gather_value_t<awaitable_value_t<Aws>>...>>;
  EventLoop& loop = implicit_loop(aws...);
  /// Braces evaluate left to right: tasks are created in argument order, as asyncio does.
  std::tuple<Future<awaitable_value_t<Aws>>...> futs{
      to_future(loop, std::forward<Aws>(aws), where)...};
  std::vector<FuturePtr> children =
      std::apply([](auto&... f) { return std::vector<FuturePtr>{f.state_ptr()...}; }, futs);
  return gather_children<R>(
      loop, std::move(children), KeepExceptions,
      [futs] {
        return std::apply(
            [](auto&... f) {
              if constexpr (KeepExceptions) {
                return R{outcome_of(f)...};
              } else {
                return R{value_of(f)...};
              }
            },
            futs);
      },
      where);
}
}  // namespace detail

/// gather(aws...): runs coroutines as tasks and gives every result as a tuple, in order.
/// The call's site is a defaulted argument after the awaitables, so there is one overload per
/// count up to four; the variadic one takes longer calls and records no site.
template <detail::Awaitable A1>
auto gather(A1&& a1, detail::Site where = detail::Site::current()) {
  return detail::gather_tuple<false>(where, std::forward<A1>(a1));
}
template <detail::Awaitable A1, detail::Awaitable A2>
auto gather(A1&& a1, A2&& a2, detail::Site where = detail::Site::current()) {
  return detail::gather_tuple<false>(where, std::forward<A1>(a1), std::forward<A2>(a2));
}
template <detail::Awaitable A1, detail::Awaitable A2, detail::Awaitable A3>
auto gather(A1&& a1, A2&& a2, A3&& a3, detail::Site where = detail::Site::current()) {
  return detail::gather_tuple<false>(where, std::forward<A1>(a1), std::forward<A2>(a2),
                                     std::forward<A3>(a3));
}
template <detail::Awaitable A1, detail::Awaitable A2, detail::Awaitable A3, detail::Awaitable A4>
auto gather(A1&& a1, A2&& a2, A3&& a3, A4&& a4, detail::Site where = detail::Site::current()) {
  return detail::gather_tuple<false>(where, std::forward<A1>(a1), std::forward<A2>(a2),
                                     std::forward<A3>(a3), std::forward<A4>(a4));
}
template <detail::Awaitable... Aws>
Future<std::tuple<gather_value_t<detail::awaitable_value_t<Aws>>...>> gather(Aws&&... aws) {
  return detail::gather_tuple<false>({}, std::forward<Aws>(aws)...);
}

/// gather(return_exceptions, aws...): failures become results instead of raising.
template <class... Aws>
Future<std::tuple<Outcome<detail::awaitable_value_t<Aws>>...>> gather(
    detail::SitedReturnExceptions flag, Aws&&... aws) {
  return detail::gather_tuple<true>(flag.where, std::forward<Aws>(aws)...);
}

namespace detail {
/// The futures of a range of coroutines, tasks or futures of one type, in order.
template <class Range>
auto range_futures(Range&& range, detail::Site where) {
  using A = std::remove_cvref_t<decltype(*range.begin())>;
  using T = awaitable_value_t<A>;
  EventLoop& loop = range.begin() == range.end() ? implicit_loop() : implicit_loop(*range.begin());
  std::vector<Future<T>> futs;
  if constexpr (requires { std::size(range); }) futs.reserve(std::size(range));
  for (auto&& aw : range) {
    if constexpr (std::is_same_v<A, Coro<T>>) {
      futs.push_back(to_future(loop, std::move(aw), where));
    } else {
      futs.push_back(aw);
    }
  }
  return futs;
}

template <class T>
std::vector<FuturePtr> states_of(std::vector<Future<T>>&& futs) {
  std::vector<FuturePtr> states;
  states.reserve(futs.size());
  for (auto& f : futs) states.push_back(std::move(f).take_state());
  return states;
}
}  // namespace detail

namespace detail {
/// A range of tasks or futures all finished with a value (eager tasks, say): their values in one
/// pass that takes no reference, so 10^5 children cost one visit each. Empty when a child is
/// pending, failed or cancelled; gather_children then applies asyncio's rules.
template <class R, class Range>
std::optional<R> values_if_all_finished(Range& range) {
  using T = awaitable_value_t<decltype(*range.begin())>;
  R out;
  if constexpr (requires { std::size(range); }) out.reserve(std::size(range));
  for (auto& fut : range) {
    const FutureStateBase& s = *fut.state_ptr();
    if (s.status != FutureStatus::finished || s.exception) return std::nullopt;
    out.push_back(value_of_state<T>(s));
  }
  return out;
}

/// gather's future, done with `value` on return, as 3.12's gather of done children is.
template <class R>
Future<R> gathered(EventLoop& loop, R value, detail::Site where) {
  auto no_results = [] { return R{}; };
  auto outer = std::make_shared<GatherState<R, decltype(no_results)>>(loop, no_results);
  outer->created = where;
  outer->value.emplace(std::move(value));
  outer->finish();
  return Future<R>(outer);
}

/// gather over a range: a vector, in order, of each child's value, or with KeepExceptions of
/// its Outcome.
template <bool KeepExceptions, class Range>
auto gather_range(Range&& range, detail::Site where) {
  using A = std::remove_cvref_t<decltype(*range.begin())>;
  using R = std::vector<std::conditional_t<KeepExceptions, Outcome<awaitable_value_t<A>>,
                                           gather_value_t<awaitable_value_t<A>>>>;
  if constexpr (!std::is_same_v<A, Coro<awaitable_value_t<A>>>) {
    if (range.begin() != range.end()) {
      if (auto values = values_if_all_finished<R>(range))
        return gathered<R>(implicit_loop(*range.begin()), std::move(*values), where);
    }
  }
  auto futs = range_futures(std::forward<Range>(range), where);
  using T = typename decltype(futs)::value_type::value_type;
  EventLoop& loop = futs.empty() ? implicit_loop() : futs.front().get_loop();
  auto states = states_of(std::move(futs));
  return gather_children<R>(
      loop, std::move(states), KeepExceptions,
      [](const std::vector<FuturePtr>& children) {
        R out;
        out.reserve(children.size());
        for (auto& c : children) {
          if constexpr (KeepExceptions) {
            out.push_back(outcome_of_state<T>(*c));
          } else {
            out.push_back(value_of_state<T>(*c));
          }
        }
        return out;
      },
      where);
}
}  // namespace detail

/// gather over a range of coroutines, tasks or futures of one type: a vector, in order.
template <class Range>
requires(!detail::Awaitable<Range>) && requires(Range& r) {
  r.begin();
}
auto gather(Range&& range, detail::Site where = detail::Site::current()) {
  return detail::gather_range<false>(std::forward<Range>(range), where);
}

/// gather(return_exceptions, range): a vector of values or exceptions, in order.
template <class Range>
requires(!detail::Awaitable<Range>) && requires(Range& r) {
  r.begin();
}
auto gather(detail::SitedReturnExceptions flag, Range&& range) {
  return detail::gather_range<true>(std::forward<Range>(range), flag.where);
}

// ---------------------------------------------------------------- shield

/// The outer future can be cancelled without cancelling what it shields.
template <detail::Awaitable A>
Future<detail::awaitable_value_t<A>> shield(A&& aw) {
  using T = detail::awaitable_value_t<A>;
  EventLoop& loop = get_running_loop();
  Future<T> inner = detail::to_future(loop, std::forward<A>(aw));
  if (inner.done()) return inner;
  Future<T> outer(loop);
  // Registered naming `outer`, which awaits `inner` (3.14's call graphs show it so).
  auto on_inner_done = [outer](const detail::FuturePtr& state) mutable {
    Future<T> in(std::static_pointer_cast<detail::FutureState<T>>(state));
    if (outer.cancelled()) {
      if (!in.cancelled()) in.state_ptr()->log_traceback = false;
      return;
    }
    if (in.cancelled()) {
      outer.cancel();
    } else if (auto exc = in.exception()) {
      outer.set_exception(exc);
    } else if constexpr (std::is_void_v<T>) {
      outer.set_result();
    } else {
      outer.set_result(in.result());
    }
  };
  auto inner_cb = inner.state_ptr()->add_done_callback(std::move(on_inner_done), outer.state_ptr());
  outer.add_done_callback([inner, inner_cb](Future<T>) mutable {
    if (!inner.done()) inner.remove_done_callback(inner_cb);
  });
  return outer;
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
