// asyncio.tasks, first half: Task<T> drives a Coro<T> as CPython's Task.__step/__wakeup do;
// create_task, ensure_future and sleep. tasks.hpp adds the combinators and includes this file.
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/detail/site.hpp>
#include <asyncio/futures.hpp>

#include <coroutine>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

template <class T = void>
class Task;

namespace detail {

/// The type-independent half of a task (lib/tasks.cpp).
struct TaskCore {
  FutureStateBase* state = nullptr;  // the task's own future
  std::coroutine_handle<> root;
  std::coroutine_handle<> resume_point;       // the innermost coroutine that awaited
  std::weak_ptr<FutureStateBase> fut_waiter;  // weak: the awaited future holds the task
  std::exception_ptr wakeup_error;            // thrown at the await point on resumption
  mutable std::string name;                   // formatted on first use when only `number` is set
  unsigned long number = 0;                   // 'Task-N'
  RareString cancel_message;                  // one pointer: it is almost always empty
  int num_cancels_requested = 0;
  bool must_cancel = false;
  bool yielded = false;            // sleep(0): step again next iteration
  bool abandoned = false;          // its loop closed while it was pending
  std::exception_ptr retry_error;  // a bad await: asyncio steps again with this error
  TaskCore* prev = nullptr;        // the loop's task list
  TaskCore* next = nullptr;
  void (*complete)(FutureStateBase&) = nullptr;  // moves the coroutine's outcome in
  void (*drop_coroutine)(FutureStateBase&) = nullptr;
  /// The task's context; null while it holds no variable (an empty context, made on demand
  /// when the task sets one or get_context() asks).
  ContextState* context = nullptr;
  ContextState* step_context = nullptr;  // while `context` is null: the one the step runs in

  TaskCore() = default;
  TaskCore(const TaskCore&) = delete;
  TaskCore& operator=(const TaskCore&) = delete;
  ~TaskCore() {
    if (context != nullptr) release(context);
  }

  void start();
  /// 3.12's __eager_start: the first step now, as the current task in place of the caller's.
  void start_eagerly();
  void step(std::exception_ptr exc, bool eager = false);
  void wakeup(const FuturePtr& awaited);
  bool cancel(std::string msg);
  int uncancel() noexcept {
    // 3.13 (gh-116720): the last uncancel() also drops a cancellation not yet delivered.
    if (num_cancels_requested > 0 && --num_cancels_requested == 0) must_cancel = false;
    return num_cancels_requested;
  }
  std::string repr() const;
  const std::string& get_name() const;
  /// Outcome of the coroutine: its CancelledError ends the task cancelled, not failed.
  void finish_with(std::exception_ptr exc);
  void on_destroyed() noexcept;  // "Task was destroyed but it is pending!"
};

template <class T>
Task<T> run_task_factory(EventLoop& loop, Coro<T>& coro, std::string& name,
                         const std::optional<Context>& context, std::optional<bool> eager,
                         detail::Site where);

Context task_context(TaskCore& core);
/// Calls the factory; the task it returns must be the one its request built.
TaskRef call_task_factory(const TaskFactory& factory, TaskRequest& request);

unsigned long next_task_number() noexcept;
TaskCore* current_task_core() noexcept;
/// sleep(0): the running task gives up one iteration.
void yield_task(std::coroutine_handle<> h);

template <class T>
struct TaskState final : FutureState<T> {
  /// Takes the coroutine and the name from the caller's variables: create_task's layers pass
  /// them by reference, so that the name is moved once, into the task.
  TaskState(EventLoop& loop, Coro<T>& c, std::string& name)
      : FutureState<T>(loop), coro(std::move(c)) {
    this->task = &core;
    core.state = this;
    core.root = coro.handle();
    core.resume_point = core.root;
    if (name.empty()) {
      core.number = next_task_number();  // 'Task-N', formatted when asked for
    } else {
      core.name = std::move(name);
    }
    core.complete = &complete_from_coroutine;
    core.drop_coroutine = [](FutureStateBase& s) { static_cast<TaskState&>(s).coro.reset(); };
  }
  ~TaskState() override {
    core.on_destroyed();
    this->dead_task_context = std::exchange(core.context, nullptr);
  }

  bool cancel(std::string msg) override { return core.cancel(std::move(msg)); }
  std::string repr() const override { return core.repr(); }

