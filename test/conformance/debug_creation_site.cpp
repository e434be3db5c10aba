// Mirrors CPython test_events.HandleTests.test_handle_source_traceback,
// test_futures.BaseFutureTests.test_future_source_traceback,
// test_tasks.BaseTaskTests.test_task_source_traceback and
// test_base_events.BaseEventLoopTests.test_default_exc_handler_callback: in debug mode a handle's,
// future's, task's and gather's repr ends with " created at file:line", and the exception handler's
// context carries source_traceback; outside debug mode neither. The stable prefix is compared: each
// repr's class, whether it has a site, and for handles that the site is the line of the call
// (asyncio records futures and tasks from inside its own modules, asyncio-cpp at the caller's line,
// so for them only the presence is compared). gather's future is a Future (asyncio's subclass
// _GatheringFuture prints its own name).
#include <asyncio/asyncio.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "trace.hpp"

using asyncio::Coro;

const std::string HERE = __FILE__;

template <class Obj>
void show(const std::string& label, const Obj& obj, std::optional<unsigned> at = std::nullopt) {
  std::string text = obj.repr();
  std::size_t cut = text.rfind(" created at ");
  bool has_site = cut != std::string::npos;
  std::string kind = text.substr(1, text.find(' ') - 1);
  if (!at) return trace::print(label + ":", kind, "site:", has_site);
  std::string site = has_site ? text.substr(cut + 12) : "";
  trace::print(label + ":", kind, "site:", has_site,
               "here:", site == HERE + ":" + std::to_string(*at) + ">");
}

void noop() {}

Coro<void> forever() {
  co_await asyncio::sleep(3600);
}

Coro<int> answer() {
  co_return 42;
}

void handler(asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
  trace::print(
      "handler: exception in callback:", context.message.starts_with("Exception in callback"),
      "| source_traceback:", context.source_traceback.line() != 0);
}

Coro<void> amain() {
  auto& loop = asyncio::get_running_loop();
  loop.set_exception_handler(handler);
  unsigned at = __LINE__ + 1;
  asyncio::Handle h = loop.call_soon(noop);
  show("call_soon", h, at);
  at = __LINE__ + 1;
  h = loop.call_soon_threadsafe(noop);
  show("call_soon_threadsafe", h, at);
  at = __LINE__ + 1;
  asyncio::TimerHandle t = loop.call_later(10, noop);
  show("call_later", t, at);
  t.cancel();
  at = __LINE__ + 1;
  t = loop.call_at(loop.time() + 10, noop);
  show("call_at", t, at);
  t.cancel();
  auto fut = loop.create_future();
  show("create_future", fut);
  auto task = asyncio::create_task(forever());
  show("create_task", task);
  auto both = asyncio::gather(answer(), answer());
  show("gather", both);
  co_await both;
  show("gather done", both);
  task.cancel();
  fut.cancel();
  loop.call_soon([] { throw std::runtime_error("division by zero"); });
  co_await asyncio::sleep(0);
  loop.set_debug(false);
  show("debug off, call_soon", loop.call_soon(noop));
  show("debug off, create_future", loop.create_future());
  show("debug off, create_task", asyncio::create_task(answer()));
  loop.call_soon([] { throw std::runtime_error("division by zero"); });
  co_await asyncio::sleep(0);
}

int main() {
  asyncio::run(amain(), true);
  trace::print("done");
}
