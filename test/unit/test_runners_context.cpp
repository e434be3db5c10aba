// Runner and context variables: every run() of one Runner shares the runner's context (a copy
// made when its loop is created), unless run() is given a context of its own.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

using asyncio::Context;
using asyncio::ContextVar;
using asyncio::Coro;
using asyncio::Runner;

namespace {

ContextVar<int> cvar("cvar", -1);

Coro<int> swap_in(int value) {
  int old = cvar.get();
  co_await asyncio::sleep(0);
  (void)cvar.set(value);
  co_return old;
}

Coro<Context> current_context() {
  co_return asyncio::copy_context();
}

int value_in(Context ctx) {
  return ctx.run([] { return cvar.get(); });
}

}  // namespace

TEST_CASE("runner_keeps_context: test_runners.RunnerTests.test_run_keeps_context", "[runners]") {
  Runner runner;
  CHECK(runner.run(swap_in(1)) == -1);
  CHECK(runner.run(swap_in(2)) == 1);
  CHECK(value_in(runner.run(current_context())) == 2);
  CHECK(cvar.get() == -1);  // the caller's own context never saw any of it
}

TEST_CASE("runner_explicit_context: test_runners.RunnerTests.test_run_keeps_context (context=)",
          "[runners]") {
  Runner runner;
  Context mine;
  CHECK(runner.run(swap_in(5), mine) == -1);
  CHECK(value_in(mine) == 5);
  CHECK(runner.run(swap_in(6)) == -1);  // the runner's own context is untouched
  CHECK(runner.run(swap_in(7), mine) == 5);
}

TEST_CASE("asyncio_run_copies_context: test_tasks.BaseTaskTests.test_context_1 (via asyncio.run)",
          "[runners]") {
  auto token = cvar.set(10);
  CHECK(asyncio::run(swap_in(11)) == 10);  // the main task sees the caller's value
  CHECK(cvar.get() == 10);                 // and its set stays in its copy
  cvar.reset(token);
}
