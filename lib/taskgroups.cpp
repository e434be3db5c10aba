// asyncio.taskgroups.TaskGroup: the first failure cancels the siblings and the body;
// failures are collected into one ExceptionGroup; an outside cancellation propagates.
#include <asyncio/taskgroups.hpp>

#include "exception_is.hpp"

#include <algorithm>

namespace asyncio {

namespace {
bool is_cancellation(const std::exception_ptr& exc) {
  return detail::exception_is<CancelledError>(exc);
}
}  // namespace

void TaskGroup::enter() {
  if (entered_) throw RuntimeError("TaskGroup has already been entered");
  loop_ = &get_running_loop();
  parent_task_ = current_task();
  if (!parent_task_) throw RuntimeError("TaskGroup cannot determine the parent task");
  entered_ = true;
}

void TaskGroup::check_open() const {
  if (!entered_) throw RuntimeError("TaskGroup has not been entered");
  if (exiting_ && tasks_.empty()) throw RuntimeError("TaskGroup is finished");
  if (aborting_) throw RuntimeError("TaskGroup is shutting down");
}

void TaskGroup::track(const detail::FuturePtr& task) {
  if (task->done()) return on_task_done(task);
  tasks_.push_back(task);
  // The parent task awaits its children, as 3.14's call graphs show them.
  task->add_done_callback([this](const detail::FuturePtr& done) { on_task_done(done); },
                          parent_task_.state_ptr());
}

void TaskGroup::abort() {
  aborting_ = true;
  for (auto& t : tasks_) {
    if (!t->done()) t->cancel({});
  }
}

void TaskGroup::on_task_done(const detail::FuturePtr& task) {
  std::erase(tasks_, task);
  if (on_completed_ && tasks_.empty() && !on_completed_->done()) on_completed_->set_result();
  if (task->status == detail::FutureStatus::cancelled || !task->exception) return;
  task->log_traceback = false;  // asyncio reads task.exception()
  errors_.push_back(task->exception);
  if (parent_task_.done()) {
    ExceptionContext ctx;
    ctx.message = "Task " + task->repr() + " has errored out but its parent task " +
                  parent_task_.repr() + " is already completed";
    ctx.exception = task->exception;
    ctx.task = task;
    loop_->call_exception_handler(ctx);
    return;
  }
  if (!aborting_ && !parent_cancel_requested_) {
    // Cancel the body as well, and remember to uncancel the parent in exit().
    abort();
    parent_cancel_requested_ = true;
    parent_task_.cancel();
  }
}

Coro<void> TaskGroup::exit(std::exception_ptr error) {
  exiting_ = true;
  bool cancelled = error && is_cancellation(error);
  std::exception_ptr propagate_cancellation = cancelled ? error : nullptr;
  if (error && !aborting_) abort();
  while (!tasks_.empty()) {
    if (!on_completed_) on_completed_ = loop_->create_future<void>();
    try {
      co_await *on_completed_;
    } catch (const CancelledError&) {
      if (!aborting_) {
        propagate_cancellation = std::current_exception();
        abort();
      }
    }
    on_completed_.reset();
  }
  // 3.13 (gh-116720): uncancel only once the tasks are done, so that a cancellation from
  // outside that arrives while waiting is still counted against ours.
  if (parent_cancel_requested_ && parent_task_.uncancel() == 0) propagate_cancellation = nullptr;
  if (propagate_cancellation && errors_.empty()) std::rethrow_exception(propagate_cancellation);
  if (error && !cancelled) errors_.push_back(error);
  if (!errors_.empty()) {
    // A parent still being cancelled from outside: uncancel and cancel again, which keeps
    // its count stable and its cancellation pending past our ExceptionGroup.
    if (parent_task_.cancelling() > 0) {
      parent_task_.uncancel();
      parent_task_.cancel();
    }
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::exchange(errors_, {}));
  }
}

}  // namespace asyncio
