#include "linux/signals.hpp"

#include "linux/fork_child.hpp"

#include <asyncio/exceptions.hpp>

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <system_error>

namespace asyncio::detail {

namespace {

// `fd` is read by the signal handler: a lock-free atomic. `owner` says which loop holds the
// signal; it changes only under the mutex and handlers never read it.
// `pending` counts deliveries not yet dispatched: the byte in the pipe is only a wakeup and
// may be dropped when the pipe is full, but the count is not.
struct SignalSlot {
  std::atomic<int> fd{-1};
  std::atomic<unsigned> pending{0};
  const void* owner = nullptr;
};
static_assert(std::atomic<unsigned>::is_always_lock_free, "the handler needs a lock-free count");
SignalSlot slots[NSIG];  // constant-initialized: usable before any constructor runs
std::mutex table_mutex;

extern "C" void on_signal(int sig) {
  int saved = errno;  // the interrupted code must not see the handler's errno
  int fd = slots[sig].fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    slots[sig].pending.fetch_add(1, std::memory_order_release);
    auto byte = static_cast<std::uint8_t>(sig);
    ssize_t r;
    do {
      r = ::write(fd, &byte, 1);  // EAGAIN: the pipe is full, a wakeup is pending anyway
    } while (r < 0 && errno == EINTR);
  }
  errno = saved;
}

void install(int sig, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigfillset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // as signal.siginterrupt(sig, False)
  if (::sigaction(sig, &action, nullptr) != 0) {
    if (errno == EINVAL) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught");
    throw_os_error(errno);
  }
}

}  // namespace

bool take_one_delivery(int sig) noexcept {
  if (sig < 1 || sig >= NSIG) return false;  // a byte nobody's handler wrote
  std::atomic<unsigned>& pending = slots[sig].pending;
  unsigned n = pending.load(std::memory_order_acquire);
  while (n > 0 && !pending.compare_exchange_weak(n, n - 1, std::memory_order_acquire)) {
  }
  return n > 0;
}

unsigned take_deliveries(int sig) noexcept {
  if (sig < 1 || sig >= NSIG) return 0;
  return slots[sig].pending.exchange(0, std::memory_order_acquire);
}

void check_signal_number(int sig) {
  if (sig < 1 || sig >= NSIG) {
    throw std::invalid_argument("invalid signal number " + std::to_string(sig));
  }
}

void claim_signal(int sig, const void* owner, int write_fd) {
  check_signal_number(sig);
  std::lock_guard lock(table_mutex);
  SignalSlot& slot = slots[sig];
  if (slot.owner != nullptr && slot.owner != owner) {
    throw RuntimeError("sig " + std::to_string(sig) + " is handled by another event loop");
  }
  if (slot.owner == nullptr) slot.pending.store(0);
  slot.fd.store(write_fd);
  try {
    install(sig, &on_signal);
  } catch (...) {
    if (slot.owner == nullptr) slot.fd.store(-1);
    throw;
  }
  slot.owner = owner;
}

// The parent's loops keep their signals: the child's deliveries go nowhere (as CPython's
// set_wakeup_fd(-1) at fork) until a loop of the child's own claims them. The table's mutex
// may have been held by another of the parent's threads, which the child does not have.
void forget_signals_in_child() noexcept {
  new (&table_mutex) std::mutex;
  for (SignalSlot& slot : slots) {
    slot.fd.store(-1);
    slot.pending.store(0);
    slot.owner = nullptr;
  }
}

bool release_signal(int sig, const void* owner) {
  check_signal_number(sig);
  std::lock_guard lock(table_mutex);
  SignalSlot& slot = slots[sig];
  if (slot.owner != owner) return false;
  install(sig, SIG_DFL);
  slot.fd.store(-1);
  slot.pending.store(0);
  slot.owner = nullptr;
  return true;
}

}  // namespace asyncio::detail
