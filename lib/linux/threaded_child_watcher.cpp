// unix_events.ThreadedChildWatcher: a thread per child waits in waitpid(pid) and hands
// the return code to the loop with call_soon_threadsafe.
#include "linux/threaded_child_watcher.hpp"

#include <asyncio/log.hpp>

#include <sys/wait.h>

#include <cerrno>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

namespace asyncio::detail {

namespace {

// Shared with the waiting threads, which may outlive the loop. The callbacks stay here, not
// in the threads: close() drops them on the closing thread, so whatever they own (a
// transport's pipes) is released at close, not later on a thread the loop knows nothing of.
struct LoopSlot {
  std::mutex mutex;
  EventLoop* loop;
  std::unordered_map<int, ChildWatcher::Callback> callbacks;

  // The callback for `pid`, unless close() dropped it.
  std::optional<ChildWatcher::Callback> take(int pid) {
    auto node = callbacks.extract(pid);
    if (node.empty()) return std::nullopt;
    return std::move(node.mapped());
  }
};

// Reaps the zombie unless the loop did: a callback the loop drops unrun must not leave one.
struct PendingReap {
  int pid;
  bool done = false;
  int reap() {
    done = true;
    return reap_child(pid, "Unknown child process");
  }
  ~PendingReap() {
    if (!done) reap_quietly(pid);
  }
};

// Waits for the exit without reaping (WNOWAIT): the loop reaps, so that no signal can be
// sent between the reap and the moment the transport learns of it.
void wait_in_thread(std::shared_ptr<LoopSlot> slot, int pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard lock(slot->mutex);  // close() waits for a hand-over in progress
    std::optional<ChildWatcher::Callback> callback = slot->take(pid);
    if (slot->loop != nullptr && callback) {
      try {
        slot->loop->call_soon_threadsafe(
            [reaper = std::shared_ptr<PendingReap>(new PendingReap{pid}),
             cb = std::move(*callback)] { cb(reaper->pid, reaper->reap()); });
        return;
      } catch (const std::exception&) {
        // closed in the meantime: the dropped callback reaped the child
      }
    }
  }
  reap_quietly(pid);
  log(LogLevel::warning,
      "Loop that handles pid " + std::to_string(pid) + " is closed; its exit goes unreported");
}

class ThreadedChildWatcher final : public ChildWatcher {
 public:
  explicit ThreadedChildWatcher(EventLoop& loop) : slot_(std::make_shared<LoopSlot>()) {
    slot_->loop = &loop;
  }
  ~ThreadedChildWatcher() override { close(); }

  void add_child_handler(int pid, Callback callback) override {
    {
      std::lock_guard lock(slot_->mutex);
      slot_->callbacks.insert_or_assign(pid, std::move(callback));
    }
    std::thread(wait_in_thread, slot_, pid).detach();
  }

  const char* name() const noexcept override { return "thread"; }

  // The threads keep waiting, so every child is still reaped. The callbacks are destroyed
  // here, outside the lock, in case what they own calls back into the watcher.
  void close() noexcept override {
    std::unordered_map<int, Callback> dropped;
    {
      std::lock_guard lock(slot_->mutex);
      slot_->loop = nullptr;
      dropped.swap(slot_->callbacks);
    }
  }

 private:
  std::shared_ptr<LoopSlot> slot_;
};

}  // namespace

std::unique_ptr<ChildWatcher> make_threaded_child_watcher(EventLoop& loop) {
  return std::make_unique<ThreadedChildWatcher>(loop);
}

}  // namespace asyncio::detail
