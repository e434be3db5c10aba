// The machinery of asyncio::async_run (asio_interop.hpp): a task started on its loop from any
// thread, whose outcome goes to an Asio completion handler through the handler's executor.
#pragma once

#include <asyncio/detail/asio_version.hpp>
#include <asyncio/detail/export.hpp>
#include <asyncio/task.hpp>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

/// What the handler's cancellation slot shares with the loop. The slot's handler runs where
/// Asio emits (any thread): it only posts to the loop, where the other fields live.
struct RunCancel {
  explicit RunCancel(std::shared_ptr<LoopAnchor> a) : anchor(std::move(a)) {}
  std::shared_ptr<LoopAnchor> anchor;
  bool requested = false;                 // loop thread only
  std::weak_ptr<FutureStateBase> target;  // loop thread only; the task keeps itself alive
};

/// async_run's completion signature: the task's exception (null on success), then its value.
template <class T>
struct run_signature {
  using type = void(std::exception_ptr, T);
};
template <>
struct run_signature<void> {
  using type = void(std::exception_ptr);
};

/// The non-template halves (lib/asio_interop.cpp).
/// From any thread: the loop cancels the task (or the task to come); dropped once it closed.
void post_run_cancel(const std::shared_ptr<RunCancel>& cancel) noexcept;
/// On the loop's thread, once the task exists: a request that came first cancels it now.
void attach_run_target(RunCancel& cancel, std::shared_ptr<FutureStateBase> target);
/// RuntimeError("Event loop is closed"): the loop closed before the outcome existed.
std::exception_ptr run_loop_closed_error();
/// ValueError (std::invalid_argument) for a future of another loop, as ensure_future's.
[[noreturn]] void throw_foreign_future();

/// The task async_run follows: a coroutine becomes a task of `loop`; a future or task is
/// followed as it is (it must belong to `loop`).
template <class T>
Future<T> run_target(EventLoop& loop, Coro<T>&& coro) {
  return loop.create_task(std::move(coro));
}
template <class T>
Future<T> run_target(EventLoop& loop, Future<T>&& fut) {
  if (&fut.get_loop() != &loop) throw_foreign_future();
  return std::move(fut);
}

/// Whether `ex` runs its handlers in `io` itself (not through a strand or another context).
template <class Executor>
bool executes_in(const Executor& ex, boost::asio::io_context& io) {
  using IoExecutor = boost::asio::io_context::executor_type;
  if constexpr (std::is_same_v<Executor, IoExecutor>) {
    return &ex.context() == &io;
  } else if constexpr (requires { ex.template target<IoExecutor>(); }) {
    const IoExecutor* inner = ex.template target<IoExecutor>();  // any_io_executor's
    return inner != nullptr && &inner->context() == &io;
  } else {
    return false;
  }
}

/// Posts `fn` to `ex`. An any_io_executor over an io_context posts straight to the
/// io_context's executor: the same queue, without Asio's type-erased prefer() calls. The
/// operation comes from the loop's pools unless the handler has an allocator of its own:
/// Asio's per-thread recycling allocator has no cache here, since the loop's callbacks run
/// outside io_context::run() and poll(), so every round trip went to malloc, and the poll()
/// that ran the handler freed it (B14).
template <class Executor, class Allocator, class F>
void post_to(const Executor& ex, const Allocator& allocator, F&& fn) {
  using IoExecutor = boost::asio::io_context::executor_type;
  if constexpr (std::is_same_v<Allocator, std::allocator<void>> &&
                requires { ex.template target<IoExecutor>(); }) {
    if (const IoExecutor* inner = ex.template target<IoExecutor>()) {
      namespace execution = boost::asio::execution;
      return boost::asio::require(*inner, execution::blocking.never,
                                  execution::allocator(PoolAllocator<void>()))
          .execute(std::forward<F>(fn));
    }
  }
  boost::asio::post(ex, boost::asio::bind_allocator(allocator, std::forward<F>(fn)));
}

/// One async_run: owns the handler until it is called, exactly once. Normally from the loop's
/// thread when the task is done; otherwise when the last reference goes (the loop closed
/// first and dropped the callbacks holding it), with RuntimeError. One allocation holds it
/// and what its cancellation slot shares with the loop.
template <class T, class Handler>
class RunOperation {
 public:
  using Executor = boost::asio::associated_executor_t<Handler, boost::asio::system_executor>;
  using WorkGuard = boost::asio::executor_work_guard<Executor>;
  /// A handler with an executor of its own is posted to it; one without is called where
  /// the task's done callback runs, as a concurrent.futures callback is.
  static constexpr bool posts_handler = !std::is_same_v<Executor, boost::asio::system_executor>;

