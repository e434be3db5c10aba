// cpython: 3.12+
// Mirrors test_eager_task_factory.EagerTaskFactoryLoopTests: with asyncio.eager_task_factory a
// task runs its first step inside create_task, as the current task; one that never suspends
// is done when create_task returns, one that suspends goes on lazily; a lazy task starts only
// once its creator yields. Also a factory that decorates the tasks it makes, an eager task
// started by Task(..., eager_start=True), eager tasks in a TaskGroup and in gather, and
// context variables across an eager step. Tasks made through a factory get explicit names:
// 3.12 and 3.13 name them only after the factory returns (3.13.0 names unnamed ones 'None').
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "trace.hpp"

asyncio::ContextVar<int> cv("cv", 0);

asyncio::Coro<std::string> quick(std::string tag) {
  trace::print("  " + tag + ": first step");
  std::string upper = tag;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  co_return upper;
}

asyncio::Coro<std::string> slow(std::string tag, asyncio::Future<> gate) {
  trace::print("  " + tag + ": first step");
  co_await gate;
  trace::print("  " + tag + ": resumed");
  std::string upper = tag;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  co_return upper;
}

asyncio::Coro<std::string> fail(std::string tag) {
  trace::print("  " + tag + ": first step, raising");
  throw std::invalid_argument(tag);  // ValueError
  co_return "";
}

asyncio::Coro<int> awaits_done(asyncio::Future<int> fut) {
  int value = co_await fut;  // already done: no suspension
  trace::print("  awaits_done got", value);
  co_return value;
}

bool contains(const std::vector<asyncio::TaskRef>& tasks, const asyncio::TaskRef& t) {
  return std::find(tasks.begin(), tasks.end(), t) != tasks.end();
}

std::string describe(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::invalid_argument& e) {
    return std::string("ValueError ") + e.what();
  } catch (...) {
    return "other";
  }
}

