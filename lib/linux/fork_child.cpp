// A forked child starts on a copy of the thread that called fork(), often from inside a task:
// its thread-local running loop and task, its current loop and the signal table are the
// parent's. CPython forgets them in the child (events.on_fork, 3.12; a pid check before), so
// that the child may run asyncio.run() of its own and its signals stay its own. The parent's
// loop objects are only forgotten, never closed here: their fds are shared with the parent,
// and closing them is the child's own business (close() handles it: forget_parent_after_fork).
#include "linux/fork_child.hpp"

#include <pthread.h>

#include <mutex>

namespace asyncio::detail {

namespace {

extern "C" void forget_parent_in_child() {
  forget_running_loop_in_child();
  forget_running_task_in_child();
  forget_current_loop_in_child();
  forget_signals_in_child();
  forget_watchdogs_in_child();
}

}  // namespace

void watch_forks() {
  static std::once_flag registered;
  std::call_once(registered, [] { ::pthread_atfork(nullptr, nullptr, &forget_parent_in_child); });
}

}  // namespace asyncio::detail