  /// `work`: the handler's executor, kept busy until the handler is posted; empty where
  /// something else already keeps it busy that long (RunInitiation::needs_work_guard).
  RunOperation(Handler h, std::optional<WorkGuard> work, std::shared_ptr<LoopAnchor> anchor)
      : cancel(std::move(anchor)), work_(std::move(work)), handler_(std::move(h)) {}
  RunOperation(const RunOperation&) = delete;
  RunOperation& operator=(const RunOperation&) = delete;
  ~RunOperation() {
    if (!handler_) return;
    try {
      complete</*post=*/true>(run_loop_closed_error(), std::nullopt);
    } catch (...) {  // out of memory while posting: nothing left to tell
    }
  }

  RunCancel cancel;  // shared (aliased) with the slot's handler and the loop's cancel calls

  /// Called in the initiating function: the slot's emissions cancel the task. The slot holds
  /// a weak reference, so that an operation the loop dropped still answers its handler: an
  /// emission after that finds nothing to cancel.
  static void watch_slot(const std::shared_ptr<RunOperation>& op) {
    auto slot = boost::asio::get_associated_cancellation_slot(*op->handler_);
    if (!slot.is_connected()) return;
    slot.assign([weak = std::weak_ptr<RunOperation>(op)](boost::asio::cancellation_type type) {
      if (type == boost::asio::cancellation_type::none) return;
      if (auto self = weak.lock()) post_run_cancel(std::shared_ptr<RunCancel>(self, &self->cancel));
    });
  }

  /// The task's done callback, `id` on `task`: succeed() removes it.
  void follow(std::weak_ptr<FutureStateBase> task, std::size_t id) {
    task_ = std::move(task);
    callback_id_ = id;
  }

  /// On the loop's thread, in the step where async_run's own task returned `value`: the
  /// handler is posted to its executor now, not from a done callback an iteration later.
  /// The task is async_run's own, so no other callback of it can come first, and a posted
  /// handler never runs inside this step.
  void succeed(std::optional<stored_t<T>> value) {
    if (!handler_) return;
    // 0: an eager task, done inside create_task; its done callback, added next, will find
    // the handler gone.
    if (auto task = task_.lock()) task->remove_done_callback(callback_id_);
    complete</*post=*/false>(nullptr, std::move(value));
  }

  /// On the loop's thread: the task's result, exception or CancelledError goes to the handler.
  /// A task of async_run's own (Future<void>) gets here only with an exception or
  /// cancellation: its value went through succeed().
  template <class U>
  static void finish(std::shared_ptr<RunOperation> op, Future<U> done) {
    if (!op->handler_) return;
    std::optional<stored_t<T>> value;
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<U>) {
        done.result();
        if constexpr (std::is_void_v<T>) value.emplace();
      } else {
        value.emplace(done.result());
      }
    } catch (...) {
      error = std::current_exception();
    }
    if (!error && !value) return;  // its own task's value came by succeed(): unreachable
    if (!error) return op->template complete</*post=*/false>(nullptr, std::move(value));
    // The task shares its exception with the handler, which may read it on another thread:
    // one loop iteration later the loop has let go of the task, and the handler's side
    // holds the last reference (the thread that reads the exception frees it).
    done = Future<U>();
    get_running_loop().call_soon([op = std::move(op), error = std::move(error)]() mutable {
      op->template complete</*post=*/false>(std::move(error), std::nullopt);
    });
  }

  /// finish() for async_run's own task, registered as an owner callback: no std::function
  /// (an allocation) to make and drop in every round trip, when succeed() withdraws it.
  static void own_task_done(const std::shared_ptr<void>& self, const FuturePtr& done) {
    finish(std::static_pointer_cast<RunOperation>(self),
           Future<void>(std::static_pointer_cast<FutureState<void>>(done)));
  }

  /// The task could not start: never inline, since this may be the initiating function.
  void fail(std::exception_ptr error) { complete</*post=*/true>(std::move(error), std::nullopt); }

 private:
  template <bool Post>
  void complete(std::exception_ptr error, std::optional<stored_t<T>> value) {
    Executor ex = boost::asio::get_associated_executor(*handler_, boost::asio::system_executor());
    [[maybe_unused]] auto allocator = boost::asio::get_associated_allocator(*handler_);
    auto call = [h = std::move(*handler_), work = std::move(work_), error = std::move(error),
                 value = std::move(value)]() mutable {
      // The slot belongs to the handler's side, which no longer needs to reach the task.
      auto slot = boost::asio::get_associated_cancellation_slot(h);
      if (slot.is_connected()) slot.clear();
      if constexpr (std::is_void_v<T>) {
        std::move(h)(std::move(error));
      } else if (value) {
        std::move(h)(std::move(error), std::move(*value));
      } else {
        std::move(h)(std::move(error), T{});
      }
    };
    handler_.reset();
    // A handler with an executor of its own never runs inside a loop callback (in guest mode
    // dispatch() would run it there, where the loop is running and cannot be closed). One
    // without runs where the task ended, as concurrent.futures callbacks do.
    if constexpr (!Post && std::is_same_v<Executor, boost::asio::system_executor>) {
      boost::asio::dispatch(ex, std::move(call));
    } else {
      post_to(ex, allocator, std::move(call));
    }
  }

  std::optional<WorkGuard> work_;        // the handler's executor stays busy, if needed
  std::optional<Handler> handler_;       // empty once it has been called
  std::weak_ptr<FutureStateBase> task_;  // the task followed, and its callback
  std::size_t callback_id_ = 0;          // 0 until follow()
};

