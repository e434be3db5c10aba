// asyncio.events' new_event_loop, set_event_loop and get_event_loop, with Python 3.14's rule:
// no loop is ever created implicitly.
#include "linux/fork_child.hpp"

#include <asyncio/events.hpp>

#include <pthread.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace asyncio {

namespace {

// The default policy's _Local: one current loop per thread. The slot co-owns the loop, as the
// policy's reference keeps a Python loop alive; it is released when the thread ends.
thread_local std::shared_ptr<EventLoop> current_loop;
std::shared_ptr<EventLoop>* forgotten_in_child = nullptr;  // see forget_current_loop_in_child

// threading.current_thread().name as the message shows it: 'MainThread' on the main thread;
// elsewhere the name the OS knows the thread by (pthread_setname_np), since C++ threads
// have no Python name.
std::string current_thread_name() {
  if (::gettid() == ::getpid()) return "MainThread";
  char name[16] = {};
  if (::pthread_getname_np(::pthread_self(), name, sizeof name) != 0) return "?";
  return name;
}

}  // namespace

std::shared_ptr<EventLoop> new_event_loop() {
  return std::make_shared<EventLoop>();
}

// Dropped as CPython's on_fork drops the policy's loop, but never destroyed: its close() would
// run inside the at-fork handler, or at exit while its run() may still be on the stack. Kept
// reachable, so that LeakSanitizer does not report it.
void detail::forget_current_loop_in_child() noexcept {
  if (current_loop) forgotten_in_child = new std::shared_ptr<EventLoop>(std::move(current_loop));
}

void set_event_loop(std::shared_ptr<EventLoop> loop) {
  current_loop = std::move(loop);
}

EventLoop& get_event_loop() {
  if (EventLoop* running = detail::running_loop_or_null()) return *running;
  if (current_loop) return *current_loop;
  throw RuntimeError("There is no current event loop in thread '" + current_thread_name() + "'.");
}

}  // namespace asyncio
