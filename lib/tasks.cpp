// CPython's Task.__step and __wakeup, over C++20 coroutine handles.
#include <asyncio/tasks.hpp>

#include "linux/fork_child.hpp"
#include "loop_impl.hpp"
#include "sites.hpp"

#include <atomic>

namespace asyncio {

namespace detail {

namespace {

thread_local TaskCore* running_task = nullptr;
std::atomic<unsigned long> task_counter{0};

bool is_cancelled_error(const std::exception_ptr& exc, std::string* message = nullptr) {
  try {
    std::rethrow_exception(exc);
  } catch (const CancelledError& e) {
    if (message != nullptr) *message = e.message();
    return true;
  } catch (...) {
    return false;
  }
}

// Stands in for a task in an exception context once the task itself is gone.
struct TaskSnapshot final : FutureStateBase {
  TaskSnapshot(EventLoop& loop, std::string text, ContextState* ctx)
      : FutureStateBase(loop), text(std::move(text)), context(ctx) {
    add_ref(context);
  }
  ~TaskSnapshot() override { release(context); }
  ContextState* handler_context() const noexcept override { return context; }
  std::string repr() const override { return text; }
  void append_result(std::string& out) const override { out += "None"; }
  std::string text;
  ContextState* context;  // the destroyed task's
};

void report_pending_destroyed(TaskCore& core) {
  ExceptionContext ctx;
  ctx.message = "Task was destroyed but it is pending!";
  EventLoop& loop = core.state->loop();
  ctx.task = std::make_shared<TaskSnapshot>(loop, core.repr(), core.context);
  ctx.source_traceback = site_in_debug(*core.state);
  loop.call_exception_handler(ctx);
}

void link(TaskCore& core) {
  LoopAnchor& anchor = *core.state->anchor;
  core.next = anchor.tasks;
  if (anchor.tasks != nullptr) anchor.tasks->prev = &core;
  anchor.tasks = &core;
}

void unlink(TaskCore& core) noexcept {
  LoopAnchor& anchor = *core.state->anchor;
  if (core.prev != nullptr) core.prev->next = core.next;
  if (core.next != nullptr) core.next->prev = core.prev;
  if (anchor.tasks == &core) anchor.tasks = core.next;
  core.prev = core.next = nullptr;
}

// Runs `core` as the current task for the scope, as asyncio's _enter_task/_leave_task.
class EnteredTask {
 public:
  explicit EnteredTask(TaskCore& core) {
    if (running_task != nullptr) {
      throw RuntimeError("Cannot enter into task " + core.repr() + " while another task " +
                         running_task->repr() + " is being executed.");
    }
    if (watched_steps != nullptr) [[unlikely]] {
      // Which task a blocked step belongs to, and its graph: taken before it is current,
      // while its frames still stand where it suspended.
      note_task_step(core);
    }
    running_task = &core;
  }
  ~EnteredTask() { running_task = nullptr; }
  EnteredTask(const EnteredTask&) = delete;
  EnteredTask& operator=(const EnteredTask&) = delete;
};

// An eager task's first step runs inside create_task, in place of the task that called it
// (asyncio's _swap_current_task): the caller is not left, only set aside.
class SwappedTask {
 public:
  explicit SwappedTask(TaskCore& core) : previous_(std::exchange(running_task, &core)) {}
  ~SwappedTask() { running_task = previous_; }
  SwappedTask(const SwappedTask&) = delete;
  SwappedTask& operator=(const SwappedTask&) = delete;

 private:
  TaskCore* previous_;
};

// Runs a step in the task's context, as Task.__step's context.run(). A task whose context
// holds nothing yet steps in a fresh empty one, which it keeps if the step sets a variable:
// tasks of programs without ContextVars never allocate one.
class TaskContextScope {
 public:
  explicit TaskContextScope(TaskCore& core) : core_(core), previous_(context_thread.current) {
    ContextState* target = core.context;
    if (target == nullptr) {
      core.step_context = &fresh_;
      target = &fresh_;
      started_fresh_ = true;
    }
    was_entered_ = target->entered;  // a task's own context is entered while it steps
    target->entered = true;
    context_thread.current = target;
  }
  ~TaskContextScope() {
    context_thread.current = previous_;
    core_.step_context = nullptr;
    (core_.context != nullptr ? core_.context : &fresh_)->entered = was_entered_;
    if (started_fresh_ && (fresh_.map != nullptr || core_.context != nullptr)) [[unlikely]] {
      keep_fresh_context();
    }
  }
  TaskContextScope(const TaskContextScope&) = delete;
  TaskContextScope& operator=(const TaskContextScope&) = delete;

