// Child watchers: how a loop learns that its children exited (unix_events' watchers).
// Neither installs a SIGCHLD handler or calls waitpid(-1): other code in the process
// may own children of its own.
#pragma once

#include <cstdint>

#include <asyncio/events.hpp>

#include <functional>
#include <memory>

namespace asyncio::detail {

class ChildWatcher {
 public:
  // Gets the child's pid and return code (-N: signal N) on the loop's thread, right after
  // the loop reaped it: nothing else runs in between, so a transport that notes the reap
  // here never signals a pid that may have been reused. Never runs after close().
  using Callback = std::function<void(int pid, int returncode)>;
  virtual ~ChildWatcher() = default;
  virtual void add_child_handler(int pid, Callback callback) = 0;
  virtual const char* name() const noexcept = 0;
  // The loop is closing: no callback may run after this; children still running are
  // left to a reaper thread, so that none stays a zombie.
  virtual void close() noexcept = 0;
  // The loop is about to refuse calls from other threads (close() closes its inbox before it
  // closes the watcher): exits found from now on are left to close(), on the closing thread.
  virtual void stop_handing_over() noexcept {}
};

std::unique_ptr<ChildWatcher> make_pidfd_child_watcher(EventLoop& loop);
std::unique_ptr<ChildWatcher> make_threaded_child_watcher(EventLoop& loop);
// For tests: exits the threaded watcher found after stop_handing_over() and before close()
// (their callbacks and reaps were left to close()).
std::uint64_t threaded_watcher_exits_left_to_close() noexcept;

// The loop's watcher, made on first use: ASYNCIO_CPP_CHILD_WATCHER=pidfd|thread, else
// pidfd when the kernel has pidfd_open (probed once, on our own pid), else thread.
ChildWatcher& child_watcher(EventLoop& loop);
const char* child_watcher_name(EventLoop& loop);
bool can_use_pidfd() noexcept;

// os.waitstatus_to_exitcode
int waitstatus_to_exitcode(int status);
// waitpid(pid, 0) through EINTR; ECHILD (someone else reaped it) gives 255 and a warning.
int reap_child(int pid, const char* unknown_child_warning);
// Reaps in a detached thread, discarding the status: for children nobody waits for.
void reap_in_background(int pid) noexcept;
// waitpid(pid) for a child known to have exited; errors are ignored.
void reap_quietly(int pid) noexcept;

}  // namespace asyncio::detail