  static void complete_from_coroutine(FutureStateBase& base) {
    auto& self = static_cast<TaskState&>(base);
    auto& promise = self.coro.handle().promise();
    if (promise.exception) {
      self.core.finish_with(promise.exception);
      return;
    }
    if constexpr (std::is_void_v<T>) {
      self.value.emplace();
    } else {
      self.value.emplace(std::move(*promise.value));
    }
    self.core.finish_with(nullptr);
  }

  Coro<T> coro;
  TaskCore core;
};

template <class A>
using awaitable_value_t = typename std::remove_cvref_t<A>::value_type;

struct SleepAwaiter;
template <class T>
struct SleepResultAwaiter;
template <class A>
inline constexpr bool is_sleep_v = std::is_same_v<A, SleepAwaiter>;
template <class T>
inline constexpr bool is_sleep_v<SleepResultAwaiter<T>> = true;

/// A Coro<T>, Future<T> or Task<T>, or what sleep() gives (a coroutine in Python): what gather,
/// shield and wait_for accept.
template <class A>
concept Awaitable = requires {
  typename std::remove_cvref_t<A>::value_type;
}
&&(std::is_same_v<std::remove_cvref_t<A>, Coro<awaitable_value_t<A>>> ||
   std::is_base_of_v<Future<awaitable_value_t<A>>, std::remove_cvref_t<A>> ||
   is_sleep_v<std::remove_cvref_t<A>>);

}  // namespace detail

/// A type-erased reference to a task: what current_task() and all_tasks() give.
class TaskRef {
 public:
  TaskRef() = default;
  explicit TaskRef(detail::FuturePtr state) : state_(std::move(state)) {}

  bool done() const { return state_->done(); }
  bool cancelled() const { return state_->status == detail::FutureStatus::cancelled; }
  bool cancel(std::string msg = {}) { return state_->cancel(std::move(msg)); }
  int cancelling() const { return core().num_cancels_requested; }
  int uncancel() { return core().uncancel(); }
  const std::string& get_name() const { return core().get_name(); }
  void set_name(std::string name) { core().name = std::move(name); }
  std::string repr() const { return state_->repr(); }
  EventLoop& get_loop() const { return state_->loop(); }
  Context get_context() const { return detail::task_context(core()); }
  /// fn(TaskRef) once the task is done, through call_soon (what a task factory decorates with).
  template <class F>
  std::size_t add_done_callback(F&& fn) {
    return state_->add_done_callback(
        [fn = std::forward<F>(fn)](const detail::FuturePtr& s) mutable { fn(TaskRef(s)); });
  }
  std::size_t remove_done_callback(std::size_t id) { return state_->remove_done_callback(id); }

  explicit operator bool() const noexcept { return state_ != nullptr; }
  bool operator==(const TaskRef& other) const noexcept { return state_ == other.state_; }
  const detail::FuturePtr& state_ptr() const noexcept { return state_; }

 private:
  detail::TaskCore& core() const { return *state_->task; }
  detail::FuturePtr state_;
};

template <class T>
class Task : public Future<T> {
 public:
  Task() = default;
  explicit Task(std::shared_ptr<detail::TaskState<T>> state) : Future<T>(std::move(state)) {}

  const std::string& get_name() const { return core().get_name(); }
  void set_name(std::string name) { core().name = std::move(name); }
  int cancelling() const { return core().num_cancels_requested; }
  int uncancel() { return core().uncancel(); }
  /// Task.get_context() (3.12): the context the task runs in.
  Context get_context() const { return detail::task_context(core()); }
  TaskRef ref() const { return TaskRef(this->state_); }
  operator TaskRef() const { return ref(); }

 private:
  detail::TaskCore& core() const { return *this->state().task; }
};

/// What a task factory receives (asyncio's loop, coro and **kwargs). make() builds the task
/// as the default factory would, with the options as the factory left them; the factory
/// returns that task, decorated as it likes.
class TaskRequest {
 public:
  EventLoop& loop;
  std::string name;
  std::optional<Context> context;
  std::optional<bool> eager_start;  // empty: the default, lazy

  TaskRef make();

