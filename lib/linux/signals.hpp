// Signals through the self-pipe, as CPython's unix_events does with signal.set_wakeup_fd:
// an async-signal-safe handler writes the signal number as one byte to the owning loop's
// pipe. A process-wide table maps each signal to one loop, so several loops can each own
// different signals. Beyond CPython, each signal also has a pending count, so that a full
// pipe (a storm of one signal) cannot swallow another signal.
#pragma once

namespace asyncio::detail {

// Installs the handler for `sig` and routes it to `write_fd`. Throws std::invalid_argument
// for a signal outside 1..NSIG-1, RuntimeError("sig N cannot be caught") where sigaction
// refuses it, and RuntimeError if another owner holds the signal.
void claim_signal(int sig, const void* owner, int write_fd);
// Restores SIG_DFL; false if `owner` does not hold `sig`.
bool release_signal(int sig, const void* owner);
void check_signal_number(int sig);

// Deliveries of `sig` not yet dispatched. The handler counts each one before it writes its
// byte, so a byte dropped on a full pipe loses no signal. A byte takes one delivery (false:
// already taken by a scan); after draining, the loop takes whatever is left.
bool take_one_delivery(int sig) noexcept;
unsigned take_deliveries(int sig) noexcept;

}  // namespace asyncio::detail
