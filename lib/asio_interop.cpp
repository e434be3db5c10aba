// asyncio::use_future's non-template parts: error mapping, cancellation, abandoned handlers.
#include <asyncio/asio_interop.hpp>

#include <asyncio/exceptions.hpp>

#include <boost/asio/cancellation_type.hpp>
#include <boost/system/error_category.hpp>

#include <stdexcept>

namespace asyncio::detail {

EventLoop& loop_for_use_future() {
  // The future belongs to the running loop: completions are posted to it, so without one
  // there is nowhere to deliver them. Checked before the operation starts.
  if (EventLoop* loop = running_loop_or_null()) return *loop;
  throw RuntimeError("asyncio::use_future needs a running event loop on this thread");
}

std::exception_ptr asio_error(const boost::system::error_code& ec) {
  if (!ec) return nullptr;
  const auto& category = ec.category();
  if (category == boost::system::system_category() ||
      category == boost::system::generic_category()) {
    return make_os_error(ec.value());
  }
  // Asio's misc/netdb/addrinfo codes are not errnos: their number must not pick a subclass.
  return std::make_exception_ptr(OSError(ec.value(), ec.message()));
}

bool request_asio_cancel(FutureStateBase& state, AsioCancel& cancel, std::string msg) {
  state.log_traceback = false;
  if (state.done()) return false;
  if (cancel.requested) return true;  // already asked; the operation has yet to answer
  cancel.requested = true;
  cancel.message = std::move(msg);
  // The operation owns buffers the awaiting task lent it, so the future (and the task) stay
  // pending until it completes: it answers the terminal request soon, normally with
  // operation_aborted.
  auto emit = [link = cancel.shared_from_this()] {
    link->signal.emit(boost::asio::cancellation_type::terminal);
  };
  if (cancel.in_op_executor) {
    cancel.in_op_executor(std::move(emit));
  } else {
    emit();
  }
  return true;
}

bool settle_if_cancelled(FutureStateBase& state, AsioCancel& cancel) {
  if (state.done() || cancel.initiation_threw) return true;
  if (!cancel.requested) return false;
  // The cancel request stands whatever the operation ended with, as a task's does when the
  // future it waits on finishes before the cancellation reaches it.
  state.cancel_future(std::move(cancel.message));
  return true;
}

bool runs_on_loop_thread(const LoopAnchor& anchor) noexcept {
  EventLoop* running = running_loop_or_null();
  return running != nullptr && loop_anchor(*running).get() == &anchor;
}

void abandon_asio_op(std::shared_ptr<FutureStateBase> state, std::shared_ptr<AsioCancel> cancel) {
  std::shared_ptr<LoopAnchor> anchor = state->anchor;
  anchor->post([state = std::move(state), cancel = std::move(cancel)]() mutable {
    auto target = std::exchange(state, {});
    if (settle_if_cancelled(*target, *cancel)) return;
    target->set_exception(std::make_exception_ptr(
        RuntimeError("the Asio operation's handler was destroyed before it was called")));
  });
}

}  // namespace asyncio::detail

// ---------------------------------------------------------------- async_run

namespace asyncio::detail {

void post_run_cancel(const std::shared_ptr<RunCancel>& cancel) noexcept {
  // Refused once the loop is closed: the task is gone then, and the handler answered.
  cancel->anchor->post([cancel] {
    cancel->requested = true;
    if (auto task = cancel->target.lock()) task->cancel({});
  });
}

void attach_run_target(RunCancel& cancel, std::shared_ptr<FutureStateBase> target) {
  cancel.target = target;
  // A cancellation that came before the task existed cancels it before its first step, as
  // a cancelled run_coroutine_threadsafe future does.
  if (cancel.requested) target->cancel({});
}

std::exception_ptr run_loop_closed_error() {
  return std::make_exception_ptr(RuntimeError("Event loop is closed"));
}

void throw_foreign_future() {
  throw std::invalid_argument(
      "The future belongs to a different loop than the one specified as the loop argument");
}

}  // namespace asyncio::detail
