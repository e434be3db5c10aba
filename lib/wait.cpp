// wait() and as_completed() over FutureRef, and the argument checks both forms share.
// asyncio._wait and the completion queue themselves are in tasks.cpp.
#include <asyncio/wait.hpp>

#include <string>
#include <unordered_set>

namespace asyncio {

namespace detail {

std::vector<FuturePtr> unique_states(std::vector<FuturePtr> fs, const char* func) {
  std::unordered_set<const FutureStateBase*> seen;
  seen.reserve(fs.size());
  std::vector<FuturePtr> out;
  out.reserve(fs.size());
  for (auto& f : fs) {
    if (!f) throw std::invalid_argument(std::string(func) + "() got an empty task or future");
    if (seen.insert(f.get()).second) out.push_back(std::move(f));
  }
  return out;
}

std::vector<FuturePtr> checked_wait_states(std::vector<FuturePtr> fs, ReturnWhen return_when) {
  if (fs.empty()) throw std::invalid_argument("Set of Tasks/Futures is empty.");
  switch (return_when) {
    case FIRST_COMPLETED:
    case FIRST_EXCEPTION:
    case ALL_COMPLETED:
      break;
    default:  // a value cast from an integer
      throw std::invalid_argument("Invalid return_when value: " +
                                  std::to_string(static_cast<int>(return_when)));
  }
  return unique_states(std::move(fs), "wait");
}

namespace {
std::vector<FuturePtr> states_of(const FutureSet<FutureRef>& fs) {
  std::vector<FuturePtr> states;
  states.reserve(fs.size());
  for (const FutureRef& f : fs) states.push_back(f.state_ptr());
  return states;
}
}  // namespace

}  // namespace detail

detail::FutureStateBase& FutureRef::state() const {
  if (!state_) throw RuntimeError("Future object is not initialized.");
  return *state_;
}

std::exception_ptr FutureRef::exception() const {
  if (!state_ || !state_->done()) throw InvalidStateError("Exception is not set.");
  if (state_->status == detail::FutureStatus::cancelled) state_->throw_cancelled();
  state_->log_traceback = false;
  return state_->exception;
}

Coro<WaitSets<FutureRef>> wait(FutureSet<FutureRef> fs, detail::OptionalDelay timeout,
                               ReturnWhen return_when) {
  auto states = detail::checked_wait_states(detail::states_of(fs), return_when);
  co_await detail::wait_for_condition(states, timeout.seconds, return_when);
  WaitSets<FutureRef> result;
  for (auto& s : states) (s->done() ? result.done : result.pending).push_back(FutureRef(s));
  co_return result;
}

Coro<WaitSets<FutureRef>> wait(FutureSet<FutureRef> fs, ReturnWhen return_when) {
  return wait(std::move(fs), std::nullopt, return_when);
}

AsCompleted<FutureRef> as_completed(FutureSet<FutureRef> fs, detail::OptionalDelay timeout) {
  return detail::as_completed_over<FutureRef>(fs, timeout.seconds);
}

}  // namespace asyncio
