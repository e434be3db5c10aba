// unix_events.PidfdChildWatcher: pidfd_open(pid), a reader on it, waitpid(pid) when it
// becomes readable. The pidfd is closed on every path, the loop closing included.
#include "linux/pidfd_child_watcher.hpp"

#include "fd_hints.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>
#include <utility>

namespace asyncio::detail {

namespace {

class PidfdChildWatcher final : public ChildWatcher {
 public:
  explicit PidfdChildWatcher(EventLoop& loop) : loop_(loop) {}
  ~PidfdChildWatcher() override { close(); }

  void add_child_handler(int pid, Callback callback) override {
    long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
      // No pidfd for this child (fd limit, ...): a thread can still wait for it.
      fallback().add_child_handler(pid, std::move(callback));
      return;
    }
    int pidfd = static_cast<int>(fd);
    forget_stale_watch(loop_, pidfd);
    children_.emplace(pidfd, Child{pid, std::move(callback)});
    try {
      loop_.add_reader(pidfd, &PidfdChildWatcher::on_exit, this, pidfd);
    } catch (...) {
      children_.erase(pidfd);
      ::close(pidfd);
      throw;
    }
  }

  const char* name() const noexcept override { return "pidfd"; }

  void close() noexcept override {
    for (auto& [pidfd, child] : children_) {
      ::close(pidfd);
      reap_in_background(child.pid);
    }
    children_.clear();
    if (fallback_) fallback_->close();
  }

 private:
  struct Child {
    int pid;
    Callback callback;
  };

  void on_exit(int pidfd) {
    auto node = children_.extract(pidfd);
    unwatch_and_close(loop_, pidfd);
    if (node.empty()) return;
    Child& child = node.mapped();
    int returncode = reap_child(child.pid, "child process exit status already read");
    child.callback(child.pid, returncode);
  }

  ChildWatcher& fallback() {
    if (!fallback_) fallback_ = make_threaded_child_watcher(loop_);
    return *fallback_;
  }

  EventLoop& loop_;
  std::unordered_map<int, Child> children_;  // by pidfd
  std::unique_ptr<ChildWatcher> fallback_;
};

}  // namespace

std::unique_ptr<ChildWatcher> make_pidfd_child_watcher(EventLoop& loop) {
  return std::make_unique<PidfdChildWatcher>(loop);
}

}  // namespace asyncio::detail
