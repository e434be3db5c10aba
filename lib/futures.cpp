#include <asyncio/futures.hpp>

namespace asyncio::detail {

const char* FutureStateBase::status_name() const noexcept {
  switch (status) {
    case FutureStatus::pending: return "PENDING";
    case FutureStatus::cancelled: return "CANCELLED";
    case FutureStatus::finished: return "FINISHED";
  }
  return "?";
}

std::string FutureStateBase::repr() const {
  switch (status) {
    case FutureStatus::pending: return "<Future pending>";
    case FutureStatus::cancelled: return "<Future cancelled>";
    case FutureStatus::finished: break;
  }
  if (exception) return "<Future finished exception=" + describe_exception(exception) + ">";
  std::string out = "<Future finished result=";
  append_result(out);
  return out + ">";
}

void FutureStateBase::throw_not_pending() const {
  throw InvalidStateError(std::string(status_name()) + ": " + repr());
}

void FutureStateBase::throw_cancelled() const { throw CancelledError(cancel_message); }

}  // namespace asyncio::detail
