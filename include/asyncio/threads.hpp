// Threads: executors (concurrent.futures), to_thread, run_coroutine_threadsafe, wrap_future.
#pragma once

#include <asyncio/tasks.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// concurrent.futures.Executor: what run_in_executor hands work to.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void submit(std::function<void()> work) = 0;
  virtual void shutdown(bool wait = true) = 0;
};

/// concurrent.futures.ThreadPoolExecutor: threads start as work arrives, up to max_workers.
class ThreadPoolExecutor final : public Executor {
 public:
  explicit ThreadPoolExecutor(std::size_t max_workers = 0);  // 0: min(32, cores + 4)
  ~ThreadPoolExecutor() override;                            // shutdown(true)
  /// RuntimeError "cannot schedule new futures after shutdown" once shut down.
  void submit(std::function<void()> work) override;
  void shutdown(bool wait = true) override;
  std::size_t max_workers() const noexcept { return max_workers_; }

 private:
  void worker();
  std::size_t max_workers_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

namespace detail {
/// Delivers a worker thread's outcome to the loop; a closed loop drops it. The post comes
/// after the catch block, so the worker holds no reference to the exception any more and
/// the loop's thread, which reads it, is also the one that frees it.
template <class R>
void deliver(LoopAnchor& anchor, Future<R> fut, std::function<R()>& work) {
  std::optional<stored_t<R>> value;
  std::exception_ptr error;
  try {
    if constexpr (std::is_void_v<R>) {
      work();
      value.emplace();
    } else {
      value.emplace(work());
    }
  } catch (...) {
    error = std::current_exception();
  }
  // A loop closed or destroyed meanwhile drops the result, as asyncio's does.
  // The callback takes everything it holds: the future and its exception are then freed on
  // the loop's thread, which read them, not on this one when it drops its handle.
  anchor.post([fut = std::move(fut), value = std::move(value), error = std::move(error)]() mutable {
    Future<R> target = std::move(fut);
    if (target.done()) return;
    if (error) {
      target.set_exception(std::exchange(error, nullptr));
    } else if constexpr (std::is_void_v<R>) {
      target.set_result();
    } else {
      target.set_result(std::move(*value));
    }
  });
}
}  // namespace detail

template <class F, class... Args>
auto EventLoop::run_in_executor(Executor* executor, F&& f, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
  if (is_closed()) throw RuntimeError("Event loop is closed");
  Future<R> fut = create_future<R>();
  std::function<R()> work = [fn = std::forward<F>(f), ... a = std::forward<Args>(args)]() mutable {
    return std::invoke(fn, a...);
  };
  Executor& target = executor != nullptr ? *executor : default_executor();
  // The executor may outlive the loop: the work holds the loop's anchor, never the loop.
  target.submit([anchor = detail::loop_anchor(*this), fut, work = std::move(work)]() mutable {
    detail::deliver<R>(*anchor, std::move(fut), work);
  });
  return fut;
}

/// asyncio.to_thread: runs f(args...) in the default executor, in a copy of the caller's
/// context (run_in_executor does not carry the context over); awaitable.
template <class F, class... Args>
auto to_thread(F&& f, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
  return get_running_loop().run_in_executor(
      nullptr,
      [ctx = copy_context(), fn = std::forward<F>(f)](std::decay_t<Args>&... a) mutable -> R {
        return ctx.run(fn, a...);
      },
      std::forward<Args>(args)...);
}

/// concurrent.futures.Future: safe to use from any thread.
template <class T>
class ConcurrentFuture {
 public:
  ConcurrentFuture() : state_(std::make_shared<State>()) {}

  bool done() const {
    std::lock_guard lock(state_->mutex);
    return state_->status != detail::FutureStatus::pending;
  }
  bool cancelled() const {
    std::lock_guard lock(state_->mutex);
    return state_->status == detail::FutureStatus::cancelled;
  }
  /// Cancels while pending; for run_coroutine_threadsafe this cancels the task.
  bool cancel() {
    std::function<void()> hook;
    if (!complete(detail::FutureStatus::cancelled, {}, {}, &hook)) return false;
    if (hook) hook();
    return true;
  }
  /// True once done; false if `timeout` (seconds or any std::chrono duration) passed first.
  template <detail::Delay D>
  bool wait_for(const D& timeout) const {
    std::unique_lock lock(state_->mutex);
    return state_->done.wait_for(lock, std::chrono::duration<double>(detail::to_seconds(timeout)),
                                 [&] { return state_->status != detail::FutureStatus::pending; });
  }
  /// Blocks until done: the value, the exception, or CancelledError.
  T get() const { return result(std::nullopt); }
  /// concurrent.futures' result(timeout): seconds, any std::chrono duration, or std::nullopt.
  T result(detail::OptionalDelay timeout) const {
    std::unique_lock lock(state_->mutex);
    auto is_done = [&] { return state_->status != detail::FutureStatus::pending; };
    if (!timeout.seconds) {
      state_->done.wait(lock, is_done);
    } else if (!state_->done.wait_for(lock, std::chrono::duration<double>(*timeout.seconds),
                                      is_done)) {
      throw TimeoutError();
    }
    if (state_->status == detail::FutureStatus::cancelled) throw CancelledError();
    if (state_->exception) std::rethrow_exception(state_->exception);
    if constexpr (!std::is_void_v<T>) return *state_->value;
  }

