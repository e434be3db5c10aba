// Boost.Asio interop: asyncio::use_future, a completion token that turns any Asio asynchronous
// operation into an asyncio::Future on the running loop (docs/03-embedding-in-asio.md, "Calling
// Asio from tasks"), and asyncio::async_run, which runs a task as an Asio asynchronous
// operation ("Calling tasks from Asio"). A separate include: it pulls in Asio's completion-token
// machinery.
#pragma once

#include <asyncio/detail/asio_run.hpp>
#include <asyncio/detail/asio_version.hpp>
#include <asyncio/futures.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/system/error_code.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// The token's type: `op(args..., asyncio::use_future)` returns an asyncio::Future.
struct use_future_t {
  constexpr use_future_t() noexcept = default;
};
/// co_await timer.async_wait(asyncio::use_future); auto n = co_await s.async_read_some(b,
/// use_future);
inline constexpr use_future_t use_future{};

namespace detail {

/// What cancelling the future does to the Asio operation: emits `terminal` on the slot bound to
/// its handler. The flags are the loop thread's; the signal is emitted in the operation's
/// executor when the initiation names one (Asio's slots are not thread-safe).
struct AsioCancel : std::enable_shared_from_this<AsioCancel> {
  boost::asio::cancellation_signal signal;
  /// Runs the emission in the operation's executor; empty: run it at once, on the loop's thread.
  std::function<void(std::function<void()>)> in_op_executor;
  bool requested = false;
  bool initiation_threw = false;  // nobody holds the future: its outcome is not reported
  std::string message;
};

/// The non-template halves (lib/asio_interop.cpp).
EventLoop& loop_for_use_future();
/// Null for success; the OSError subclass for a system/generic code; OSError(value, message) else.
std::exception_ptr asio_error(const boost::system::error_code& ec);
/// Future.cancel(): asks the operation to stop; the future stays pending until it completes.
bool request_asio_cancel(FutureStateBase& state, AsioCancel& cancel, std::string msg);
/// On the loop's thread when the operation's outcome arrives: true when the future is already
/// done, or ends cancelled because a cancellation was requested (the outcome is dropped).
bool settle_if_cancelled(FutureStateBase& state, AsioCancel& cancel);
/// Whether this thread is running the anchor's loop (so a completion may settle the future
/// at once).
bool runs_on_loop_thread(const LoopAnchor& anchor) noexcept;
/// A handler destroyed without being called: the future gets RuntimeError, on the loop's thread.
void abandon_asio_op(std::shared_ptr<FutureStateBase> state, std::shared_ptr<AsioCancel> cancel);

template <class T>
struct AsioFutureState final : FutureState<T> {
  AsioFutureState(EventLoop& loop, std::shared_ptr<AsioCancel> c)
      : FutureState<T>(loop), cancel_link(std::move(c)) {}
  bool cancel(std::string msg) override {
    return request_asio_cancel(*this, *cancel_link, std::move(msg));
  }
  std::shared_ptr<AsioCancel> cancel_link;
};

/// The future's value type for an Asio signature: the values after a leading error_code or
/// exception_ptr; none: void, one: itself, several: a std::tuple.
template <class... Ts>
struct values_result {
  using type = std::tuple<std::decay_t<Ts>...>;
};
template <>
struct values_result<> {
  using type = void;
};
template <class T>
struct values_result<T> {
  using type = std::decay_t<T>;
};

template <class First, class... Rest>
constexpr bool is_status_arg = std::is_same_v<std::decay_t<First>, boost::system::error_code> ||
                               std::is_same_v<std::decay_t<First>, std::exception_ptr>;

template <class... Args>
struct asio_result {
  using type = typename values_result<Args...>::type;
};
template <class First, class... Rest>
struct asio_result<First, Rest...> {
  using type = std::conditional_t<is_status_arg<First>, typename values_result<Rest...>::type,
                                  typename values_result<First, Rest...>::type>;
};

/// The completion handler use_future makes: it carries the outcome to the loop's thread
/// (call_soon_threadsafe), never completing the future on the thread that calls it.
template <class T>
class UseFutureHandler {
 public:
  using cancellation_slot_type = boost::asio::cancellation_slot;

  UseFutureHandler(std::shared_ptr<AsioFutureState<T>> state, std::shared_ptr<AsioCancel> cancel)
      : state_(std::move(state)), cancel_(std::move(cancel)) {}
  UseFutureHandler(UseFutureHandler&& other) noexcept
      : state_(std::move(other.state_)), cancel_(other.cancel_) {}
  UseFutureHandler& operator=(UseFutureHandler&&) = delete;
  ~UseFutureHandler() {
    if (state_) abandon_asio_op(std::move(state_), std::move(cancel_));
  }

  cancellation_slot_type get_cancellation_slot() const noexcept { return cancel_->signal.slot(); }

  template <class... Args>
  void operator()(Args&&... args) {
    if constexpr (sizeof...(Args) > 0) {
      complete(std::forward<Args>(args)...);
    } else {
      deliver({}, stored_t<T>{});
    }
  }

