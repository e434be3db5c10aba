// asyncio.futures: Future<T>, a copyable reference to a result that arrives later.
#pragma once

#include <asyncio/events.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

template <class T = void>
class Future;

namespace detail {

enum class FutureStatus : std::uint8_t { pending, cancelled, finished };

struct FutureStateBase {
  explicit FutureStateBase(EventLoop& owner);
  virtual ~FutureStateBase();  // reports an exception nobody retrieved

  EventLoop* loop;
  std::shared_ptr<LoopAnchor> anchor;  // tells whether the loop still exists
  FutureStatus status = FutureStatus::pending;
  std::exception_ptr exception;
  mutable bool log_traceback = false;  // set_exception() sets it; result()/exception() clear it
  std::string cancel_message;
  std::size_t next_callback_id = 1;

  const char* status_name() const noexcept;
  virtual std::string repr() const;
  [[noreturn]] void throw_not_pending() const;
  [[noreturn]] void throw_cancelled() const;

 protected:
  virtual void append_result(std::string& out) const = 0;
};

struct NoValue {};

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, NoValue, T>;

template <class T>
struct FutureState final : FutureStateBase {
  using FutureStateBase::FutureStateBase;
  using Callback = std::function<void(Future<T>)>;

  std::optional<stored_t<T>> value;
  std::vector<std::pair<std::size_t, Callback>> callbacks;

  void append_result(std::string& out) const override {
    if constexpr (std::is_void_v<T>) {
      out += "None";
    } else {
      append_repr(out, *value);
    }
  }
};

}  // namespace detail

template <class T>
class Future {
 public:
  using value_type = T;
  using CallbackId = std::size_t;

  Future() = default;  // empty: a placeholder to assign to
  explicit Future(EventLoop& loop) : state_(std::make_shared<State>(loop)) {}

  bool done() const { return state_ && state_->status != detail::FutureStatus::pending; }
  bool cancelled() const { return state_ && state_->status == detail::FutureStatus::cancelled; }

  // The value; rethrows the exception; CancelledError once cancelled.
  T result() const {
    const State& s = checked_done("Result is not ready.");
    if (s.exception) std::rethrow_exception(s.exception);
    if constexpr (!std::is_void_v<T>) return *s.value;
  }
  std::exception_ptr exception() const { return checked_done("Exception is not set.").exception; }

  template <class V = T>
  requires(!std::is_void_v<T> && std::is_convertible_v<V&&, T>) void set_result(V&& value) {
    State& s = pending_state();
    s.value.emplace(std::forward<V>(value));
    finish(s);
  }
  void set_result() requires std::is_void_v<T> {
    State& s = pending_state();
    s.value.emplace();
    finish(s);
  }
  void set_exception(std::exception_ptr exc) {
    State& s = pending_state();
    s.exception = std::move(exc);
    s.log_traceback = true;
    finish(s);
  }

  bool cancel(std::string msg = {}) {
    State& s = state();
    if (s.status != detail::FutureStatus::pending) return false;
    s.status = detail::FutureStatus::cancelled;
    s.cancel_message = std::move(msg);
    schedule_callbacks(s);
    return true;
  }

  // fn(Future<T>) runs through call_soon once the future is done, never inline.
  template <class F>
  CallbackId add_done_callback(F&& fn) {
    State& s = state();
    CallbackId id = s.next_callback_id++;
    if (done()) {
      s.loop->call_soon(std::forward<F>(fn), *this);
    } else {
      s.callbacks.emplace_back(id, typename State::Callback(std::forward<F>(fn)));
    }
    return id;
  }
  // Python compares callbacks; C++ callables are not comparable, so an id names one.
  std::size_t remove_done_callback(CallbackId id) {
    auto& cbs = state().callbacks;
    return std::erase_if(cbs, [id](const auto& entry) { return entry.first == id; });
  }

  EventLoop& get_loop() const { return *state().loop; }
  std::string repr() const { return state().repr(); }

  explicit operator bool() const noexcept { return state_ != nullptr; }
  bool operator==(const Future& other) const noexcept { return state_ == other.state_; }
  const std::shared_ptr<detail::FutureStateBase> state_ptr() const { return state_; }

 private:
  using State = detail::FutureState<T>;
  explicit Future(std::shared_ptr<State> state) : state_(std::move(state)) {}

  State& state() const {
    if (!state_) throw RuntimeError("Future object is not initialized.");
    return *state_;
  }
  State& pending_state() {
    State& s = state();
    if (s.status != detail::FutureStatus::pending) s.throw_not_pending();
    return s;
  }
  const State& checked_done(const char* not_ready) const {
    if (!state_) throw InvalidStateError(not_ready);
    const State& s = *state_;
    if (s.status == detail::FutureStatus::cancelled) s.throw_cancelled();
    if (s.status != detail::FutureStatus::finished) throw InvalidStateError(not_ready);
    s.log_traceback = false;
    return s;
  }
  void finish(State& s) {
    s.status = detail::FutureStatus::finished;
    schedule_callbacks(s);
  }
  void schedule_callbacks(State& s) {
    auto callbacks = std::move(s.callbacks);
    s.callbacks.clear();
    for (auto& entry : callbacks) s.loop->call_soon(std::move(entry.second), *this);
  }

  std::shared_ptr<State> state_;
};

template <class T>
Future<T> EventLoop::create_future() {
  return Future<T>(*this);
}

// loop.run_until_complete(future): runs the loop until the future is done.
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
