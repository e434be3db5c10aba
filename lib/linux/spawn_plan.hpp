// What a child does between being started and exec, laid out by the parent. Both launchers
// (clone3_spawn.cpp and posix_spawn in spawn.cpp) carry out the same plan; the clone3 child
// shares our memory and may not allocate, so the plan is plain arrays it only reads.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace asyncio::detail {

struct FdAction {
  enum Kind : unsigned char {
    dup2,          // source onto target; source == target only clears FD_CLOEXEC
    open_devnull,  // /dev/null, read-write, onto target
    close_range,   // every fd from source to target, inclusive (target ~0u: all above)
  };
  Kind kind;
  unsigned source;
  unsigned target;
};

struct ChildPlan {
  const FdAction* fd_actions = nullptr;
  std::size_t fd_action_count = 0;
  bool new_session = false;
  pid_t process_group = -1;  // -1: stay in ours
  const char* cwd = nullptr;
  // Where the program may be, in order; with search set, a miss (ENOENT, ENOTDIR, EACCES)
  // moves on to the next, as execvpe does.
  const char* const* paths = nullptr;
  std::size_t path_count = 0;
  bool search = false;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
};

}  // namespace asyncio::detail
