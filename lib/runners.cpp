#include <asyncio/runners.hpp>
#include <asyncio/threads.hpp>

namespace asyncio::detail {

namespace {
// asyncio.runners._cancel_all_tasks
void cancel_all_tasks(EventLoop& loop) {
  std::vector<TaskRef> to_cancel = all_tasks(loop);
  if (to_cancel.empty()) return;
  std::vector<FuturePtr> states;
  for (auto& t : to_cancel) {
    t.cancel();
    states.push_back(t.state_ptr());
  }
  loop.run_until_complete(wait_for_condition(std::move(states), std::nullopt, ALL_COMPLETED));
  for (auto& t : to_cancel) {
    const FuturePtr& s = t.state_ptr();
    if (s->status != FutureStatus::finished || !s->exception) continue;
    s->log_traceback = false;
    ExceptionContext ctx;
    ctx.message = "unhandled exception during asyncio.run() shutdown";
    ctx.exception = s->exception;
    ctx.task = s;
    loop.call_exception_handler(ctx);
  }
}
}  // namespace

void shutdown_run_loop(EventLoop& loop) noexcept {
  try {
    cancel_all_tasks(loop);
    loop.shutdown_default_executor();
  } catch (...) {
    ExceptionContext ctx;
    ctx.message = "asyncio.run() shutdown failed";
    ctx.exception = std::current_exception();
    loop.call_exception_handler(ctx);
  }
  try {
    loop.close();
  } catch (...) {
  }
}

}  // namespace asyncio::detail
