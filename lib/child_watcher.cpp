// Choosing a loop's child watcher, and the waitpid helpers both watchers share.
#include "child_watcher.hpp"

#include "loop_impl.hpp"

#include <asyncio/log.hpp>

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asyncio::detail {

bool can_use_pidfd() noexcept {
  static const bool usable = [] {
    long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
    if (fd < 0) return false;
    ::close(static_cast<int>(fd));
    return true;
  }();
  return usable;
}

static std::unique_ptr<ChildWatcher> make_chosen_watcher(EventLoop& loop) {
  const char* env = std::getenv("ASYNCIO_CPP_CHILD_WATCHER");
  std::string_view choice = env != nullptr ? env : "";
  if (choice == "thread") return make_threaded_child_watcher(loop);
  if (choice == "pidfd" || choice.empty()) {
    if (can_use_pidfd()) return make_pidfd_child_watcher(loop);
    if (!choice.empty())
      log(LogLevel::warning, "pidfd_open is not available: using the threaded child watcher");
    return make_threaded_child_watcher(loop);
  }
  throw std::invalid_argument("ASYNCIO_CPP_CHILD_WATCHER must be 'pidfd' or 'thread', not '" +
                              std::string(choice) + "'");
}

ChildWatcher& child_watcher(EventLoop& loop) {
  auto& slot = LoopAccess::impl(loop).child_watcher;
  if (!slot) slot = make_chosen_watcher(loop);
  return *slot;
}

const char* child_watcher_name(EventLoop& loop) {
  return child_watcher(loop).name();
}

int waitstatus_to_exitcode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  throw std::invalid_argument("invalid wait status: " + std::to_string(status));
}

int reap_child(int pid, const char* unknown_child_warning) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    log(LogLevel::warning, std::string(unknown_child_warning) + " (pid " + std::to_string(pid) +
                               "): will report returncode 255");
    return 255;
  }
  return waitstatus_to_exitcode(status);
}

void reap_quietly(int pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

namespace {
// Children no thread could be started for (RLIMIT_NPROC, out of memory): the next reaper
// thread takes them too. Reaping must not throw, since it runs inside close().
std::mutex unreaped_mutex;
std::vector<int> unreaped;

bool reaped_now(int pid) noexcept {
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  return r != 0;  // reaped, or not ours to reap (ECHILD)
}
}  // namespace

void reap_in_background(int pid) noexcept {
  std::vector<int> pids;
  {
    std::lock_guard lock(unreaped_mutex);
    pids.swap(unreaped);
  }
  std::erase_if(pids, reaped_now);
  if (!reaped_now(pid)) pids.push_back(pid);
  if (pids.empty()) return;
  try {
    std::thread([pids] {
      for (int p : pids) reap_quietly(p);
    }).detach();
  } catch (...) {  // no thread to be had: a later call, or the next close(), tries again
    std::lock_guard lock(unreaped_mutex);
    try {
      unreaped.insert(unreaped.end(), pids.begin(), pids.end());
    } catch (...) {  // out of memory as well: these stay zombies until the process exits
    }
  }
}

}  // namespace asyncio::detail
