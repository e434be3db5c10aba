// unix_events.ThreadedChildWatcher: a thread per child waits in waitpid(pid) and hands
// the return code to the loop with call_soon_threadsafe. The threads are reused: one that has
// handed its child over waits a while for the next child before it ends.
#include "linux/threaded_child_watcher.hpp"

#include <asyncio/log.hpp>

#include <pthread.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncio::detail {

namespace {

// Shared with the waiting threads, which may outlive the loop. The callbacks stay here, not
// in the threads: close() drops them on the closing thread, so whatever they own (a
// transport's pipes) is released at close, not later on a thread the loop knows nothing of.
struct LoopSlot {
  using Callbacks = std::unordered_map<int, ChildWatcher::Callback>;
  std::mutex mutex;
  EventLoop* loop;
  Callbacks callbacks;
  // Children that exited while the loop was closing (after stop_handing_over(), before
  // close()): their callbacks went back into `callbacks`, and close()
  // reaps them once it has dropped those. Reserved in add_child_handler: pushing never throws.
  std::vector<int> exited_while_closing;
  bool closing = false;  // stop_handing_over() was called

  // The callback for `pid`, unless close() dropped it.
  Callbacks::node_type take(int pid) { return callbacks.extract(pid); }
};

std::atomic<std::uint64_t> exits_left_to_close{0};

void report_unreported_exit(int pid) noexcept {
  reap_quietly(pid);
  try {
    log(LogLevel::warning,
        "Loop that handles pid " + std::to_string(pid) + " is closed; its exit goes unreported");
  } catch (const std::bad_alloc&) {  // the reap is what matters
  }
}

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
    LoopSlot::Callbacks::node_type node = slot->take(pid);
    if (slot->loop != nullptr && !node.empty()) {
      if (slot->closing) {
        // The loop refuses calls now: the watcher's close() destroys the callback and reaps,
        // on the closing thread. Unreaped until then, the pid cannot be reused.
        slot->callbacks.insert(std::move(node));
        slot->exited_while_closing.push_back(pid);
        exits_left_to_close.fetch_add(1, std::memory_order_release);
        return;
      }
      try {  // accepted: not closing, checked under the lock stop_handing_over() takes
        slot->loop->call_soon_threadsafe(
            [reaper = std::shared_ptr<PendingReap>(new PendingReap{pid}),
             cb = std::move(node.mapped())] { cb(reaper->pid, reaper->reap()); });
        return;
      } catch (const std::exception&) {
        // Out of memory: the callback is gone, and its reaper reaped the child.
      }
    }
  }
  report_unreported_exit(pid);
}

// Creating a thread for each child (clone3, its stack, its robust list and rseq, its exit)
// cost the loop's process about as much CPU as the rest of the child's handling together (see
// bench/analysis.md, B7 in flight). A finished waiter takes the next child if one comes within
// `linger`; a child finds an idle waiter or starts a new one, so none ever waits in a queue
// behind another child. Never destroyed: parked waiters may outlive main().
class WaiterPool {
 public:
  struct Job {
    std::shared_ptr<LoopSlot> slot;
    int pid;
  };

  static WaiterPool& instance() {
    static const bool registered = ::pthread_atfork(nullptr, nullptr, &after_fork) == 0;
    (void)registered;
    std::lock_guard lock(current_mutex());
    if (current() == nullptr) current() = new WaiterPool;
    return *current();
  }

  void submit(Job job) {
    const int pid = job.pid;
    bool start_thread = false;
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
      start_thread = jobs_.size() > idle_;  // every queued job needs a waiter of its own
    }
    if (!start_thread) {
      ready_.notify_one();
      return;
    }
    try {
      std::thread([this] { serve(); }).detach();
    } catch (...) {  // no thread (EAGAIN): the caller hears of it, unless a waiter took the job
      if (withdraw(pid)) throw;
    }
  }

 private:
  static constexpr std::chrono::seconds linger{2};

  static WaiterPool*& current() {
    static WaiterPool* pool = nullptr;
    return pool;
  }
  static std::mutex& current_mutex() {
    static std::mutex m;
    return m;
  }
  // A forked child has none of the parent's waiters (and maybe a copy of a held mutex): it
  // starts an empty pool of its own; the parent's stays unreachable, as its threads are gone.
  static void after_fork() {
    new (&current_mutex()) std::mutex;
    current() = nullptr;
  }

  bool withdraw(int pid) {
    std::lock_guard lock(mutex_);
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
      if (it->pid == pid) {
        jobs_.erase(it);
        return true;
      }
    }
    return false;
  }

  void serve() {
    std::unique_lock lock(mutex_);
    while (true) {
      if (jobs_.empty()) {
        ++idle_;
        const bool got = ready_.wait_for(lock, linger, [this] { return !jobs_.empty(); });
        --idle_;
        if (!got) return;
      }
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      wait_in_thread(std::move(job.slot), job.pid);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  std::size_t idle_ = 0;  // waiters parked in serve(), each about to take one queued job
};

class ThreadedChildWatcher final : public ChildWatcher {
 public:
  explicit ThreadedChildWatcher(EventLoop& loop) : slot_(std::make_shared<LoopSlot>()) {
    slot_->loop = &loop;
  }
  ~ThreadedChildWatcher() override { close(); }

  void add_child_handler(int pid, Callback callback) override {
    {
      std::lock_guard lock(slot_->mutex);
      slot_->exited_while_closing.reserve(slot_->callbacks.size() + 1);
      slot_->callbacks.insert_or_assign(pid, std::move(callback));
    }
    try {
      WaiterPool::instance().submit({slot_, pid});
    } catch (...) {  // nobody waits for it: the caller hears of it, and the callback goes now
      LoopSlot::Callbacks::node_type dropped;
      {
        std::lock_guard lock(slot_->mutex);
        dropped = slot_->take(pid);
      }
      throw;
    }
  }

  const char* name() const noexcept override { return "thread"; }

  void stop_handing_over() noexcept override {
    std::lock_guard lock(slot_->mutex);
    slot_->closing = true;
  }

  // The threads keep waiting, so every child is still reaped. The callbacks are destroyed
  // here, outside the lock, in case what they own calls back into the watcher.
  void close() noexcept override {
    LoopSlot::Callbacks dropped;
    std::vector<int> exited;
    {
      std::lock_guard lock(slot_->mutex);
      slot_->loop = nullptr;
      dropped.swap(slot_->callbacks);
      exited.swap(slot_->exited_while_closing);
    }
    dropped.clear();  // first: what they own may still signal their children
    for (int pid : exited) report_unreported_exit(pid);
  }

 private:
  std::shared_ptr<LoopSlot> slot_;
};

}  // namespace

std::uint64_t threaded_watcher_exits_left_to_close() noexcept {
  return exits_left_to_close.load(std::memory_order_acquire);
}

std::unique_ptr<ChildWatcher> make_threaded_child_watcher(EventLoop& loop) {
  return std::make_unique<ThreadedChildWatcher>(loop);
}

}  // namespace asyncio::detail