void on_done(const asyncio::TaskRef& task) {
  trace::print("  done callback for", task.get_name());
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::TaskRef me = asyncio::current_task();
  trace::print("default factory is None:", !loop.get_task_factory());

  trace::print("-- eager against lazy");
  loop.set_task_factory(asyncio::eager_task_factory);
  trace::print("factory is eager_task_factory:",
               loop.get_task_factory().target_type() == asyncio::eager_task_factory.target_type());
  trace::print("create eager quick");
  auto t1 = asyncio::create_task(quick("eager-quick"), "eager-quick");
  trace::print("returned: done", t1.done(), "result", t1.result());
  auto gate = loop.create_future();
  trace::print("create eager slow");
  auto t2 = asyncio::create_task(slow("eager-slow", gate), "eager-slow");
  trace::print("returned: done", t2.done(), "in all_tasks", contains(asyncio::all_tasks(), t2));
  trace::print("eager quick in all_tasks:", contains(asyncio::all_tasks(), t1));
  auto done_fut = loop.create_future<int>();
  done_fut.set_result(5);
  auto t_done = asyncio::create_task(awaits_done(done_fut), "awaits-done");
  trace::print("returned: done", t_done.done());
  auto t_fail = asyncio::create_task(fail("eager-fail"), "eager-fail");
  trace::print("returned: done", t_fail.done(), "exception", describe(t_fail.exception()));
  loop.set_task_factory({});
  trace::print("create lazy quick");
  auto t3 = asyncio::create_task(quick("lazy-quick"), "lazy-quick");
  trace::print("returned: done", t3.done());
  trace::print("main yields");
  co_await asyncio::sleep(0);
  trace::print("main back: lazy done", t3.done());
  gate.set_result();
  std::string slow_result = co_await t2;
  trace::print("awaited", slow_result);

  trace::print("-- current task during the eager step");
  std::vector<asyncio::TaskRef> captured;
  auto capture = [&]() -> asyncio::Coro<> {
    captured.push_back(asyncio::current_task());
    trace::print("  in the eager step, current task is main:", asyncio::current_task() == me);
    co_await asyncio::sleep(0);
    trace::print("  after suspending, the same task:", asyncio::current_task() == captured[0]);
  };
  loop.set_task_factory(asyncio::eager_task_factory);
  auto t = asyncio::create_task(capture(), "capture");
  trace::print("the eager step's current task was the new task:", captured[0] == t.ref());
  trace::print("current task is main again:", asyncio::current_task() == me);
  co_await t;

  auto named = []() -> asyncio::Coro<> {
    trace::print("  eager step runs as", asyncio::current_task().get_name());
    co_return;
  };
  loop.set_task_factory({});
  auto explicit_eager = loop.create_task(named(), "explicit-eager", std::nullopt, true);
  trace::print("Task(eager_start=True): done", explicit_eager.done());

  trace::print("-- cancel after the eager step");
  loop.set_task_factory(asyncio::eager_task_factory);
  auto finished = asyncio::create_task(quick("finished"), "finished");
  bool cancelled_finished = finished.cancel();
  trace::print("cancel a finished task:", cancelled_finished, "cancelled", finished.cancelled());
  gate = loop.create_future();
  auto blocked = asyncio::create_task(slow("blocked", gate), "blocked");
  bool cancelled_blocked = blocked.cancel("cancellation message");
  trace::print("cancel a blocked task:", cancelled_blocked, "cancelling", blocked.cancelling());
  try {
    co_await blocked;
  } catch (const asyncio::CancelledError& e) {
    trace::print("awaiting it: CancelledError", e.message());
  }

  trace::print("-- a decorating factory");
  asyncio::TaskFactory decorating_factory = [](asyncio::TaskRequest& request) {
    trace::print("  factory called");
    request.eager_start = true;
    asyncio::TaskRef task = request.make();
    trace::print("  factory: task done after its eager step:", task.done());
    task.add_done_callback(on_done);
    return task;
  };
  loop.set_task_factory(decorating_factory);
  trace::print("factory is the decorating one:",
               loop.get_task_factory().target_type() == decorating_factory.target_type());
  auto decorated = asyncio::create_task(quick("decorated"), "decorated");
  trace::print("create_task returned", decorated.get_name(), "done", decorated.done());
  gate = loop.create_future();
  auto decorated_slow = asyncio::create_task(slow("decorated-slow", gate), "decorated-slow");
  trace::print("create_task returned", decorated_slow.get_name(), "done", decorated_slow.done());
  co_await asyncio::sleep(0);
  gate.set_result();
  co_await decorated_slow;
  co_await asyncio::sleep(0);

  trace::print("-- TaskGroup with eager tasks");
  loop.set_task_factory(asyncio::eager_task_factory);
  gate = loop.create_future();
  asyncio::Task<std::string> a, b;
  {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> asyncio::Coro<> {
      a = tg.create_task(quick("tg-quick"), "tg-quick");
      trace::print("tg-quick done at creation:", a.done());
      b = tg.create_task(slow("tg-slow", gate), "tg-slow");
      trace::print("tg-slow done at creation:", b.done());
      gate.set_result();
      co_return;
    });
  }
  trace::print("group done:", a.result(), b.result());
  try {
    asyncio::TaskGroup tg;
    co_await tg.run([&]() -> asyncio::Coro<> {
      tg.create_task(fail("tg-fail"), "tg-fail");
      trace::print("body goes on until it awaits");
      co_await asyncio::sleep(0);
      trace::print("not reached");
    });
  } catch (const asyncio::ExceptionGroup& eg) {
    std::string list;
    for (auto& e : eg.exceptions) list += (list.empty() ? "'" : ", '") + describe(e) + "'";
    trace::print("ExceptionGroup: [" + list + "]");
  }

  trace::print("-- gather with eager tasks");
  auto [g1, g2, g3] = co_await asyncio::gather(quick("g1"), quick("g2"), awaits_done(done_fut));
  trace::print("gather: ['" + g1 + "', '" + g2 + "', " + std::to_string(g3) + "]");

  trace::print("-- context variables across the eager step");
  auto uses_cv = []() -> asyncio::Coro<> {
    trace::print("  eager step sees", cv.get());
    cv.set(2);
    co_await asyncio::sleep(0);
    trace::print("  second step sees", cv.get());
    cv.set(3);
  };
  cv.set(1);
  auto t_cv = asyncio::create_task(uses_cv(), "uses-cv");
  trace::print("after create_task main sees", cv.get());
  co_await t_cv;
  int held = t_cv.get_context().run([] { return cv.get(); });
  trace::print("after the task main sees", cv.get(), "- the task's context holds", held);
  loop.set_task_factory({});
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(loop.create_task(main_coro(), "main"));
  loop.close();
}
