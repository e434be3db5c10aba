// cpython: 3.12+
// Mirrors test_runners.RunnerTests.test_run, test_explicit_close, test_double_close,
// test_second_with_block_raises, test_recursive_run and RunTests.test_asyncio_run_loop_factory:
// one loop for every run() of a runner, get_loop()'s identity, the current loop the runner sets
// and clears, close() and the errors after it, and a loop factory (asyncio.run takes one since
// 3.12, hence the versions).
#include <asyncio/asyncio.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Runner;

EventLoop* runner_loop = nullptr;

Coro<std::string> note(std::string tag) {
  co_await asyncio::sleep(0);
  trace::print(tag, "runs on the runner's loop:", &asyncio::get_running_loop() == runner_loop);
  co_return tag + " done";
}

void attempt(const std::string& what, const std::function<void()>& call) {
  try {
    call();
    trace::print(what, "-> ok");
  } catch (const asyncio::RuntimeError& exc) {
    trace::print(what, "-> RuntimeError:", exc.what());
  }
}

Coro<void> recursive(Runner& runner) {
  attempt("run inside run", [&] { runner.run(note("never")); });
  co_return;
}

std::vector<std::shared_ptr<EventLoop>> made;

std::shared_ptr<EventLoop> factory() {
  made.push_back(asyncio::new_event_loop());
  return made.back();
}

Coro<bool> on_factory_loop() {
  co_await asyncio::sleep(0);
  co_return &asyncio::get_running_loop() == made.back().get();
}

int main() {
  {
    Runner runner;
    runner_loop = &runner.get_loop();
    trace::print("get_loop() twice is one loop:", &runner.get_loop() == runner_loop);
    trace::print(runner.run(note("first")));
    trace::print(runner.run(note("second")));
    trace::print("current loop is the runner's:", &asyncio::get_event_loop() == runner_loop);
    runner.run(recursive(runner));
    runner.close();
    runner.close();
    attempt("get_loop after close", [&] { runner.get_loop(); });
    attempt("run after close", [&] { runner.run(note("third")); });
    attempt("get_event_loop after close", [] { asyncio::get_event_loop(); });
  }
  {
    Runner runner(factory);
    bool same = &runner.get_loop() == made[0].get();
    trace::print("factory's loop:", same, runner.run(on_factory_loop()));
    attempt("get_event_loop with a factory's runner", [] { asyncio::get_event_loop(); });
  }
  trace::print("factory calls:", static_cast<int>(made.size()), "closed:", made[0]->is_closed());
  trace::print("asyncio.run with loop_factory:",
               asyncio::run(on_factory_loop(), std::nullopt, factory));
  trace::print("factory calls:", static_cast<int>(made.size()), "closed:", made[1]->is_closed());
  made.clear();  // closed loops, destroyed before the library's statics
}
