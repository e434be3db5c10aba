// Mirrors test_runners.RunnerTests.test_interrupt_wait and test_interrupt_cancelled_task: Ctrl-C
// (SIGINT, raised here from a loop callback) cancels the main task; if that cancellation is what
// ended it, run() raises KeyboardInterrupt. A main task that swallows it returns normally, one
// that something else cancelled too ends in CancelledError, and SIGINT's default handler is back
// after each run. The second SIGINT (Python: KeyboardInterrupt wherever the program is; here
// the process ends by SIGINT) is in test/unit/test_runners.cpp.
#include <asyncio/asyncio.hpp>

#include <csignal>
#include <string>

#include "trace.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Runner;

void interrupt_self() {
  ::raise(SIGINT);
}

bool default_handler() {
  struct sigaction action {};
  ::sigaction(SIGINT, nullptr, &action);
  return action.sa_handler == SIG_DFL;
}

int cancelling() {
  return asyncio::current_task().cancelling();
}

Coro<void> interrupted() {
  asyncio::get_running_loop().call_soon(interrupt_self);
  try {
    co_await asyncio::sleep(3600);
  } catch (const CancelledError&) {
    trace::print("interrupted: CancelledError, cancelling", cancelling());
    throw;
  }
}

Coro<std::string> swallowed() {
  asyncio::get_running_loop().call_soon(interrupt_self);
  try {
    co_await asyncio::sleep(3600);
  } catch (const CancelledError&) {
    trace::print("swallowed: CancelledError, cancelling", cancelling());
  }
  co_return "swallowed's result";
}

Coro<void> subtask(asyncio::TaskRef task) {
  co_await asyncio::sleep(0);
  task.cancel();
  interrupt_self();
}

Coro<void> also_cancelled() {
  asyncio::create_task(subtask(asyncio::current_task()));
  try {
    co_await asyncio::sleep(3600);
  } catch (const CancelledError&) {
    // Not its cancelling(): CPython's handler cancels at once, before the task resumes;
    // asyncio-cpp's cancels from the next loop iteration, after this task ended.
    trace::print("also_cancelled: CancelledError");
    throw;
  }
}

int main() {
  // A shell may start us with SIGINT ignored; asyncio's Runner only takes over the default.
  ::signal(SIGINT, SIG_DFL);
  {
    Runner runner;
    try {
      runner.run(interrupted());
    } catch (const asyncio::KeyboardInterrupt&) {
      trace::print("run: KeyboardInterrupt");
    }
    trace::print("default handler back:", default_handler());
    trace::print("run:", runner.run(swallowed()));
    try {
      runner.run(also_cancelled());
    } catch (const CancelledError&) {
      trace::print("run: CancelledError");
    }
    trace::print("default handler back:", default_handler());
  }
  try {
    asyncio::run(interrupted());
  } catch (const asyncio::KeyboardInterrupt&) {
    trace::print("asyncio.run: KeyboardInterrupt");
  }
}
