// asyncio.timeouts: `async with asyncio.timeout(delay):` as
//   co_await asyncio::timeout(delay).run(body)
// where body is a Coro<T>, or a callable taking Timeout& that returns one.
#pragma once

#include <asyncio/tasks.hpp>

#include <optional>
#include <type_traits>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

class Timeout;

namespace detail {
/// The coroutine a Timeout/TaskGroup body gives: the Coro itself, or what the callable returns.
template <class Body, class Arg>
struct body_coro {
  using type = std::remove_cvref_t<Body>;
};
template <class Body, class Arg>
requires std::is_invocable_v<Body&, Arg&>
struct body_coro<Body, Arg> {
  using type = std::invoke_result_t<Body&, Arg&>;
};
template <class Body, class Arg>
using body_coro_t = typename body_coro<Body, Arg>::type;

template <class Arg, class Body>
body_coro_t<Body, Arg> make_body_coro(Body& body, Arg& arg) {
  if constexpr (std::is_invocable_v<Body&, Arg&>) {
    return body(arg);
  } else {
    return std::move(body);
  }
}

template <class T>
Coro<T> await_future(Future<T> fut) {
  co_return co_await fut;
}
}  // namespace detail

class Timeout {
 public:
  /// An absolute deadline on the loop's clock; none for no deadline.
  explicit Timeout(std::optional<double> when) : when_(when) {}
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;

  std::optional<double> when() const noexcept { return when_; }
  void reschedule(std::optional<double> when);
  bool expired() const noexcept { return state_ == State::expiring || state_ == State::expired; }

  template <class Body>
  Coro<detail::awaitable_value_t<detail::body_coro_t<Body, Timeout>>> run(Body&& body) {
    auto coro = detail::make_body_coro(body, *this);
    enter();
    std::exception_ptr error;
    using T = detail::awaitable_value_t<decltype(coro)>;
    std::optional<gather_value_t<T>> result;
    try {
      if constexpr (std::is_void_v<T>) {
        co_await coro;
        result.emplace();
      } else {
        result.emplace(co_await coro);
      }
    } catch (...) {
      error = std::current_exception();
    }
    exit(error);  // throws TimeoutError, or rethrows error
    if constexpr (!std::is_void_v<T>) co_return std::move(*result);
  }

 private:
  enum class State { created, entered, expiring, expired, exited };

  void enter();
  void exit(std::exception_ptr error);  // __aexit__
  void on_timeout();

  std::optional<double> when_;
  State state_ = State::created;
  Handle handle_;
  TaskRef task_;
  int cancelling_ = 0;
};

/// asyncio.timeout(delay): no deadline for std::nullopt.
template <detail::Delay D>
Timeout timeout(const D& delay);
Timeout timeout(std::nullopt_t);
Timeout timeout_at(std::optional<double> when);

template <detail::Delay D>
Timeout timeout(const D& delay) {
  return Timeout(get_running_loop().time() + detail::to_seconds(delay));
}

namespace detail {
/// A coroutine is awaited as it is (inline, as asyncio 3.12's wait_for); a future through one.
template <class T>
Coro<T> as_coro(Coro<T>&& coro) {
  return std::move(coro);
}
template <class T>
Coro<T> as_coro(const Future<T>& fut) {
  return await_future(fut);
}
}  // namespace detail

/// asyncio.wait_for (3.12): on timeout the inner awaitable is cancelled and TimeoutError
/// raised; std::nullopt waits without a deadline.
template <detail::Awaitable A>
Coro<detail::awaitable_value_t<A>> wait_for(A aw, std::optional<double> seconds) {
  EventLoop& loop = get_running_loop();
  if (seconds && *seconds <= 0) {  // asyncio's _cancel_and_wait
    Future<detail::awaitable_value_t<A>> fut = detail::to_future(loop, std::move(aw));
    if (!fut.done()) {
      fut.cancel();
      /// A named vector: GCC 12 miscompiles initializer lists inside co_await expressions.
      std::vector<detail::FuturePtr> waited{fut.state_ptr()};
      co_await detail::wait_for_condition(std::move(waited), std::nullopt, ALL_COMPLETED);
      if (fut.cancelled()) throw TimeoutError();
    }
    co_return fut.result();
  }
  std::optional<double> when;
  if (seconds) when = loop.time() + *seconds;
  co_return co_await Timeout(when).run(detail::as_coro(std::move(aw)));
}

template <detail::Awaitable A, detail::Delay D>
Coro<detail::awaitable_value_t<A>> wait_for(A aw, D delay) {
  return wait_for(std::move(aw), std::optional<double>(detail::to_seconds(delay)));
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
