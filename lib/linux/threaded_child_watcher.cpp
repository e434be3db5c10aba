// unix_events.ThreadedChildWatcher: a thread per child waits in waitpid(pid) and hands
// the return code to the loop with call_soon_threadsafe.
#include "linux/threaded_child_watcher.hpp"

#include <asyncio/log.hpp>

#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace asyncio::detail {

namespace {

// Shared with the waiting threads, which may outlive the loop.
struct LoopSlot {
  std::mutex mutex;
  EventLoop* loop;
};

void wait_in_thread(std::shared_ptr<LoopSlot> slot, int pid, ChildWatcher::Callback callback) {
  int returncode = reap_child(pid, "Unknown child process");
  std::lock_guard lock(slot->mutex);  // close() waits for a callback in progress
  if (slot->loop != nullptr) {
    try {
      callback(pid, returncode);  // hands over with call_soon_threadsafe, as asyncio
      return;
    } catch (const std::exception&) {
      // closed in the meantime: warn below
    }
  }
  log(LogLevel::warning, "Loop that handles pid " + std::to_string(pid) +
                             " is closed; its return code " + std::to_string(returncode) +
                             " is lost");
}

class ThreadedChildWatcher final : public ChildWatcher {
 public:
  explicit ThreadedChildWatcher(EventLoop& loop) : slot_(std::make_shared<LoopSlot>()) {
    slot_->loop = &loop;
  }
  ~ThreadedChildWatcher() override { close(); }

  void add_child_handler(int pid, Callback callback) override {
    std::thread(wait_in_thread, slot_, pid, std::move(callback)).detach();
  }

  const char* name() const noexcept override { return "thread"; }

  // The threads keep waiting, so every child is still reaped.
  void close() noexcept override {
    std::lock_guard lock(slot_->mutex);
    slot_->loop = nullptr;
  }

 private:
  std::shared_ptr<LoopSlot> slot_;
};

}  // namespace

std::unique_ptr<ChildWatcher> make_threaded_child_watcher(EventLoop& loop) {
  return std::make_unique<ThreadedChildWatcher>(loop);
}

}  // namespace asyncio::detail
