#include <asyncio/tasks.hpp>

#include "loop_impl.hpp"
#include "sites.hpp"

namespace asyncio::detail {

namespace {
// Stands in for a future that is being destroyed, so the handler's context can show it.
struct DeadFuture final : FutureStateBase {
  DeadFuture(EventLoop& loop, std::exception_ptr exc, ContextState* ctx, detail::Site where)
      : FutureStateBase(loop), context(ctx) {
    status = FutureStatus::finished;
    exception = std::move(exc);
    created = where;  // its repr says where the dead one was created
  }
  ~DeadFuture() override { release(context); }
  void append_result(std::string& out) const override { out += "None"; }
  ContextState* handler_context() const noexcept override { return context; }
  ContextState* context;  // the dead task's
};
}  // namespace

FutureStateBase::FutureStateBase(EventLoop& owner) : anchor(loop_anchor(owner)) {}

EventLoop& FutureStateBase::loop() const {
  if (anchor->loop == nullptr) throw RuntimeError("Event loop is closed");
  return *anchor->loop;
}

FutureStateBase::~FutureStateBase() {
  ContextState* context = std::exchange(dead_task_context, nullptr);
  if (!log_traceback || anchor->loop == nullptr) {
    if (context != nullptr) release(context);
    return;
  }
  try {
    ExceptionContext ctx;
    ctx.message = task != nullptr ? "Task exception was never retrieved"
                                  : "Future exception was never retrieved";
    ctx.exception = exception;
    ctx.future = std::make_shared<DeadFuture>(*anchor->loop, exception, context, created);
    ctx.source_traceback = site_in_debug(*this);
    anchor->loop->call_exception_handler(ctx);
  } catch (...) {
    // out of memory while reporting from a destructor: nothing better to do
  }
}

ContextState* FutureStateBase::handler_context() const noexcept {
  return task != nullptr ? task->context : nullptr;
}

namespace {
// `self` by value: the last (usually the only) callback takes the caller's reference, where a
// copy would cost two more atomic operations.
void schedule_entry(EventLoop& loop, FutureStateBase::DoneEntry& entry, FuturePtr self) {
  if (entry.notify != nullptr) {
    LoopAccess::call_soon_plain(loop, [target = std::move(entry.target), self = std::move(self),
                                       notify = entry.notify] { notify(target, self); });
  } else if (entry.owner_notify != nullptr) {
    LoopAccess::call_soon_plain(loop, [owner = std::move(entry.owner), self = std::move(self),
                                       notify = entry.owner_notify] { notify(owner, self); });
  } else if (entry.context.get() != nullptr) {  // runs in a copy of its adder's context
    LoopAccess::call_soon_plain(
        loop, InContext<DoneCallback>{OwnedContext(entry.context.get()), std::move(entry.fn)},
        std::move(self));
  } else {
    LoopAccess::call_soon_plain(loop, std::move(entry.fn), std::move(self));
  }
}
}  // namespace

std::size_t FutureStateBase::add_done_callback(DoneCallback cb) {
  // As asyncio's: the callback runs in a copy of the caller's context, taken now.
  return add_entry(
      DoneEntry{next_callback_id++, std::move(cb), nullptr, nullptr, MapRef(current_map())});
}

std::size_t FutureStateBase::add_done_callback(DoneCallback cb, FuturePtr awaiter) {
  return add_entry(DoneEntry{next_callback_id++, std::move(cb), std::move(awaiter), nullptr,
                             MapRef(current_map())});
}

std::size_t FutureStateBase::add_notify(FuturePtr target, Notify notify) {
  return add_entry(DoneEntry{next_callback_id++, nullptr, std::move(target), notify});
}

std::size_t FutureStateBase::add_owner_notify(std::shared_ptr<void> owner, OwnerNotify notify) {
  DoneEntry entry{next_callback_id++, nullptr, nullptr, nullptr};
  entry.owner = std::move(owner);
  entry.owner_notify = notify;
  return add_entry(std::move(entry));
}

std::size_t FutureStateBase::add_entry(DoneEntry entry) {
  std::size_t id = entry.id;
  if (done()) {
    schedule_entry(loop(), entry, shared_from_this());
  } else if (!first_callback && callbacks.empty()) {
    first_callback.emplace(std::move(entry));
  } else {
    callbacks.push_back(std::move(entry));
  }
  return id;
}

std::size_t FutureStateBase::remove_done_callback(std::size_t id) {
  std::size_t removed = 0;
  if (first_callback && first_callback->id == id) {
    first_callback.reset();
    removed = 1;
  }
  return removed + std::erase_if(callbacks, [id](const DoneEntry& e) { return e.id == id; });
}

void FutureStateBase::schedule_callbacks() {
  std::optional<DoneEntry> first = std::move(first_callback);
  first_callback.reset();
  auto rest = std::move(callbacks);
  callbacks.clear();
  if (!first && rest.empty()) return;
  // As asyncio's __schedule_callbacks: the callbacks are taken off first, so a closed or
  // destroyed loop loses them with RuntimeError("Event loop is closed").
  EventLoop& owner = loop();
  FuturePtr self = shared_from_this();
  if (rest.empty()) return schedule_entry(owner, *first, std::move(self));
  if (first) schedule_entry(owner, *first, self);  // registered before all of `rest`
  for (std::size_t i = 0; i + 1 < rest.size(); ++i) schedule_entry(owner, rest[i], self);
  schedule_entry(owner, rest.back(), std::move(self));
}

void FutureStateBase::finish() {
  status = FutureStatus::finished;
  schedule_callbacks();
}

void FutureStateBase::set_exception(std::exception_ptr exc) {
  if (done()) throw_not_pending();
  exception = std::move(exc);
  log_traceback = true;
  finish();
}

bool FutureStateBase::cancel(std::string msg) {
  return cancel_future(std::move(msg));
}

bool FutureStateBase::cancel_future(std::string msg) {
  log_traceback = false;
  if (done()) return false;
  status = FutureStatus::cancelled;
  cancel_message = std::move(msg);
  schedule_callbacks();
  return true;
}

void FutureStateBase::rethrow_if_failed() const {
  if (status == FutureStatus::cancelled) throw_cancelled();
  log_traceback = false;
  if (exception) std::rethrow_exception(exception);
}

std::exception_ptr FutureStateBase::cancelled_error() const {
  if (cancelled_exc) return std::exchange(cancelled_exc, nullptr);
  return std::make_exception_ptr(CancelledError(cancel_message));
}

const char* FutureStateBase::status_name() const noexcept {
  switch (status) {
    case FutureStatus::pending:
      return "PENDING";
    case FutureStatus::cancelled:
      return "CANCELLED";
    case FutureStatus::finished:
      return "FINISHED";
  }
  return "?";
}

std::string FutureStateBase::repr() const {
  std::string out = "<Future ";
  switch (status) {
    case FutureStatus::pending:
      out += "pending";
      break;
    case FutureStatus::cancelled:
      out += "cancelled";
      break;
    case FutureStatus::finished:
      if (exception) {
        out += "finished exception=" + exception_repr(exception);
      } else {
        out += "finished result=";
        append_result(out);
      }
      break;
  }
  append_created_at(out, site_in_debug(*this));  // last, as base_futures._future_repr_info
  return out + ">";
}

void FutureStateBase::throw_not_pending() const {
  throw InvalidStateError(std::string(status_name()) + ": " + repr());
}

void FutureStateBase::throw_cancelled() const {
  std::rethrow_exception(cancelled_error());
}

}  // namespace asyncio::detail