/// async_run's own task for a coroutine whose handler is posted: awaits it inline, and
/// posts its value to the handler in the same step (one loop iteration per round trip
/// instead of two). An exception or a cancellation ends the task and goes through its done
/// callback as before. A handler without an executor keeps the done callback, so that it
/// runs after the callbacks the task's last step scheduled, as in asyncio.
template <class T, class Op>
Coro<void> run_and_hand_over(Coro<T> body, std::shared_ptr<Op> op) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(body);
    op->succeed(NoValue{});
  } else {
    T value = co_await std::move(body);
    op->succeed(std::move(value));
  }
}

/// async_run's initiation: `loop` is only compared, never used, off the loop's thread.
template <class T>
struct RunInitiation {
  EventLoop* loop;
  std::shared_ptr<LoopAnchor> anchor;

  template <class Handler, class Awaitable>
  void operator()(Handler&& handler, Awaitable aw) const {
    using Op = RunOperation<T, std::decay_t<Handler>>;
    const bool on_loop = running_loop_or_null() == loop;
    auto ex = boost::asio::get_associated_executor(handler, boost::asio::system_executor());
    std::optional<typename Op::WorkGuard> work;
    if (needs_work_guard<Awaitable>(on_loop, ex)) work.emplace(ex);
    // From the per-thread pools task states use: one allocation per round trip is common.
    auto op = std::allocate_shared<Op>(PoolAllocator<Op>(), std::forward<Handler>(handler),
                                       std::move(work), anchor);
    Op::watch_slot(op);
    auto start = [op = std::move(op), aw = std::move(aw)]() mutable {
      start_run(op, op->cancel, std::move(aw));
    };
    if (on_loop) {
      start();  // on the loop's thread while it runs: no detour through the queue
    } else {
      // Refused once the loop is closed: `op` then goes, and its destructor answers.
      anchor->post(std::move(start));
    }
  }

  /// Whether the handler's executor must be kept busy until the handler is posted to it.
  /// Not when it is the running loop's own io_context and the operation starts async_run's
  /// own task in this call: the open loop keeps that context busy (its `open_work`), and
  /// everything that holds the operation from here on (the task's coroutine, its done
  /// callbacks, the ready queue) is dropped by close() before it lets go, so the handler is
  /// queued, as work of its own, by then. A future or task given to async_run may outlive
  /// the loop in the caller's hands: its operation keeps the guard.
  template <class Awaitable, class Executor>
  bool needs_work_guard(bool on_loop, const Executor& ex) const {
    if constexpr (!std::is_same_v<Awaitable, Coro<T>>) {
      return true;
    } else {
      return !on_loop || !executes_in(ex, loop->io_context());
    }
  }

  template <class Op, class Awaitable>
  static void start_run(const std::shared_ptr<Op>& op, RunCancel& cancel, Awaitable&& aw) {
    if constexpr (std::is_same_v<std::decay_t<Awaitable>, Coro<T>> && Op::posts_handler) {
      Future<void> task;
      try {
        task = cancel.anchor->loop->create_task(run_and_hand_over<T>(std::move(aw), op));
      } catch (...) {
        return op->fail(std::current_exception());
      }
      attach_run_target(cancel, task.state_ptr());
      op->follow(task.state_ptr(), task.state_ptr()->add_owner_notify(op, &Op::own_task_done));
    } else {
      Future<T> target;
      try {
        target = run_target(*cancel.anchor->loop, std::forward<Awaitable>(aw));
      } catch (...) {
        return op->fail(std::current_exception());
      }
      follow(op, cancel, std::move(target));
    }
  }

  template <class Op, class U>
  static void follow(const std::shared_ptr<Op>& op, RunCancel& cancel, Future<U> target) {
    attach_run_target(cancel, target.state_ptr());
    auto id = target.add_done_callback([op](Future<U> done) { Op::finish(op, std::move(done)); });
    op->follow(target.state_ptr(), id);
  }
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
