// The fast launcher: clone3(CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND), the child on our
// stack until it execs.
#pragma once

#include "linux/spawn_plan.hpp"

#include <optional>

namespace asyncio::detail {

// Starts the plan's child and returns its pid. A failure in the child (exec, cwd, fds) is a
// std::system_error with its errno, the child reaped. nullopt: this kernel, seccomp filter,
// architecture or sanitizer does not allow the launcher, and the caller should use
// posix_spawn; later calls then return nullopt at once.
std::optional<pid_t> clone3_spawn(const ChildPlan& plan);

// False once clone3_spawn has been refused, and always where it is not built.
bool clone3_allowed() noexcept;

}  // namespace asyncio::detail
