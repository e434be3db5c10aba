// What /proc shows of the threads that wait for our children: the threaded child watcher's
// thread sits in waitid(P_PID, pid, ...); the pidfd watcher starts none.
#pragma once

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

namespace test_support {

// The thread of ours blocked in waitid(P_PID, child, ...), if any. /proc/self/task/TID/syscall
// holds the call's number, then its arguments in hex ("running" while not in a call). Reading
// /proc needs free fds: call it with RLIMIT_NOFILE as usual.
inline std::optional<pid_t> thread_waiting_for(pid_t child) {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return std::nullopt;
  std::optional<pid_t> found;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string path = std::string("/proc/self/task/") + entry->d_name + "/syscall";
    FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) continue;
    long number = -1;
    unsigned long idtype = 0, id = 0;
    const bool parsed = std::fscanf(file, "%ld %lx %lx", &number, &idtype, &id) == 3;
    std::fclose(file);
    if (parsed && number == SYS_waitid && idtype == P_PID &&
        id == static_cast<unsigned long>(child))
      found = static_cast<pid_t>(std::atoi(entry->d_name));
  }
  ::closedir(dir);
  return found;
}

// Waits (10 s at most, a safety net) for a thread to start waiting for `child`: the threaded
// watcher's thread may not have reached waitid yet when the spawn returns.
inline std::optional<pid_t> await_thread_waiting_for(pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<pid_t> waiter;
  while (!(waiter = thread_waiting_for(child)) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return waiter;
}

// The thread is still there (it has not returned, or not yet been collected by the kernel).
inline bool thread_alive(pid_t tid) {
  return ::access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) == 0;
}

}  // namespace test_support
