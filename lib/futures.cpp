#include <asyncio/futures.hpp>

namespace asyncio::detail {

namespace {
// Stands in for a future that is being destroyed, so the handler's context can show it.
struct DeadFuture final : FutureStateBase {
  DeadFuture(EventLoop& loop, std::exception_ptr exc) : FutureStateBase(loop) {
    status = FutureStatus::finished;
    exception = std::move(exc);
  }
  void append_result(std::string& out) const override { out += "None"; }
};
}  // namespace

FutureStateBase::FutureStateBase(EventLoop& owner) : loop(&owner), anchor(loop_anchor(owner)) {}

FutureStateBase::~FutureStateBase() {
  if (!log_traceback || anchor->loop == nullptr) return;
  try {
    ExceptionContext ctx;
    ctx.message = "Future exception was never retrieved";
    ctx.exception = exception;
    ctx.future = std::make_shared<DeadFuture>(*loop, exception);
    loop->call_exception_handler(ctx);
  } catch (...) {
    // out of memory while reporting from a destructor: nothing better to do
  }
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
  switch (status) {
    case FutureStatus::pending:
      return "<Future pending>";
    case FutureStatus::cancelled:
      return "<Future cancelled>";
    case FutureStatus::finished:
      break;
  }
  if (exception) return "<Future finished exception=" + exception_repr(exception) + ">";
  std::string out = "<Future finished result=";
  append_result(out);
  return out + ">";
}

void FutureStateBase::throw_not_pending() const {
  throw InvalidStateError(std::string(status_name()) + ": " + repr());
}

void FutureStateBase::throw_cancelled() const {
  throw CancelledError(cancel_message);
}

}  // namespace asyncio::detail
