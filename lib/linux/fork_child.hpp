// What a process forked while a loop runs must forget (lib/linux/fork_child.cpp).
#pragma once

namespace asyncio::detail {

/// Registers the at-fork handler, once per process; each loop calls it when it is made.
void watch_forks();

// Each module's part of it, called only by the handler, in the child, on its only thread.
void forget_running_loop_in_child() noexcept;  // base_events.cpp
void forget_running_task_in_child() noexcept;  // tasks.cpp
void forget_current_loop_in_child() noexcept;  // current_loop.cpp
void forget_signals_in_child() noexcept;       // linux/signals.cpp
void forget_watchdogs_in_child() noexcept;     // watchdog.cpp

}  // namespace asyncio::detail