 private:
  template <class T>
  friend Task<T> detail::run_task_factory(EventLoop&, Coro<T>&, std::string&,
                                          const std::optional<Context>&, std::optional<bool>,
                                          detail::Site);
  friend TaskRef detail::call_task_factory(const TaskFactory&, TaskRequest&);
  TaskRequest(EventLoop& l, std::string n, std::optional<Context> c, std::optional<bool> eager)
      : loop(l), name(std::move(n)), context(std::move(c)), eager_start(eager) {}
  TaskRef (*build_)(TaskRequest&) = nullptr;
  void* coro_ = nullptr;  // the Coro<T> build_ takes, once
  detail::Site where_;    // create_task's caller: the task's creation site
  detail::FuturePtr built_;
};

/// asyncio.eager_task_factory: every task starts eagerly.
extern const TaskFactory eager_task_factory;
/// asyncio.create_eager_task_factory: `inner` builds each task, with eager_start set.
TaskFactory create_eager_task_factory(TaskFactory inner);

namespace detail {
inline ContextState* context_for_task(const std::optional<Context>& context) noexcept {
  if (!context) return capture_context_for_task();
  add_ref(context->state());
  return context->state();
}

template <class T>
Task<T> new_task(EventLoop& loop, Coro<T>& coro, std::string& name,
                 const std::optional<Context>& context, bool eager, detail::Site where) {
  if (!coro) throw std::invalid_argument("a coroutine was expected, got an empty Coro");
  auto state = std::allocate_shared<TaskState<T>>(PoolAllocator<TaskState<T>>(), loop, coro, name);
  state->created = where;  // before an eager first step, which may already report it
  state->core.context = context_for_task(context);
  if (eager) {
    state->core.start_eagerly();
  } else {
    state->core.start();
  }
  return Task<T>(std::move(state));
}

template <class T>
Task<T> run_task_factory(EventLoop& loop, Coro<T>& coro, std::string& name,
                         const std::optional<Context>& context, std::optional<bool> eager,
                         detail::Site where) {
  TaskRequest request(loop, std::move(name), context, eager);
  request.coro_ = &coro;
  request.where_ = where;
  request.build_ = [](TaskRequest& r) {
    Coro<T>& c = *static_cast<Coro<T>*>(std::exchange(r.coro_, nullptr));
    Task<T> task = new_task(r.loop, c, r.name, r.context, r.eager_start.value_or(false), r.where_);
    r.built_ = task.state_ptr();
    return task.ref();
  };
  TaskRef made = call_task_factory(loop.get_task_factory(), request);
  return Task<T>(std::static_pointer_cast<TaskState<T>>(made.state_ptr()));
}
}  // namespace detail

namespace detail {
struct FactoryChoice {
  static bool eager(const EventLoop& loop) noexcept { return loop.eager_factory_; }
  static bool custom(const EventLoop& loop) noexcept { return bool(loop.task_factory_); }
};

/// Both create_tasks in one layer: the arguments stay the caller's until the task takes them
/// (a task is made per create_task, so every move and copy on the way counts).
template <class T>
Task<T> create_task_on(EventLoop& loop, Coro<T>& coro, std::string& name,
                       const std::optional<Context>& context, std::optional<bool> eager_start,
                       detail::Site where) {
  if (loop.is_closed()) throw RuntimeError("Event loop is closed");
  if (FactoryChoice::eager(loop)) {
    return new_task(loop, coro, name, context, eager_start.value_or(true), where);
  }
  if (FactoryChoice::custom(loop)) [[unlikely]] {
    return run_task_factory(loop, coro, name, context, eager_start, where);
  }
  return new_task(loop, coro, name, context, eager_start.value_or(false), where);
}
}  // namespace detail

template <class T>
Task<T> EventLoop::create_task(Coro<T> coro, std::string name, std::optional<Context> context,
                               std::optional<bool> eager_start, detail::Site where) {
  return detail::create_task_on(*this, coro, name, context, eager_start, where);
}

template <class T>
Task<T> create_task(Coro<T> coro, std::string name = {},
                    std::optional<Context> context = std::nullopt,
                    std::optional<bool> eager_start = std::nullopt,
                    detail::Site where = detail::Site::current()) {
  return detail::create_task_on(get_running_loop(), coro, name, context, eager_start, where);
}

namespace detail {
/// run_until_complete's _check_closed() and _check_running(), made before a coroutine becomes a
/// task: a refused call must not leave the coroutine to run later in the outer loop.
void check_can_run(EventLoop& loop);
}  // namespace detail