  /// The loop side: each returns false when the future was already done.
  bool set_result(std::optional<detail::stored_t<T>> value) {
    return complete(detail::FutureStatus::finished, std::move(value), {}, nullptr);
  }
  bool set_exception(std::exception_ptr exc) {
    return complete(detail::FutureStatus::finished, {}, std::move(exc), nullptr);
  }
  /// The hook runs on cancel(); at once if cancel() came first, so a cancel() racing with
  /// the hook's installation is never lost.
  void set_cancel_hook(std::function<void()> hook) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->status != detail::FutureStatus::cancelled) {
        state_->on_cancel = std::move(hook);
        return;
      }
    }
    if (hook) hook();
  }
  /// Runs fn(*this) once done, on the thread that completes it (or now, if done).
  void add_done_callback(std::function<void(ConcurrentFuture)> fn) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->status == detail::FutureStatus::pending) {
        state_->callbacks.push_back(std::move(fn));
        return;
      }
    }
    fn(*this);
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable done;
    detail::FutureStatus status = detail::FutureStatus::pending;
    std::optional<detail::stored_t<T>> value;
    std::exception_ptr exception;
    std::function<void()> on_cancel;
    std::vector<std::function<void(ConcurrentFuture)>> callbacks;
  };

  bool complete(detail::FutureStatus status, std::optional<detail::stored_t<T>> value,
                std::exception_ptr exc, std::function<void()>* hook) {
    std::vector<std::function<void(ConcurrentFuture)>> callbacks;
    {
      std::lock_guard lock(state_->mutex);
      if (state_->status != detail::FutureStatus::pending) return false;
      state_->status = status;
      state_->value = std::move(value);
      state_->exception = std::move(exc);
      if (hook != nullptr) *hook = std::move(state_->on_cancel);
      state_->on_cancel = nullptr;
      callbacks.swap(state_->callbacks);
    }
    state_->done.notify_all();
    for (auto& cb : callbacks) cb(*this);
    return true;
  }

  std::shared_ptr<State> state_;
};

/// asyncio.run_coroutine_threadsafe: schedules coro on `loop` from another thread.
namespace detail {
/// run_coroutine_threadsafe's callbacks each hold one of these: when the last goes, the
/// concurrent future is cancelled (a no-op once it is done). They are dropped unrun when the
/// loop closes first (the start call, or the done callback of a task abandoned by close()),
/// and the caller must not then wait forever.
template <class T>
class CancelWhenDropped {
 public:
  explicit CancelWhenDropped(ConcurrentFuture<T> f)
      : holder_(std::make_shared<Holder>(std::move(f))) {}
  ConcurrentFuture<T>& operator*() const noexcept { return holder_->future; }

 private:
  struct Holder {
    explicit Holder(ConcurrentFuture<T> f) : future(std::move(f)) {}
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() {
      try {
        future.cancel();
      } catch (...) {  // a done callback of the caller's failed: nothing to report it to
      }
    }
    ConcurrentFuture<T> future;
  };
  std::shared_ptr<Holder> holder_;
};
}  // namespace detail

template <class T>
ConcurrentFuture<T> run_coroutine_threadsafe(Coro<T> coro, EventLoop& loop) {
  ConcurrentFuture<T> future;
  auto start = [guard = detail::CancelWhenDropped<T>(future)](Coro<T>& c) mutable {
    ConcurrentFuture<T> result = *guard;
    if (result.cancelled()) return;
    EventLoop& running = get_running_loop();
    Task<T> task = running.create_task(std::move(c));
    // The cancel hook may run on any thread after the loop is gone: it holds the anchor.
    result.set_cancel_hook([anchor = detail::loop_anchor(running), task]() mutable {
      anchor->post([task]() mutable { task.cancel(); });
    });
    task.add_done_callback([guard](Future<T> done) mutable {
      ConcurrentFuture<T> outcome = *guard;
      outcome.set_cancel_hook(nullptr);  // drop the task reference on the loop's thread
      if (done.cancelled()) {
        outcome.cancel();
      } else if (auto exc = done.exception()) {
        outcome.set_exception(exc);
      } else if constexpr (std::is_void_v<T>) {
        outcome.set_result(detail::NoValue{});
      } else {
        outcome.set_result(done.result());
      }
    });
  };
  loop.call_soon_threadsafe(std::move(start), std::move(coro));
  return future;
}

/// asyncio.wrap_future: an asyncio Future on the running loop that follows `cf`.
template <class T>
Future<T> wrap_future(ConcurrentFuture<T> cf) {
  EventLoop& loop = get_running_loop();
  Future<T> fut = loop.create_future<T>();
  // cf may complete on any thread after the loop is gone: the callback holds the anchor.
  cf.add_done_callback([anchor = detail::loop_anchor(loop), fut](ConcurrentFuture<T> done) {
    anchor->post([fut, done]() mutable {
      Future<T> target = std::exchange(fut, {});  // freed on the loop's thread, as in deliver()
      if (target.done()) return;
      if (done.cancelled()) return (void)target.cancel();
      try {
        if constexpr (std::is_void_v<T>) {
          done.get();
          target.set_result();
        } else {
          target.set_result(done.get());
        }
      } catch (...) {
        target.set_exception(std::current_exception());
      }
    });
  });
  fut.add_done_callback([cf](Future<T> f) mutable {
    if (f.cancelled()) cf.cancel();
  });
  return fut;
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