 private:
  // The step set a variable, or get_context() was asked meanwhile: the task keeps (or
  // brings up to date) a context of its own, with what the step left in the fresh one.
  void keep_fresh_context() noexcept {
    if (core_.context == nullptr) core_.context = new_context_state(nullptr);
    release(core_.context->map);
    core_.context->map = std::exchange(fresh_.map, nullptr);
    core_.context->serial = fresh_.serial;
  }

  TaskCore& core_;
  ContextState* previous_;
  ContextState fresh_;
  bool was_entered_ = false;
  bool started_fresh_ = false;
};

// Resumes a task's coroutine with running_frame naming it, for call graphs of the current task;
// restores the outer value after, as an eager step runs inside another task's step.
void resume_frame(std::coroutine_handle<> frame) {
#if defined(ASYNCIO_CPP_RECORD_AWAIT_SITES)
  struct Restore {
    void* outer;
    ~Restore() { running_frame = outer; }
  } restore{std::exchange(running_frame, frame.address())};
#endif
  frame.resume();
}

// The handle's reference keeps the task alive through its step (moved in: a copy would be two
// more atomic operations per step).
void schedule_step(TaskCore& core, std::exception_ptr exc) {
  LoopAccess::call_soon_plain(
      core.state->loop(), [self = core.state->shared_from_this(), exc = std::move(exc)]() mutable {
        self->task->step(std::move(exc));
      });
}

}  // namespace

unsigned long next_task_number() noexcept {
  return ++task_counter;
}

const std::string& TaskCore::get_name() const {
  if (name.empty() && number != 0) name = "Task-" + std::to_string(number);
  return name;
}

TaskCore* current_task_core() noexcept {
  return running_task;
}

void forget_running_task_in_child() noexcept {
  running_task = nullptr;
}

void TaskCore::start() {
  link(*this);
  schedule_step(*this, nullptr);
}

void TaskCore::start_eagerly() {
  // As 3.12: only a running loop starts a task eagerly; elsewhere it is scheduled.
  if (running_loop_or_null() != &state->loop()) return start();
  link(*this);
  step(nullptr, true);
}

void TaskCore::step(std::exception_ptr exc, bool eager) {
  FutureStateBase& fut = *state;
  if (fut.done()) throw InvalidStateError("_step(): already done: " + repr());
  // The coroutine may drop the last reference to the task, but every caller holds one:
  // create_task for an eager step, the scheduled handle (schedule_step) or the done callback
  // (wake_task) otherwise. Taking one here cost two atomic operations per step.
  if (must_cancel) {
    if (!exc || !is_cancelled_error(exc)) {
      exc = std::make_exception_ptr(CancelledError(cancel_message));
    }
    must_cancel = false;
  }
  fut_waiter.reset();
  yielded = false;
  retry_error = nullptr;
  wakeup_error = std::move(exc);
  if (eager) {
    SwappedTask swapped(*this);
    TaskContextScope in_context(*this);
    resume_frame(std::exchange(resume_point, {}));
  } else {
    EnteredTask entered(*this);
    TaskContextScope in_context(*this);
    resume_frame(std::exchange(resume_point, {}));
  }
  if (root.done()) {
    complete(fut);
  } else if (!fut_waiter.expired()) {  // a plain load: no reference taken unless cancelling
    auto waiter = must_cancel ? fut_waiter.lock() : nullptr;
    if (waiter && waiter->cancel(cancel_message)) must_cancel = false;
  } else if (yielded) {
    schedule_step(*this, nullptr);
  } else if (retry_error) {
    schedule_step(*this, retry_error);
  }
}

void TaskCore::wakeup(const FuturePtr& awaited) {
  std::exception_ptr exc;
  if (awaited->status == FutureStatus::cancelled) {
    exc = awaited->cancelled_error();
  } else if (awaited->exception) {
    awaited->log_traceback = false;  // asyncio's __wakeup calls future.result()
    exc = awaited->exception;
  }
  step(std::move(exc));
}

bool TaskCore::cancel(std::string msg) {
  FutureStateBase& fut = *state;
  fut.log_traceback = false;
  if (fut.done()) return false;
  ++num_cancels_requested;
  if (auto waiter = fut_waiter.lock()) {
    // The waiter may be a task that ignores the cancellation: stay ready to cancel again.
    if (waiter->cancel(msg)) return true;
  }
  must_cancel = true;
  cancel_message = std::move(msg);
  return true;
}

void TaskCore::finish_with(std::exception_ptr exc) {
  FutureStateBase& fut = *state;
  if (exc && is_cancelled_error(exc)) {
    fut.cancel_future({});  // as Future.cancel() without a message in Task.__step
    fut.cancelled_exc = std::move(exc);
  } else if (exc) {
    fut.set_exception(std::move(exc));
  } else if (must_cancel) {  // cancelled right before the coroutine returned
    must_cancel = false;
    fut.cancel_future(cancel_message);
  } else {
    fut.finish();
  }
  drop_coroutine(fut);  // the outcome is in the future now; free the frame
}

std::string TaskCore::repr() const {
  std::string out = "<Task ";
  switch (state->status) {
    case FutureStatus::pending:  // base_tasks._task_repr_info
      out += num_cancels_requested > 0 ? "cancelling" : "pending";
      break;
    case FutureStatus::cancelled:
      out += "cancelled";
      break;
    case FutureStatus::finished:
      out += "finished";
      break;
  }
  out += " name='" + get_name() + "'";
  if (state->status == FutureStatus::finished) {
    if (state->exception) {
      out += " exception=" + exception_repr(state->exception);
    } else {
      out += " result=";
      state->append_result(out);
    }
  }
  append_created_at(out, site_in_debug(*state));  // last, as base_tasks._task_repr_info
  return out + ">";
}

void TaskCore::on_destroyed() noexcept {
  if (!state->done() && !abandoned && state->anchor->loop != nullptr) {
    try {
      report_pending_destroyed(*this);
    } catch (...) {
    }
  }
  unlink(*this);
}

void abandon_pending_tasks(LoopAnchor& anchor) noexcept {
  for (;;) {
    FuturePtr victim;
    for (TaskCore* t = anchor.tasks; t != nullptr && !victim; t = t->next) {
      if (!t->abandoned && !t->state->done()) victim = t->state->weak_from_this().lock();
    }
    if (!victim) return;
    victim->task->abandoned = true;
    try {
      report_pending_destroyed(*victim->task);
    } catch (...) {
    }
    victim->task->drop_coroutine(*victim);  // may destroy other tasks, hence the rescan
    // It can never finish, so its done callbacks can never run: dropping them breaks the
    // cycles they close (run_coroutine_threadsafe's future holds the task that holds it).
    victim->first_callback.reset();
    auto unrun = std::move(victim->callbacks);
    victim->callbacks.clear();
  }
}

void suspend_task_on(const FuturePtr& fut, std::coroutine_handle<> h) {
  TaskCore* task = running_task;
  if (task == nullptr) throw RuntimeError("await wasn't used with a future inside a task");
  task->resume_point = h;
  if (!fut->same_loop(*task->state)) {
    task->retry_error = std::make_exception_ptr(RuntimeError(
        "Task " + task->repr() + " got Future " + fut->repr() + " attached to a different loop"));
    return;
  }
  if (fut.get() == task->state) {
    task->retry_error =
        std::make_exception_ptr(RuntimeError("Task cannot await on itself: " + task->repr()));
    return;
  }
  task->fut_waiter = fut;
  fut->add_notify(task->state->shared_from_this(), &wake_task);
}

void wake_task(const FuturePtr& task, const FuturePtr& awaited) {
  task->task->wakeup(awaited);
}

void rethrow_wakeup_error() {
  if (running_task == nullptr || !running_task->wakeup_error) return;
  std::rethrow_exception(std::exchange(running_task->wakeup_error, nullptr));
}

void yield_task(std::coroutine_handle<> h) {
  TaskCore* task = running_task;
  if (task == nullptr) throw RuntimeError("sleep() used outside of a task");
  task->resume_point = h;
  task->yielded = true;
}

Coro<void> as_coro(SleepAwaiter sleeping) {
  co_await sleeping;
}

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  if (delay <= 0) return yield_task(h);
  EventLoop& loop = get_running_loop();
  fut = loop.create_future<void>();
  timer = loop.call_later(delay, [f = fut]() mutable {
    if (!f.done()) f.set_result();  // futures._set_result_unless_cancelled
  });
  suspend_task_on(fut.state_ptr(), h);
}

Coro<void> wait_for_condition(std::vector<FuturePtr> fs, std::optional<double> timeout,
                              ReturnWhen return_when) {
  EventLoop& loop = get_running_loop();
  Future<void> waiter = loop.create_future<void>();
  auto release = [waiter]() mutable {
    if (!waiter.done()) waiter.set_result();
  };
  TimerHandle timeout_handle;
  if (timeout) timeout_handle = loop.call_later(*timeout, release);
  auto counter = std::make_shared<std::size_t>(fs.size());
  auto on_completion = [counter, return_when, release, timeout_handle](const FuturePtr& f) mutable {
    --*counter;
    bool failed =
        return_when == FIRST_EXCEPTION && f->status == FutureStatus::finished && f->exception;
    if (failed) f->log_traceback = false;  // asyncio looked at f.exception()
    if (*counter == 0 || return_when == FIRST_COMPLETED || failed) {
      timeout_handle.cancel();
      release();
    }
  };
  std::vector<std::size_t> ids;
  for (auto& f : fs) ids.push_back(f->add_done_callback(on_completion));
  std::exception_ptr error;
  try {
    co_await waiter;
  } catch (...) {
    error = std::current_exception();
  }
  timeout_handle.cancel();
  for (std::size_t i = 0; i < fs.size(); ++i) fs[i]->remove_done_callback(ids[i]);
  if (error) std::rethrow_exception(error);
}

std::shared_ptr<CompletionQueue> watch_completions(EventLoop& loop, std::vector<FuturePtr> fs,
                                                   std::optional<double> timeout) {
  auto queue = std::make_shared<CompletionQueue>();
  queue->remaining = fs.size();
  auto wake = [](CompletionQueue& q) {
    for (auto& w : std::exchange(q.waiters, {})) {
      if (!w.done()) w.set_result();
    }
  };
  for (auto& f : fs) {
    f->add_done_callback([queue, wake](const FuturePtr& done) {
      if (queue->timed_out) return;
      queue->done.push_back(done);
      if (--queue->remaining == 0) queue->timeout_handle.cancel();
      wake(*queue);
    });
  }
  if (timeout && !fs.empty()) {
    queue->timeout_handle = loop.call_later(*timeout, [queue, wake] {
      queue->timed_out = true;
      queue->timeout_handle = TimerHandle();  // the handle holds this callable: no cycle
      wake(*queue);
    });
  }
  return queue;
}

Coro<FuturePtr> next_completed(std::shared_ptr<CompletionQueue> queue) {
  while (queue->taken >= queue->done.size()) {
    if (queue->timed_out) throw TimeoutError();
    Future<void> waiter = get_running_loop().create_future<void>();
    queue->waiters.push_back(waiter);  // several consumers may wait at once
    co_await waiter;
  }
  co_return queue->done[queue->taken++];
}

}  // namespace detail