/// loop.run_until_complete(coro): wraps it in a task first.
template <class T>
T run_until_complete_impl(EventLoop& loop, Coro<T> coro) {
  detail::check_can_run(loop);
  Task<T> task = loop.create_task(std::move(coro));
  return run_until_complete_impl(loop, static_cast<Future<T>>(task));
}

/// The task running on this thread; empty in a plain callback; RuntimeError("no running
/// event loop") outside a loop.
TaskRef current_task();
TaskRef current_task(EventLoop& loop);  // asyncio.current_task(loop): empty if none runs there
/// The running loop's tasks that are not done yet.
std::vector<TaskRef> all_tasks();
std::vector<TaskRef> all_tasks(EventLoop& loop);

namespace detail {
/// The loop on which gather and ensure_future wrap coroutines, as asyncio picks it: the first
/// argument's own loop when that is a future, else get_event_loop() (the running loop, else
/// the one set_event_loop chose), so that both work before the loop runs.
inline EventLoop& implicit_loop() {
  return get_event_loop();
}
template <class A, class... Rest>
EventLoop& implicit_loop(const A& first, const Rest&...) {
  if constexpr (std::is_base_of_v<Future<awaitable_value_t<A>>, A>) {
    return first.get_loop();
  } else {
    return get_event_loop();
  }
}
}  // namespace detail

template <class T>
Future<T> ensure_future(Future<T> fut) {
  return fut;
}
template <class T>
Task<T> ensure_future(Coro<T> coro, detail::Site where = detail::Site::current()) {
  return detail::implicit_loop().create_task(std::move(coro), {}, std::nullopt, std::nullopt,
                                             where);
}

// ---------------------------------------------------------------- sleep

namespace detail {
struct [[nodiscard]] SleepAwaiter {
  using value_type = void;
  double delay;
  Future<void> fut;
  TimerHandle timer;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() {
    timer.cancel();
    rethrow_wakeup_error();
  }
};

/// sleep(delay, result): the same wait, then `result` is the value of the co_await.
template <class T>
struct [[nodiscard]] SleepResultAwaiter {
  using value_type = T;
  SleepAwaiter sleeping;
  T result;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { sleeping.await_suspend(h); }
  T await_resume() {
    sleeping.await_resume();
    return std::move(result);
  }
};
}  // namespace detail

/// asyncio.sleep: sleep(0) gives up exactly one loop iteration. Awaited directly it costs no
/// coroutine frame; handed to create_task, gather, wait_for or shield it becomes a Coro<void>
/// (with a result, a Coro<T>), as asyncio.sleep() is a coroutine.
template <detail::Delay D>
detail::SleepAwaiter sleep(const D& delay) {
  return detail::SleepAwaiter{detail::to_seconds(delay), {}, {}};
}

/// asyncio.sleep(delay, result): `co_await sleep(0.1, std::string("x"))` gives "x".
template <detail::Delay D, class T>
detail::SleepResultAwaiter<std::decay_t<T>> sleep(const D& delay, T&& result) {
  return {detail::SleepAwaiter{detail::to_seconds(delay), {}, {}}, std::forward<T>(result)};
}

namespace detail {
Coro<void> as_coro(SleepAwaiter sleeping);  // by value: a coroutine keeps its arguments
template <class T>
Coro<T> as_coro(SleepResultAwaiter<T> sleeping) {
  T result = co_await std::move(sleeping);
  co_return result;
}
}  // namespace detail

inline Task<void> create_task(detail::SleepAwaiter&& sleeping, std::string name = {},
                              detail::Site where = detail::Site::current()) {
  return create_task(detail::as_coro(std::move(sleeping)), std::move(name), std::nullopt,
                     std::nullopt, where);
}
template <class T>
Task<T> create_task(detail::SleepResultAwaiter<T>&& sleeping, std::string name = {},
                    detail::Site where = detail::Site::current()) {
  return create_task(detail::as_coro(std::move(sleeping)), std::move(name), std::nullopt,
                     std::nullopt, where);
}

inline Task<void> ensure_future(detail::SleepAwaiter&& sleeping,
                                detail::Site where = detail::Site::current()) {
  return ensure_future(detail::as_coro(std::move(sleeping)), where);
}
template <class T>
Task<T> ensure_future(detail::SleepResultAwaiter<T>&& sleeping,
                      detail::Site where = detail::Site::current()) {
  return ensure_future(detail::as_coro(std::move(sleeping)), where);
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
