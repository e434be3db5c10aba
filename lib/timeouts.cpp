// asyncio.timeouts.Timeout (3.12): cancels the task at the deadline and turns that
// cancellation, and only that one, into TimeoutError.
#include <asyncio/timeouts.hpp>

namespace asyncio {

Timeout timeout(std::nullopt_t) {
  return Timeout(std::nullopt);
}
Timeout timeout_at(std::optional<double> when) {
  return Timeout(when);
}

void Timeout::reschedule(std::optional<double> when) {
  if (state_ == State::created) throw RuntimeError("Timeout has not been entered");
  if (state_ != State::entered) {
    const char* name = state_ == State::expiring  ? "expiring"
                       : state_ == State::expired ? "expired"
                                                  : "finished";
    throw RuntimeError(std::string("Cannot change state of ") + name + " Timeout");
  }
  when_ = when;
  handle_.cancel();
  handle_ = Handle();
  if (!when) return;
  EventLoop& loop = get_running_loop();
  if (*when <= loop.time()) {
    handle_ = loop.call_soon([this] { on_timeout(); });
  } else {
    handle_ = loop.call_at(*when, [this] { on_timeout(); });
  }
}

void Timeout::enter() {
  if (state_ != State::created) throw RuntimeError("Timeout has already been entered");
  task_ = current_task();
  if (!task_) throw RuntimeError("Timeout should be used inside a task");
  state_ = State::entered;
  cancelling_ = task_.cancelling();
  reschedule(when_);
}

void Timeout::exit(std::exception_ptr error) {
  handle_.cancel();
  handle_ = Handle();
  if (state_ == State::expiring) {
    state_ = State::expired;
    bool cancelled_by_us = false;
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const CancelledError&) {
        cancelled_by_us = true;
      } catch (...) {
      }
    }
    // Only when no other cancellation is pending is the CancelledError ours to replace.
    if (task_.uncancel() <= cancelling_ && cancelled_by_us) throw TimeoutError();
  } else if (state_ == State::entered) {
    state_ = State::exited;
  }
  if (error) std::rethrow_exception(error);
}

void Timeout::on_timeout() {
  task_.cancel();
  state_ = State::expiring;
  handle_ = Handle();
}

}  // namespace asyncio