 private:
  template <class First, class... Rest>
  void complete(First&& first, Rest&&... rest) {
    using F = std::decay_t<First>;
    if constexpr (std::is_same_v<F, boost::system::error_code>) {
      if (auto error = asio_error(first)) return deliver(std::move(error), std::nullopt);
      deliver({}, make_value(std::forward<Rest>(rest)...));
    } else if constexpr (std::is_same_v<F, std::exception_ptr>) {
      if (first) return deliver(std::forward<First>(first), std::nullopt);
      deliver({}, make_value(std::forward<Rest>(rest)...));
    } else {
      deliver({}, make_value(std::forward<First>(first), std::forward<Rest>(rest)...));
    }
  }

  template <class... Vs>
  static stored_t<T> make_value(Vs&&... vs) {
    return stored_t<T>(std::forward<Vs>(vs)...);  // NoValue{}, the value, or the tuple
  }

  void deliver(std::exception_ptr error, std::optional<stored_t<T>> value) {
    std::shared_ptr<LoopAnchor> anchor = state_->anchor;
    // Already on the loop's thread, inside its run (as a selector's ready callback is): the
    // future is completed here, and its done callbacks are scheduled as usual. A hop through
    // call_soon would cost the awaiting task one more loop iteration per operation.
    if (runs_on_loop_thread(*anchor)) {
      return settle(*std::exchange(state_, {}), *std::exchange(cancel_, {}), std::move(error),
                    std::move(value));
    }
    // Everything goes into the callback, so the future is released on the loop's thread.
    anchor->post([state = std::move(state_), cancel = std::move(cancel_), error = std::move(error),
                  value = std::move(value)]() mutable {
      auto target = std::exchange(state, {});
      settle(*target, *cancel, std::exchange(error, nullptr), std::move(value));
    });
  }

  static void settle(AsioFutureState<T>& target, AsioCancel& cancel, std::exception_ptr error,
                     std::optional<stored_t<T>> value) {
    if (settle_if_cancelled(target, cancel)) return;
    if (error) return target.set_exception(std::move(error));
    target.value.emplace(std::move(*value));
    target.finish();
  }

  std::shared_ptr<AsioFutureState<T>> state_;  // null once called or moved from
  std::shared_ptr<AsioCancel> cancel_;
};

/// The initiation's executor, when it names one: where the cancellation is emitted.
template <class Initiation>
void bind_cancel_executor(const Initiation& init, AsioCancel& cancel) {
  if constexpr (requires { init.get_executor(); }) {
    cancel.in_op_executor = [ex = init.get_executor()](std::function<void()> fn) {
      boost::asio::dispatch(ex, std::move(fn));
    };
  }
}

}  // namespace detail
}  // namespace asyncio
ASYNCIO_CPP_API_END

template <class R, class... Args>
struct boost::asio::async_result<asyncio::use_future_t, R(Args...)> {
  using value_type = typename asyncio::detail::asio_result<Args...>::type;
  using return_type = asyncio::Future<value_type>;

  /// Runs on the loop's thread with a running loop (RuntimeError otherwise, before the
  /// operation starts).
  template <class Initiation, class... InitArgs>
  static return_type initiate(Initiation&& init, asyncio::use_future_t, InitArgs&&... args) {
    asyncio::EventLoop& loop = asyncio::detail::loop_for_use_future();
    auto cancel = std::make_shared<asyncio::detail::AsioCancel>();
    asyncio::detail::bind_cancel_executor(init, *cancel);
    auto state = std::make_shared<asyncio::detail::AsioFutureState<value_type>>(loop, cancel);
    return_type future(state);
    auto& link = *cancel;
    asyncio::detail::UseFutureHandler<value_type> handler(std::move(state), std::move(cancel));
    try {
      std::forward<Initiation>(init)(std::move(handler), std::forward<InitArgs>(args)...);
    } catch (...) {
      link.initiation_threw = true;
      throw;
    }
    return future;
  }
};

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// Runs a `Coro<T>` as a task of `loop` (or follows a `Task<T>`/`Future<T>` of `loop`) as an
/// Asio asynchronous operation with the signature `void(std::exception_ptr, T)`, or
/// `void(std::exception_ptr)` for `T = void`. Safe from any thread. The handler runs through its
/// associated executor (inline on the loop's thread when it has none) and gets the task's
/// exception, or CancelledError when the task ended cancelled; RuntimeError("Event loop is
/// closed") when the loop closed before the task ended. Any emission on the handler's
/// cancellation slot cancels the task.
template <class Awaitable, class CompletionToken>
auto async_run(EventLoop& loop, Awaitable aw, CompletionToken&& token) {
  using T = detail::awaitable_value_t<Awaitable>;
  static_assert(std::is_same_v<Awaitable, Coro<T>> || std::is_base_of_v<Future<T>, Awaitable>,
                "async_run takes a Coro<T>, a Task<T> or a Future<T>");
  static_assert(std::is_void_v<T> || std::is_default_constructible_v<T>,
                "async_run's signature passes a T beside an exception: T needs a default value");
  using Signature = typename detail::run_signature<T>::type;
  return boost::asio::async_initiate<CompletionToken, Signature>(
      detail::RunInitiation<T>{&loop, detail::loop_anchor(loop)}, token, std::move(aw));
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