TaskRef current_task() {
  // RuntimeError("no running event loop") outside a loop, as asyncio.
  return current_task(get_running_loop());
}

TaskRef current_task(EventLoop& loop) {
  detail::TaskCore* core = detail::current_task_core();
  if (core == nullptr || core->state->anchor->loop != &loop) return TaskRef();
  return TaskRef(core->state->shared_from_this());
}

std::vector<TaskRef> all_tasks() {
  return all_tasks(get_running_loop());
}

std::vector<TaskRef> all_tasks(EventLoop& loop) {
  std::vector<TaskRef> out;
  detail::LoopAnchor& anchor = *detail::loop_anchor(loop);
  for (detail::TaskCore* t = anchor.tasks; t != nullptr; t = t->next) {
    if (t->state->done()) continue;
    if (auto state = t->state->weak_from_this().lock()) out.emplace_back(std::move(state));
  }
  return out;
}

// ---------------------------------------------------------------- contexts and task factories

namespace detail {

Context task_context(TaskCore& core) {
  if (core.context == nullptr) {
    // Made on demand; a step running in a fresh context moves over to this one.
    core.context = new_context_state(nullptr);
    // Stepping now in a fresh context on the stack, which stays current (scopes above may
    // restore it): share its map for now; the step's end hands the rest of the step over.
    if (ContextState* fresh = core.step_context) {
      core.context->map = fresh->map;
      add_ref(fresh->map);
      core.context->serial = serial_of(*fresh);  // the step's tokens stay valid later
      core.context->entered = true;
    }
  }
  add_ref(core.context);
  return Context(core.context);
}

TaskRef call_task_factory(const TaskFactory& factory, TaskRequest& request) {
  TaskFactory f = factory;  // the factory may replace itself while it runs
  TaskRef made = f(request);
  if (!request.built_) {
    throw RuntimeError("the task factory returned without calling TaskRequest::make()");
  }
  if (made.state_ptr() != request.built_) {
    throw RuntimeError("a task factory must return the task its TaskRequest::make() built");
  }
  return made;
}

}  // namespace detail

TaskRef TaskRequest::make() {
  if (coro_ == nullptr) throw RuntimeError("TaskRequest::make() called twice");
  return build_(*this);
}

const TaskFactory eager_task_factory = [](TaskRequest& request) {
  if (!request.eager_start) request.eager_start = true;
  return request.make();
};

TaskFactory create_eager_task_factory(TaskFactory inner) {
  if (!inner) throw std::invalid_argument("create_eager_task_factory() needs a task factory");
  return [inner = std::move(inner)](TaskRequest& request) {
    if (!request.eager_start) request.eager_start = true;
    return inner(request);
  };
}

void EventLoop::set_task_factory(TaskFactory factory) {
  eager_factory_ = factory && factory.target_type() == eager_task_factory.target_type();
  task_factory_ = std::move(factory);
}

TaskFactory EventLoop::get_task_factory() const {
  return task_factory_;
}

}  // namespace asyncio
