// Starting a child: our own launcher, on clone3 or posix_spawn (see spawn.cpp for why not
// Boost's).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asyncio::detail {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the program, looked up in PATH without a '/'
  const std::map<std::string, std::string>* env = nullptr;  // nullptr: our environ
  const std::string* cwd = nullptr;
  int stdio[3] = {-1, -1, -1};  // the fds to become the child's 0, 1, 2; -1 shares ours
  // Each true slot is /dev/null, opened by the child (stdio[] is then ignored): the parent
  // makes no open() and close() of its own per launch.
  bool devnull[3] = {false, false, false};
  std::vector<int> pass_fds;  // stay open, inheritable, at the same numbers
  bool new_session = false;
  std::optional<int> process_group;
};

// Returns the running child's pid. A failure to start (missing program or cwd, ...) is a
// std::system_error carrying the child's errno, and leaves no zombie behind. Every other
// fd of ours is closed in the child.
pid_t spawn_process(const SpawnRequest& request);

// "clone3" or "posix_spawn": the launcher the next spawn_process will use.
const char* spawn_launcher_name();

}  // namespace asyncio::detail
